"""Fixtures for guardctl's tests: a real node, the real guard Wasm, test keys.

Everything here runs for real: the session's node (`network`, from
tests/conftest.py: `localnet run`, or whatever tests/network.py picks from the
environment), the guard compiled from contract/guard.py by the project's
builder (cached), and the `guardctl` console script as a subprocess.
"""
from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

from tests.cli.cli_support import GuardctlRunner, create_funded_account, deploy_contract, unique_name
from devkit.ports import port_entry
from nearwasm.build import build_contract
from tests.buildfixtures import build_guard_variant
from guardctl.credentials import Identity, parse_secret_key

GUARD_ENTRY = REPO_ROOT / "contract" / "guard.py"
NEAR = 10**24


@pytest.fixture(scope="session")
def credentials_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("near-credentials")


@pytest.fixture(scope="session")
def root(network, network_name, credentials_dir) -> Identity:
    """The funded root account, stored in the test credentials folder as near-cli would."""
    secret, public = parse_secret_key(network.root_secret_key, "root key")
    identity = Identity(network.root_account_id, secret, public, "test root")
    path = credentials_dir / network_name / f"{identity.account_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(identity.as_credentials_json()))
    return identity


@pytest.fixture(scope="session")
def guardctl(network, network_name, credentials_dir, root, tmp_path_factory) -> GuardctlRunner:
    return GuardctlRunner(network.rpc_url, network_name, credentials_dir, tmp_path_factory.mktemp("cwd"))


@pytest.fixture(scope="session")
def guard_wasm(tmp_path_factory) -> Path:
    """The guard compiled from contract/guard.py (cached by the builder: minutes only the first time)."""
    return build_contract(GUARD_ENTRY, tmp_path_factory.mktemp("wasm") / "guard.wasm").path


@pytest.fixture(scope="session")
def broken_guard_wasm(tmp_path_factory) -> Path:
    """The guard with a custom rule that raises: it builds, deploys and upgrades, and
    every verify that reaches the rule answers "Verification error"."""
    def break_the_rule(folder: Path) -> None:
        (folder / "custom_rules.py").write_text("def check_custom_rules(claims, sign_payload, predecessor):\n"
                                                '    raise ValueError("a bug in the custom rule")\n')

    return build_guard_variant("broken-rule", break_the_rule, tmp_path_factory.mktemp("wasm") / "broken.wasm")


@pytest.fixture(scope="session")
def router_wasm(tmp_path_factory) -> Path:
    return build_contract(port_entry("jwt_guard_router"), tmp_path_factory.mktemp("wasm") / "jwt_guard_router.wasm").path


@pytest.fixture(scope="session")
def plain_wasm(tmp_path_factory) -> Path:
    """A contract with no `migrate` method (tests/contracts/callee)."""
    entry = REPO_ROOT / "tests" / "contracts" / "callee" / "contract.py"
    return build_contract(entry, tmp_path_factory.mktemp("wasm") / "callee.wasm").path


@pytest.fixture(scope="session")
def test_keys(guardctl, tmp_path_factory) -> dict:
    """Key pairs made by `guardctl keygen`: two RSA (kid rsa1, rsa2), one RSA-3072 (rsa3), one Ed25519 (ed1)."""
    folder = tmp_path_factory.mktemp("keys")
    made = {}
    for kid, extra in (("rsa1", []), ("rsa2", []), ("rsa3", ["--rsa-bits", "3072"]), ("ed1", ["--ed25519"])):
        run = guardctl.ok("keygen", "--out", str(folder / kid), "--kid", kid, "--json", *extra, network=False)
        made[kid] = run.json()
    return made


@pytest.fixture
def owner(network, network_name, credentials_dir, root) -> Identity:
    """A fresh owner account with its key in the credentials folder."""
    return create_funded_account(network.rpc_url, network_name, credentials_dir, root, unique_name("owner"), 20 * NEAR)


@pytest.fixture
def make_account(network, network_name, credentials_dir, root):
    """make_account(prefix, near) → a new funded account whose key guardctl can find."""
    def make(prefix: str, balance_near: float = 10) -> Identity:
        return create_funded_account(network.rpc_url, network_name, credentials_dir, root, unique_name(prefix),
                                     int(balance_near * NEAR))
    return make


@pytest.fixture
def guard(guardctl, root, owner, guard_wasm, test_keys) -> str:
    """A guard created by `guardctl deploy --create --no-audience`, owned by `owner`, trusting rsa1
    and ed1. Without an audience, so tests of other things mint plain tokens; test_cli_deploy holds
    the default (aud bound to the guard's account)."""
    guard_id = f"{unique_name('guard')}.{root.account_id}"
    guardctl.ok("--account", root.account_id, "--guard", guard_id, "deploy", "--create",
                "--owner", owner.account_id, "--keys", test_keys["rsa1"]["jwks_json"],
                "--keys", test_keys["ed1"]["jwks_json"], "--no-audience", "--wasm", str(guard_wasm))
    return guard_id


@pytest.fixture
def router(network, make_account, root, router_wasm) -> str:
    """A JwtGuardRouter (the test port) owned by root, deployed and initialised."""
    account = make_account("router", 10)
    deploy_contract(network.rpc_url, account, router_wasm.read_bytes(), {"owner": root.account_id})
    return account.account_id


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def http_folder(tmp_path):
    """(folder, base URL): files in folder served over HTTP on 127.0.0.1, as an IdP serves its JWKS."""
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
