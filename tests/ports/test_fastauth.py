"""FastAuth port -> router port -> real guard -> MPC mock, on the in-process localnet."""
from __future__ import annotations

import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from localnet.primitives import TERA

from .harness import (
    FASTAUTH,
    GUARD,
    GUARD_ID,
    ISSUER,
    MPC,
    OWNER,
    ROUTER,
    STRANGER,
    SUB,
    USER,
    failure_text,
    format_gas_table,
    sample_sign_payload,
)

PAYLOAD = sample_sign_payload()
PATH = GUARD_ID + "#" + SUB  # "jwt#https://login.example.com/#google-oauth2|1234567890"


def mpc_requests(result):
    prefix = "mock-mpc sign "
    return [json.loads(log[len(prefix):]) for log in result.logs if log.startswith(prefix)]


# --------------------------------------------------------------------------- the sign chain


def test_sign_with_300_tgas_reaches_the_guard_and_the_mpc(world):
    result = world.sign(world.token(PAYLOAD), PAYLOAD, gas=300 * TERA)
    rows = world.recorder.describe(result)
    print("\nFastAuth.sign with 300 Tgas:\n" + format_gas_table(rows))
    assert result.succeeded and not result.receipt_failures, failure_text(result)

    # The order of the chain, receipt by receipt.
    calls = [(r["executor_id"], r["method"]) for r in rows if r["method"]]
    assert calls == [
        (FASTAUTH, "sign"),
        (ROUTER, "verify"),
        (GUARD, "verify"),
        (ROUTER, "on_verify_callback"),
        (FASTAUTH, "on_verify_sign_callback"),
        (MPC, "sign"),
        (FASTAUTH, "on_sign_callback"),
    ]

    response = result.return_value
    assert response["scheme"] == "Secp256k1" and response["recovery_id"] == 0
    [request] = mpc_requests(result)
    assert request == {"payload": list(hashlib.sha256(PAYLOAD).digest()), "path": PATH, "key_version": 0}

    # The guard's view of the call: what FastAuth -> router handed it, and its gas.
    guard = world.recorder.receipt(result, GUARD, "verify")
    assert json.loads(guard["args"][0]) == {
        "issuer": ISSUER, "jwt": json.loads(world.recorder.receipt(result, ROUTER, "verify")["args"][0])["verify_payload"],
        "sign_payload": list(PAYLOAD), "predecessor": USER,
    }
    # guard.md: "With 300 Tgas attached to FastAuth.sign, a guard sees roughly 70 Tgas."
    assert 65 * TERA <= guard["prepaid_gas"] <= 75 * TERA
    assert guard["gas_burnt"] < guard["prepaid_gas"]


def test_fastauth_passes_guard_id_and_its_caller_to_the_router(world):
    token = world.token(PAYLOAD)
    result = world.sign(token, PAYLOAD, signer=USER)
    router = world.recorder.receipt(result, ROUTER, "verify")
    assert json.loads(router["args"][0]) == {
        "guard_id": GUARD_ID, "verify_payload": token, "sign_payload": list(PAYLOAD), "predecessor": USER,
    }
    assert router["prepaid_gas"] > 140 * TERA  # half of what sign left


@pytest.mark.parametrize("algorithm, variant", [("ecdsa", "Ecdsa"), ("eddsa", "Eddsa")])
def test_sign_request_v2_algorithms(world, algorithm, variant):
    result = world.sign(world.token(PAYLOAD), PAYLOAD, algorithm=algorithm)
    assert result.succeeded, failure_text(result)
    [request] = mpc_requests(result)
    assert request == {"path": PATH, "payload_v2": {variant: hashlib.sha256(PAYLOAD).hexdigest()}, "domain_id": 1}
    if algorithm == "eddsa":
        assert result.return_value["scheme"] == "Ed25519" and len(result.return_value["signature"]) == 64
    else:
        assert result.return_value["scheme"] == "Secp256k1"


def test_the_deposit_goes_to_the_mpc(world):
    result = world.sign(world.token(PAYLOAD), PAYLOAD, deposit=5)
    assert world.recorder.receipt(result, MPC, "sign")["deposit"] == 5


def test_invalid_algorithm_panics(world):
    result = world.sign(world.token(PAYLOAD), PAYLOAD, algorithm="rsa")
    assert "Invalid algorithm" in failure_text(result)


