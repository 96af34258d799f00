"""Claim mode (predecessor binding) on the compiled guard (Wasm on the in-process node).

claim / unclaim with their storage deposits and refunds, the owner's switch,
and `verify` binding a token to the account that claimed it: right and wrong
predecessor, no claim, an overwritten claim, after unclaim. Through FastAuth
(where predecessor is the caller of FastAuth.sign): test_policy_router.py.
"""
from __future__ import annotations

import hashlib

import pytest

from devkit.guard_chain import (
    ALICE,
    BOB,
    GUARD,
    OWNER,
    STORAGE_BYTE_COST,
    STRANGER,
    SUB,
    claims,
    ed25519_key,
    router_args,
    sign_token,
)
from tests.policy import payloads as P
from tests.policy.payloads import NEAR

from guard_core import claim_mode, reasons

PAYLOAD = P.transaction_v0([P.function_call()], receiver="wrap.near")[0]


def token(env, **extra) -> str:
    return sign_token(ed25519_key(), claims(env.now_s, PAYLOAD, **extra), kid="ed")


def jwt_hash(jwt: str) -> str:
    return hashlib.sha256(jwt.encode()).hexdigest()


def balance(env, account_id: str) -> int:
    return int(env.chain.view_account(account_id)["amount"])


def verify(env, jwt: str, predecessor) -> list:
    return env.verify_view(router_args(jwt, PAYLOAD, predecessor=predecessor))


def claim_cost(account_id: str) -> int:
    # two records: c/<account> -> hash and h/<hash> -> account, 40 bytes of overhead each
    return 2 * (2 + len(account_id) + 32 + 40) * STORAGE_BYTE_COST


def do_claim(env, account_id: str, jwt: str, deposit: int = NEAR):
    return env.call(account_id, "claim", {"jwt_hash": jwt_hash(jwt)}, deposit=deposit)


def set_claim_mode(env, enabled: bool):
    return env.ok(OWNER, "set_claim_mode", {"enabled": enabled})


# ----------------------------------------------------------------------------- claim and unclaim


def test_claim_stores_the_hash_charges_its_storage_and_refunds_the_rest(env):
    jwt = token(env)
    before = balance(env, ALICE)
    usage_before = env.state()["storage_usage"]
    result = do_claim(env, ALICE, jwt, deposit=NEAR)
    assert result.succeeded and not result.receipt_failures, result.status
    cost = claim_cost(ALICE)
    assert result.return_value == {"jwt_hash": jwt_hash(jwt), "storage_deposit": str(cost),
                                   "refund": str(NEAR - cost)}
    assert env.state()["storage_usage"] - usage_before == cost // STORAGE_BYTE_COST
    # The excess came back: ALICE paid exactly the storage plus the gas.
    assert before - balance(env, ALICE) == cost + result.tokens_burnt
    assert env.view("get_claim", {"account_id": ALICE}) == jwt_hash(jwt)
    assert env.view("get_claim_deposit", {"account_id": ALICE}) == str(cost)
    assert env.events(result) == [{"standard": "jwt_guard", "version": "1.0.0", "event": "claim", "data": [
        {"account_id": ALICE, "jwt_hash": jwt_hash(jwt), "storage_deposit": str(cost), "replaced": False}]}]


def test_exact_deposit_is_enough(env):
    result = do_claim(env, ALICE, token(env), deposit=claim_cost(ALICE))
    assert result.succeeded, result.status
    assert result.return_value["refund"] == "0"


def test_insufficient_deposit_is_refused_and_nothing_is_stored(env):
    before = balance(env, ALICE)
    result = do_claim(env, ALICE, token(env), deposit=claim_cost(ALICE) - 1)
    assert not result.succeeded
    assert env.failure_message(result) == ("Smart contract panicked: " + claim_mode.INSUFFICIENT_DEPOSIT
                                           + str(claim_cost(ALICE)) + " yoctoNEAR")
    assert env.view("get_claim", {"account_id": ALICE}) is None
    assert before - balance(env, ALICE) == result.tokens_burnt  # the deposit was refunded


def test_claim_without_deposit_is_refused(env):
    result = do_claim(env, ALICE, token(env), deposit=0)
    assert env.failure_message(result) == "Smart contract panicked: " + claim_mode.DEPOSIT_REQUIRED


@pytest.mark.parametrize("value", ["00" * 31, "zz" * 32, [1] * 31, None, 5])
def test_claim_with_a_malformed_hash_is_refused(env, value):
    result = env.call(ALICE, "claim", {"jwt_hash": value}, deposit=NEAR)
    assert env.failure_message(result) == "Smart contract panicked: " + claim_mode.BAD_HASH


def test_claim_accepts_the_hash_as_bytes(env):
    jwt = token(env)
    result = env.call(ALICE, "claim", {"jwt_hash": list(hashlib.sha256(jwt.encode()).digest())}, deposit=NEAR)
    assert result.succeeded, result.status
    assert env.view("get_claim", {"account_id": ALICE}) == jwt_hash(jwt)


