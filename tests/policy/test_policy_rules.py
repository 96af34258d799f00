"""guard_core.policy_spec and policy_eval under CPython: validation of the owner's policy and each rule allowing and refusing."""
from __future__ import annotations

import pytest

from tests.policy import payloads as P
from tests.policy.payloads import NEAR, TERA

from guard_core import policy_eval, policy_spec, reasons

CLAIMS = {"sub": "user-1", "iss": "https://issuer/", "exp": 2**40, "near_account": "alice.near"}


def valid(raw: dict) -> dict:
    normalised, reason = policy_spec.validate_policy(raw)
    assert reason is None, reason
    return normalised


def check(raw_policy: dict, data: bytes, claims: dict = CLAIMS):
    return policy_eval.check_policy(valid(raw_policy), claims, data)


def tx(*actions, **kwargs) -> bytes:
    return P.transaction_v0(list(actions), **kwargs)[0]


# ----------------------------------------------------------------------------- validation


def test_full_policy_is_normalised():
    raw = {
        "receivers": ["wrap.near", "*.pool.near"],
        "actions": ["FunctionCall", "Transfer"],
        "methods": {"wrap.near": ["near_deposit"], "*.pool.near": ["*"], "*": ["ft_transfer"]},
        "max_deposit_per_action": 10**24,
        "max_deposit_total": "2000000000000000000000000",
        "max_gas": 100 * TERA,
        "signer_claim": "near_account",
    }
    assert valid(raw) == dict(raw, max_deposit_per_action=str(10**24), max_gas=str(100 * TERA))


def test_empty_policy_is_valid_and_only_requires_decoding():
    assert valid({}) == {}
    assert check({}, tx(P.transfer())) is None
    assert check({}, b"not a transaction") == reasons.POLICY_UNDECODABLE


@pytest.mark.parametrize("raw,reason", [
    ([], policy_spec.BAD_POLICY),
    ("x", policy_spec.BAD_POLICY),
    (None, policy_spec.BAD_POLICY),
    ({"receiver": ["a.near"]}, policy_spec.BAD_FIELD + "receiver"),
    ({"receivers": []}, policy_spec.BAD_RECEIVERS),
    ({"receivers": "wrap.near"}, policy_spec.BAD_RECEIVERS),
    ({"receivers": ["Wrap.near"]}, policy_spec.BAD_RECEIVERS),
    ({"receivers": ["*"]}, policy_spec.BAD_RECEIVERS),
    ({"receivers": ["*near"]}, policy_spec.BAD_RECEIVERS),
    ({"receivers": ["*.x"]}, policy_spec.BAD_RECEIVERS),
    ({"receivers": ["a.near", "a.near"]}, policy_spec.BAD_RECEIVERS),
    ({"receivers": [f"a{i}.near" for i in range(33)]}, policy_spec.BAD_RECEIVERS),
    ({"actions": ["Transfer", "Transfer"]}, policy_spec.BAD_ACTIONS),
    ({"actions": ["transfer"]}, policy_spec.BAD_ACTIONS),
    ({"actions": []}, policy_spec.BAD_ACTIONS),
    ({"methods": {}}, policy_spec.BAD_METHODS),
    ({"methods": {"wrap.near": []}}, policy_spec.BAD_METHODS),
    ({"methods": {"wrap.near": [""]}}, policy_spec.BAD_METHODS),
    ({"methods": {"wrap.near": ["a", "a"]}}, policy_spec.BAD_METHODS),
    ({"methods": {"wrap.near": ["x" * 257]}}, policy_spec.BAD_METHODS),
    ({"methods": {"BAD": ["a"]}}, policy_spec.BAD_METHODS),
    ({"methods": {"wrap.near": "a"}}, policy_spec.BAD_METHODS),
    ({"max_deposit_per_action": -1}, policy_spec.BAD_AMOUNT),
    ({"max_deposit_per_action": 2**128}, policy_spec.BAD_AMOUNT),
    ({"max_deposit_total": str(2**128)}, policy_spec.BAD_AMOUNT),
    ({"max_deposit_total": "01"}, policy_spec.BAD_AMOUNT),
    ({"max_deposit_total": "1e24"}, policy_spec.BAD_AMOUNT),
    ({"max_deposit_total": ""}, policy_spec.BAD_AMOUNT),
    ({"max_deposit_total": 1.5}, policy_spec.BAD_AMOUNT),
    ({"max_deposit_total": True}, policy_spec.BAD_AMOUNT),
    ({"max_gas": 2**64}, policy_spec.BAD_GAS),
    ({"max_gas": "-5"}, policy_spec.BAD_GAS),
    ({"max_gas": None}, policy_spec.BAD_GAS),
    ({"signer_claim": ""}, policy_spec.BAD_SIGNER_CLAIM),
    ({"signer_claim": 5}, policy_spec.BAD_SIGNER_CLAIM),
    ({"signer_claim": "x" * 65}, policy_spec.BAD_SIGNER_CLAIM),
])
def test_invalid_policies_are_refused_with_the_rule_named(raw, reason):
    assert policy_spec.validate_policy(raw) == (None, reason)