@pytest.mark.parametrize("case", ["wrong key", "other fatxn", "expired", "hash in sub"])
def test_rejected_token_signs_nothing_and_refunds_the_deposit(world, case):
    if case == "wrong key":
        token = world.token(PAYLOAD, key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    elif case == "other fatxn":
        token = world.token(sample_sign_payload(nonce=99))
    elif case == "expired":
        token = world.token(PAYLOAD, lifetime_s=-1)
    else:
        token = world.token(PAYLOAD, sub="evil#sub")  # the guard refuses it before FastAuth's "Invalid sub"
    before = world.balance(USER)
    result = world.sign(token, PAYLOAD, deposit=10**22)
    # FastAuth does not fail the transaction: it logs, refunds and returns nothing.
    assert result.succeeded and not result.receipt_failures, failure_text(result)
    assert result.value == b""
    assert "Guard verification rejected" in result.logs
    assert not mpc_requests(result)
    assert all(r["executor_id"] != MPC for r in world.recorder.describe(result))
    assert world.balance(USER) == before - result.tokens_burnt  # the 0.01 NEAR came back


def test_unknown_guard_prefix_panics(world):
    result = world.sign(world.token(PAYLOAD), PAYLOAD, guard_id="firebase#" + ISSUER)
    assert f"Cannot verify: Guard with ID 'firebase#{ISSUER}' does not exist" in failure_text(result)


def test_router_format_error_surfaces_as_a_failed_guard_call(world):
    """guard_id "jwt" routes to the router, which panics on the format: FastAuth logs and refunds."""
    result = world.sign(world.token(PAYLOAD), PAYLOAD, guard_id="jwt")
    assert "Guard verification failed" in result.logs
    assert result.value == b""
    assert any("Invalid guard name format" in json.dumps(f) for f in result.receipt_failures)


def test_verify_without_signing(world):
    result = world.call(USER, FASTAUTH, "verify", {"guard_id": GUARD_ID, "verify_payload": world.token(PAYLOAD),
                                                   "sign_payload": list(PAYLOAD)}, gas=300 * TERA)
    assert result.return_value == [True, SUB]


# --------------------------------------------------------------------------- administration


def test_guard_registry(world):
    assert world.chain.view(FASTAUTH, "get_guard", {"guard_id": "jwt"}) == ROUTER
    refused = world.call(OWNER, FASTAUTH, "add_guard", {"guard_id": "jwt#x", "guard_address": GUARD})
    assert "Guard ID cannot contain '#'" in failure_text(refused)
    stranger = world.call(STRANGER, FASTAUTH, "add_guard", {"guard_id": "mine", "guard_address": STRANGER})
    assert "Only the owner can call this function" in failure_text(stranger)
    world.ok(OWNER, FASTAUTH, "remove_guard", {"guard_id": "jwt"})
    result = world.sign(world.token(PAYLOAD), PAYLOAD)
    assert f"Cannot verify: Guard with ID '{GUARD_ID}' does not exist" in failure_text(result)


def test_guard_registered_directly_gets_the_fastauth_argument_set(world):
    """FastAuth can call a guard without the router: prefix "direct", full guard_id passed on."""
    world.ok(OWNER, FASTAUTH, "add_guard", {"guard_id": "direct", "guard_address": GUARD})
    token = world.token(PAYLOAD)
    result = world.sign(token, PAYLOAD, guard_id="direct#" + ISSUER)
    guard = world.recorder.receipt(result, GUARD, "verify")
    assert json.loads(guard["args"][0]) == {
        "guard_id": "direct#" + ISSUER, "verify_payload": token, "sign_payload": list(PAYLOAD), "predecessor": USER,
    }
    assert result.succeeded and not result.receipt_failures, failure_text(result)
    [request] = mpc_requests(result)
    assert request["path"] == "direct#" + ISSUER + "#" + SUB


def test_pause_stops_sign(world):
    world.ok(OWNER, FASTAUTH, "pause")
    assert world.chain.view(FASTAUTH, "paused") is True
    assert "Contract is paused" in failure_text(world.sign(world.token(PAYLOAD), PAYLOAD))
    world.ok(OWNER, FASTAUTH, "unpause")
    assert world.sign(world.token(PAYLOAD), PAYLOAD).succeeded


def test_mpc_settings_and_private_callbacks(world):
    assert world.chain.view(FASTAUTH, "mpc_address") == MPC
    assert world.chain.view(FASTAUTH, "mpc_key_version") == 0
    assert world.chain.view(FASTAUTH, "mpc_domain_id") == 1
    world.ok(OWNER, FASTAUTH, "set_mpc_key_version", {"mpc_key_version": 3})
    result = world.sign(world.token(PAYLOAD), PAYLOAD)
    assert mpc_requests(result)[0]["key_version"] == 3
    for method in ("on_verify_callback", "on_verify_sign_callback", "on_sign_callback"):
        assert f"Method {method} is private" in failure_text(world.call(STRANGER, FASTAUTH, method, {}))


@pytest.mark.parametrize("size", [500, 1000])
def test_sign_with_a_large_transaction(world, size):
    """Real FastAuth transactions are often a few hundred bytes; the guard must still fit in ~70 Tgas."""
    payload = sample_sign_payload(size=size)
    token = world.token(payload)
    result = world.sign(token, payload, gas=300 * TERA)
    rows = world.recorder.describe(result)
    print(f"\nFastAuth.sign, {size}-byte sign_payload, {len(token)}-char token:\n" + format_gas_table(rows))
    assert result.succeeded and not result.receipt_failures, failure_text(result)
    assert mpc_requests(result)[0]["path"] == PATH
    guard = world.recorder.receipt(result, GUARD, "verify")
    assert guard["gas_burnt"] < guard["prepaid_gas"]
