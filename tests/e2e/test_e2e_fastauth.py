"""The whole signing chain: FastAuth.sign → router.verify → guard.verify → callbacks → MPC.sign.

FastAuth and the router are the test ports, deployed with `guardctl fastauth
deploy` / `guardctl router deploy` from their Wasm; the MPC signer is a mock
that answers at once (see tests/ports/README.md). Nothing in the chain sets
gas explicitly, so with 300 Tgas attached to `sign` the guard gets what the
hops before it leave: these tests show it reaches the guard and how much of it
the guard burns.
"""
from __future__ import annotations

import hashlib
import json

import pytest
from tests.e2e.e2e_support import ONE_YOCTO, SIGN_PAYLOAD, TGAS, unique


@pytest.fixture(scope="session")
def mpc(near, wasm) -> str:
    """The MPC mock: a plain account with the mock's code (it has no init)."""
    return near.create_account("mpc", 10, code=wasm["mpc"].read_bytes()).account_id


@pytest.fixture(scope="session")
def fastauth(guardctl, root, router, mpc, wasm) -> str:
    fastauth_id = f"{unique('fastauth')}.{root.account_id}"
    result = guardctl.ok("--account", root.account_id, "fastauth", "deploy", "--create", "--fastauth", fastauth_id,
                         "--owner", root.account_id, "--router", router, "--mpc", mpc, "--wasm", wasm["fastauth"],
                         "--json").json()
    assert result["owner"] == root.account_id
    assert result["guards"] == {"jwt": router} and result["mpc_address"] == mpc
    return fastauth_id


def sign(near, relayer, fastauth, deployment, token, payload=SIGN_PAYLOAD):
    return near.call(relayer, fastauth, "sign", {
        "guard_id": deployment.guard_id, "verify_payload": token, "sign_payload": list(payload),
        "algorithm": "secp256k1"}, gas=300 * TGAS, deposit=ONE_YOCTO)


def test_fastauth_sign_reaches_the_guard_with_300_tgas(near, relayer, fastauth, mpc, deployment, record_property):
    token = deployment.token("k1", sub="alice")
    outcome = sign(near, relayer, fastauth, deployment, token)
    print(f"\nFastAuth.sign, 300 Tgas attached (tx {outcome.tx_hash}):\n{outcome.gas_table()}")
    assert outcome.succeeded, outcome.failure_text

    # The guard ran inside the chain and said yes; the router passed it on.
    assert outcome.value_of(deployment.guard) == [True, "alice"]
    assert outcome.value_of(deployment.router) == [True, "alice", deployment.issuer]
    guard_gas = outcome.gas_of(deployment.guard)
    print(f"guard verify inside FastAuth.sign: {guard_gas / TGAS:.2f} Tgas burnt "
          f"(transaction total {outcome.total_gas / TGAS:.2f} Tgas)")
    record_property("guard_gas_burnt_in_fastauth_sign", guard_gas)
    assert 1 * TGAS < guard_gas < 60 * TGAS

    # FastAuth asked the MPC to sign sha256(payload) under the path jwt#ISS#sub, and returned its answer.
    assert outcome.value_of(mpc)["scheme"] == "Secp256k1"
    request_logs = [line for line in outcome.logs if line.startswith("mock-mpc sign ")]
    assert len(request_logs) == 1
    request = json.loads(request_logs[0].removeprefix("mock-mpc sign "))
    assert request["path"] == f"{deployment.guard_id}#alice"
    assert request["payload"] == list(hashlib.sha256(SIGN_PAYLOAD).digest())
    assert outcome.value["scheme"] == "Secp256k1"


def test_fastauth_refuses_a_token_the_guard_rejects(near, relayer, fastauth, deployment):
    token = deployment.token("k2", sub="mallory")  # a key the guard does not trust
    outcome = sign(near, relayer, fastauth, deployment, token)
    assert outcome.succeeded, outcome.failure_text
    assert outcome.value is None
    assert outcome.value_of(deployment.guard) == [False, "Invalid signature"]
    assert outcome.value_of(deployment.router) == [False, "", ""]
    assert any("Guard verification rejected" in line for line in outcome.logs), outcome.logs
    assert not any(line.startswith("mock-mpc sign ") for line in outcome.logs)


def test_fastauth_sign_follows_a_key_rotation(near, relayer, fastauth, deployment):
    old_token = deployment.token("k1", sub="alice")
    deployment.as_owner("keys", "add", deployment.keys["k2"]["jwks_json"])
    deployment.as_owner("keys", "remove", "k1")
    assert sign(near, relayer, fastauth, deployment, old_token).value is None
    outcome = sign(near, relayer, fastauth, deployment, deployment.token("k2", sub="alice"))
    assert outcome.value_of(deployment.guard) == [True, "alice"]
    assert outcome.value["scheme"] == "Secp256k1"


def test_fastauth_signs_through_a_guard_registered_directly(near, guardctl, root, relayer, mpc, wasm, deployment):
    """FastAuth with the guard under its own prefix (no router): the guard gets FastAuth's
    argument set, answers [true, sub, iss] — the 3-tuple FastAuth's sign callback reads — and
    the MPC mock signs under the path PREFIX#ISS#sub."""
    fastauth_id = f"{unique('fastauth')}.{root.account_id}"
    guardctl.ok("--account", root.account_id, "fastauth", "deploy", "--create", "--fastauth", fastauth_id,
                "--owner", root.account_id, "--route", f"idp={deployment.guard}", "--mpc", mpc,
                "--wasm", wasm["fastauth"])
    guard_id = f"idp#{deployment.issuer}"
    outcome = near.call(relayer, fastauth_id, "sign", {
        "guard_id": guard_id, "verify_payload": deployment.token("k1", sub="alice"),
        "sign_payload": list(SIGN_PAYLOAD), "algorithm": "secp256k1"}, gas=300 * TGAS, deposit=ONE_YOCTO)
    print(f"\nFastAuth.sign, guard registered directly (tx {outcome.tx_hash}):\n{outcome.gas_table()}")
    assert outcome.succeeded, outcome.failure_text
    assert outcome.value_of(deployment.guard) == [True, "alice", deployment.issuer]
    request_logs = [line for line in outcome.logs if line.startswith("mock-mpc sign ")]
    assert json.loads(request_logs[0].removeprefix("mock-mpc sign "))["path"] == f"{guard_id}#alice"
    assert outcome.value["scheme"] == "Secp256k1"
