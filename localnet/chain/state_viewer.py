"""Reading the state at a block without changing it (nearcore's runtime/runtime/src/state_viewer).

Each function reads a `StateUpdate` (the state after `block`) and answers
nearcore's view: the account, one access key or all of them, contract data
by prefix, the code, or a view call run on the real engine in view mode
(no state writes, no promises, nearcore's view gas limit).  A missing
account or key raises the ChainError the RPC reports.
"""
from __future__ import annotations

import hashlib
from typing import Callable

from ..engine.api import VMContext, VMError
from ..engine.errors import rust_debug_str
from ..primitives import ReturnValue
from . import config, errors
from .blocks import Block
from .keys import b58, parse_public_key, public_key_text
from .state import AccountRecord, AccountStorageReader, StateUpdate
from .views import access_key_view, b64


def account_or_raise(state: StateUpdate, block: Block, account_id: str) -> AccountRecord:
    account = state.get_account(account_id)
    if account is None:
        raise errors.unknown_account(account_id, block.height, block.hash_text)
    return account


def view_account(state: StateUpdate, block: Block, account_id: str) -> dict:
    account = account_or_raise(state, block, account_id)
    return {
        "amount": str(account.amount),
        "locked": str(account.locked),
        "code_hash": b58(account.code_hash),
        "storage_usage": account.storage_usage,
        "storage_paid_at": 0,
    }


def view_access_key(state: StateUpdate, block: Block, account_id: str, public_key: str) -> dict:
    account_or_raise(state, block, account_id)
    try:
        key_bytes = parse_public_key(public_key)
    except ValueError:
        raise errors.unknown_access_key(public_key, block.height, block.hash_text) from None
    key = state.get_access_key(account_id, key_bytes)
    if key is None:
        raise errors.unknown_access_key(public_key, block.height, block.hash_text)
    view = access_key_view(key)
    return {"nonce": view["nonce"], "permission": view["permission"]}


def view_access_keys(state: StateUpdate, block: Block, account_id: str) -> dict:
    account_or_raise(state, block, account_id)
    return {"keys": [{"public_key": public_key_text(key_bytes), "access_key": access_key_view(key)}
                     for key_bytes, key in state.access_keys(account_id)]}


def view_state(state: StateUpdate, block: Block, account_id: str, prefix: bytes) -> dict:
    account_or_raise(state, block, account_id)
    return {"values": [{"key": b64(key), "value": b64(value)} for key, value in state.data_items(account_id, prefix)]}


def view_contract_code(state: StateUpdate, block: Block, account_id: str) -> dict:
    account_or_raise(state, block, account_id)
    code = state.get_code(account_id)
    if code is None:
        raise errors.no_contract_code(account_id, block.height, block.hash_text)
    return {"code_base64": b64(code), "hash": b58(hashlib.sha256(code).digest())}


def call_function(run: Callable, state: StateUpdate, block: Block, account_id: str, method_name: str,
                  args: bytes) -> tuple[list[str], bytes, str | None]:
    """Run a view method: (logs, returned bytes, None) or ([], b"", nearcore's error text)."""
    account = account_or_raise(state, block, account_id)
    code = state.get_code(account_id)
    if code is None:
        # nearcore reports a view on an account without code as a failed compilation.
        return [], b"", f'CompilationError(CodeDoesNotExist {{ account_id: "{account_id}" }})'
    context = VMContext(
        current_account_id=account_id,
        signer_account_id=account_id,
        signer_account_pk=b"\x00" + bytes(32),
        predecessor_account_id=account_id,
        input=bytes(args),
        block_height=block.height,
        block_timestamp=block.timestamp,
        epoch_height=block.epoch_height,
        account_balance=account.amount,
        account_locked_balance=account.locked,
        storage_usage=account.storage_usage,
        attached_deposit=0,
        prepaid_gas=config.MAX_GAS_BURNT_VIEW,
        random_seed=hashlib.sha256(b"view" + block.random_value).digest(),
        view=True,
    )
    outcome = run(code, method_name, context, AccountStorageReader(state, account_id))
    if outcome.error is not None:
        return list(outcome.logs), b"", view_error_text(outcome.error)
    returned = outcome.return_data.data if isinstance(outcome.return_data, ReturnValue) else b""
    return list(outcome.logs), returned, None


def view_error_text(error: VMError) -> str:
    """What nearcore puts after "wasm execution failed with error: " -- Rust's Debug of the error."""
    debug = getattr(error, "debug_message", "")
    if debug:
        return debug
    message = error.message
    panic_prefix = "Smart contract panicked: "
    if error.kind == "ExecutionError" and message.startswith(panic_prefix):
        return f"HostError(GuestPanic {{ panic_msg: {rust_debug_str(message[len(panic_prefix):])} }})"
    if error.kind == "ExecutionError" and message == "Exceeded the prepaid gas.":
        return "HostError(GasExceeded)"
    if error.kind == "ExecutionError" and message == "Exceeded the maximum amount of gas allowed to burn per contract.":
        return "HostError(GasLimitExceeded)"
    return message
