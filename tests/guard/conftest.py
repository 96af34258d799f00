"""Fixtures for the Wasm-level guard tests: the real compiled guard on an in-process chain.

One deployed chain per session, restored from a snapshot for every test, so
each test starts from the just-initialised guard at a known block time.
"""
from __future__ import annotations

import pytest

from tests.buildfixtures import contract_builder, guard_wasm  # noqa: F401  (session fixtures: builds)
from devkit.guard_chain import GuardChain, matrix_public_keys


@pytest.fixture(scope="session")
def wasm(guard_wasm) -> bytes:  # noqa: F811
    return guard_wasm.read_bytes()


@pytest.fixture(scope="session")
def _deployed(wasm):
    env = GuardChain(wasm, public_keys=matrix_public_keys())
    return env, env.snapshot()


@pytest.fixture
def env(_deployed) -> GuardChain:
    """The guard with the four matrix keys, owned by OWNER, freshly initialised."""
    env, snapshot = _deployed
    env.restore(snapshot)
    return env


@pytest.fixture(scope="session")
def _bare(wasm):
    env = GuardChain(wasm)
    return env, env.snapshot()


@pytest.fixture
def bare(_bare) -> GuardChain:
    """A chain with the usual accounts but no guard yet (for deploy/init tests)."""
    env, snapshot = _bare
    env.restore(snapshot)
    return env
