"""Authorization before issuing: the guard's transaction policy (its own code), hooks, the guard's custom rule."""
from __future__ import annotations

import pytest

from issuer.config import ConfigError
from guard_core import jws, policy_eval, policy_spec
from tests.issuer.issuer_support import (NEAR, PASSWORD, TGAS, b64, bearer, decode_unverified, fast_settings, function_call,
                            login, transfer)

POLICY = {
    "receivers": ["bob.test.near", "*.pool.test.near", "wrap.test.near"],
    "actions": ["Transfer", "FunctionCall"],
    "methods": {"wrap.test.near": ["near_deposit", "ft_transfer"], "*.pool.test.near": ["deposit_and_stake"]},
    "max_deposit_per_action": str(2 * NEAR),
    "max_deposit_total": str(3 * NEAR),
    "max_gas": str(50 * TGAS),
}


def policy_client(make_client, policy=POLICY, **sections):
    client = make_client(fast_settings("sqlite://", policy=policy, **sections))
    client.service.accounts.add_user("alice", PASSWORD, subject="alice", near_account="alice.test.near")
    client.token = login(client)["access_token"]
    return client


def ask(client, tx: bytes, path="/v1/tokens"):
    return client.post(path, json={"transaction_base64": b64(tx)}, headers=bearer(client.token))


ALLOWED = [
    ("transfer to an allowed receiver", transfer(receiver="bob.test.near", amount=NEAR)),
    ("call of an allowed method", function_call("alice.test.near", "wrap.test.near", "near_deposit",
                                                deposit=NEAR, gas=30 * TGAS)),
    ("suffix receiver", function_call("alice.test.near", "a.pool.test.near", "deposit_and_stake", deposit=2 * NEAR)),
]
REFUSED = [
    ("receiver", transfer(receiver="mallory.test.near"), "Policy: receiver not allowed"),
    ("method", function_call("alice.test.near", "wrap.test.near", "storage_withdraw"), "Policy: method not allowed"),
    ("gas", function_call("alice.test.near", "wrap.test.near", "near_deposit", gas=100 * TGAS),
     "Policy: gas per call too high"),
    ("deposit", transfer(receiver="bob.test.near", amount=2 * NEAR + 1), "Policy: deposit per action too high"),
    ("bare pool.test.near is not *.pool.test.near", transfer(receiver="pool.test.near"), "Policy: receiver not allowed"),
]


@pytest.mark.parametrize("name,tx", ALLOWED, ids=[a[0] for a in ALLOWED])
def test_transactions_inside_the_policy_get_tokens(make_client, name, tx):
    client = policy_client(make_client)
    response = ask(client, tx)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("name,tx,reason", REFUSED, ids=[r[0] for r in REFUSED])
def test_transactions_outside_the_policy_are_refused_with_the_guards_reason(make_client, name, tx, reason):
    client = policy_client(make_client)
    response = ask(client, tx)
    assert response.status_code == 403
    assert response.json() == {"error": "policy_violation", "message": reason}
    # The very reason the guard gives on-chain, from the guard's own evaluator.
    normalised, _ = policy_spec.validate_policy(POLICY)
    assert policy_eval.check_policy(normalised, {}, list(tx)) == reason
    (record,) = client.service.audit.tail(event="token_refused")
    assert record["detail"] == f"policy_violation: {reason}"
    # The check endpoint tells the same without a token.
    checked = ask(client, tx, "/v1/tokens/check").json()
    assert checked["allowed"] is False and checked["reason"] == reason


def test_total_deposit_counts_every_action(make_client):
    from py_near_primitives import Transaction, TransferAction

    client = policy_client(make_client)
    two = bytes(Transaction("alice.test.near", bytes(32), 1, "bob.test.near", bytes(32),
                            [TransferAction(2 * NEAR), TransferAction(2 * NEAR)]).serialize())
    assert ask(client, two).json()["message"] == "Policy: total deposit too high"


def test_delegate_action_payloads_are_decoded_and_checked(make_client):
    from py_near_primitives import DelegateAction, TransferAction

    client = policy_client(make_client)
    prefix = (2**30 + 366).to_bytes(4, "little")

    def delegate(receiver):
        action = DelegateAction("alice.test.near", receiver, [TransferAction(NEAR)], 5, 1000, bytes(32))
        return prefix + bytes(action.serialize())
    assert ask(client, delegate("bob.test.near")).status_code == 200
    response = ask(client, delegate("evil.test.near"))
    assert response.status_code == 403 and response.json()["message"] == "Policy: receiver not allowed"


