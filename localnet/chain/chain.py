"""`Chain`: localnet's single-validator NEAR chain.

Blocks are made by `produce_block`: the block includes the transactions
submitted since the last one (converting each, and executing its receipt at
once when the signer is the receiver, as nearcore does for local receipts)
and executes the receipts created by the block before; data for callbacks
arrives the same way.  A node calls `produce_block` on a timer
(`localnet.chain.producer`); in-process callers (`submit_transaction`,
`execute`) produce blocks on demand until their transaction has executed.

Finality is a one-validator nearcore's: a block is doomslug-final
("near-final") once the next block exists and final two blocks later, so
`final` reads trail the head by two blocks and a transaction's status goes
INCLUDED -> EXECUTED_OPTIMISTIC -> ... -> FINAL as blocks follow it.

The state after each of the last `history_blocks` blocks can be viewed (as a
non-archival node keeps recent state); older blocks answer
GARBAGE_COLLECTED_BLOCK.  The chain answers state queries (`view_account`,
`call_function`, ...) and keeps its records; nearcore's other RPC answers
(blocks, chunks, validators, changes, light-client views) are built from those
records by `localnet.rpc.views`.

Time: with an explicit `genesis_time_ns` every block is exactly one second
after its parent (deterministic tests).  Without one the chain follows the
wall clock (never less than 1 µs per block), so tokens issued "now" are valid
"now"; `fast_forward(n)` adds n blocks of one second each and shifts the clock
by as much.
"""
from __future__ import annotations

import copy
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import base58

from .. import borsh
from ..primitives import FullAccess, SignedTransaction, Transaction
from . import config, errors, genesis, state_viewer
from .blocks import Block, chunk_hash, header_outcome_root, next_random_value, sealed
from .errors import ContractError, InvalidTransaction
from .keys import KeyPair, b58, parse_public_key, public_key_text
from .merkle import PartialMerkleTree, merklize
from .persistence import ChainDatabase
from .results import TxResult, decode_return_value
from .receipts import ActionReceipt, BlockContext
from .records import apply_state_record
from .runtime import ReceiptQueue, Runtime
from .verifier import verify_and_charge_transaction
from .state import StateAt, StateStore, StateUpdate
from .tx_status import (
    EXECUTED_OPTIMISTIC,
    NONE,
    executed_status,
    final_outcome,
    included_status,
    outcomes_by_id,
    status_satisfies,
)
from .views import Outcome, action_receipt_view, transaction_view

MIN_REALTIME_STEP_NS = 1_000
MAX_STEPS_PER_TRANSACTION = 10_000  # far beyond what 300 Tgas can pay for
UNSIGNED_SIGNATURE = bytes(65)  # ed25519 type byte + 64 zero bytes
HISTORY_BLOCKS = 500  # blocks whose state views can still read (nearcore keeps a few epochs)
TX_WAIT_TIMEOUT_S = 10.0  # nearcore answers TIMEOUT_ERROR after about this long
REJECTED_KEPT = 1000


