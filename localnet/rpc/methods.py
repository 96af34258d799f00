"""The JSON-RPC methods: parse NEAR's request shapes, ask the chain, shape the answer.

This layer knows no HTTP.  `RpcMethods.call(method, params)` returns the
`result` value or raises `RpcError`; every chain access happens under one
lock because the chain is a single-threaded state machine and the HTTP
server answers on many threads.

Parsing follows nearcore: positional (array) and named (object) params where
nearcore accepts both, the soft-deprecated path-style `query`, base64
transactions decoded from Borsh with failures reported as PARSE_ERROR.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import threading
import time
from typing import Any, Callable, Optional

import base58

from ..borsh import BorshError, decode_signed_transaction
from ..chain import ChainError, InvalidTransaction, config, parse_public_key, public_key_text
from ..primitives import is_valid_account_id
from . import errors, protocol, views
from .errors import RpcError

log = logging.getLogger("localnet.rpc")

FINALITIES = tuple(config.FINALITY_LAG)
WAIT_UNTIL = ("NONE", "INCLUDED", "EXECUTED_OPTIMISTIC", "INCLUDED_FINAL", "EXECUTED", "FINAL")
QUERY_REQUEST_TYPES = (
    "view_account",
    "view_access_key",
    "view_access_key_list",
    "call_function",
    "view_state",
    "view_code",
)
KEY_LENGTHS = {"ed25519": 32, "secp256k1": 64}


# --------------------------------------------------------------------------
# Parameter parsing helpers: each raises a PARSE_ERROR RpcError.


def _fail(message: str) -> RpcError:
    return errors.parse_error(message)


def positional_or_named(params: Any, names: tuple[str, ...]) -> Optional[dict]:
    """Read `[a, b]` or `{"a":…, "b":…}` into a dict; None if neither shape fits."""
    if isinstance(params, list):
        if len(params) != len(names):
            return None
        return dict(zip(names, params))
    if isinstance(params, dict):
        return params
    return None


def require_str(params: dict, field: str) -> str:
    value = params.get(field)
    if value is None:
        raise _fail(f"missing field `{field}`")
    if not isinstance(value, str):
        raise _fail(f"invalid type for `{field}`: expected a string")
    return value


def require_account_id(params: dict, field: str) -> str:
    account_id = require_str(params, field)
    if not is_valid_account_id(account_id):
        raise _fail(f"invalid account id `{account_id}` in `{field}`")
    return account_id


def require_hash(params: dict, field: str) -> str:
    """A CryptoHash field: base58 of 32 bytes."""
    value = require_str(params, field)
    if not is_hash_text(value):
        raise _fail(f"invalid value for `{field}`: expected a base58 32-byte hash")
    return value


def is_hash_text(value: str) -> bool:
    """Whether `value` is a CryptoHash as JSON shows it: base58 of 32 bytes."""
    try:
        return len(base58.b58decode(value.encode("ascii"))) == 32
    except (ValueError, UnicodeEncodeError):
        return False


def decode_base64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise _fail(f"{what}: expected a base64 string")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as err:
        raise _fail(f"{what}: invalid base64: {err}") from None


def normalize_public_key(text: Any) -> str:
    """`ed25519:<base58>` (or bare base58, which nearcore reads as ed25519) → canonical text."""
    if not isinstance(text, str):
        raise _fail("invalid public key: expected a string")
    key_type, sep, data = text.partition(":")
    if not sep:
        key_type, data = "ed25519", text
    if key_type not in KEY_LENGTHS:
        raise _fail(f"invalid public key: unknown key type `{key_type}`")
    try:
        raw = base58.b58decode(data.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise _fail("invalid public key: not base58") from None
    if len(raw) != KEY_LENGTHS[key_type]:
        raise _fail(f"invalid public key: {key_type} keys are {KEY_LENGTHS[key_type]} bytes, got {len(raw)}")
    return f"{key_type}:{base58.b58encode(raw).decode('ascii')}"


def parse_block_reference(params: dict) -> Any:
    """`finality`, `block_id` (height or base58 hash) or `sync_checkpoint`; default latest."""
    if "block_id" in params and params["block_id"] is not None:
        return parse_block_id(params["block_id"])
    if "finality" in params:
        finality = params["finality"]
        if finality not in FINALITIES:
            raise _fail(f"unknown finality `{finality}`, expected one of {', '.join(FINALITIES)}")
        return finality
    if "sync_checkpoint" in params:
        checkpoint = params["sync_checkpoint"]
        if checkpoint not in ("genesis", "earliest_available"):
            raise _fail(f"unknown sync_checkpoint `{checkpoint}`")
        return checkpoint
    return "optimistic"


def parse_block_id(block_id: Any) -> Any:
    """nearcore's BlockId: a number is a height, a string a base58 hash (never a height, even "5")."""
    if isinstance(block_id, bool):
        raise _fail("invalid block id")
    if isinstance(block_id, int):
        if block_id < 0:
            raise _fail("invalid block height")
        return block_id
    if isinstance(block_id, str) and is_hash_text(block_id):
        return block_id
    raise _fail(f"invalid block id {block_id!r}: expected a height or a base58 hash")