def test_signer_claim_binds_tokens_to_the_users_account(make_client):
    policy = {**POLICY, "signer_claim": "near_account_id"}
    client = policy_client(make_client, policy)
    ok = ask(client, transfer(signer="alice.test.near"))
    assert ok.status_code == 200
    assert decode_unverified(ok.json()["token"])[1]["near_account_id"] == "alice.test.near"
    # Alice cannot get a token for a transaction someone else signs.
    response = ask(client, transfer(signer="bob.test.near"))
    assert response.status_code == 403 and response.json()["message"] == "Policy: signer does not match the token"
    # A user without a bound account gets nothing.
    client.service.accounts.add_user("nobody", PASSWORD)
    client.token = login(client, "nobody")["access_token"]
    response = ask(client, transfer())
    assert response.status_code == 403 and response.json()["error"] == "no_near_account"


def test_invalid_policy_is_refused_at_start_with_the_guards_message():
    with pytest.raises(ConfigError, match="Invalid policy: unknown field max_deposit"):
        from issuer.authorization import validated_policy
        validated_policy({"max_deposit": "1"})
    with pytest.raises(ConfigError, match="receivers must be"):
        from issuer.authorization import validated_policy
        validated_policy({"receivers": ["NOT AN ACCOUNT"]})


def test_policy_from_toml(tmp_path):
    from issuer.config import load_settings
    from issuer.authorization import validated_policy

    (tmp_path / "issuer.toml").write_text("""
[policy]
receivers = ["bob.test.near"]
actions = ["Transfer"]
max_deposit_per_action = "1000000000000000000000000"
max_gas = 30000000000000
""")
    settings = load_settings(str(tmp_path / "issuer.toml"), environ={})
    assert validated_policy(settings.policy) == {"receivers": ["bob.test.near"], "actions": ["Transfer"],
                                                 "max_deposit_per_action": str(NEAR), "max_gas": str(30 * TGAS)}


def test_undecodable_bytes_are_refused_even_without_a_policy(client):
    token = login(client)["access_token"]
    response = client.post("/v1/tokens", json={"transaction_hex": "ff" * 32}, headers=bearer(token))
    assert response.status_code == 422
    assert response.json()["error"] == "undecodable_transaction"
    assert "not a transaction or delegate action" in response.json()["message"]


def test_subject_allow_list(make_client):
    client = make_client(fast_settings("sqlite://", authorization={"allowed_subjects": ["vip"]}))
    client.service.accounts.add_user("vip", PASSWORD, subject="vip")
    client.service.accounts.add_user("pleb", PASSWORD, subject="pleb")
    tx = {"transaction_hex": transfer().hex()}
    assert client.post("/v1/tokens", json=tx, headers=bearer(login(client, "vip")["access_token"])).status_code == 200
    response = client.post("/v1/tokens", json=tx, headers=bearer(login(client, "pleb")["access_token"]))
    assert response.status_code == 403 and response.json()["error"] == "subject_not_allowed"


# --------------------------------------------------------------------------- integrator hooks


def business_hook(ctx):
    """An integrator's rule: no transfers over 1 NEAR for unverified users; tokens get a scope."""
    total = sum(a.get("deposit", 0) for a in ctx.decoded["actions"])
    if total > NEAR and not ctx.principal.claims.get("kyc"):
        return "large transfers need KYC"
    ctx.extra_claims["scope"] = "wallet"
    return None


def test_hook_refuses_and_adds_claims(make_client):
    client = make_client(hooks=[business_hook])
    client.service.accounts.add_user("alice", PASSWORD)
    token = login(client)["access_token"]
    ok = client.post("/v1/tokens", json={"transaction_hex": transfer(amount=NEAR).hex()}, headers=bearer(token))
    assert decode_unverified(ok.json()["token"])[1]["scope"] == "wallet"
    refused = client.post("/v1/tokens", json={"transaction_hex": transfer(amount=5 * NEAR).hex()},
                          headers=bearer(token))
    assert refused.status_code == 403
    assert refused.json() == {"error": "hook_refused", "message": "large transfers need KYC"}


