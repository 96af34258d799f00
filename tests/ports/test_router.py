"""The JwtGuardRouter port with the real guard behind it, on the in-process localnet."""
from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from localnet.chain import ContractError
from localnet.primitives import NEAR, TERA

from .harness import (
    ADD_GUARD_DEPOSIT,
    GUARD,
    ISSUER,
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


# --------------------------------------------------------------------------- verify through the router


def test_valid_token_returns_true_sub_and_guard_name(world):
    result = world.router_verify(world.token(PAYLOAD), PAYLOAD)
    assert result.succeeded, failure_text(result)
    assert result.return_value == [True, SUB, ISSUER]
    assert not result.receipt_failures


def test_router_calls_the_guard_with_the_router_argument_set(world):
    token = world.token(PAYLOAD)
    result = world.router_verify(token, PAYLOAD, predecessor=STRANGER)
    guard_receipt = world.recorder.receipt(result, GUARD, "verify")
    assert json.loads(guard_receipt["args"][0]) == {
        "issuer": ISSUER, "jwt": token, "sign_payload": list(PAYLOAD), "predecessor": STRANGER,
    }
    callback = world.recorder.receipt(result, ROUTER, "on_verify_callback")
    assert json.loads(callback["args"][0]) == {"guard_name": ISSUER}


def test_router_attaches_no_static_gas(world):
    """0 static gas, weight 1: the guard and the callback share the router's leftover gas evenly."""
    result = world.router_verify(world.token(PAYLOAD), PAYLOAD, gas=300 * TERA)
    guard = world.recorder.receipt(result, GUARD, "verify")
    callback = world.recorder.receipt(result, ROUTER, "on_verify_callback")
    print("\nrouter.verify with 300 Tgas:\n" + format_gas_table(world.recorder.describe(result)))
    assert abs(guard["prepaid_gas"] - callback["prepaid_gas"]) <= 1
    assert guard["prepaid_gas"] > 140 * TERA
    assert guard["gas_burnt"] < guard["prepaid_gas"]


@pytest.mark.parametrize("case", ["wrong key", "other fatxn", "expired", "other issuer", "garbage"])
def test_bad_token_returns_false_empty_empty(world, case):
    if case == "wrong key":
        token = world.token(PAYLOAD, key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    elif case == "other fatxn":
        token = world.token(sample_sign_payload(nonce=8))
    elif case == "expired":
        token = world.token(PAYLOAD, lifetime_s=-10)
    elif case == "other issuer":
        token = world.token(PAYLOAD, extra={"iss": "https://evil.example.com/"})
    else:
        token = "not.a.jwt"
    result = world.router_verify(token, PAYLOAD)
    assert result.succeeded, failure_text(result)
    assert result.return_value == [False, "", ""]
    # The guard answered (with its reason); only the router flattened it.
    guard_receipt = world.recorder.receipt(result, GUARD, "verify")
    assert "SuccessValue" in guard_receipt["status"]


def test_token_for_another_guard_name_is_rejected_by_the_guard(world):
    """The router passes its guard name as `issuer`; a guard registered under
    another name rejects a token whose `iss` is this issuer."""
    world.ok(OWNER, ROUTER, "add_guard", {"guard_name": "https://other.example.com/", "guard_account": GUARD},
             deposit=ADD_GUARD_DEPOSIT)
    result = world.router_verify(world.token(PAYLOAD), PAYLOAD, guard_id="jwt#https://other.example.com/")
    assert result.return_value == [False, "", ""]


def test_a_failing_guard_call_makes_the_callback_panic(world):
    # A "guard" account without a contract: the guard receipt fails, the callback sees status 2.
    world.ok(OWNER, ROUTER, "add_guard", {"guard_name": "broken", "guard_account": STRANGER},
             deposit=ADD_GUARD_DEPOSIT)
    result = world.router_verify(world.token(PAYLOAD), PAYLOAD, guard_id="jwt#broken")
    assert not result.succeeded
    assert "Error verifying JWT: Failed" in failure_text(result)


@pytest.mark.parametrize("guard_id", [ISSUER, "auth0#" + ISSUER, "jwt#a#b", "jwt"])
def test_guard_id_must_be_jwt_hash_name(world, guard_id):
    result = world.router_verify(world.token(PAYLOAD), PAYLOAD, guard_id=guard_id)
    assert not result.succeeded
    assert "Invalid guard name format. Expected 'jwt#GUARD_NAME'" in failure_text(result)


def test_unknown_guard_name_panics(world):
    result = world.router_verify(world.token(PAYLOAD), PAYLOAD, guard_id="jwt#nobody")
    assert "Guard with name 'nobody' does not exist" in failure_text(result)


def test_missing_predecessor_fails_to_deserialize(world):
    result = world.call(USER, ROUTER, "verify", {"guard_id": "jwt#" + ISSUER, "verify_payload": "x",
                                                 "sign_payload": [1, 2, 3]})
    assert "Failed to deserialize input from JSON." in failure_text(result)


def test_on_verify_callback_is_private(world):
    result = world.call(STRANGER, ROUTER, "on_verify_callback", {"guard_name": ISSUER})
    assert "Method on_verify_callback is private" in failure_text(result)


# --------------------------------------------------------------------------- registry and owner


def test_registry_views(world):
    assert world.chain.view(ROUTER, "owner") == OWNER
    assert world.chain.view(ROUTER, "get_guard", {"guard_name": ISSUER}) == GUARD
    # Rust views return JSON: an account id comes back quoted.
    assert world.chain.call_function(ROUTER, "owner", b"{}")["result"] == list(b'"owner.test.near"')
    with pytest.raises(ContractError, match="Guard with name 'nope' does not exist"):
        world.chain.view(ROUTER, "get_guard", {"guard_name": "nope"})


def test_non_owner_cannot_add_a_guard(world):
    result = world.call(STRANGER, ROUTER, "add_guard", {"guard_name": "mine", "guard_account": STRANGER},
                        deposit=ADD_GUARD_DEPOSIT)
    assert "Only the owner can call this function" in failure_text(result)


def test_guard_name_with_hash_is_refused(world):
    result = world.call(OWNER, ROUTER, "add_guard", {"guard_name": "a#b", "guard_account": GUARD},
                        deposit=ADD_GUARD_DEPOSIT)
    assert "Guard name cannot contain '#' character" in failure_text(result)


def test_guard_name_longer_than_2048_bytes_is_refused(world):
    result = world.call(OWNER, ROUTER, "add_guard", {"guard_name": "x" * 2049, "guard_account": GUARD},
                        deposit=ADD_GUARD_DEPOSIT)
    assert "Guard name is too long" in failure_text(result)


def test_insufficient_deposit_is_refused_and_the_exact_deposit_is_enough(world):
    assert ADD_GUARD_DEPOSIT == 21_120_000_000_000_000_000_000 + NEAR  # 10^19 * 2112 + 1 NEAR
    before = world.balance(OWNER)
    short = world.call(OWNER, ROUTER, "add_guard", {"guard_name": "g2", "guard_account": GUARD},
                       deposit=ADD_GUARD_DEPOSIT - 1)
    assert "Insufficient deposit. Required: 1.021 NEAR" in failure_text(short)
    # A failed call's deposit goes back to the caller.
    assert world.balance(OWNER) == before - short.tokens_burnt

    router_before = world.balance(ROUTER)
    exact = world.ok(OWNER, ROUTER, "add_guard", {"guard_name": "g2", "guard_account": GUARD},
                     deposit=ADD_GUARD_DEPOSIT)
    # The router keeps the deposit (it also earns a share of the gas its code burnt).
    assert world.balance(ROUTER) >= router_before + ADD_GUARD_DEPOSIT
    assert exact.succeeded


def test_duplicate_guard_is_refused(world):
    result = world.call(OWNER, ROUTER, "add_guard", {"guard_name": ISSUER, "guard_account": STRANGER},
                        deposit=ADD_GUARD_DEPOSIT)
    assert f"Guard with name {ISSUER} already exists" in failure_text(result)


def test_remove_guard_is_owner_only_and_unroutes(world):
    refused = world.call(STRANGER, ROUTER, "remove_guard", {"guard_name": ISSUER})
    assert "Only the owner can call this function" in failure_text(refused)
    world.ok(OWNER, ROUTER, "remove_guard", {"guard_name": ISSUER})
    result = world.router_verify(world.token(PAYLOAD), PAYLOAD)
    assert f"Guard with name '{ISSUER}' does not exist" in failure_text(result)
    again = world.call(OWNER, ROUTER, "remove_guard", {"guard_name": ISSUER})
    assert f"Guard with name {ISSUER} does not exist" in failure_text(again)


def test_change_owner(world):
    assert "Only the owner" in failure_text(world.call(STRANGER, ROUTER, "change_owner", {"new_owner": STRANGER}))
    world.ok(OWNER, ROUTER, "change_owner", {"new_owner": STRANGER})
    assert world.chain.view(ROUTER, "owner") == STRANGER


def test_init_is_private_and_once(world):
    assert "Method init is private" in failure_text(world.call(STRANGER, ROUTER, "init", {"owner": STRANGER}))
    assert "The contract has already been initialized" in failure_text(
        world.call(ROUTER, ROUTER, "init", {"owner": STRANGER}))
