"""Helpers for engine tests: a NEAR-like call context and WAT contracts."""
from __future__ import annotations

import dataclasses

import pytest
import wasmtime

from localnet.engine import VMContext, run

TGAS = 10**12
MAX_GAS = 300 * TGAS
U64_MAX = 2**64 - 1

BASE_CONTEXT = VMContext(
    current_account_id="contract.test.near",
    signer_account_id="alice.test.near",
    signer_account_pk=b"\x00" + bytes(range(32)),
    predecessor_account_id="bob.test.near",
    input=b"",
    block_height=1234,
    block_timestamp=1_700_000_000_123_456_789,
    epoch_height=7,
    account_balance=100 * 10**24,
    account_locked_balance=5,
    storage_usage=500,
    attached_deposit=3 * 10**21,
    prepaid_gas=MAX_GAS,
    random_seed=bytes(range(100, 132)),
)


def context(**overrides) -> VMContext:
    return dataclasses.replace(BASE_CONTEXT, **overrides)


def wasm(wat: str) -> bytes:
    return wasmtime.wat2wasm(wat)


def run_wat(wat: str, method: str = "main", storage=None, **context_overrides):
    return run(wasm(wat), method, context(**context_overrides), storage if storage is not None else {})


def near_module(body: str, imports: list[str] = (), data: str = "") -> str:
    """A module with one page of memory, the named NEAR imports (all-i64 signatures) and `body`."""
    from localnet.engine.imports import NEAR_IMPORTS

    lines = ["(module"]
    for name in imports:
        params, results = NEAR_IMPORTS[name]
        sig = ""
        if params:
            sig += " (param " + " ".join(params) + ")"
        if results:
            sig += " (result " + " ".join(results) + ")"
        lines.append(f'  (import "env" "{name}" (func ${name}{sig}))')
    lines.append("  (memory 1)")
    if data:
        lines.append(data)
    lines.append(body)
    lines.append(")")
    return "\n".join(lines)


def returned(outcome) -> bytes:
    assert outcome.error is None, outcome.error
    assert outcome.return_data is not None
    return outcome.return_data.data


def returned_u64(outcome) -> int:
    return int.from_bytes(returned(outcome), "little")


@pytest.fixture
def ctx():
    return context