def test_limits_at_their_bounds_are_valid():
    valid({"max_deposit_per_action": str(2**128 - 1), "max_deposit_total": "0", "max_gas": 2**64 - 1})
    valid({"receivers": [f"a{i}.near" for i in range(32)], "actions": list(policy_spec.txdecode.ACTION_KINDS)})


# ----------------------------------------------------------------------------- receivers


def test_receivers_exact_and_suffix():
    rules = {"receivers": ["wrap.near", "*.pool.near"]}
    assert check(rules, tx(P.transfer(), receiver="wrap.near")) is None
    assert check(rules, tx(P.transfer(), receiver="a.pool.near")) is None
    assert check(rules, tx(P.transfer(), receiver="b.a.pool.near")) is None
    assert check(rules, tx(P.transfer(), receiver="pool.near")) == reasons.POLICY_RECEIVER_NOT_ALLOWED
    assert check(rules, tx(P.transfer(), receiver="xpool.near")) == reasons.POLICY_RECEIVER_NOT_ALLOWED
    assert check(rules, tx(P.transfer(), receiver="wrap.near.evil")) == reasons.POLICY_RECEIVER_NOT_ALLOWED
    assert check(rules, tx(receiver="evil.near")) == reasons.POLICY_RECEIVER_NOT_ALLOWED  # no actions at all


def test_receivers_apply_to_delegate_actions_and_their_inner_receiver():
    rules = {"receivers": ["wrap.near", "alice.near"]}
    assert check(rules, P.delegate_payload([P.transfer()], receiver="wrap.near")[0]) is None
    assert check(rules, P.delegate_payload([P.transfer()], receiver="evil.near")[0]) == reasons.POLICY_RECEIVER_NOT_ALLOWED
    inner_ok = P.signed_delegate(receiver="wrap.near", actions=[P.transfer()])
    inner_bad = P.signed_delegate(receiver="evil.near", actions=[P.transfer()])
    assert check(rules, tx(inner_ok, receiver="alice.near")) is None
    assert check(rules, tx(inner_bad, receiver="alice.near")) == reasons.POLICY_RECEIVER_NOT_ALLOWED


# ----------------------------------------------------------------------------- action kinds


@pytest.mark.parametrize("action", P.all_kinds(), ids=[f"{i}-{a.expected['kind']}" for i, a in enumerate(P.all_kinds())])
def test_each_action_kind_allowed_and_refused(action):
    kind = action.expected["kind"]
    data = tx(action)
    inner_kinds = {a["kind"] for a in action.expected.get("delegate_action", {}).get("actions", [])}
    assert check({"actions": [kind, *sorted(inner_kinds - {kind})]}, data) is None
    others = [k for k in policy_spec.txdecode.ACTION_KINDS if k != kind]
    assert check({"actions": others}, data) == reasons.POLICY_ACTION_NOT_ALLOWED


def test_action_kinds_apply_inside_delegates():
    data = tx(P.signed_delegate(actions=[P.function_call(), P.add_full_access_key()]), receiver="alice.near")
    assert check({"actions": ["Delegate", "FunctionCall", "AddKey"]}, data) is None
    assert check({"actions": ["Delegate", "FunctionCall"]}, data) == reasons.POLICY_ACTION_NOT_ALLOWED
    assert check({"actions": ["FunctionCall", "AddKey"]}, data) == reasons.POLICY_ACTION_NOT_ALLOWED


# ----------------------------------------------------------------------------- methods


