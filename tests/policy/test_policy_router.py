"""Policy and claim mode end to end: FastAuth port -> router port -> real guard -> MPC mock.

Every policy rule allowing and refusing through `JwtGuardRouter.verify` (the
router hides the guard's reason behind `[false, "", ""]`, so the guard's own
answer is read from its receipt), and claim mode through `FastAuth.sign`,
where the guard's `predecessor` is the account that called FastAuth.
"""
from __future__ import annotations

import base64
import hashlib
import json

import pytest

from tests.ports.harness import FASTAUTH, GUARD, ISSUER, MPC, OWNER, ROUTER, STRANGER, SUB, USER, failure_text
from tests.policy import payloads as P
from tests.policy.payloads import NEAR, TERA

from guard_core import claim_mode
from guard_core import reasons


def guard_answer(world, result) -> list:
    """What the guard's verify returned, from its receipt."""
    row = world.recorder.receipt(result, GUARD, "verify")
    return json.loads(base64.b64decode(row["status"]["SuccessValue"]))


def router_verify(world, payload: bytes, **claims_extra):
    result = world.router_verify(world.token(payload, extra=claims_extra or None), payload)
    assert result.succeeded and not result.receipt_failures, failure_text(result)
    return result.return_value, guard_answer(world, result)


def set_policy(world, rules):
    world.ok(OWNER, GUARD, "set_policy", {"policy": rules})


def tx(*actions, **kwargs) -> bytes:
    return P.transaction_v0(list(actions), **kwargs)[0]


CALL = dict(signer="user.test.near", receiver="wrap.near")

RULE_CASES = {
    "receivers": ({"receivers": ["wrap.near", "*.pool.near"]}, tx(P.transfer(), receiver="a.pool.near"),
                  tx(P.transfer(), receiver="evil.near"), reasons.POLICY_RECEIVER_NOT_ALLOWED),
    "actions": ({"actions": ["FunctionCall", "Transfer"]}, tx(P.function_call(), P.transfer(), **CALL),
                tx(P.delete_account(), **CALL), reasons.POLICY_ACTION_NOT_ALLOWED),
    "methods": ({"methods": {"wrap.near": ["near_deposit"]}}, tx(P.function_call("near_deposit"), **CALL),
                tx(P.function_call("ft_transfer"), **CALL), reasons.POLICY_METHOD_NOT_ALLOWED),
    "max_gas": ({"max_gas": 50 * TERA}, tx(P.function_call(gas=50 * TERA), **CALL),
                tx(P.function_call(gas=51 * TERA), **CALL), reasons.POLICY_GAS_TOO_HIGH),
    "max_deposit_per_action": ({"max_deposit_per_action": str(NEAR)}, tx(P.transfer(NEAR), **CALL),
                               tx(P.transfer(NEAR + 1), **CALL), reasons.POLICY_DEPOSIT_PER_ACTION_TOO_HIGH),
    "max_deposit_total": ({"max_deposit_total": str(NEAR)}, tx(P.transfer(NEAR - 1), P.function_call(deposit=1), **CALL),
                          tx(P.transfer(NEAR), P.function_call(deposit=1), **CALL), reasons.POLICY_DEPOSIT_TOTAL_TOO_HIGH),
    "signer_claim": ({"signer_claim": "near_account"}, tx(P.transfer(), **CALL),
                     tx(P.transfer(), signer="someone-else.near"), reasons.POLICY_SIGNER_MISMATCH),
    "undecodable": ({}, tx(P.transfer(), **CALL), b"\x00" * 40, reasons.POLICY_UNDECODABLE),
}


@pytest.mark.parametrize("rule", RULE_CASES)
def test_each_rule_allows_and_refuses_through_the_router(world, rule):
    rules, allowed, refused, reason = RULE_CASES[rule]
    set_policy(world, rules)
    value, answer = router_verify(world, allowed, near_account="user.test.near")
    assert answer == [True, SUB]
    assert value == [True, SUB, ISSUER]
    value, answer = router_verify(world, refused, near_account="user.test.near")
    assert answer == [False, reason]
    assert value == [False, "", ""]


def test_fastauth_signs_only_what_the_policy_allows(world):
    set_policy(world, {"receivers": ["wrap.near"], "actions": ["FunctionCall"],
                       "methods": {"wrap.near": ["ft_transfer"]}, "max_deposit_total": "1"})
    good = tx(P.function_call("ft_transfer", deposit=1), **CALL)
    result = world.sign(world.token(good), good)
    assert result.succeeded and not result.receipt_failures, failure_text(result)
    assert any(log.startswith("mock-mpc sign ") for log in result.logs)
    bad = tx(P.function_call("ft_transfer", deposit=2), **CALL)
    result = world.sign(world.token(bad), bad)
    assert "Guard verification rejected" in result.logs
    assert not any(log.startswith("mock-mpc sign ") for log in result.logs)
    assert guard_answer(world, result) == [False, reasons.POLICY_DEPOSIT_TOTAL_TOO_HIGH]