def test_overwriting_a_claim_costs_nothing_and_refunds_everything(env):
    first, second = token(env), token(env, nonce="second")
    assert do_claim(env, ALICE, first).succeeded
    before = balance(env, ALICE)
    result = do_claim(env, ALICE, second, deposit=NEAR)
    assert result.succeeded
    assert result.return_value == {"jwt_hash": jwt_hash(second), "storage_deposit": "0", "refund": str(NEAR)}
    assert before - balance(env, ALICE) == result.tokens_burnt
    assert env.events(result)[0]["data"][0]["replaced"] is True
    assert env.view("get_claim", {"account_id": ALICE}) == jwt_hash(second)


def test_unclaim_returns_the_storage_deposit(env):
    jwt = token(env)
    assert do_claim(env, ALICE, jwt).succeeded
    usage = env.state()["storage_usage"]
    before = balance(env, ALICE)
    result = env.call(ALICE, "unclaim", {}, deposit=1)
    assert result.succeeded and not result.receipt_failures, result.status
    refund = claim_cost(ALICE) + 1
    assert result.return_value == {"refund": str(refund)}
    # ALICE got back the storage deposit (and the 1 yocto), paying only gas.
    assert balance(env, ALICE) - before == refund - 1 - result.tokens_burnt
    assert usage - env.state()["storage_usage"] == claim_cost(ALICE) // STORAGE_BYTE_COST
    assert env.view("get_claim", {"account_id": ALICE}) is None
    assert env.events(result)[0]["event"] == "unclaim"
    assert env.events(result)[0]["data"] == [{"account_id": ALICE, "jwt_hash": jwt_hash(jwt), "refund": str(refund)}]


def test_unclaim_needs_exactly_one_yocto_and_a_claim(env):
    assert do_claim(env, ALICE, token(env)).succeeded
    for deposit in (0, 2):
        result = env.call(ALICE, "unclaim", {}, deposit=deposit)
        assert env.failure_message(result) == "Smart contract panicked: " + claim_mode.ONE_YOCTO_REQUIRED
    result = env.call(BOB, "unclaim", {}, deposit=1)
    assert env.failure_message(result) == "Smart contract panicked: " + claim_mode.NO_CLAIM_TO_REMOVE


def test_a_token_is_claimed_by_one_account_at_a_time(env):
    jwt = token(env)
    assert do_claim(env, ALICE, jwt).succeeded
    result = do_claim(env, BOB, jwt)
    assert env.failure_message(result) == "Smart contract panicked: " + claim_mode.CLAIMED_BY_ANOTHER
    assert env.view("get_claim", {"account_id": BOB}) is None
    # claiming it again is a no-op for its holder
    again = do_claim(env, ALICE, jwt)
    assert again.succeeded and again.return_value["storage_deposit"] == "0"
    # once ALICE moves on to another token, the first one is free again
    assert do_claim(env, ALICE, token(env, nonce="next")).succeeded
    assert do_claim(env, BOB, jwt).succeeded
    # and after unclaim too
    assert env.call(BOB, "unclaim", {}, deposit=1).succeeded
    assert do_claim(env, STRANGER, jwt).succeeded


def test_storage_returns_to_its_size_after_claims_move_and_go(env):
    usage = env.state()["storage_usage"]
    first, second = token(env), token(env, nonce="2")
    assert do_claim(env, ALICE, first).succeeded
    assert do_claim(env, ALICE, second).succeeded
    assert do_claim(env, BOB, first).succeeded
    assert env.state()["storage_usage"] == usage + (claim_cost(ALICE) + claim_cost(BOB)) // STORAGE_BYTE_COST
    assert env.call(ALICE, "unclaim", {}, deposit=1).succeeded
    assert env.call(BOB, "unclaim", {}, deposit=1).succeeded
    assert env.state()["storage_usage"] == usage
    assert not [k for k in env.state()["storage"] if k[:2] in (b"c/", b"h/")]


def test_claims_are_per_account(env):
    alice_jwt, bob_jwt = token(env), token(env, nonce="bob")
    assert do_claim(env, ALICE, alice_jwt).succeeded
    assert do_claim(env, BOB, bob_jwt).succeeded
    assert env.view("get_claim", {"account_id": ALICE}) == jwt_hash(alice_jwt)
    assert env.view("get_claim", {"account_id": BOB}) == jwt_hash(bob_jwt)
    assert env.view("get_claim", {"account_id": STRANGER}) is None


# ----------------------------------------------------------------------------- the owner's switch


def test_claim_mode_is_off_by_default_and_only_the_owner_switches_it(env):
    assert env.view("get_claim_mode") is False
    result = env.call(STRANGER, "set_claim_mode", {"enabled": True})
    assert "Only the owner can call this method" in env.failure_message(result)
    result = env.call(OWNER, "set_claim_mode", {"enabled": "yes"})
    assert "enabled must be true or false" in env.failure_message(result)
    result = set_claim_mode(env, True)
    assert env.view("get_claim_mode") is True
    assert env.events(result)[0] == {"standard": "jwt_guard", "version": "1.0.0", "event": "claim_mode_set",
                                     "data": [{"enabled": True}]}
    set_claim_mode(env, False)
    assert env.view("get_claim_mode") is False


