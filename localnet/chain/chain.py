"""`Chain`: localnet's single-validator NEAR chain.

Each block is one step: the block that includes a transaction converts it
(and executes its receipt at once when the signer is the receiver, as
nearcore does for local receipts); receipts created in block N execute in
block N+1, data for callbacks arrives the same way, and the chain keeps
producing blocks until nothing is left in flight, so a transaction and all
its receipts are finished when `submit_transaction` returns.

Time: with an explicit `genesis_time_ns` every block is exactly one second
after its parent (deterministic tests).  Without one the chain follows the
wall clock (never less than 1 µs per block), so tokens issued "now" are valid
"now"; `fast_forward(n)` adds n blocks of one second each and shifts the clock
by as much.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

import base58

from .. import borsh
from ..engine.api import VMContext
from ..primitives import (
    AccessKey,
    FullAccess,
    FunctionCallPermission,
    PromiseResult,
    ReturnValue,
    SignedTransaction,
    Transaction,
    is_valid_account_id,
)
from . import config, errors
from .blocks import Block, block_view, compute_block_hash, epoch_id, next_random_value
from .errors import ContractError, InvalidTransaction
from .keys import KeyPair, b58, parse_public_key, public_key_text
from .persistence import ChainDatabase
from .results import TxResult, decode_return_value
from .runtime import (
    ActionReceipt,
    BlockContext,
    DataReceipt,
    Runtime,
    verify_and_charge_transaction,
    view_error_text,
)
from .state import (
    NO_CODE_HASH,
    AccountRecord,
    AccountStorageReader,
    StateStore,
    StateUpdate,
    access_key_storage_usage,
)
from .views import Outcome, access_key_view, action_receipt_view, b64, transaction_view

MIN_REALTIME_STEP_NS = 1_000
MAX_STEPS_PER_TRANSACTION = 10_000  # far beyond what 300 Tgas can pay for
UNSIGNED_SIGNATURE = bytes(65)  # ed25519 type byte + 64 zero bytes


def rfc3339(timestamp_ns: int) -> str:
    """Like chrono's AutoSi: as many fractional digits (0/3/6/9) as the value needs."""
    seconds, nanos = divmod(timestamp_ns, 1_000_000_000)
    text = datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if nanos == 0:
        return text + "Z"
    if nanos % 1_000_000 == 0:
        return f"{text}.{nanos // 1_000_000:03d}Z"
    if nanos % 1_000 == 0:
        return f"{text}.{nanos // 1_000:06d}Z"
    return f"{text}.{nanos:09d}Z"


@dataclass(frozen=True)
class ChainSnapshot:
    state: dict
    blocks: list
    transactions: dict
    clock_offset_ns: int
    total_supply: int
    tx_receipts: dict = field(default_factory=dict)