def test_policy_gas_behind_fastauth(world):
    payload = tx(P.function_call("ft_transfer", deposit=1), **CALL)
    rows_off = world.recorder.describe(world.sign(world.token(payload), payload))
    set_policy(world, {"receivers": ["wrap.near"], "actions": ["FunctionCall"],
                       "methods": {"wrap.near": ["ft_transfer"]}, "max_gas": str(100 * TERA),
                       "max_deposit_per_action": "1", "max_deposit_total": "1"})
    result = world.sign(world.token(payload), payload)
    rows_on = world.recorder.describe(result)
    assert result.succeeded and not result.receipt_failures, failure_text(result)

    def guard_row(rows):
        (row,) = [r for r in rows if r["executor_id"] == GUARD and r["method"] == "verify"]
        return row

    off, on = guard_row(rows_off), guard_row(rows_on)
    print(f"\nguard verify behind FastAuth: policy off {off['gas_burnt'] / TERA:.3f} Tgas, "
          f"on {on['gas_burnt'] / TERA:.3f} Tgas, prepaid {on['prepaid_gas'] / TERA:.1f} Tgas")
    assert on["gas_burnt"] - off["gas_burnt"] <= 2 * TERA
    assert on["gas_burnt"] < on["prepaid_gas"] / 2


# ----------------------------------------------------------------------------- claim mode through FastAuth


def _claim(world, account_id: str, jwt: str):
    return world.call(account_id, GUARD, "claim", {"jwt_hash": hashlib.sha256(jwt.encode()).hexdigest()},
                      deposit=NEAR // 100)


def test_claim_mode_through_fastauth_sign(world):
    payload = tx(P.function_call("ft_transfer"), **CALL)
    jwt = world.token(payload)
    world.ok(OWNER, GUARD, "set_claim_mode", {"enabled": True})

    # USER has not claimed the token yet: FastAuth's caller is the predecessor.
    result = world.sign(jwt, payload, signer=USER)
    assert "Guard verification rejected" in result.logs
    assert guard_answer(world, result) == [False, reasons.NO_CLAIM]

    assert _claim(world, USER, jwt).succeeded
    result = world.sign(jwt, payload, signer=USER)
    assert result.succeeded and not result.receipt_failures, failure_text(result)
    assert guard_answer(world, result) == [True, SUB]
    verify_row = world.recorder.receipt(result, GUARD, "verify")
    assert json.loads(verify_row["args"][0])["predecessor"] == USER
    assert any(log.startswith("mock-mpc sign ") for log in result.logs)

    # Someone who copies the token from the chain cannot use it from their own account,
    result = world.sign(jwt, payload, signer=STRANGER)
    assert "Guard verification rejected" in result.logs
    assert guard_answer(world, result) == [False, reasons.NO_CLAIM]
    # nor claim it for themselves: the token is USER's.
    result = _claim(world, STRANGER, jwt)
    assert not result.succeeded and claim_mode.CLAIMED_BY_ANOTHER in failure_text(result)


def test_claim_mode_with_signer_claim_binds_token_account_and_transaction(world):
    """Claim mode binds the token to the caller of FastAuth; signer_claim binds it to the
    transaction's signer: together, a token only signs its own account's transaction,
    submitted by that account."""
    payload = tx(P.function_call("ft_transfer"), **CALL)
    jwt = world.token(payload, extra={"near_account": USER})
    world.ok(OWNER, GUARD, "set_claim_mode", {"enabled": True})
    set_policy(world, {"signer_claim": "near_account"})
    assert _claim(world, USER, jwt).succeeded
    assert guard_answer(world, world.sign(jwt, payload, signer=USER)) == [True, SUB]
    other = tx(P.function_call("ft_transfer"), signer=STRANGER, receiver="wrap.near")
    jwt_other = world.token(other, extra={"near_account": USER})
    assert _claim(world, STRANGER, jwt_other).succeeded
    assert guard_answer(world, world.sign(jwt_other, other, signer=STRANGER)) == [False, reasons.POLICY_SIGNER_MISMATCH]


def test_overwritten_claim_and_unclaim_through_fastauth(world):
    payload = tx(P.function_call("ft_transfer"), **CALL)
    old = world.token(payload)
    new = world.token(payload, extra={"jti": "second"})
    world.ok(OWNER, GUARD, "set_claim_mode", {"enabled": True})
    assert _claim(world, USER, old).succeeded
    assert guard_answer(world, world.sign(old, payload)) == [True, SUB]
    assert _claim(world, USER, new).succeeded
    assert guard_answer(world, world.sign(old, payload)) == [False, reasons.NOT_CLAIMED]
    assert guard_answer(world, world.sign(new, payload)) == [True, SUB]
    assert world.call(USER, GUARD, "unclaim", {}, deposit=1).succeeded
    assert guard_answer(world, world.sign(new, payload)) == [False, reasons.NO_CLAIM]


def test_claim_mode_through_the_router_uses_the_predecessor_argument(world):
    payload = tx(P.function_call("ft_transfer"), **CALL)
    jwt = world.token(payload)
    world.ok(OWNER, GUARD, "set_claim_mode", {"enabled": True})
    assert _claim(world, USER, jwt).succeeded
    result = world.router_verify(jwt, payload, predecessor=USER, signer=STRANGER)
    assert guard_answer(world, result) == [True, SUB]
    result = world.router_verify(jwt, payload, predecessor=STRANGER, signer=USER)
    assert guard_answer(world, result) == [False, reasons.NO_CLAIM]