def test_claim_mode_and_policy_are_independent(env):
    env.ok(OWNER, "set_policy", {"policy": {"receivers": ["wrap.near"]}})
    set_claim_mode(env, True)
    set_claim_mode(env, False)
    assert env.view("get_policy") == {"receivers": ["wrap.near"]}
    set_claim_mode(env, True)
    env.ok(OWNER, "set_policy", {"policy": None})
    assert env.view("get_claim_mode") is True


# ----------------------------------------------------------------------------- verify with claim mode


def test_without_claim_mode_claims_are_ignored(env):
    jwt = token(env)
    assert verify(env, jwt, BOB) == [True, SUB]


def test_claimed_token_verifies_for_its_claimant_only(env):
    jwt = token(env)
    assert do_claim(env, ALICE, jwt).succeeded
    set_claim_mode(env, True)
    assert verify(env, jwt, ALICE) == [True, SUB]
    assert env.verify_tx(router_args(jwt, PAYLOAD, predecessor=ALICE))[0] == [True, SUB]
    # wrong predecessor: BOB has no claim at all
    assert verify(env, jwt, BOB) == [False, reasons.NO_CLAIM]
    # BOB's own claim is for another token
    assert do_claim(env, BOB, token(env, nonce="bob")).succeeded
    assert verify(env, jwt, BOB) == [False, reasons.NOT_CLAIMED]


def test_no_claim(env):
    set_claim_mode(env, True)
    assert verify(env, token(env), ALICE) == [False, reasons.NO_CLAIM]


@pytest.mark.parametrize("predecessor", [None, "", 5, "x" * 3000, ["alice.test.near"]])
def test_missing_or_malformed_predecessor_has_no_claim(env, predecessor):
    jwt = token(env)
    assert do_claim(env, ALICE, jwt).succeeded
    set_claim_mode(env, True)
    args = router_args(jwt, PAYLOAD, predecessor=predecessor)
    if predecessor is None:
        del args["predecessor"]
    assert env.verify_view(args) == [False, reasons.NO_CLAIM]


def test_overwritten_claim_retires_the_old_token(env):
    old, new = token(env), token(env, nonce="new")
    assert do_claim(env, ALICE, old).succeeded
    set_claim_mode(env, True)
    assert verify(env, old, ALICE) == [True, SUB]
    assert do_claim(env, ALICE, new).succeeded
    assert verify(env, old, ALICE) == [False, reasons.NOT_CLAIMED]
    assert verify(env, new, ALICE) == [True, SUB]


def test_unclaimed_token_no_longer_verifies(env):
    jwt = token(env)
    assert do_claim(env, ALICE, jwt).succeeded
    set_claim_mode(env, True)
    assert env.call(ALICE, "unclaim", {}, deposit=1).succeeded
    assert verify(env, jwt, ALICE) == [False, reasons.NO_CLAIM]


def test_claim_mode_runs_after_the_signature_and_before_the_policy(env):
    jwt = token(env)
    set_claim_mode(env, True)
    env.ok(OWNER, "set_policy", {"policy": {"receivers": ["other.near"]}})
    forged = jwt[:-4] + ("AAAA" if not jwt.endswith("AAAA") else "BBBB")
    assert verify(env, forged, ALICE) == [False, "Invalid signature"]
    assert verify(env, jwt, ALICE) == [False, reasons.NO_CLAIM]
    assert do_claim(env, ALICE, jwt).succeeded
    assert verify(env, jwt, ALICE) == [False, reasons.POLICY_RECEIVER_NOT_ALLOWED]


def test_verify_custom_claims_view_applies_claim_mode(env):
    import json

    jwt = token(env)
    assert do_claim(env, ALICE, jwt).succeeded
    set_claim_mode(env, True)
    body = list(json.dumps(claims(env.now_s, PAYLOAD)).encode())
    base = {"jwt": jwt, "jwt_payload": body, "sign_payload": list(PAYLOAD)}
    assert env.view("verify_custom_claims", dict(base, predecessor=ALICE)) == [True, ""]
    assert env.view("verify_custom_claims", dict(base, predecessor=BOB)) == [False, reasons.NO_CLAIM]


def test_claim_mode_gas(env):
    jwt = token(env)
    _, off = env.verify_tx(router_args(jwt, PAYLOAD, predecessor=ALICE))
    assert do_claim(env, ALICE, jwt).succeeded
    set_claim_mode(env, True)
    value, on = env.verify_tx(router_args(jwt, PAYLOAD, predecessor=ALICE))
    assert value == [True, SUB]
    print(f"\nEdDSA verify: claim mode off {off / 1e12:.3f} Tgas, on {on / 1e12:.3f} Tgas")
    assert on - off < 1e12
