"""Fixtures for the policy / claim-mode Wasm tests: the real compiled guard on the in-process node.

`env`: the guard alone (GuardChain) with an RS256-2048 key ("rs") and an
Ed25519 key ("ed"), owned by OWNER; `world`: FastAuth port -> router port ->
guard -> MPC mock (tests/ports/harness.py). Both are deployed once per session
and restored from a snapshot for every test.
"""
from __future__ import annotations

import pytest

from tests.buildfixtures import guard_wasm  # noqa: F401  (session fixture: builds contract/)
from devkit.guard_chain import GuardChain, ed25519_key, eddsa_public, rs256_public, rsa_key


@pytest.fixture(scope="session")
def wasm(guard_wasm) -> bytes:  # noqa: F811
    return guard_wasm.read_bytes()


@pytest.fixture(scope="session")
def _deployed(wasm):
    env = GuardChain(wasm, public_keys=[rs256_public(rsa_key(2048), kid="rs"), eddsa_public(ed25519_key(), kid="ed")])
    return env, env.snapshot()


@pytest.fixture
def env(_deployed) -> GuardChain:
    env, snapshot = _deployed
    env.restore(snapshot)
    return env


# The deployed router + FastAuth + guard world, reset for every test (shared with tests/ports).
from tests.ports.conftest import _world_and_snapshot, world  # noqa: E402,F401
