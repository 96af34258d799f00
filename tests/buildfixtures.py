"""Session-scoped fixtures that build contracts once per test session.

Use from a conftest.py or test module:

    from tests.buildfixtures import node_contracts, guard_wasm  # noqa: F401

`node_contracts` maps "state", "caller", "callee", "panicker" to their Wasm
paths; `guard_wasm` is contract/guard.py built with the patched runtime;
`contract_builder` is `built_contract` for any other test contract
(e.g. `contract_builder("runtime_probe", runtime="stock")`).
Builds are cached across sessions by content (see nearwasm.build), so only the
first session after a change pays for compiling.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from nearwasm.build import REPO_ROOT, build_contract, find_entry
from tests.contracts import NODE_CONTRACTS, built_contract

GUARD_DIR = REPO_ROOT / "contract"


@pytest.fixture(scope="session")
def contract_builder() -> Callable[..., Path]:
    return built_contract


@pytest.fixture(scope="session")
def node_contracts() -> dict[str, Path]:
    return {name: built_contract(name) for name in NODE_CONTRACTS}


@pytest.fixture(scope="session")
def guard_wasm() -> Path:
    entry = find_entry(GUARD_DIR)
    return build_contract(entry, GUARD_DIR / "build" / "guard.wasm").path