class Chain:
    def __init__(
        self,
        home: Path | str | None = None,
        *,
        root_account_id: str = "test.near",
        root_public_key: bytes | None = None,
        root_balance: int = 10**33,
        genesis_time_ns: int | None = None,
        chain_id: str = "localnet",
        runner: Callable | None = None,
    ):
        """Open the chain in `home` (created on first use) or keep it in memory when home is None.

        Reopening an existing home restores everything and ignores the genesis
        arguments.  When `root_public_key` is None a key pair is generated and
        its secret is available as `root_secret_key` (also after reopening).
        `runner` replaces `localnet.engine.run` (tests of the chain alone).
        """
        self._lock = threading.RLock()
        self._runner = runner
        self._runtime = Runtime(self._engine_run)
        self.home = Path(home) if home is not None else None
        self._db = ChainDatabase(self.home / "chain.sqlite") if self.home is not None else None
        self._started_at = time.monotonic()

        # Receipts in flight between blocks (always empty between public calls).
        self._incoming: list = []
        self._postponed: dict[bytes, list] = {}  # receipt id -> [receipt, missing input count]
        self._waiting: dict[tuple[str, bytes], bytes] = {}  # (receiver, data id) -> postponed receipt id
        self._received: dict[tuple[str, bytes], Optional[bytes]] = {}
        self._executed: dict[bytes, dict] = {}  # action receipts the running transaction executed

        if self._db is not None and self._db.is_initialised():
            self._load()
        else:
            self._genesis(root_account_id, root_public_key, root_balance, genesis_time_ns, chain_id)
            self._save(full=True)

    # ------------------------------------------------------------------ setup

    def _genesis(self, root_account_id, root_public_key, root_balance, genesis_time_ns, chain_id) -> None:
        if not is_valid_account_id(root_account_id):
            raise ValueError(f"invalid root account id {root_account_id!r}")
        self.chain_id = chain_id
        self.root_account_id = root_account_id
        if root_public_key is None:
            key_pair = KeyPair.generate()
            self.root_public_key = key_pair.public_key
            self.root_secret_key: Optional[str] = key_pair.secret_key_text
        else:
            self.root_public_key = bytes(root_public_key)
            self.root_secret_key = None
        self._realtime = genesis_time_ns is None
        self._clock_offset_ns = 0
        genesis_time = time.time_ns() if genesis_time_ns is None else genesis_time_ns

        self._store = StateStore()
        genesis = self._store.update()
        root_key = AccessKey(0, FullAccess())
        storage_usage = config.STORAGE_NUM_BYTES_ACCOUNT + access_key_storage_usage(
            self.root_public_key, root_key, config.STORAGE_NUM_EXTRA_BYTES_RECORD
        )
        genesis.set_account(root_account_id, AccountRecord(root_balance, 0, NO_CODE_HASH, storage_usage))
        genesis.set_access_key(root_account_id, self.root_public_key, root_key)
        genesis.commit_into(self._store)
        self._total_supply = root_balance

        random_value = hashlib.sha256(b"genesis" + chain_id.encode()).digest()
        genesis_block = Block(
            height=0,
            hash=compute_block_hash(0, bytes(32), genesis_time, random_value, (), ()),
            prev_hash=bytes(32),
            timestamp=genesis_time,
            random_value=random_value,
            total_supply=root_balance,
        )
        self._blocks: list[Block] = [genesis_block]
        self._block_heights: dict[bytes, int] = {genesis_block.hash: 0}
        self._transactions: dict[bytes, dict] = {}
        self._tx_receipts: dict[bytes, list[dict]] = {}  # tx hash -> executed receipts (ReceiptViews)
        self._saved_block_count = 0
        self._unsaved_transactions: list[bytes] = []

    def _meta(self) -> dict[str, str]:
        return {
            "schema": "1",
            "chain_id": self.chain_id,
            "root_account_id": self.root_account_id,
            "root_public_key": public_key_text(self.root_public_key),
            "root_secret_key": self.root_secret_key or "",
            "realtime": "1" if self._realtime else "0",
            "clock_offset_ns": str(self._clock_offset_ns),
            "total_supply": str(self._total_supply),
        }

    def _load(self) -> None:
        meta = self._db.load_meta()
        self.chain_id = meta["chain_id"]
        self.root_account_id = meta["root_account_id"]
        self.root_public_key = parse_public_key(meta["root_public_key"])
        self.root_secret_key = meta["root_secret_key"] or None
        self._realtime = meta["realtime"] == "1"
        self._clock_offset_ns = int(meta["clock_offset_ns"])
        self._total_supply = int(meta["total_supply"])
        self._store = StateStore(self._db.load_state())
        self._blocks = self._db.load_blocks()
        self._block_heights = {block.hash: block.height for block in self._blocks}
        self._transactions, self._tx_receipts = self._db.load_transactions()
        self._saved_block_count = len(self._blocks)
        self._unsaved_transactions = []

    def _save(self, *, full: bool = False) -> None:
        if self._db is None:
            self._store.mark_saved()
            self._saved_block_count = len(self._blocks)
            self._unsaved_transactions = []
            return
        if full:
            tx_rows = [
                (h, position, outcome["transaction"]["signer_id"], outcome, self._tx_receipts.get(h, []))
                for position, (h, outcome) in enumerate(self._transactions.items())
            ]
        else:
            # Transactions are only ever appended, so the newest are the last ones.
            first = len(self._transactions) - len(self._unsaved_transactions)
            tx_rows = [
                (h, first + offset, self._transactions[h]["transaction"]["signer_id"], self._transactions[h],
                 self._tx_receipts.get(h, []))
                for offset, h in enumerate(self._unsaved_transactions)
            ]
        if full:
            self._db.rewrite(self._meta(), self._store.data, self._blocks, tx_rows)
        else:
            changes = [(key, self._store.data.get(key)) for key in self._store.dirty]
            self._db.save(self._meta(), changes, self._blocks[self._saved_block_count:], tx_rows)
        self._store.mark_saved()
        self._saved_block_count = len(self._blocks)
        self._unsaved_transactions = []

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> "Chain":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _engine_run(self):
        if self._runner is not None:
            return self._runner
        from .. import engine

        run = getattr(engine, "run", None)
        if run is None:
            raise RuntimeError("contract execution needs localnet.engine.run, which is not available")
        return run

    # ------------------------------------------------------------------ blocks & time

    @property
    def head(self) -> Block:
        return self._blocks[-1]

    @property
    def height(self) -> int:
        return self.head.height

    @property
    def block_timestamp(self) -> int:
        return self.head.timestamp

    def _next_context(self, timestamp: Optional[int] = None) -> BlockContext:
        prev = self.head
        if timestamp is None:
            timestamp = prev.timestamp + config.BLOCK_INTERVAL_NS
            if self._realtime:
                timestamp = max(prev.timestamp + MIN_REALTIME_STEP_NS, time.time_ns() + self._clock_offset_ns)
        height = prev.height + 1
        return BlockContext(
            height=height,
            timestamp=timestamp,
            prev_hash=prev.hash,
            random_value=next_random_value(prev),
            epoch_height=height // config.EPOCH_LENGTH,
        )

    def _seal_block(self, ctx: BlockContext, tx_hashes: list[bytes], outcomes: list[Outcome], burnt: int) -> Block:
        self._total_supply -= burnt
        receipt_ids = tuple(o.id for o in outcomes if o.id not in tx_hashes)
        block = Block(
            height=ctx.height,
            hash=compute_block_hash(ctx.height, ctx.prev_hash, ctx.timestamp, ctx.random_value, tuple(tx_hashes), receipt_ids),
            prev_hash=ctx.prev_hash,
            timestamp=ctx.timestamp,
            random_value=ctx.random_value,
            tx_hashes=tuple(tx_hashes),
            receipt_ids=receipt_ids,
            gas_burnt=sum(o.gas_burnt for o in outcomes),
            tokens_burnt=sum(o.tokens_burnt for o in outcomes),
            total_supply=self._total_supply,
        )
        for outcome in outcomes:
            outcome.block_hash = block.hash
        self._blocks.append(block)
        self._block_heights[block.hash] = block.height
        return block

    def _find_block(self, reference: Any) -> Block:
        if isinstance(reference, dict):
            if reference.get("block_id") is not None:
                reference = reference["block_id"]
            else:
                reference = reference.get("finality", reference.get("sync_checkpoint", "final"))
        if reference is None or reference in ("final", "optimistic", "near-final"):
            return self.head
        if reference in ("genesis", "earliest_available"):
            return self._blocks[0]
        if isinstance(reference, bool):
            raise errors.unknown_block(reference)
        if isinstance(reference, int) or (isinstance(reference, str) and reference.isdigit()):
            height = int(reference)
            if 0 <= height < len(self._blocks):
                return self._blocks[height]
            raise errors.unknown_block(reference)
        if isinstance(reference, (bytes, str)):
            try:
                block_hash = reference if isinstance(reference, bytes) else base58.b58decode(reference)
            except ValueError:
                raise errors.unknown_block(reference) from None
            height = self._block_heights.get(bytes(block_hash))
            if height is not None:
                return self._blocks[height]
        raise errors.unknown_block(reference)

    def fast_forward(self, delta_height: int) -> None:
        """Produce `delta_height` empty blocks, one second of chain time apart."""
        if delta_height < 0:
            raise ValueError("delta_height must not be negative")
        with self._lock:
            for _ in range(delta_height):
                ctx = self._next_context(self.head.timestamp + config.BLOCK_INTERVAL_NS)
                self._seal_block(ctx, [], [], 0)
            if self._realtime:
                self._clock_offset_ns += delta_height * config.BLOCK_INTERVAL_NS
            self._save()

    # ------------------------------------------------------------------ views

    def _at_head(self, result: dict) -> dict:
        result["block_height"] = self.head.height
        result["block_hash"] = self.head.hash_text
        return result

    def _account_or_raise(self, account_id: str) -> AccountRecord:
        account = self._store.update().get_account(account_id)
        if account is None:
            raise errors.unknown_account(account_id, self.head.height, self.head.hash_text)
        return account

    def status(self) -> dict:
        with self._lock:
            head, genesis = self.head, self._blocks[0]
            epoch_start = head.height - head.height % config.EPOCH_LENGTH
            return {
                "version": dict(config.NODE_VERSION),
                "chain_id": self.chain_id,
                "protocol_version": config.PROTOCOL_VERSION,
                "latest_protocol_version": config.PROTOCOL_VERSION,
                "rpc_addr": "127.0.0.1:3030",
                "validators": [{"account_id": self.root_account_id}],
                "sync_info": {
                    "latest_block_hash": head.hash_text,
                    "latest_block_height": head.height,
                    "latest_state_root": b58(head.state_root),
                    "latest_block_time": rfc3339(head.timestamp),
                    "syncing": False,
                    "earliest_block_hash": genesis.hash_text,
                    "earliest_block_height": genesis.height,
                    "earliest_block_time": rfc3339(genesis.timestamp),
                    "epoch_id": epoch_id(head.epoch_height),
                    "epoch_start_height": epoch_start,
                },
                "validator_account_id": self.root_account_id,
                "validator_public_key": public_key_text(self.root_public_key),
                "node_public_key": public_key_text(
                    b"\x00" + hashlib.sha256(b"node" + self.root_public_key).digest()
                ),
                "node_key": None,
                "uptime_sec": int(time.monotonic() - self._started_at),
                "genesis_hash": genesis.hash_text,
                "detailed_debug_status": None,
            }

    def block(self, finality_or_id: Any = "final") -> dict:
        with self._lock:
            block = self._find_block(finality_or_id)
            prev_height = block.height - 1 if block.height > 0 else None
            return block_view(block, prev_height, self.root_account_id)

    def gas_price(self) -> dict:
        return {"gas_price": str(config.GAS_PRICE)}

    def view_account(self, account_id: str) -> dict:
        with self._lock:
            account = self._account_or_raise(account_id)
            return self._at_head(
                {
                    "amount": str(account.amount),
                    "locked": str(account.locked),
                    "code_hash": b58(account.code_hash),
                    "storage_usage": account.storage_usage,
                    "storage_paid_at": 0,
                }
            )

    def account_ids(self) -> list[str]:
        """Every account on the chain, sorted."""
        with self._lock:
            return sorted(key[1:].decode() for key in self._store.data if key[:1] == b"a")

    def view_access_key(self, account_id: str, public_key: str) -> dict:
        with self._lock:
            self._account_or_raise(account_id)
            try:
                key_bytes = parse_public_key(public_key)
            except ValueError:
                raise errors.unknown_access_key(public_key, self.head.height, self.head.hash_text) from None
            key = self._store.update().get_access_key(account_id, key_bytes)
            if key is None:
                raise errors.unknown_access_key(public_key, self.head.height, self.head.hash_text)
            view = access_key_view(key)
            return self._at_head({"nonce": view["nonce"], "permission": view["permission"]})

    def view_access_key_list(self, account_id: str) -> dict:
        with self._lock:
            self._account_or_raise(account_id)
            keys = [
                {"public_key": public_key_text(key_bytes), "access_key": access_key_view(key)}
                for key_bytes, key in self._store.update().access_keys(account_id)
            ]
            return self._at_head({"keys": keys})

    def view_state(self, account_id: str, prefix: bytes = b"") -> dict:
        with self._lock:
            self._account_or_raise(account_id)
            values = [
                {"key": b64(key), "value": b64(value)}
                for key, value in self._store.update().data_items(account_id, prefix)
            ]
            return self._at_head({"values": values})

    def view_code(self, account_id: str) -> dict:
        with self._lock:
            self._account_or_raise(account_id)
            code = self._store.get(b"c" + account_id.encode())
            if code is None:
                raise errors.no_contract_code(account_id, self.head.height, self.head.hash_text)
            return self._at_head({"code_base64": b64(code), "hash": b58(hashlib.sha256(code).digest())})

    def call_function(self, account_id: str, method_name: str, args: bytes) -> dict:
        """Run a view method at the head block; contract errors come back as an `error` field."""
        with self._lock:
            logs, result, error = self._run_view(account_id, method_name, args)
            if error is not None:
                return self._at_head({"error": f"wasm execution failed with error: {error}", "logs": []})
            return self._at_head({"result": list(result), "logs": logs})

    def _run_view(self, account_id: str, method_name: str, args: bytes):
        account = self._account_or_raise(account_id)
        state = self._store.update()
        code = state.get_code(account_id)
        if code is None:
            raise errors.no_contract_code(account_id, self.head.height, self.head.hash_text)
        head = self.head
        context = VMContext(
            current_account_id=account_id,
            signer_account_id=account_id,
            signer_account_pk=b"\x00" + bytes(32),
            predecessor_account_id=account_id,
            input=bytes(args),
            block_height=head.height,
            block_timestamp=head.timestamp,
            epoch_height=head.epoch_height,
            account_balance=account.amount,
            account_locked_balance=account.locked,
            storage_usage=account.storage_usage,
            attached_deposit=0,
            prepaid_gas=config.MAX_GAS_BURNT_VIEW,
            random_seed=hashlib.sha256(b"view" + head.random_value).digest(),
            view=True,
        )
        outcome = self._engine_run()(code, method_name, context, AccountStorageReader(state, account_id))
        if outcome.error is not None:
            return list(outcome.logs), b"", view_error_text(outcome.error)
        returned = outcome.return_data.data if isinstance(outcome.return_data, ReturnValue) else b""
        return list(outcome.logs), returned, None

    def view(self, account_id: str, method_name: str, args: bytes | dict | list | None = None) -> Any:
        """In-process view call: the decoded return value; ContractError when the contract fails."""
        if args is None:
            args = b""
        elif not isinstance(args, (bytes, bytearray)):
            args = json.dumps(args).encode()
        with self._lock:
            logs, result, error = self._run_view(account_id, method_name, bytes(args))
        if error is not None:
            raise ContractError(f"wasm execution failed with error: {error}", logs)
        return decode_return_value(result)

    # ------------------------------------------------------------------ transactions

    def submit_transaction(self, signed_tx: SignedTransaction) -> dict:
        """Validate, execute to completion and return the FinalExecutionOutcome (RPC shape)."""
        with self._lock:
            known = self._transactions.get(signed_tx.hash)
            if known is not None:
                # nearcore answers a resubmitted transaction with its existing outcome.
                return copy.deepcopy(known)
            self._check_block_hash(signed_tx.transaction.block_hash)
            return copy.deepcopy(self._run_transaction(signed_tx, verify_signature=True))

    def _check_block_hash(self, block_hash: bytes) -> None:
        """A transaction must name a known block at most 100 blocks back.

        nearcore's window is 100 blocks, which at its ~1 block/s is ~100 s.  Localnet
        makes a block per receipt step, many per second under load, so a client that
        reuses one block hash for a while (py-near does, for 50 s) would expire after
        a few dozen transactions; a block within 100 s of chain time is accepted too.
        With one block per second (deterministic time) both rules are the same.
        """
        height = self._block_heights.get(bytes(block_hash))
        if height is None:
            raise InvalidTransaction("Expired")
        base, head = self._blocks[height], self.head
        within_blocks = head.height - base.height <= config.TRANSACTION_VALIDITY_PERIOD
        within_time = head.timestamp - base.timestamp <= config.TRANSACTION_VALIDITY_PERIOD * config.BLOCK_INTERVAL_NS
        if not (within_blocks or within_time):
            raise InvalidTransaction("Expired")

    def tx_status(self, tx_hash_b58: str, sender_id: str, *, with_receipts: bool = False) -> dict:
        """The transaction's FinalExecutionOutcome (RPC `tx`).

        With `with_receipts` it also has `receipts`: every action receipt the
        transaction executed as nearcore's ReceiptView, in `receipts_outcome`
        order (RPC `EXPERIMENTAL_tx_status`).
        """
        with self._lock:
            try:
                tx_hash = base58.b58decode(tx_hash_b58)
            except ValueError:
                raise errors.unknown_transaction(tx_hash_b58) from None
            outcome = self._transactions.get(tx_hash)
            if outcome is None:
                raise errors.unknown_transaction(tx_hash_b58)
            outcome = copy.deepcopy(outcome)
            if with_receipts:
                outcome["receipts"] = copy.deepcopy(self._tx_receipts.get(tx_hash, []))
            return outcome

    def tx_receipts(self, tx_hash_b58: str) -> list[dict]:
        """The action receipts a transaction executed (nearcore's ReceiptView), in `receipts_outcome` order."""
        return self.tx_status(tx_hash_b58, "", with_receipts=True)["receipts"]

    def execute(self, signer_id: str, receiver_id: str, actions: list, *, public_key: bytes | str | None = None) -> TxResult:
        """Run actions as a transaction from `signer_id` without a signature.

        Same path as a signed transaction -- fees, nonce, access-key rules,
        receipts, blocks -- except the signature check.  With no `public_key`
        the signer's first full-access key signs (or, for an account without
        keys, none: the key checks are skipped).
        """
        with self._lock:
            state = self._store.update()
            if isinstance(public_key, str):
                public_key = parse_public_key(public_key)
            keyless = False
            if public_key is None:
                keys = state.access_keys(signer_id)
                full = [k for k, key in keys if isinstance(key.permission, FullAccess)]
                if full:
                    public_key = full[0]
                elif keys:
                    public_key = keys[0][0]
                else:
                    public_key, keyless = b"\x00" + bytes(32), True
            key = None if keyless else state.get_access_key(signer_id, public_key)
            # Without a key there is no nonce to follow; the head height keeps hashes unique.
            nonce = key.nonce + 1 if key is not None else self.head.height + 1
            tx = Transaction(signer_id, public_key, nonce, receiver_id, self.head.hash, tuple(actions), None)
            signed = borsh.sign_transaction(tx, lambda tx_hash: UNSIGNED_SIGNATURE)
            outcome = self._run_transaction(signed, verify_signature=False, keyless=keyless)
            return TxResult(outcome, copy.deepcopy(self._tx_receipts.get(signed.hash, [])))

    def _run_transaction(self, signed: SignedTransaction, *, verify_signature: bool, keyless: bool = False) -> dict:
        block_count, total_supply = len(self._blocks), self._total_supply
        try:
            return self._run_transaction_steps(signed, verify_signature=verify_signature, keyless=keyless)
        except BaseException:
            # Nothing of a transaction that could not finish may stay behind (an
            # InvalidTransaction never got that far; this is for internal failures).
            self._store.roll_back_unsaved()
            for block in self._blocks[block_count:]:
                self._block_heights.pop(block.hash, None)
            del self._blocks[block_count:]
            self._total_supply = total_supply
            self._incoming, self._postponed, self._waiting, self._received = [], {}, {}, {}
            self._executed = {}
            raise

    def _run_transaction_steps(self, signed: SignedTransaction, *, verify_signature: bool, keyless: bool) -> dict:
        tx = signed.transaction
        self._executed = {}  # receipt id -> ReceiptView of each action receipt this transaction executes
        ctx = self._next_context()
        update = self._store.update()
        conversion = verify_and_charge_transaction(
            update, signed, ctx, verify_signature_=verify_signature, keyless=keyless
        )
        update.commit_into(self._store)

        outcomes: dict[bytes, Outcome] = {conversion.outcome.id: conversion.outcome}
        block_outcomes = [conversion.outcome]
        if tx.signer_id == tx.receiver_id:
            burnt = self._execute_receipts([conversion.receipt], ctx, outcomes, block_outcomes)
        else:
            self._incoming.append(conversion.receipt)
            burnt = 0
        self._seal_block(ctx, [signed.hash], block_outcomes, conversion.burnt_amount + burnt)

        steps = 0
        while self._incoming:
            steps += 1
            if steps > MAX_STEPS_PER_TRANSACTION:
                raise RuntimeError("receipts kept spawning receipts for too many blocks")
            ctx = self._next_context()
            arriving, self._incoming = self._incoming, []
            block_outcomes = []
            burnt = self._execute_receipts(arriving, ctx, outcomes, block_outcomes)
            self._seal_block(ctx, [], block_outcomes, burnt)

        final = self._final_outcome(signed, outcomes)
        executed, self._executed = self._executed, {}
        self._transactions[signed.hash] = final
        # nearcore lists the receipt behind each receipt outcome, in the same order.
        receipt_ids = [base58.b58decode(o["id"]) for o in final["receipts_outcome"]]
        self._tx_receipts[signed.hash] = [executed[r] for r in receipt_ids if r in executed]
        self._unsaved_transactions.append(signed.hash)
        self._save()
        return final

    def _execute_receipts(self, receipts, ctx: BlockContext, outcomes: dict, block_outcomes: list) -> int:
        burnt = 0
        for receipt in receipts:
            ready: Optional[ActionReceipt] = None
            if isinstance(receipt, DataReceipt):
                key = (receipt.receiver_id, receipt.data_id)
                self._received[key] = receipt.data
                waiting_id = self._waiting.pop(key, None)
                if waiting_id is not None:
                    entry = self._postponed[waiting_id]
                    entry[1] -= 1
                    if entry[1] == 0:
                        ready = self._postponed.pop(waiting_id)[0]
            else:
                missing = [d for d in receipt.input_data_ids if (receipt.receiver_id, d) not in self._received]
                if missing:
                    self._postponed[receipt.receipt_id] = [receipt, len(missing)]
                    for data_id in missing:
                        self._waiting[(receipt.receiver_id, data_id)] = receipt.receipt_id
                else:
                    ready = receipt
            if ready is not None:
                burnt += self._execute_action_receipt(ready, ctx, outcomes, block_outcomes)
        return burnt

    def _execute_action_receipt(self, receipt: ActionReceipt, ctx, outcomes, block_outcomes) -> int:
        promise_results = []
        for data_id in receipt.input_data_ids:
            data = self._received.pop((receipt.receiver_id, data_id))
            promise_results.append(PromiseResult(data is not None, data or b""))
        # Viewed before it runs: what the receipt carried when it arrived.
        self._executed[receipt.receipt_id] = action_receipt_view(receipt)
        result = self._runtime.apply_action_receipt(self._store, receipt, tuple(promise_results), ctx)
        outcomes[result.outcome.id] = result.outcome
        block_outcomes.append(result.outcome)
        self._incoming.extend(result.new_receipts)
        return result.burnt_amount

    def _final_outcome(self, signed: SignedTransaction, outcomes: dict[bytes, Outcome]) -> dict:
        tx_outcome = outcomes[signed.hash]
        ordered: list[Outcome] = []
        # Depth-first, each outcome before the receipts it created (nearcore's order).
        stack = list(reversed(tx_outcome.receipt_ids))
        while stack:
            outcome = outcomes.get(stack.pop())
            if outcome is None:
                continue
            ordered.append(outcome)
            stack.extend(reversed(outcome.receipt_ids))

        status: Any = "Started"
        looking_for = tx_outcome.id
        for outcome in [tx_outcome] + ordered:
            if outcome.id != looking_for:
                continue
            kind, payload = outcome.status
            if kind == "SuccessReceiptId":
                looking_for = payload
                continue
            status = outcome.status_view()
            break
        return {
            "final_execution_status": "FINAL",
            "status": status,
            "transaction": transaction_view(signed),
            "transaction_outcome": tx_outcome.to_json(),
            "receipts_outcome": [o.to_json() for o in ordered],
        }

    # ------------------------------------------------------------------ sandbox

    def patch_state(self, records: list[dict]) -> None:
        """Write sandbox_patch_state records (Account, AccessKey, Contract, Data) as given, in a new block.

        Like nearcore, storage_usage is not recomputed: an Account record's
        value is taken as is.  A Contract record also sets the account's
        code_hash so the account record stays consistent with its code.
        """
        with self._lock:
            update = self._store.update()
            for record in records:
                _apply_record(update, record)
            update.commit_into(self._store)
            ctx = self._next_context()
            self._seal_block(ctx, [], [], 0)
            self._save()

    def snapshot(self) -> ChainSnapshot:
        with self._lock:
            return ChainSnapshot(
                state=dict(self._store.data),
                blocks=list(self._blocks),
                transactions=dict(self._transactions),
                clock_offset_ns=self._clock_offset_ns,
                total_supply=self._total_supply,
                tx_receipts=dict(self._tx_receipts),
            )

    def restore(self, snap: ChainSnapshot) -> None:
        """Go back to exactly the snapshot's state, blocks and transactions."""
        with self._lock:
            self._store = StateStore(dict(snap.state))
            self._blocks = list(snap.blocks)
            self._block_heights = {block.hash: block.height for block in self._blocks}
            self._transactions = dict(snap.transactions)
            self._tx_receipts = dict(snap.tx_receipts)
            self._clock_offset_ns = snap.clock_offset_ns
            self._total_supply = snap.total_supply
            self._save(full=True)


