"""The transaction policy on the compiled guard (Wasm on the in-process node).

Owner calls (set_policy / get_policy / init with a policy), every rule allowing
and refusing through `verify` (as a view and as a transaction), the Auth0
vector's real transaction, and the gas a policy adds to an RS256 verify.
The same rules through the router and FastAuth: test_policy_router.py.
"""
from __future__ import annotations

import json

import pytest

from devkit.guard_chain import (
    expected_answer,
    ALICE,
    GUARD,
    OWNER,
    STRANGER,
    SUB,
    GuardChain,
    claims,
    ed25519_key,
    fastauth_args,
    router_args,
    rsa_key,
    sign_token,
)
from tests.policy import payloads as P
from tests.policy.payloads import NEAR, TERA

from guard_core import policy_spec, reasons

TGAS = TERA

FULL_POLICY = {
    "receivers": ["wrap.near", "*.pool.near"],
    "actions": ["FunctionCall", "Transfer"],
    "methods": {"wrap.near": ["ft_transfer", "near_deposit"], "*.pool.near": ["deposit_and_stake"]},
    "max_deposit_per_action": str(NEAR),
    "max_deposit_total": str(2 * NEAR),
    "max_gas": str(100 * TGAS),
    "signer_claim": "near_account",
}


def token_for(env, payload: bytes, *, key="ed", **extra) -> str:
    private = ed25519_key() if key == "ed" else rsa_key(2048)
    return sign_token(private, claims(env.now_s, payload, **extra), kid=key)


def verify(env, payload: bytes, *, key="ed", as_tx=False, **extra):
    args = router_args(token_for(env, payload, key=key, **extra), payload)
    if as_tx:
        return env.verify_tx(args)[0]
    return env.verify_view(args)


def set_policy(env, rules) -> dict:
    result = env.ok(OWNER, "set_policy", {"policy": rules})
    return result


def tx(*actions, **kwargs) -> bytes:
    return P.transaction_v0(list(actions), **kwargs)[0]


# ----------------------------------------------------------------------------- administration


def test_no_policy_by_default_and_payload_is_not_decoded(env):
    assert env.view("get_policy") is None
    garbage = b"this is not a NEAR transaction"
    assert verify(env, garbage) == [True, SUB]


def test_set_policy_stores_the_normalised_policy_and_logs_an_event(env):
    raw = dict(FULL_POLICY, max_gas=100 * TGAS, max_deposit_per_action=NEAR)
    result = set_policy(env, raw)
    assert env.view("get_policy") == FULL_POLICY
    assert env.events(result) == [{"standard": "jwt_guard", "version": "1.0.0", "event": "policy_set",
                                   "data": [{"policy": FULL_POLICY}]}]


def test_clearing_the_policy(env):
    set_policy(env, {"receivers": ["wrap.near"]})
    assert verify(env, b"garbage") == [False, reasons.POLICY_UNDECODABLE]
    result = set_policy(env, None)
    assert env.view("get_policy") is None
    assert env.events(result)[0]["data"] == [{"policy": None}]
    assert verify(env, b"garbage") == [True, SUB]
    assert "authz" not in {k.decode() for k in env.state()["storage"]}


def test_only_the_owner_can_set_a_policy(env):
    result = env.call(STRANGER, "set_policy", {"policy": {"receivers": ["evil.near"]}})
    assert "Only the owner can call this method" in env.failure_message(result)
    assert env.view("get_policy") is None


@pytest.mark.parametrize("args,message", [
    ({"policy": {"receivers": []}}, policy_spec.BAD_RECEIVERS),
    ({"policy": {"max_gas": -1}}, policy_spec.BAD_GAS),
    ({"policy": {"recievers": ["a.near"]}}, policy_spec.BAD_FIELD + "recievers"),
    ({"policy": ["wrap.near"]}, policy_spec.BAD_POLICY),
    ({}, "Invalid arguments: policy is required (null clears it)"),
    ({"policy": {}, "extra": 1}, "Invalid arguments: unexpected argument \"extra\""),
])
def test_invalid_policies_are_refused(env, args, message):
    set_policy(env, {"receivers": ["wrap.near"]})
    result = env.call(OWNER, "set_policy", args)
    assert not result.succeeded
    assert env.failure_message(result) == "Smart contract panicked: " + message
    assert env.view("get_policy") == {"receivers": ["wrap.near"]}