def parse_signed_transaction(encoded: Any):
    if not isinstance(encoded, str):
        raise _fail("Failed to decode transaction: expected a base64 string")
    raw = decode_base64(encoded, "Failed to decode transaction")
    try:
        return decode_signed_transaction(raw)
    except BorshError as err:
        raise _fail(f"Failed to decode transaction: {err}") from None


def parse_send_params(params: Any) -> tuple[Any, str]:
    """`[signed_tx_base64]` or `{"signed_tx_base64", "wait_until"}` → (SignedTransaction, wait_until)."""
    if isinstance(params, list):
        if len(params) != 1:
            raise _fail("Unable to parse send request: expected exactly one parameter")
        return parse_signed_transaction(params[0]), "EXECUTED_OPTIMISTIC"
    if isinstance(params, dict):
        wait_until = params.get("wait_until", "EXECUTED_OPTIMISTIC")
        if wait_until not in WAIT_UNTIL:
            raise _fail(f"unknown wait_until `{wait_until}`, expected one of {', '.join(WAIT_UNTIL)}")
        return parse_signed_transaction(params.get("signed_tx_base64")), wait_until
    raise _fail("Unable to parse send request: expected an array or an object")


def parse_wait_until(params: dict) -> str:
    wait_until = params.get("wait_until", "EXECUTED_OPTIMISTIC")
    if wait_until not in WAIT_UNTIL:
        raise _fail(f"unknown wait_until `{wait_until}`, expected one of {', '.join(WAIT_UNTIL)}")
    return wait_until


def single_block_reference(params: Any) -> Any:
    """`[null]`, `[block_id]`, `{"block_id"|"finality"|"sync_checkpoint"}` or nothing (latest final)."""
    if params is None or params == []:
        return "final"
    if isinstance(params, list):
        if len(params) != 1:
            raise _fail("expected at most one parameter: a block height or hash")
        return "final" if params[0] is None else parse_block_id(params[0])
    if isinstance(params, dict):
        if not any(k in params for k in ("block_id", "finality", "sync_checkpoint")):
            return "final"
        return parse_block_reference(params)
    raise _fail("expected an array or an object")


# nearcore's TransactionOrReceiptId: which id and which account each `type` names.
LIGHT_CLIENT_PROOF_FIELDS = {"transaction": ("transaction_hash", "sender_id"), "receipt": ("receipt_id", "receiver_id")}
CHANGES_TYPES = ("account_changes", "single_access_key_changes", "all_access_key_changes",
                 "contract_code_changes", "data_changes")


# --------------------------------------------------------------------------


