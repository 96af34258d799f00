"""Fixtures for the end-to-end suite: one router per session, one fresh guard per test.

The session's node is tests/conftest.py's `network` (localnet by default,
near-sandbox or an existing node by environment). Contracts are real builds:
the guard from contract/guard.py, and for the router, FastAuth and the MPC
signer the ports under devkit/ports/ (a user with FastAuth's release
binaries passes those to the same guardctl commands).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.e2e_support import Deployment, Guardctl, Near, deploy_guard, unique
from nearwasm.build import build_contract
from guardctl.credentials import Identity
from devkit.ports import built_port

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def credentials_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e2e-credentials")


@pytest.fixture(scope="session")
def near(network, network_name, credentials_dir) -> Near:
    return Near(network, network_name, credentials_dir)


@pytest.fixture(scope="session")
def guardctl(network, network_name, credentials_dir, near, tmp_path_factory) -> Guardctl:
    return Guardctl(network.rpc_url, network_name, credentials_dir, tmp_path_factory.mktemp("e2e-cwd"))


@pytest.fixture(scope="session")
def root(near) -> Identity:
    return near.root


@pytest.fixture(scope="session")
def wasm() -> dict[str, Path]:
    """Wasm paths: the guard (contract/guard.py) and the router, FastAuth and MPC-mock ports (all cached builds)."""
    guard = build_contract(REPO_ROOT / "contract" / "guard.py", REPO_ROOT / "build" / "guard.wasm").path
    return {"guard": guard, "router": built_port("jwt_guard_router"),
            "fastauth": built_port("fastauth"), "mpc": built_port("mpc_mock")}


@pytest.fixture(scope="session")
def idp_keys(guardctl, tmp_path_factory) -> dict[str, dict]:
    """Identity-provider key pairs from `guardctl keygen`: RSA k1, k2, k3 and Ed25519 ed1."""
    folder = tmp_path_factory.mktemp("idp-keys")
    made = {}
    for kid, extra in (("k1", []), ("k2", []), ("k3", []), ("ed1", ["--ed25519"])):
        made[kid] = guardctl.ok("keygen", "--out", folder / kid, "--kid", kid, "--json", *extra, network=False).json()
    return made


@pytest.fixture(scope="session")
def router(guardctl, root, wasm) -> str:
    """A JwtGuardRouter owned by the root, deployed by `guardctl router deploy --create` (the console script)."""
    router_id = f"{unique('router')}.{root.account_id}"
    result = guardctl.ok("--account", root.account_id, "router", "deploy", "--create", "--router", router_id,
                         "--owner", root.account_id, "--wasm", wasm["router"], "--json", subprocess_=True).json()
    assert result["owner"] == root.account_id
    return router_id


@pytest.fixture(scope="session")
def relayer(near) -> Identity:
    """The account that sends verify / sign transactions, as a FastAuth relayer does."""
    return near.create_account("relayer", 50)


@pytest.fixture
def deployment(guardctl, near, root, router, relayer, wasm, idp_keys) -> Deployment:
    """A fresh guard (owner: a fresh account; key k1), registered in the router as its issuer's iss."""
    return deploy_guard(guardctl, near, root, router, relayer, wasm, idp_keys)