def test_methods_per_receiver():
    rules = {"methods": {"wrap.near": ["near_deposit", "ft_transfer"], "*.pool.near": ["deposit_and_stake"],
                         "*.near": ["*"]}}
    assert check(rules, tx(P.function_call("ft_transfer"), receiver="wrap.near")) is None
    assert check(rules, tx(P.function_call("storage_deposit"), receiver="wrap.near")) == reasons.POLICY_METHOD_NOT_ALLOWED
    # the longest matching suffix governs, not the shorter "*.near"
    assert check(rules, tx(P.function_call("deposit_and_stake"), receiver="a.pool.near")) is None
    assert check(rules, tx(P.function_call("unstake"), receiver="a.pool.near")) == reasons.POLICY_METHOD_NOT_ALLOWED
    assert check(rules, tx(P.function_call("anything"), receiver="other.near")) is None
    assert check(rules, tx(P.function_call("anything"), receiver="other.testnet")) == reasons.POLICY_METHOD_NOT_ALLOWED
    # non-call actions are not governed by methods
    assert check(rules, tx(P.transfer(), receiver="other.testnet")) is None


def test_methods_star_key_is_the_fallback():
    rules = {"methods": {"wrap.near": ["near_deposit"], "*": ["ft_transfer"]}}
    assert check(rules, tx(P.function_call("ft_transfer"), receiver="usdt.tether-token.near")) is None
    assert check(rules, tx(P.function_call("ft_transfer"), receiver="wrap.near")) == reasons.POLICY_METHOD_NOT_ALLOWED


def test_methods_apply_to_calls_inside_delegates_with_their_receiver():
    rules = {"methods": {"wrap.near": ["ft_transfer"]}}
    good = tx(P.signed_delegate(receiver="wrap.near", actions=[P.function_call("ft_transfer")]), receiver="alice.near")
    bad = tx(P.signed_delegate(receiver="wrap.near", actions=[P.function_call("ft_burn")]), receiver="alice.near")
    assert check(rules, good) is None
    assert check(rules, bad) == reasons.POLICY_METHOD_NOT_ALLOWED
    assert check(rules, P.delegate_payload([P.function_call("ft_transfer")], receiver="wrap.near")[0]) is None


# ----------------------------------------------------------------------------- gas and deposits


def test_max_gas_per_call():
    rules = {"max_gas": 50 * TERA}
    assert check(rules, tx(P.function_call(gas=50 * TERA), P.function_call(gas=50 * TERA))) is None
    assert check(rules, tx(P.function_call(gas=50 * TERA + 1))) == reasons.POLICY_GAS_TOO_HIGH


def test_max_deposit_per_action():
    rules = {"max_deposit_per_action": NEAR}
    assert check(rules, tx(P.transfer(NEAR), P.function_call(deposit=NEAR))) is None
    assert check(rules, tx(P.transfer(NEAR + 1))) == reasons.POLICY_DEPOSIT_PER_ACTION_TOO_HIGH
    assert check(rules, tx(P.function_call(deposit=NEAR + 1))) == reasons.POLICY_DEPOSIT_PER_ACTION_TOO_HIGH
    assert check(rules, tx(P.transfer(2**128 - 1))) == reasons.POLICY_DEPOSIT_PER_ACTION_TOO_HIGH
    # stake and key allowances are not deposits (nearcore's definition)
    assert check(rules, tx(P.stake(10 * NEAR), P.add_function_call_key(allowance=10 * NEAR))) is None


def test_max_deposit_total_counts_every_action_including_delegated_ones():
    rules = {"max_deposit_total": 3 * NEAR}
    assert check(rules, tx(P.transfer(NEAR), P.function_call(deposit=2 * NEAR))) is None
    assert check(rules, tx(P.transfer(NEAR), P.function_call(deposit=2 * NEAR + 1))) == reasons.POLICY_DEPOSIT_TOTAL_TOO_HIGH
    delegated = P.signed_delegate(actions=[P.transfer(2 * NEAR)])
    assert check(rules, tx(P.transfer(NEAR), delegated, receiver="alice.near")) is None
    assert check(rules, tx(P.transfer(NEAR + 1), delegated, receiver="alice.near")) == reasons.POLICY_DEPOSIT_TOTAL_TOO_HIGH