class RpcMethods:
    """NEAR's RPC methods over one `Chain`."""

    def __init__(self, chain, *, lock: Optional[threading.Lock] = None, rpc_addr: str = "", producer=None):
        """`producer` is the node's BlockProducer; without one, transactions make their own blocks."""
        self.chain = chain
        self.lock = lock or threading.Lock()
        self.rpc_addr = rpc_addr
        self.producer = producer
        self._started_at = time.monotonic()
        self._methods: dict[str, Callable[[Any], Any]] = {
            "EXPERIMENTAL_protocol_config": self.protocol_config,
            "EXPERIMENTAL_genesis_config": self.genesis_config,
            "genesis_config": self.genesis_config,
            "client_config": self.client_config,
            "validators": self.validators,
            "EXPERIMENTAL_validators_ordered": self.validators_ordered,
            "chunk": self.chunk,
            "EXPERIMENTAL_receipt": self.receipt,
            "changes": self.changes,
            "EXPERIMENTAL_changes": self.changes,
            "next_light_client_block": self.next_light_client_block,
            "EXPERIMENTAL_light_client_proof": self.light_client_proof,
            "light_client_proof": self.light_client_proof,
            "block_effects": self.changes_in_block,
            "EXPERIMENTAL_changes_in_block": self.changes_in_block,
            "status": self.status,
            "block": self.block,
            "gas_price": self.gas_price,
            "query": self.query,
            "broadcast_tx_commit": self.broadcast_tx_commit,
            "broadcast_tx_async": self.broadcast_tx_async,
            "send_tx": self.send_tx,
            "tx": self.tx,
            "EXPERIMENTAL_tx_status": self.experimental_tx_status,
            "sandbox_patch_state": self.sandbox_patch_state,
            "sandbox_fast_forward": self.sandbox_fast_forward,
            "health": self.health,
            "network_info": self.network_info,
        }

    def call(self, method: Any, params: Any) -> Any:
        handler = self._methods.get(method) if isinstance(method, str) else None
        if handler is None:
            raise errors.method_not_found(str(method))
        return handler(params)

    def _chain(self, operation: Callable[[], Any], *, locked: bool = True) -> Any:
        """Run one chain operation (under the lock unless it waits for blocks), turning chain failures into RPC errors."""
        if locked:
            with self.lock:
                return self._chain(operation, locked=False)
        try:
            return operation()
        except RpcError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure must become an answer
            raise translate_chain_error(exc) from exc

    def _block_level(self, operation: Callable[[], Any]) -> Any:
        """`block`, `chunk` and `changes` report an unknown block with empty `info`, as nearcore does."""
        try:
            return self._chain(operation)
        except RpcError as err:
            if err.cause_name != "UNKNOWN_BLOCK" or not isinstance(err.info, dict) or "block_reference" not in err.info:
                raise
            block_id = err.info["block_reference"].get("block_id")
            what = f"BLOCK HEIGHT: {block_id}" if isinstance(block_id, int) else f"BLOCK: {block_id}"
            raise errors.handler_error("UNKNOWN_BLOCK", {}, f"DB Not Found Error: {what} \n Cause: Unknown") from None

    # ---- configuration, validators, chunks, receipts, state changes ------

    def protocol_config(self, params: Any) -> dict:
        reference = single_block_reference(params)
        return self._chain(lambda: views.protocol_config(self.chain, reference))

    def genesis_config(self, params: Any = None) -> dict:
        return self._chain(lambda: views.genesis_config(self.chain))

    def client_config(self, params: Any = None) -> dict:
        producer = self.producer
        block_time = producer.block_time if producer else 0.0
        min_block_time = producer.min_block_time if producer else 0.0
        return protocol.client_config_view(self.chain.chain_id, self.rpc_addr, min_block_time, block_time,
                                           self.chain.history_blocks)

    def _validators_reference(self, params: Any) -> Any:
        if isinstance(params, dict) and "epoch_id" in params:
            epoch = require_str(params, "epoch_id")
            return self._chain(lambda: views.epoch_start_block(self.chain, epoch))
        if params == "latest" or (isinstance(params, dict) and "latest" in params):
            return "final"
        return single_block_reference(params)

    def validators(self, params: Any) -> dict:
        reference = self._validators_reference(params)
        return self._block_level(lambda: views.validators(self.chain, reference))

    def validators_ordered(self, params: Any) -> list:
        if isinstance(params, dict):
            params = [params.get("block_id")]
        reference = single_block_reference(params)
        info = self._block_level(lambda: views.validators(self.chain, reference))
        return [
            {"validator_stake_struct_version": "V1", "account_id": v["account_id"], "public_key": v["public_key"],
             "stake": v["stake"]}
            for v in info["next_validators"]
        ]

    def chunk(self, params: Any) -> dict:
        if isinstance(params, list):
            if len(params) != 1:
                raise _fail("expected [chunk_hash]")
            params = {"chunk_id": params[0]}
        if not isinstance(params, dict):
            raise _fail("expected {chunk_id} or {block_id, shard_id}")
        if "chunk_id" in params:
            chunk_id = require_str(params, "chunk_id")
            return self._chain(lambda: views.chunk(self.chain, chunk_id=chunk_id))
        if "block_id" not in params or "shard_id" not in params:
            raise _fail("expected {chunk_id} or {block_id, shard_id}")
        reference = parse_block_id(params["block_id"])
        shard_id = params["shard_id"]
        if isinstance(shard_id, bool) or not isinstance(shard_id, int) or shard_id < 0:
            raise _fail("`shard_id` must be a non-negative integer")
        return self._block_level(lambda: views.chunk(self.chain, block_reference=reference, shard_id=shard_id))

    def receipt(self, params: Any) -> dict:
        named = positional_or_named(params, ("receipt_id",))
        if named is None:
            raise _fail("expected {receipt_id}")
        receipt_id = require_str(named, "receipt_id")
        return self._chain(lambda: views.receipt(self.chain, receipt_id))

    def changes_in_block(self, params: Any) -> dict:
        reference = single_block_reference(params)
        return self._block_level(lambda: views.changes_in_block(self.chain, reference))

    def changes(self, params: Any) -> dict:
        if not isinstance(params, dict):
            raise _fail("expected an object with `changes_type`")
        changes_type = params.get("changes_type")
        if changes_type not in CHANGES_TYPES:
            raise _fail(f"unknown variant `{changes_type}`, expected one of {', '.join(CHANGES_TYPES)}")
        reference = parse_block_reference(params)
        account_ids: list[str] = []
        keys: list[tuple[str, bytes]] = []
        prefix = b""
        if changes_type == "single_access_key_changes":
            if not isinstance(params.get("keys"), list):
                raise _fail("missing field `keys`")
            for item in params["keys"]:
                if not isinstance(item, dict):
                    raise _fail("each key is {account_id, public_key}")
                account_id = require_account_id(item, "account_id")
                public_key = normalize_public_key(item.get("public_key"))
                keys.append((account_id, parse_public_key(public_key)))
        else:
            if not isinstance(params.get("account_ids"), list):
                raise _fail("missing field `account_ids`")
            for account_id in params["account_ids"]:
                if not isinstance(account_id, str) or not is_valid_account_id(account_id):
                    raise _fail(f"invalid account id {account_id!r} in `account_ids`")
                account_ids.append(account_id)
            if changes_type == "data_changes":
                prefix = decode_base64(params.get("key_prefix_base64"), "key_prefix_base64")
        return self._block_level(lambda: views.changes(self.chain, reference, changes_type, account_ids, keys, prefix))

    # ---- light client ----------------------------------------------------

    def next_light_client_block(self, params: Any) -> dict:
        named = positional_or_named(params, ("last_block_hash",))
        if named is None:
            raise _fail("expected {last_block_hash}")
        last_block_hash = require_hash(named, "last_block_hash")
        block = self._chain(lambda: views.next_light_client_block(self.chain, last_block_hash))
        # nearcore flattens an absent block into an empty object.
        return block if block is not None else {}

    def light_client_proof(self, params: Any) -> dict:
        if not isinstance(params, dict):
            raise _fail("expected {type, light_client_head, ...}")
        fields = LIGHT_CLIENT_PROOF_FIELDS.get(params.get("type"))
        if fields is None:
            raise _fail("unknown variant for `type`, expected `transaction` or `receipt`")
        id_field, account_field = fields
        outcome_id = require_hash(params, id_field)
        require_account_id(params, account_field)
        head = require_hash(params, "light_client_head")
        return self._chain(lambda: views.light_client_proof(self.chain, outcome_id, head))

    # ---- node information ------------------------------------------------

    def status(self, params: Any = None) -> dict:
        """nearcore's StatusResponse: the chain's part, with the node's own (version, address, key, uptime)."""
        chain = self._chain(lambda: views.status(self.chain))
        node_key = b"\x00" + hashlib.sha256(b"node" + self.chain.root_public_key).digest()
        return {
            "version": dict(config.NODE_VERSION),
            "chain_id": chain["chain_id"],
            "protocol_version": chain["protocol_version"],
            "latest_protocol_version": chain["latest_protocol_version"],
            "rpc_addr": self.rpc_addr or None,
            "validators": chain["validators"],
            "sync_info": chain["sync_info"],
            "validator_account_id": chain["validator_account_id"],
            "validator_public_key": chain["validator_public_key"],
            "node_public_key": public_key_text(node_key),
            "node_key": None,
            "uptime_sec": int(time.monotonic() - self._started_at),
            "genesis_hash": chain["genesis_hash"],
            "detailed_debug_status": None,
        }

    def health(self, params: Any = None) -> None:
        return None

    def network_info(self, params: Any = None) -> dict:
        # A single offline node: no peers, which is the truthful answer.
        return {
            "active_peers": [],
            "num_active_peers": 0,
            "peer_max_count": 0,
            "sent_bytes_per_sec": 0,
            "received_bytes_per_sec": 0,
            "known_producers": [],
        }

    def block(self, params: Any) -> dict:
        if isinstance(params, list):
            if len(params) != 1:
                raise _fail("expected one parameter: a block height or hash")
            reference = parse_block_id(params[0])
        elif isinstance(params, dict):
            reference = parse_block_reference(params)
        else:
            raise _fail("expected an array or an object")
        return self._block_level(lambda: views.block(self.chain, reference))

    def gas_price(self, params: Any) -> dict:
        # `[null]`, `[height|hash]`, `{"block_id": …}`; localnet's price never changes,
        # but an unknown block is still an error as on a real node.
        block_id = None
        if isinstance(params, list):
            if len(params) > 1:
                raise _fail("expected at most one parameter")
            block_id = params[0] if params else None
        elif isinstance(params, dict):
            block_id = params.get("block_id")
        elif params is not None:
            raise _fail("expected an array or an object")
        if block_id is not None:
            reference = parse_block_id(block_id)
            self._block_level(lambda: views.block(self.chain, reference))
        return self._chain(lambda: views.gas_price(self.chain))

    # ---- query -----------------------------------------------------------

    def query(self, params: Any) -> dict:
        if isinstance(params, list):
            request_type, fields = parse_path_query(params)
            reference = "optimistic"
        elif isinstance(params, dict):
            request_type = params.get("request_type")
            if request_type is None:
                raise _fail("missing field `request_type`")
            if request_type not in QUERY_REQUEST_TYPES:
                raise _fail(f"unknown variant `{request_type}`, expected one of {', '.join(QUERY_REQUEST_TYPES)}")
            reference = parse_block_reference(params)
            fields = parse_query_fields(request_type, params)
        else:
            raise _fail("expected an object with `request_type` or a [path, data] array")

        chain = self.chain
        if request_type == "view_account":
            return self._chain(lambda: chain.view_account(fields["account_id"], reference))
        if request_type == "view_access_key":
            return self._view_access_key(fields["account_id"], fields["public_key"], reference)
        if request_type == "view_access_key_list":
            return self._chain(lambda: chain.view_access_key_list(fields["account_id"], reference))
        if request_type == "call_function":
            # A failing view comes back from the chain as a result with an `error` field, as in nearcore.
            return self._chain(lambda: chain.call_function(
                fields["account_id"], fields["method_name"], fields["args"], reference))
        if request_type == "view_state":
            return self._chain(lambda: chain.view_state(fields["account_id"], fields["prefix"], reference))
        return self._chain(lambda: chain.view_code(fields["account_id"], reference))

    def _view_access_key(self, account_id: str, public_key: str, reference: Any) -> dict:
        try:
            return self._chain(lambda: self.chain.view_access_key(account_id, public_key, reference))
        except RpcError as err:
            if err.cause_name != "UNKNOWN_ACCESS_KEY":
                raise
            # nearcore keeps this one as a *result* with an `error` field for old clients.
            info = err.info if isinstance(err.info, dict) else {}
            return {
                "error": f"access key {public_key} does not exist while viewing",
                "logs": [],
                "block_height": info.get("block_height"),
                "block_hash": info.get("block_hash"),
            }

    # ---- transactions ----------------------------------------------------

    def broadcast_tx_commit(self, params: Any) -> dict:
        signed, _ = parse_send_params(params)  # nearcore ignores wait_until here
        return self._submit(signed, "EXECUTED_OPTIMISTIC")

    def send_tx(self, params: Any) -> dict:
        signed, wait_until = parse_send_params(params)
        return self._submit(signed, wait_until)

    def broadcast_tx_async(self, params: Any) -> str:
        signed, _ = parse_send_params(params)
        tx_hash = base58.b58encode(signed.hash).decode("ascii")
        try:
            self._chain(lambda: self.chain.add_transaction(signed))
        except RpcError as err:
            if err.name != "HANDLER_ERROR":
                raise
            # nearcore answers with the hash before validating; a rejected
            # transaction simply never shows up in `tx`.
            log.info("async transaction %s rejected: %s", tx_hash, err.data)
            return tx_hash
        if self.producer is None:
            # No block producer: the caller's thread makes the blocks, after answering would be too late.
            self._wait(signed.hash, "NONE")
        return tx_hash

    def _submit(self, signed, wait_until: str) -> dict:
        self._chain(lambda: self.chain.add_transaction(signed))
        return self._wait(signed.hash, wait_until)

    def _wait(self, tx_hash: bytes, wait_until: str, *, with_receipts: bool = False) -> dict:
        """The transaction's status once it reached `wait_until` (nearcore's RpcTransactionResponse)."""
        produce = self.producer is None
        return self._chain(
            lambda: self.chain.wait_for_transaction(tx_hash, wait_until, produce=produce, with_receipts=with_receipts),
            locked=False,
        )

    def tx(self, params: Any, *, with_receipts: bool = False) -> dict:
        if isinstance(params, list) and len(params) == 1:
            signed = parse_signed_transaction(params[0])
            return self._tx_for_signed(signed, "EXECUTED_OPTIMISTIC", with_receipts=with_receipts)
        if isinstance(params, dict) and "signed_tx_base64" in params:
            signed, wait_until = parse_send_params(
                {k: v for k, v in params.items() if k in ("signed_tx_base64", "wait_until")})
            return self._tx_for_signed(signed, wait_until, with_receipts=with_receipts)
        named = positional_or_named(params, ("tx_hash", "sender_account_id"))
        if named is None:
            raise _fail("expected [tx_hash, sender_account_id] or {tx_hash, sender_account_id}")
        tx_hash = require_str(named, "tx_hash")
        try:
            if len(base58.b58decode(tx_hash.encode("ascii"))) != 32:
                raise ValueError
        except (ValueError, UnicodeEncodeError):
            raise _fail(f"invalid transaction hash {tx_hash!r}") from None
        require_account_id(named, "sender_account_id")
        wait_until = parse_wait_until(named)
        produce = self.producer is None
        return self._chain(
            lambda: self.chain.tx_status(tx_hash, "", with_receipts=with_receipts, wait_until=wait_until,
                                         produce=produce),
            locked=False,
        )

    def experimental_tx_status(self, params: Any) -> dict:
        """`tx` plus `receipts`: every action receipt the transaction executed (nearcore's ReceiptView)."""
        return self.tx(params, with_receipts=True)

    def _tx_for_signed(self, signed, wait_until: str, *, with_receipts: bool = False) -> dict:
        # nearcore submits a transaction it has not seen when asked for its status.
        self._chain(lambda: self.chain.add_transaction(signed))
        return self._wait(signed.hash, wait_until, with_receipts=with_receipts)

    # ---- sandbox ---------------------------------------------------------

    def sandbox_patch_state(self, params: Any) -> dict:
        if not isinstance(params, dict) or not isinstance(params.get("records"), list):
            raise _fail("expected {\"records\": [...]}")
        records = params["records"]

        def patch() -> None:
            try:
                self.chain.patch_state(records)
            except (ValueError, KeyError, TypeError, AttributeError) as err:
                # nearcore rejects a malformed record while parsing the request;
                # the chain applies records all or nothing, so nothing changed.
                raise _fail(f"invalid state record: {type(err).__name__}: {err}") from None

        self._chain(patch)
        return {}

    def sandbox_fast_forward(self, params: Any) -> dict:
        if not isinstance(params, dict):
            raise _fail("expected {\"delta_height\": n}")
        delta = params.get("delta_height")
        if isinstance(delta, bool) or not isinstance(delta, int) or delta < 0:
            raise _fail("`delta_height` must be a non-negative integer")
        self._chain(lambda: self.chain.fast_forward(delta))
        return {}


