"""Helpers for the build pipeline's tests: run a built contract on the engine as NEAR does."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from localnet.engine import VMContext, VMOutcome, run
from tests.buildfixtures import contract_builder, node_contracts  # noqa: F401  (fixtures)

TGAS = 10**12
REGULAR_OP_COST = 822_756

BASE_CONTEXT = VMContext(
    current_account_id="probe.test.near",
    signer_account_id="alice.test.near",
    signer_account_pk=b"\x00" + bytes(32),
    predecessor_account_id="alice.test.near",
    input=b"",
    block_height=100,
    block_timestamp=1_700_000_000_000_000_000,
    epoch_height=1,
    account_balance=10 * 10**24,
    account_locked_balance=0,
    storage_usage=1_000,
    attached_deposit=0,
    prepaid_gas=300 * TGAS,
    random_seed=bytes(32),
)


def call(code: bytes, method: str, args: bytes | str | dict = b"", storage: dict | None = None, **context) -> VMOutcome:
    """One call on a fresh instance, instantiated as NEAR does (imported memory, no _start)."""
    if isinstance(args, dict):
        args = json.dumps(args)
    if isinstance(args, str):
        args = args.encode()
    ctx = dataclasses.replace(BASE_CONTEXT, input=args, **context)
    return run(code, method, ctx, storage if storage is not None else {})


def returned_text(outcome: VMOutcome) -> str:
    assert outcome.error is None, (outcome.error, outcome.logs)
    return outcome.return_data.data.decode()


def instructions(outcome: VMOutcome) -> int:
    return outcome.gas_profile.get("WASM_INSTRUCTION", 0) // REGULAR_OP_COST


@pytest.fixture(scope="session")
def probe_wasm(contract_builder) -> dict[str, bytes]:
    """The runtime probe contract built against the stock and the patched runtime."""
    return {runtime: Path(contract_builder("runtime_probe", runtime=runtime)).read_bytes()
            for runtime in ("stock", "patched")}