def test_zero_deposit_limit():
    rules = {"max_deposit_total": "0"}
    assert check(rules, tx(P.function_call(deposit=0))) is None
    assert check(rules, tx(P.function_call(deposit=1))) == reasons.POLICY_DEPOSIT_TOTAL_TOO_HIGH


# ----------------------------------------------------------------------------- signer


def test_signer_claim():
    rules = {"signer_claim": "near_account"}
    assert check(rules, tx(P.transfer(), signer="alice.near")) is None
    assert check(rules, tx(P.transfer(), signer="bob.near")) == reasons.POLICY_SIGNER_MISMATCH
    assert check(rules, P.delegate_payload([P.transfer()], sender="alice.near")[0]) is None
    assert check(rules, P.delegate_payload([P.transfer()], sender="bob.near")[0]) == reasons.POLICY_SIGNER_MISMATCH
    for claims in ({**CLAIMS, "near_account": 5}, {k: v for k, v in CLAIMS.items() if k != "near_account"},
                   {**CLAIMS, "near_account": ["alice.near"]}):
        assert check(rules, tx(P.transfer(), signer="alice.near"), claims) == reasons.POLICY_SIGNER_MISMATCH


# ----------------------------------------------------------------------------- the Auth0 vector


def test_auth0_transaction_passes_a_policy_allowing_its_receiver_and_fails_one_that_does_not():
    data = P.auth0_sign_payload()
    assert check({"receivers": ["bosisthenear.testnet"], "actions": ["Transfer"], "max_deposit_total": "10"},
                 data) is None
    assert check({"receivers": ["*.testnet"]}, data) is None
    assert check({"receivers": ["wrap.testnet"]}, data) == reasons.POLICY_RECEIVER_NOT_ALLOWED
    assert check({"max_deposit_per_action": "9"}, data) == reasons.POLICY_DEPOSIT_PER_ACTION_TOO_HIGH


# ----------------------------------------------------------------------------- ordering and inputs


def test_first_failing_rule_in_a_fixed_order():
    rules = {"signer_claim": "near_account", "receivers": ["wrap.near"], "actions": ["FunctionCall"],
             "methods": {"wrap.near": ["a"]}, "max_gas": "10", "max_deposit_per_action": "10",
             "max_deposit_total": "15"}
    base = dict(signer="alice.near", receiver="wrap.near")
    assert check(rules, tx(P.function_call("a", gas=10, deposit=10), **base)) is None
    assert check(rules, tx(P.transfer(), signer="bob.near", receiver="evil.near")) == reasons.POLICY_SIGNER_MISMATCH
    assert check(rules, tx(P.transfer(), signer="alice.near", receiver="evil.near")) == reasons.POLICY_RECEIVER_NOT_ALLOWED
    assert check(rules, tx(P.transfer(), P.function_call("b"), **base)) == reasons.POLICY_ACTION_NOT_ALLOWED
    assert check(rules, tx(P.function_call("b", gas=11, deposit=11), **base)) == reasons.POLICY_METHOD_NOT_ALLOWED
    assert check(rules, tx(P.function_call("a", gas=11, deposit=11), **base)) == reasons.POLICY_GAS_TOO_HIGH
    assert check(rules, tx(P.function_call("a", gas=10, deposit=11), **base)) == reasons.POLICY_DEPOSIT_PER_ACTION_TOO_HIGH
    assert check(rules, tx(P.function_call("a", gas=1, deposit=10), P.function_call("a", gas=1, deposit=6),
                           **base)) == reasons.POLICY_DEPOSIT_TOTAL_TOO_HIGH


def test_sign_payload_as_json_byte_list():
    data = tx(P.transfer(), receiver="wrap.near")
    assert policy_eval.check_policy(valid({"receivers": ["wrap.near"]}), CLAIMS, list(data)) is None
    assert policy_eval.check_policy(valid({}), CLAIMS, [1, 2, 3]) == reasons.POLICY_UNDECODABLE


def test_truncated_and_corrupted_payloads_are_refused_while_a_policy_is_set():
    data = tx(P.function_call(), P.transfer())
    for size in range(len(data)):
        assert check({}, data[:size]) == reasons.POLICY_UNDECODABLE
    assert check({}, data + b"\0") == reasons.POLICY_UNDECODABLE