def parse_query_fields(request_type: str, params: dict) -> dict:
    fields = {"account_id": require_account_id(params, "account_id")}
    if request_type == "view_access_key":
        fields["public_key"] = normalize_public_key(params.get("public_key"))
    elif request_type == "call_function":
        fields["method_name"] = require_str(params, "method_name")
        fields["args"] = decode_base64(params.get("args_base64"), "args_base64")
    elif request_type == "view_state":
        fields["prefix"] = decode_base64(params.get("prefix_base64", ""), "prefix_base64")
    return fields


def parse_path_query(params: list) -> tuple[str, dict]:
    """The soft-deprecated `["account/x.near", ""]`-style query nearcore still accepts."""
    if len(params) != 2 or not all(isinstance(p, str) for p in params):
        raise _fail("expected [path, data] with two strings")
    path, data = params
    parts = path.split("/", 2)
    if len(parts) < 2:
        raise _fail("Not enough query parameters provided")
    command, account_id = parts[0], parts[1]
    extra = parts[2] if len(parts) > 2 else None
    if not is_valid_account_id(account_id):
        raise _fail(f"invalid account id `{account_id}`")

    def data_bytes() -> bytes:
        try:
            return base58.b58decode(data.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise _fail("query data is not base58") from None

    if command == "account":
        return "view_account", {"account_id": account_id}
    if command == "access_key":
        if extra is None:
            return "view_access_key_list", {"account_id": account_id}
        return "view_access_key", {"account_id": account_id, "public_key": normalize_public_key(extra)}
    if command == "code":
        return "view_code", {"account_id": account_id}
    if command == "contract":
        return "view_state", {"account_id": account_id, "prefix": data_bytes()}
    if command == "call":
        if not extra:
            raise _fail("Method name is missing")
        return "call_function", {"account_id": account_id, "method_name": extra, "args": data_bytes()}
    raise _fail(f"Unknown path {command}")


def translate_chain_error(exc: Exception) -> RpcError:
    """Map the chain's typed errors onto NEAR's envelope; anything else is the node's own fault."""
    if isinstance(exc, InvalidTransaction):
        return errors.invalid_transaction(exc.invalid_tx_error)
    if isinstance(exc, ChainError):
        if exc.cause_name == "INTERNAL_ERROR":  # nearcore's new_internal_or_handler_error
            return RpcError("INTERNAL_ERROR", "INTERNAL_ERROR", exc.info, exc.data)
        return errors.handler_error(exc.cause_name, exc.info, exc.data)
    log.exception("internal error in the chain")
    return errors.internal_error(f"{type(exc).__name__}: {exc}")