@dataclass
class PendingTransaction:
    signed: SignedTransaction
    verify_signature: bool
    keyless: bool = False


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
        history_blocks: int = HISTORY_BLOCKS,
    ):
        """Open the chain in `home` (created on first use) or keep it in memory when home is None.

        Reopening an existing home restores everything and ignores the genesis
        arguments.  When `root_public_key` is None a key pair is generated and
        its secret is available as `root_secret_key` (also after reopening).
        `runner` replaces `localnet.engine.run` (tests of the chain alone).
        """
        self._lock = threading.RLock()
        self._block_made = threading.Condition(self._lock)  # notified after every block
        self._runner = runner
        self.history_blocks = history_blocks
        self._runtime = Runtime(self._engine_run)
        self.home = Path(home) if home is not None else None
        self._db = ChainDatabase(self.home / "chain.sqlite") if self.home is not None else None

        # Transactions submitted and not yet in a block, and those in a block whose receipts still run.
        self._pending: list[PendingTransaction] = []
        self._in_flight: dict[bytes, SignedTransaction] = {}
        self._rejected: dict[bytes, InvalidTransaction] = {}  # refused when their block came
        self._receipts = ReceiptQueue()  # receipts in flight between blocks
        self._outcomes: dict[bytes, Outcome] = {}  # outcomes of the transactions in flight
        self._executed: dict[bytes, dict] = {}  # ReceiptViews of the action receipts they executed
        self._history: dict[int, Any] = {}  # height -> BlockJournal, for the last history_blocks blocks
        self._chunk_heights: dict[bytes, int] = {}
        self._receipt_index: Optional[dict[str, dict]] = None  # receipt id -> ReceiptView, built on demand
        self._outcome_index: Optional[dict[str, dict]] = None  # outcome id -> its view, built on demand
        self._last_block_at = time.monotonic()
        self._waiters = 0
        self._last_busy_height: Optional[int] = None  # the latest block that included or executed anything

        if self._db is not None and self._db.is_initialised():
            self._load()
        else:
            self._genesis(root_account_id, root_public_key, root_balance, genesis_time_ns, chain_id)
            self._save(full=True)

    # ------------------------------------------------------------------ setup

    def _genesis(self, root_account_id, root_public_key, root_balance, genesis_time_ns, chain_id) -> None:
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

        self._store = genesis.genesis_state(root_account_id, self.root_public_key, root_balance)
        self._total_supply = root_balance
        genesis_block = genesis.genesis_block(chain_id, genesis_time, root_balance, self._next_bp_hash())
        self._blocks: list[Block] = [genesis_block]
        self._rebuild_block_tree()
        self._block_heights: dict[bytes, int] = {genesis_block.hash: 0}
        self._transactions: dict[bytes, dict] = {}
        self._tx_receipts: dict[bytes, list[dict]] = {}  # tx hash -> executed receipts (ReceiptViews)
        self._saved_block_count = 0
        self._unsaved_transactions: list[bytes] = []
        self._history_floor = 0

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
        self._rebuild_block_tree()
        self._transactions, self._tx_receipts = self._db.load_transactions()
        self._saved_block_count = len(self._blocks)
        self._unsaved_transactions = []
        self._forget_history()

    def _rebuild_block_tree(self) -> None:
        """The block Merkle tree over every block so far (the next block's `block_merkle_root`)."""
        self._block_tree = PartialMerkleTree()
        for block in self._blocks:
            self._block_tree.insert(block.hash)

    def _next_bp_hash(self) -> bytes:
        """The hash of the next epoch's producers: the root account with its key and stake."""
        return genesis.producers_hash(self.root_account_id, self.root_public_key, self.validator_stake())

    def _forget_history(self) -> None:
        """Views of blocks before now are answered as garbage collected (after a restart or a restore)."""
        self._history = {}
        self._history_floor = self.head.height
        self._chunk_heights = {}
        self._receipt_index = None
        self._outcome_index = None

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
        # nearcore's chunk outcome root: merklize over each outcome's hashes, in execution order.
        chunk_outcome_root, proofs = merklize([o.merkle_leaf_bytes() for o in outcomes])
        for outcome, proof in zip(outcomes, proofs):
            outcome.proof = proof
        block = sealed(Block(
            height=ctx.height,
            hash=b"",
            prev_hash=ctx.prev_hash,
            timestamp=ctx.timestamp,
            random_value=ctx.random_value,
            tx_hashes=tuple(tx_hashes),
            receipt_ids=receipt_ids,
            gas_burnt=sum(o.gas_burnt for o in outcomes),
            tokens_burnt=sum(o.tokens_burnt for o in outcomes),
            total_supply=self._total_supply,
            outcome_root=header_outcome_root(self.head.chunk_outcome_root),
            chunk_outcome_root=chunk_outcome_root,
            block_merkle_root=self._block_tree.root(),
            # Set when an epoch starts, as nearcore does: the producers of the epoch after it.
            next_bp_hash=self._next_bp_hash() if ctx.height % config.EPOCH_LENGTH == 0 else self.head.next_bp_hash,
        ))
        self._block_tree.insert(block.hash)
        for outcome in outcomes:
            outcome.block_hash = block.hash
        self._blocks.append(block)
        self._block_heights[block.hash] = block.height
        self._history[block.height] = self._store.take_block_journal()
        while len(self._history) > self.history_blocks:
            del self._history[next(iter(self._history))]
            self._history_floor += 1
        self._last_block_at = time.monotonic()
        return block

    def final_height(self, finality: str = "final") -> int:
        """The height `finality` reads: the head, its parent (near-final) or two back (final)."""
        return max(0, self.head.height - config.FINALITY_LAG[finality])

    def find_block(self, reference: Any) -> Block:
        """A block by finality, height (int) or base58 hash (str) -- nearcore's BlockReference."""
        if isinstance(reference, dict):
            if reference.get("block_id") is not None:
                reference = reference["block_id"]
            else:
                reference = reference.get("finality", reference.get("sync_checkpoint", "final"))
        if reference is None:
            reference = "final"
        if reference in config.FINALITY_LAG:
            return self._blocks[self.final_height(reference)]
        if reference == "genesis":
            return self._blocks[0]
        if reference == "earliest_available":
            return self._blocks[self._history_floor]
        if isinstance(reference, bool):
            raise errors.unknown_block(reference)
        if isinstance(reference, int):
            if 0 <= reference < len(self._blocks):
                return self._blocks[reference]
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
            self._block_made.notify_all()

    # ------------------------------------------------------------------ views

    def _state_at(self, reference: Any) -> tuple[StateUpdate, Block]:
        """The state after the referenced block, for a view; GARBAGE_COLLECTED_BLOCK when it is gone."""
        block = self.find_block(reference)
        if block.height == self.head.height:
            return self._store.update(), block
        if block.height < self._history_floor:
            raise errors.garbage_collected_block(block.height, block.hash_text)
        journals = [self._history[h] for h in range(self.head.height, block.height, -1)]
        return StateAt(self._store, journals).update(), block

    @staticmethod
    def _at(block: Block, result: dict) -> dict:
        result["block_height"] = block.height
        result["block_hash"] = block.hash_text
        return result

    # ------------------------------------------------------------------ records, for the RPC's views
    # What localnet.rpc.views reads to answer nearcore's view-client methods;
    # call them under `lock`.

    @property
    def lock(self) -> threading.RLock:
        """The chain's lock: hold it across several reads that must see the same chain."""
        return self._lock

    @property
    def blocks(self) -> list[Block]:
        """Every block so far, by height (the chain's own list: do not change it)."""
        return self._blocks

    @property
    def genesis_block(self) -> Block:
        return self._blocks[0]

    def block_at(self, height: int) -> Block:
        return self._blocks[height]

    def height_of(self, block_hash: str) -> Optional[int]:
        """The height of the block with this base58 hash, or None."""
        try:
            return self._block_heights.get(base58.b58decode(block_hash))
        except ValueError:
            return None

    def validator_stake(self) -> int:
        account = self._store.update().get_account(self.root_account_id)
        return account.locked if account is not None else 0

    def block_of_chunk(self, chunk_id: str) -> Block:
        """The block whose one chunk has this base58 hash; UNKNOWN_CHUNK when none has."""
        try:
            wanted = base58.b58decode(chunk_id)
        except ValueError:
            raise errors.unknown_chunk(chunk_id) from None
        if wanted not in self._chunk_heights:
            self._chunk_heights = {chunk_hash(block): block.height for block in self._blocks}
        height = self._chunk_heights.get(wanted)
        if height is None:
            raise errors.unknown_chunk(chunk_id)
        return self._blocks[height]

    def block_transactions(self, block: Block) -> list[dict]:
        """The block's transactions (SignedTransactionViews, copies), in block order."""
        transactions = []
        for tx_hash in block.tx_hashes:
            view = dict(self._transactions[tx_hash]["transaction"]) if tx_hash in self._transactions else None
            if view is None and tx_hash in self._in_flight:
                view = transaction_view(self._in_flight[tx_hash])
            if view is not None:
                transactions.append(view)
        return transactions

    def block_receipts(self, block: Block) -> list[dict]:
        """The action receipts the block executed (ReceiptViews, copies) that this node still knows."""
        index = self._receipts_by_id()
        receipts = [copy.deepcopy(index[b58(r)]) for r in block.receipt_ids if b58(r) in index]
        receipts += [copy.deepcopy(self._executed[r]) for r in block.receipt_ids if r in self._executed]
        return receipts

    def _receipts_by_id(self) -> dict[str, dict]:
        if self._receipt_index is None:
            self._receipt_index = {
                view["receipt_id"]: view for views in self._tx_receipts.values() for view in views
            }
        return self._receipt_index

    def receipt_view(self, receipt_id: str) -> Optional[dict]:
        """An action receipt this node executed, by base58 id, as nearcore's ReceiptView (a copy); or None."""
        view = self._receipts_by_id().get(receipt_id)
        if view is None:
            try:
                view = self._executed.get(base58.b58decode(receipt_id))
            except ValueError:
                view = None
        return copy.deepcopy(view) if view is not None else None

    def outcome_view(self, outcome_id: str) -> Optional[dict]:
        """A transaction's or receipt's ExecutionOutcomeWithIdView by base58 id (a copy), or None."""
        try:
            running = self._outcomes.get(base58.b58decode(outcome_id))
        except ValueError:
            return None
        if running is not None:
            return running.to_json()
        if self._outcome_index is None:
            self._outcome_index = {}
            for final in self._transactions.values():
                self._outcome_index.update(outcomes_by_id(final))
        outcome = self._outcome_index.get(outcome_id)
        return copy.deepcopy(outcome) if outcome is not None else None

    def block_journal(self, block_reference: Any) -> tuple[Block, Any]:
        """The referenced block and the journal of the state writes it made (each with its cause)."""
        block = self.find_block(block_reference)
        journal = self._history.get(block.height)
        if journal is None:
            # Not kept (before a restart or beyond the history window): nearcore's answer for a collected block.
            raise errors.unknown_block(block.height)
        return block, journal

    # ------------------------------------------------------------------ state views (nearcore's query)

    def view_account(self, account_id: str, block_reference: Any = "optimistic") -> dict:
        with self._lock:
            state, block = self._state_at(block_reference)
            return self._at(block, state_viewer.view_account(state, block, account_id))

    def account_ids(self) -> list[str]:
        """Every account on the chain, sorted."""
        with self._lock:
            return sorted(key[1:].decode() for key in self._store.data if key[:1] == b"a")

    def view_access_key(self, account_id: str, public_key: str, block_reference: Any = "optimistic") -> dict:
        with self._lock:
            state, block = self._state_at(block_reference)
            return self._at(block, state_viewer.view_access_key(state, block, account_id, public_key))

    def view_access_key_list(self, account_id: str, block_reference: Any = "optimistic") -> dict:
        with self._lock:
            state, block = self._state_at(block_reference)
            return self._at(block, state_viewer.view_access_keys(state, block, account_id))

    def view_state(self, account_id: str, prefix: bytes = b"", block_reference: Any = "optimistic") -> dict:
        with self._lock:
            state, block = self._state_at(block_reference)
            return self._at(block, state_viewer.view_state(state, block, account_id, prefix))

    def view_code(self, account_id: str, block_reference: Any = "optimistic") -> dict:
        with self._lock:
            state, block = self._state_at(block_reference)
            return self._at(block, state_viewer.view_contract_code(state, block, account_id))

    def call_function(self, account_id: str, method_name: str, args: bytes, block_reference: Any = "optimistic") -> dict:
        """Run a view method at a block; contract errors (and a missing contract) come back as an `error` field."""
        with self._lock:
            state, block = self._state_at(block_reference)
            logs, result, error = self._run_view(state, block, account_id, method_name, args)
            if error is not None:
                return self._at(block, {"error": f"wasm execution failed with error: {error}", "logs": []})
            return self._at(block, {"result": list(result), "logs": logs})

    def _run_view(self, state: StateUpdate, block: Block, account_id: str, method_name: str, args: bytes):
        return state_viewer.call_function(self._engine_run(), state, block, account_id, method_name, args)

    def view(self, account_id: str, method_name: str, args: bytes | dict | list | None = None) -> Any:
        """In-process view call: the decoded return value; ContractError when the contract fails."""
        if args is None:
            args = b""
        elif not isinstance(args, (bytes, bytearray)):
            args = json.dumps(args).encode()
        with self._lock:
            state, block = self._state_at("optimistic")
            logs, result, error = self._run_view(state, block, account_id, method_name, bytes(args))
        if error is not None:
            raise ContractError(f"wasm execution failed with error: {error}", logs)
        return decode_return_value(result)

    # ------------------------------------------------------------------ transactions

    def submit_transaction(self, signed_tx: SignedTransaction) -> dict:
        """Validate, produce blocks until it has executed, and return its FinalExecutionOutcome (RPC shape)."""
        with self._lock:
            tx_hash = self.add_transaction(signed_tx)
            return self.wait_for_transaction(tx_hash, EXECUTED_OPTIMISTIC, produce=True)

    def add_transaction(self, signed: SignedTransaction, *, verify_signature: bool = True, keyless: bool = False) -> bytes:
        """Check a transaction as nearcore's pool does and queue it for the next block; its hash.

        A transaction already known (queued, running or done) is not queued twice.
        Raises InvalidTransaction when it could not be included now.
        """
        with self._lock:
            if self._transaction_known(signed.hash):
                return signed.hash
            self._check_block_hash(signed.transaction.block_hash)
            # A dry run on a throw-away overlay: the same checks the block will make.
            verify_and_charge_transaction(
                self._store.update(), signed, self._next_context(), verify_signature_=verify_signature, keyless=keyless
            )
            self._rejected.pop(signed.hash, None)
            self._pending.append(PendingTransaction(signed, verify_signature, keyless))
            self._block_made.notify_all()
            return signed.hash

    def _transaction_known(self, tx_hash: bytes) -> bool:
        return (tx_hash in self._transactions or tx_hash in self._in_flight
                or any(p.signed.hash == tx_hash for p in self._pending))

    def _check_block_hash(self, block_hash: bytes) -> None:
        """A transaction must name a known block at most 100 blocks back.

        nearcore's window is 100 blocks, which at its ~1 block/s is ~100 s.  Localnet
        makes blocks faster while transactions wait, so a client that reuses one
        block hash for a while (py-near does, for 50 s) would expire after a few
        dozen transactions; a block within 100 s of chain time is accepted too.
        With one block per second both rules are the same.
        """
        height = self._block_heights.get(bytes(block_hash))
        if height is None:
            raise InvalidTransaction("Expired")
        base, head = self._blocks[height], self.head
        within_blocks = head.height - base.height <= config.TRANSACTION_VALIDITY_PERIOD
        within_time = head.timestamp - base.timestamp <= config.TRANSACTION_VALIDITY_PERIOD * config.BLOCK_INTERVAL_NS
        if not (within_blocks or within_time):
            raise InvalidTransaction("Expired")

    @property
    def has_work(self) -> bool:
        """Whether a block would move something: transactions or receipts waiting, a client waiting,
        or a block that did something and is not final yet (its finality is what clients wait for next)."""
        return bool(self._pending or self._receipts.incoming or self._in_flight or self._waiters
                    or (self._last_busy_height is not None
                        and self.head.height < self._last_busy_height + config.FINALITY_LAG["final"]))

    def produce_block(self, timestamp: Optional[int] = None) -> Block:
        """Make the next block: include the queued transactions, execute the receipts that arrived."""
        with self._lock:
            pending, self._pending = self._pending, []
            in_flight = dict(self._in_flight)
            try:
                block = self._build_block(pending, timestamp)
            except BaseException as exc:
                self._abandon_block(pending, in_flight, exc)
                raise
            self._save()
            self._block_made.notify_all()
            return block

    def _build_block(self, pending: list[PendingTransaction], timestamp: Optional[int]) -> Block:
        ctx = self._next_context(timestamp)
        arriving = self._receipts.take_incoming()
        tx_hashes: list[bytes] = []
        block_outcomes: list[Outcome] = []
        burnt = 0
        for item in pending:
            signed = item.signed
            self._store.cause = {"type": "transaction_processing", "tx_hash": b58(signed.hash)}
            update = self._store.update()
            try:
                conversion = verify_and_charge_transaction(
                    update, signed, ctx, verify_signature_=item.verify_signature, keyless=item.keyless
                )
            except InvalidTransaction as err:
                # Valid when queued, not any more (e.g. an earlier transaction used its nonce).
                self._reject(signed.hash, err)
                continue
            update.commit_into(self._store)
            tx_hashes.append(signed.hash)
            self._in_flight[signed.hash] = signed
            self._outcomes[conversion.outcome.id] = conversion.outcome
            block_outcomes.append(conversion.outcome)
            burnt += conversion.burnt_amount
            if signed.transaction.signer_id == signed.transaction.receiver_id:
                burnt += self._execute_receipts([(signed.hash, conversion.receipt)], ctx, block_outcomes)
            else:
                self._receipts.incoming.append((signed.hash, conversion.receipt))
        burnt += self._execute_receipts(arriving, ctx, block_outcomes)
        self._store.cause = {"type": "initial_state"}
        block = self._seal_block(ctx, tx_hashes, block_outcomes, burnt)
        if block_outcomes:
            self._last_busy_height = block.height
        self._finish_transactions()
        return block

    def _abandon_block(self, pending, in_flight, exc: BaseException) -> None:
        """An internal failure while building a block: nothing of it stays, its transactions are refused."""
        self._store.roll_back_unsaved()
        for block in self._blocks[self._saved_block_count:]:
            self._block_heights.pop(block.hash, None)
            self._history.pop(block.height, None)
        del self._blocks[self._saved_block_count:]
        self._rebuild_block_tree()
        self._total_supply = self._blocks[-1].total_supply
        failure = InvalidTransaction({"InternalError": f"{type(exc).__name__}: {exc}"})
        for tx_hash in [p.signed.hash for p in pending] + list(in_flight):
            self._reject(tx_hash, failure)
        self._in_flight, self._outcomes, self._executed = {}, {}, {}
        self._receipts = ReceiptQueue()
        self._block_made.notify_all()

    def _reject(self, tx_hash: bytes, error: InvalidTransaction) -> None:
        """Remember why a queued transaction was dropped, for the clients waiting for it (the latest few)."""
        self._rejected[tx_hash] = error
        while len(self._rejected) > REJECTED_KEPT:
            del self._rejected[next(iter(self._rejected))]

    def _finish_transactions(self) -> None:
        """Record the final outcome of every transaction whose receipts have all executed."""
        running = self._receipts.running_transactions()
        for tx_hash in [h for h in self._in_flight if h not in running]:
            signed = self._in_flight.pop(tx_hash)
            final = final_outcome(signed, self._outcomes)
            receipt_ids = [base58.b58decode(o["id"]) for o in final["receipts_outcome"]]
            # nearcore lists the receipt behind each receipt outcome, in the same order.
            views = [self._executed.pop(r) for r in receipt_ids if r in self._executed]
            for outcome_id in [tx_hash, *receipt_ids]:
                self._outcomes.pop(outcome_id, None)
            self._transactions[tx_hash] = final
            self._tx_receipts[tx_hash] = views
            if self._receipt_index is not None:
                self._receipt_index.update((view["receipt_id"], view) for view in views)
            if self._outcome_index is not None:
                self._outcome_index.update(outcomes_by_id(final))
            self._unsaved_transactions.append(tx_hash)

    def transaction_status(self, tx_hash: bytes) -> str:
        """The TxExecutionStatus a transaction has reached (NONE while it waits for a block)."""
        with self._lock:
            outcome = self._transactions.get(tx_hash)
            final_height = self.final_height()
            if outcome is None:
                signed = self._in_flight.get(tx_hash)
                if signed is None:
                    return NONE
                included = self._outcomes[tx_hash].block_hash
                return included_status(self._block_heights[included], final_height)
            heights = [self._block_heights[base58.b58decode(outcome["transaction_outcome"]["block_hash"])]]
            heights += [self._block_heights[base58.b58decode(o["block_hash"])] for o in outcome["receipts_outcome"]]
            return executed_status(heights, final_height)

    def wait_for_transaction(self, tx_hash: bytes, wait_until: str = EXECUTED_OPTIMISTIC, *, produce: bool = False,
                             timeout: float = TX_WAIT_TIMEOUT_S, with_receipts: bool = False) -> dict:
        """Wait until the transaction reaches `wait_until`; its status then (RPC `send_tx` shape).

        An executed transaction answers its whole FinalExecutionOutcome with
        `final_execution_status`; one not executed yet only the status, as nearcore
        does.  With `produce` the caller makes the blocks (no block producer runs);
        otherwise it waits for the producer, up to `timeout` seconds (TIMEOUT_ERROR).
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            self._waiters += 1
            try:
                steps = 0
                while True:
                    rejected = self._rejected.get(tx_hash)
                    if rejected is not None:
                        raise rejected
                    status = self.transaction_status(tx_hash)
                    if status_satisfies(status, wait_until):
                        return self._transaction_answer(tx_hash, status, with_receipts)
                    if status == NONE and not any(p.signed.hash == tx_hash for p in self._pending):
                        raise errors.unknown_transaction(b58(tx_hash))
                    if produce:
                        steps += 1
                        if steps > MAX_STEPS_PER_TRANSACTION:
                            raise RuntimeError("receipts kept spawning receipts for too many blocks")
                        self.produce_block()
                        continue
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise errors.timeout(b58(tx_hash))
                    self._block_made.wait(remaining)
            finally:
                self._waiters -= 1

    def _transaction_answer(self, tx_hash: bytes, status: str, with_receipts: bool) -> dict:
        outcome = self._transactions.get(tx_hash)
        if outcome is None:
            return {"final_execution_status": status}
        answer = copy.deepcopy(outcome)
        answer["final_execution_status"] = status
        if with_receipts:
            answer["receipts"] = copy.deepcopy(self._tx_receipts.get(tx_hash, []))
        return answer

    def tx_status(self, tx_hash_b58: str, sender_id: str, *, with_receipts: bool = False,
                  wait_until: str = NONE, produce: bool = False) -> dict:
        """The transaction's FinalExecutionOutcome (RPC `tx`), waiting for `wait_until` first.

        With `with_receipts` it also has `receipts`: every action receipt the
        transaction executed as nearcore's ReceiptView, in `receipts_outcome`
        order (RPC `EXPERIMENTAL_tx_status`).
        """
        try:
            tx_hash = base58.b58decode(tx_hash_b58)
        except ValueError:
            raise errors.unknown_transaction(tx_hash_b58) from None
        with self._lock:
            if not self._transaction_known(tx_hash):
                raise errors.unknown_transaction(tx_hash_b58)
            return self.wait_for_transaction(tx_hash, wait_until, produce=produce, with_receipts=with_receipts)

    def tx_receipts(self, tx_hash_b58: str) -> list[dict]:
        """The action receipts a transaction executed (nearcore's ReceiptView), in `receipts_outcome` order."""
        return self.tx_status(tx_hash_b58, "", with_receipts=True, wait_until=EXECUTED_OPTIMISTIC, produce=True)["receipts"]

    def execute(self, signer_id: str, receiver_id: str, actions: list, *, public_key: bytes | str | None = None) -> TxResult:
        """Run actions as a transaction from `signer_id` without a signature, producing blocks until it executed.

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
            self.add_transaction(signed, verify_signature=False, keyless=keyless)
            outcome = self.wait_for_transaction(signed.hash, EXECUTED_OPTIMISTIC, produce=True)
            return TxResult(outcome, copy.deepcopy(self._tx_receipts.get(signed.hash, [])))

    def _execute_receipts(self, receipts, ctx: BlockContext, block_outcomes: list) -> int:
        """Execute (tx hash, receipt) pairs; an action receipt waits until all its input data has arrived."""
        burnt = 0
        for tx_hash, receipt in receipts:
            ready = self._receipts.arrive(tx_hash, receipt)
            if ready is not None:
                burnt += self._execute_action_receipt(tx_hash, *ready, ctx, block_outcomes)
        return burnt

    def _execute_action_receipt(self, tx_hash: bytes, receipt: ActionReceipt, promise_results: tuple, ctx,
                                block_outcomes) -> int:
        # Viewed before it runs: what the receipt carried when it arrived.
        self._executed[receipt.receipt_id] = action_receipt_view(receipt)
        self._store.cause = {"type": "receipt_processing", "receipt_hash": b58(receipt.receipt_id)}
        result = self._runtime.apply_action_receipt(self._store, receipt, promise_results, ctx)
        self._outcomes[result.outcome.id] = result.outcome
        block_outcomes.append(result.outcome)
        self._receipts.incoming.extend((tx_hash, new) for new in result.new_receipts)
        return result.burnt_amount

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
                apply_state_record(update, record)
            self._store.cause = {"type": "migration"}
            update.commit_into(self._store)
            self.produce_block()

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
            self._rebuild_block_tree()
            self._transactions = dict(snap.transactions)
            self._tx_receipts = dict(snap.tx_receipts)
            self._clock_offset_ns = snap.clock_offset_ns
            self._total_supply = snap.total_supply
            self._pending, self._in_flight, self._rejected = [], {}, {}
            self._receipts = ReceiptQueue()
            self._outcomes, self._executed = {}, {}
            self._last_busy_height = None
            self._store.take_block_journal()
            self._forget_history()
            self._save(full=True)