def test_init_with_a_policy_and_claim_mode(wasm):
    from devkit.guard_chain import eddsa_public

    env = GuardChain(wasm, public_keys=[eddsa_public(ed25519_key(), kid="ed")],
                     init_extra={"policy": {"receivers": ["wrap.near"]}, "claim_mode": True})
    assert env.view("get_policy") == {"receivers": ["wrap.near"]}
    assert env.view("get_claim_mode") is True
    events = [e["event"] for e in env.events(env.init_result)]
    assert events == ["init", "policy_set", "claim_mode_set"]


@pytest.mark.parametrize("extra,message", [
    ({"policy": {"receivers": "wrap.near"}}, policy_spec.BAD_RECEIVERS),
    ({"claim_mode": "yes"}, "Invalid arguments: claim_mode must be true or false"),
])
def test_init_with_an_invalid_policy_fails_as_a_whole(wasm, extra, message):
    from devkit.guard_chain import eddsa_public

    env = GuardChain(wasm)
    result = env.deploy([eddsa_public(ed25519_key(), kid="ed")], **extra)
    assert not result.succeeded
    assert message in env.failure_message(result)
    assert env.chain.view_account(GUARD)["code_hash"] == "11111111111111111111111111111111"


# ----------------------------------------------------------------------------- each rule, allowing and refusing

CALL = dict(signer="alice.near", receiver="wrap.near")

