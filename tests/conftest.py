"""Fixtures every suite shares: the one NEAR node a test session runs against.

`network` is session-scoped and started on first use, so a full run starts a
single node (and a run that needs none starts nothing). Which node is chosen
by tests/network.py from the environment: `localnet run` by default, a real
near-sandbox with NEAR_SANDBOX_BIN, an existing node with NEAR_RPC_URL +
NEAR_ROOT_ACCOUNT + NEAR_ROOT_SECRET_KEY. Tests that use it talk JSON-RPC
only, so each runs unchanged against all three.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.network import NetworkHandle, start_network

# Builds of contract/ (fixtures, guardctl and the demo in subprocesses) use the
# accept-all rule, whatever an integrator has put in contract/custom_rules.py.
os.environ["GUARD_CUSTOM_RULES"] = str(Path(__file__).resolve().parent / "default_custom_rules.py")


@pytest.fixture(scope="session")
def network(tmp_path_factory) -> NetworkHandle:
    """A running NEAR node and its funded root account."""
    with start_network(tmp_path_factory.mktemp("network")) as handle:
        yield handle


@pytest.fixture(scope="session")
def network_name(network) -> str:
    """What to pass as guardctl's --network: the public network's name when tests run against one."""
    chain_id = network.rpc("status", [])["result"]["chain_id"]
    return chain_id if chain_id in ("testnet", "mainnet") else "localnet"