def _apply_record(update: StateUpdate, record: dict) -> None:
    if not isinstance(record, dict) or len(record) != 1:
        raise ValueError(f"a state record is an object with one key, got {record!r}")
    (kind, fields), = record.items()
    account_id = fields.get("account_id")
    if not isinstance(account_id, str) or not is_valid_account_id(account_id):
        raise ValueError(f"invalid account_id in {kind} record: {account_id!r}")
    if kind == "Account":
        account = fields["account"]
        code_hash = account.get("code_hash", "11111111111111111111111111111111")
        update.set_account(
            account_id,
            AccountRecord(
                int(account.get("amount", 0)),
                int(account.get("locked", 0)),
                base58.b58decode(code_hash),
                int(account.get("storage_usage", 0)),
            ),
        )
    elif kind == "AccessKey":
        key = _parse_access_key(fields["access_key"])
        update.set_access_key(account_id, parse_public_key(fields["public_key"]), key)
    elif kind == "Contract":
        code = base64.b64decode(fields["code"])
        update.set_code(account_id, code)
        account = update.get_account(account_id)
        if account is not None:
            update.set_account(account_id, AccountRecord(
                account.amount, account.locked, hashlib.sha256(code).digest(), account.storage_usage
            ))
    elif kind == "Data":
        update.set_data(account_id, base64.b64decode(fields["data_key"]), base64.b64decode(fields["value"]))
    else:
        raise ValueError(f"unsupported state record kind {kind!r}")


def _parse_access_key(view: dict) -> AccessKey:
    permission = view.get("permission", "FullAccess")
    if permission == "FullAccess":
        return AccessKey(int(view.get("nonce", 0)), FullAccess())
    call = permission["FunctionCall"]
    allowance = call.get("allowance")
    return AccessKey(
        int(view.get("nonce", 0)),
        FunctionCallPermission(
            None if allowance is None else int(allowance),
            call["receiver_id"],
            tuple(call.get("method_names", ())),
        ),
    )