def test_hook_from_configuration(make_client, tmp_path, monkeypatch):
    (tmp_path / "acme_rules.py").write_text("def only_bob(ctx):\n"
                                            "    return None if ctx.decoded['receiver_id'] == 'bob.test.near' "
                                            "else 'bob only'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    client = make_client(fast_settings("sqlite://", authorization={"hook": "acme_rules:only_bob"}))
    client.service.accounts.add_user("alice", PASSWORD)
    token = login(client)["access_token"]
    assert client.post("/v1/tokens", json={"transaction_hex": transfer().hex()},
                       headers=bearer(token)).status_code == 200
    response = client.post("/v1/tokens", json={"transaction_hex": transfer(receiver="carol.test.near").hex()},
                           headers=bearer(token))
    assert response.json()["message"] == "bob only"


def test_a_failing_hook_is_a_500_without_details(make_client, captured_logs):
    def broken(ctx):
        raise RuntimeError("database password is hunter2")
    client = make_client(hooks=[broken])
    client.service.accounts.add_user("alice", PASSWORD)
    response = client.post("/v1/tokens", json={"transaction_hex": transfer().hex()},
                           headers=bearer(login(client)["access_token"]))
    assert response.status_code == 500 and response.json()["error"] == "hook_error"
    assert "hunter2" not in response.text


def test_a_hook_cannot_override_registered_claims(make_client):
    def sneaky(ctx):
        ctx.extra_claims["sub"] = "admin"
    client = make_client(hooks=[sneaky])
    client.service.accounts.add_user("alice", PASSWORD)
    response = client.post("/v1/tokens", json={"transaction_hex": transfer().hex()},
                           headers=bearer(login(client)["access_token"]))
    assert response.status_code == 500 and response.json()["error"] == "hook_error"


def test_a_hook_cannot_edit_the_claims_directly(make_client):
    def sneaky(ctx):
        ctx.claims["sub"] = "admin"
    client = make_client(hooks=[sneaky])
    client.service.accounts.add_user("alice", PASSWORD, subject="alice")
    response = client.post("/v1/tokens", json={"transaction_hex": transfer().hex()},
                           headers=bearer(login(client)["access_token"]))
    assert response.status_code == 500 and response.json()["error"] == "hook_error"
    assert client.service.audit.tail(event="token_issued") == []


def test_bad_hook_spec_is_a_config_error(make_service):
    with pytest.raises(ConfigError, match="cannot be loaded"):
        make_service(fast_settings("sqlite://", authorization={"hook": "no_such_module_xyz:f"}))
    with pytest.raises(ConfigError, match="must look like"):
        make_service(fast_settings("sqlite://", authorization={"hook": "nocolon"}))


def check_custom_rules(claims, sign_payload, predecessor):
    """A guard custom rule for the test below: only alice."""
    return None if claims.get("sub") == "alice" else "Custom: only alice"


def test_guard_custom_rule_runs_before_issuing(make_client):
    """With run_guard_custom_rules, the issuer applies the guard's integrator rule too: `check_custom_rules`
    of the module named by guard_custom_rules_module (here this test module's, which refuses all but alice)."""
    client = make_client(fast_settings("sqlite://", authorization={"run_guard_custom_rules": True,
                                                                   "guard_custom_rules_module": __name__}))
    client.service.accounts.add_user("alice", PASSWORD, subject="alice")
    client.service.accounts.add_user("bob", PASSWORD, subject="bob")
    tx = {"transaction_hex": transfer().hex()}
    assert client.post("/v1/tokens", json=tx, headers=bearer(login(client, "alice")["access_token"])).status_code == 200
    response = client.post("/v1/tokens", json=tx, headers=bearer(login(client, "bob")["access_token"]))
    assert response.json() == {"error": "custom_rule_refused", "message": "Custom: only alice"}


def test_the_installed_guard_rule_is_the_default(make_service):
    """By default the rule is contract/custom_rules.py, installed as the module `custom_rules`."""
    import custom_rules
    from issuer.authorization import guard_custom_rule
    assert guard_custom_rule(fast_settings("sqlite://").authorization.guard_custom_rules_module) \
        is custom_rules.check_custom_rules
    with pytest.raises(ConfigError, match="cannot be imported"):
        make_service(fast_settings("sqlite://", authorization={"run_guard_custom_rules": True,
                                                               "guard_custom_rules_module": "no_such_rules_xyz"}))


def test_token_size_stays_within_the_guards_limit(make_client):
    """The largest accepted transaction still yields a token the guard accepts by size."""
    client = make_client(fast_settings("sqlite://", tokens={"rsa_bits": 4096}))
    client.service.accounts.add_user("alice", PASSWORD)
    token = login(client)["access_token"]
    # A function call whose args fill the transaction up to the 1024-byte limit, with high byte values.
    base = function_call("alice.test.near", "wrap.test.near", "m", args=b"")
    args = bytes([255]) * (1024 - len(base))
    tx = function_call("alice.test.near", "wrap.test.near", "m", args=args)
    assert len(tx) == 1024
    response = client.post("/v1/tokens", json={"transaction_base64": b64(tx)}, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert len(response.json()["token"]) <= jws.MAX_TOKEN_BYTES
    too_big = function_call("alice.test.near", "wrap.test.near", "m", args=args + b"x")
    response = client.post("/v1/tokens", json={"transaction_base64": b64(too_big)}, headers=bearer(token))
    assert response.status_code == 413 and response.json()["error"] == "transaction_too_large"