RULE_CASES = {
    # rule: (policy, allowed payload, refused payload, reason)
    "receivers exact": ({"receivers": ["wrap.near"]}, tx(P.transfer(), receiver="wrap.near"),
                        tx(P.transfer(), receiver="evil.near"), reasons.POLICY_RECEIVER_NOT_ALLOWED),
    "receivers suffix": ({"receivers": ["*.pool.near"]}, tx(P.transfer(), receiver="a.pool.near"),
                         tx(P.transfer(), receiver="pool.near"), reasons.POLICY_RECEIVER_NOT_ALLOWED),
    "actions": ({"actions": ["FunctionCall"]}, tx(P.function_call(), **CALL),
                tx(P.function_call(), P.add_full_access_key(), **CALL), reasons.POLICY_ACTION_NOT_ALLOWED),
    "methods": ({"methods": {"wrap.near": ["ft_transfer"]}}, tx(P.function_call("ft_transfer"), **CALL),
                tx(P.function_call("ft_burn"), **CALL), reasons.POLICY_METHOD_NOT_ALLOWED),
    "max_gas": ({"max_gas": str(30 * TGAS)}, tx(P.function_call(gas=30 * TGAS), **CALL),
                tx(P.function_call(gas=30 * TGAS + 1), **CALL), reasons.POLICY_GAS_TOO_HIGH),
    "max_deposit_per_action": ({"max_deposit_per_action": str(NEAR)}, tx(P.transfer(NEAR), P.transfer(NEAR), **CALL),
                               tx(P.transfer(NEAR + 1), **CALL), reasons.POLICY_DEPOSIT_PER_ACTION_TOO_HIGH),
    "max_deposit_total": ({"max_deposit_total": str(NEAR)}, tx(P.transfer(NEAR // 2), P.transfer(NEAR // 2), **CALL),
                          tx(P.transfer(NEAR // 2), P.transfer(NEAR // 2 + 1), **CALL), reasons.POLICY_DEPOSIT_TOTAL_TOO_HIGH),
    "signer_claim": ({"signer_claim": "near_account"}, tx(P.transfer(), signer="alice.near"),
                     tx(P.transfer(), signer="mallory.near"), reasons.POLICY_SIGNER_MISMATCH),
    "decoding": ({}, tx(P.transfer()), tx(P.transfer())[:-1], reasons.POLICY_UNDECODABLE),
}


@pytest.mark.parametrize("rule", RULE_CASES)
def test_each_rule_allows_and_refuses_through_verify(env, rule):
    rules, allowed, refused, reason = RULE_CASES[rule]
    set_policy(env, rules)
    extra = {"near_account": "alice.near"}
    assert verify(env, allowed, **extra) == [True, SUB]
    assert verify(env, refused, **extra) == [False, reason]
    assert verify(env, allowed, as_tx=True, **extra) == [True, SUB]
    assert verify(env, refused, as_tx=True, **extra) == [False, reason]


def test_the_full_policy_with_fastauth_arguments_and_a_delegate_action(env):
    set_policy(env, dict(FULL_POLICY, actions=["FunctionCall", "Transfer", "Delegate"]))
    good = P.delegate_payload([P.function_call("ft_transfer", deposit=1)], sender="alice.near", receiver="wrap.near")[0]
    bad = P.delegate_payload([P.function_call("ft_transfer", deposit=1)], sender="alice.near", receiver="evil.near")[0]
    for payload, expected in ((good, [True, SUB]), (bad, [False, reasons.POLICY_RECEIVER_NOT_ALLOWED])):
        token = token_for(env, payload, near_account="alice.near")
        args = fastauth_args(token, payload)
        assert env.verify_view(args) == expected_answer(args, expected)


def test_policy_runs_after_the_signature(env):
    set_policy(env, {"receivers": ["wrap.near"]})
    payload = tx(P.transfer(), receiver="evil.near")
    token = token_for(env, payload)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert env.verify_view(router_args(forged, payload)) == [False, "Invalid signature"]


def test_policy_runs_before_expiry(env):
    set_policy(env, {"receivers": ["wrap.near"]})
    payload = tx(P.transfer(), receiver="evil.near")
    token = sign_token(ed25519_key(), claims(env.now_s, payload, exp=env.now_s - 10), kid="ed")
    assert env.verify_view(router_args(token, payload)) == [False, reasons.POLICY_RECEIVER_NOT_ALLOWED]


def test_pause_still_wins(env):
    set_policy(env, {"receivers": ["wrap.near"]})
    env.ok(OWNER, "pause", {})
    assert verify(env, tx(P.transfer(), receiver="wrap.near")) == [False, "Guard is paused"]


def test_verify_custom_claims_view_applies_the_policy(env):
    set_policy(env, {"receivers": ["wrap.near"]})
    for receiver, expected in (("wrap.near", [True, ""]), ("evil.near", [False, reasons.POLICY_RECEIVER_NOT_ALLOWED])):
        payload = tx(P.transfer(), receiver=receiver)
        body = json.dumps(claims(env.now_s, payload)).encode()
        args = {"jwt": token_for(env, payload), "jwt_payload": list(body), "sign_payload": list(payload),
                "predecessor": ALICE}
        assert env.view("verify_custom_claims", args) == expected


# ----------------------------------------------------------------------------- the Auth0 vector


@pytest.fixture(scope="module")
def auth0_env(wasm):
    vector = P.auth0_vector()
    env = GuardChain(wasm, public_keys=[vector["public_key"]], genesis_s=vector["valid_at_unix_seconds"] - 10)
    return env, env.snapshot(), vector


def _auth0_verify(env, vector):
    return env.verify_view(router_args(vector["jwt"], vector["sign_payload"], issuer=vector["issuer"]))


def test_auth0_transaction_passes_a_policy_allowing_its_receiver(auth0_env):
    env, snapshot, vector = auth0_env
    env.restore(snapshot)
    assert _auth0_verify(env, vector) == [True, vector["sub"]]
    set_policy(env, {"receivers": ["bosisthenear.testnet"], "actions": ["Transfer"], "max_deposit_total": "10"})
    assert _auth0_verify(env, vector) == [True, vector["sub"]]
    value, _ = env.verify_tx(router_args(vector["jwt"], vector["sign_payload"], issuer=vector["issuer"]))
    assert value == [True, vector["sub"]]


def test_auth0_transaction_fails_a_policy_that_does_not_allow_its_receiver(auth0_env):
    env, snapshot, vector = auth0_env
    env.restore(snapshot)
    set_policy(env, {"receivers": ["wrap.testnet", "*.near"]})
    assert _auth0_verify(env, vector) == [False, reasons.POLICY_RECEIVER_NOT_ALLOWED]
    set_policy(env, {"receivers": ["bosisthenear.testnet"], "max_deposit_per_action": "9"})
    assert _auth0_verify(env, vector) == [False, reasons.POLICY_DEPOSIT_PER_ACTION_TOO_HIGH]


# ----------------------------------------------------------------------------- gas

# Rust-guard parity bound from the issue: a policy may add at most 2 Tgas to an RS256 verify.
POLICY_GAS_ALLOWANCE = 2 * TGAS


def _rs256_gas(env, payload: bytes) -> int:
    token = token_for(env, payload, key="rs", near_account="alice.near")
    value, gas = env.verify_tx(router_args(token, payload))
    assert value == [True, SUB]
    return gas


def test_policy_adds_less_than_2_tgas_to_an_rs256_verify(env):
    payload = P.transaction_v0([P.function_call("ft_transfer", deposit=1)], signer="alice.near",
                               receiver="wrap.near")[0]
    off = _rs256_gas(env, payload)
    set_policy(env, FULL_POLICY)
    on = _rs256_gas(env, payload)
    print(f"\nRS256 verify, {len(payload)}-byte payload: policy off {off / TGAS:.3f} Tgas, "
          f"full policy on {on / TGAS:.3f} Tgas (+{(on - off) / TGAS:.3f})")
    assert on - off <= POLICY_GAS_ALLOWANCE


def test_policy_on_a_large_multi_action_payload_stays_within_budget(env):
    actions = [P.function_call("ft_transfer", args=b"x" * 100, deposit=1) for _ in range(6)]
    payload = P.transaction_v0(actions, signer="alice.near", receiver="wrap.near")[0]
    off = _rs256_gas(env, payload)
    set_policy(env, FULL_POLICY)
    on = _rs256_gas(env, payload)
    print(f"\nRS256 verify, 6 calls, {len(payload)}-byte payload: +{(on - off) / TGAS:.3f} Tgas with the policy")
    assert on - off <= POLICY_GAS_ALLOWANCE


# ----------------------------------------------------------------------------- adversarial payloads on-chain


def _adversarial_payloads() -> list[bytes]:
    import random

    rng = random.Random(11)
    samples = [
        P.auth0_sign_payload(),
        tx(*P.all_kinds(), receiver="wrap.near"),
        P.delegate_payload([P.function_call(), P.transfer()])[0],
        P.local_transaction([P.transfer()], priority_fee=3)[0],
        P.local_transaction([P.stake()], public_key=b"\1" + P.secp_key())[0],
    ]
    cases = [b"", b"\1", b"\xff" * 8, P.NEP461_PREFIX, P.NEP461_PREFIX + b"\xff" * 12]
    for sample in samples:
        cases.append(sample[:rng.randrange(1, len(sample))])
        cases.append(sample + b"\0")
        for _ in range(4):
            corrupted = bytearray(sample)
            for _ in range(rng.randrange(1, 4)):
                corrupted[rng.randrange(len(sample))] = rng.choice([0, 1, 8, 0x7f, 0xff, rng.randrange(256)])
            cases.append(bytes(corrupted))
    return cases


def test_adversarial_payloads_are_answered_never_panic(env):
    """Whatever sign_payload a valid token carries, a guard with a policy answers [bool, reason]."""
    from guard_core import txdecode

    set_policy(env, {"receivers": ["wrap.near", "*.testnet"], "max_deposit_total": str(NEAR)})
    known = set(reasons.POLICY_REASONS)
    undecodable = 0
    for payload in _adversarial_payloads():
        value = verify(env, payload)
        assert value == [True, SUB] or (value[0] is False and value[1] in known), (payload.hex(), value)
        # The on-chain decoder agrees with the CPython one.
        if txdecode.decode_payload(payload)[0] is None:
            undecodable += 1
            assert value == [False, reasons.POLICY_UNDECODABLE], payload.hex()
        else:
            assert value != [False, reasons.POLICY_UNDECODABLE], payload.hex()
    assert undecodable >= 10
