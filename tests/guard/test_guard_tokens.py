"""Real and maximal tokens through the compiled guard: the Auth0 vector and the size limit."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from devkit.guard_chain import (
    expected_answer,
    ALICE,
    ISSUER,
    OWNER,
    SUB,
    GuardChain,
    claims,
    ed25519_key,
    eddsa_public,
    fastauth_args,
    reasons,
    router_args,
    rs256_public,
    rsa_key,
    sample_sign_payload,
    token_of_length,
)

AUTH0_VECTOR = Path(__file__).resolve().parents[1] / "vectors" / "auth0-rs256.json"
TGAS = 10**12
MAX_TOKEN = 7168


# ----------------------------------------------------------------------------- Auth0


@pytest.fixture(scope="module")
def auth0():
    return json.loads(AUTH0_VECTOR.read_text())


def test_auth0_token_verifies_at_its_time_and_expires_after_exp(wasm, auth0):
    valid_at, exp = auth0["valid_at_unix_seconds"], auth0["exp"]
    # Genesis a minute early: creating the accounts and deploying takes a few blocks (seconds).
    env = GuardChain(wasm, public_keys=[auth0["public_key"]], genesis_s=valid_at - 60)
    assert env.view("get_public_keys") == [auth0["public_key"]]
    env.advance_to(valid_at)
    router = router_args(auth0["jwt"], auth0["sign_payload"], issuer=auth0["issuer"])
    fastauth = fastauth_args(auth0["jwt"], auth0["sign_payload"], guard_id="jwt#" + auth0["issuer"])
    assert env.verify_view(router) == [True, auth0["sub"]]
    assert env.verify_view(fastauth) == [True, auth0["sub"], auth0["issuer"]]
    value, gas = env.verify_tx(router)
    assert value == [True, auth0["sub"]]
    print(f"\nAuth0 RS256 token ({len(auth0['jwt'])} chars, {len(auth0['sign_payload'])}-byte payload): "
          f"{gas / TGAS:.2f} Tgas")

    # The real token's own claims, one at a time.
    other = list(auth0["sign_payload"])
    other[-1] ^= 1
    assert env.verify_view(router_args(auth0["jwt"], other, issuer=auth0["issuer"])) == [False, reasons.FATXN_MISMATCH]
    assert env.verify_view(router_args(auth0["jwt"], auth0["sign_payload"], issuer=ISSUER)) == [False, reasons.ISSUER_MISMATCH]
    env.ok(OWNER, "set_settings", {"audience": auth0["aud"][0]})
    assert env.verify_view(router) == [True, auth0["sub"]]
    env.ok(OWNER, "set_settings", {"audience": "https://not-this-app.example"})
    assert env.verify_view(router) == [False, reasons.AUDIENCE_MISMATCH]
    env.ok(OWNER, "set_settings", {})

    env.advance_to(exp - 1)
    assert env.verify_view(router) == [True, auth0["sub"]]
    env.advance_to(exp + 1)
    assert env.verify_view(router) == [False, reasons.TOKEN_EXPIRED]
    assert env.verify_view(fastauth) == [False, reasons.TOKEN_EXPIRED, ""]
    value, _ = env.verify_tx(router)
    assert value == [False, reasons.TOKEN_EXPIRED]


def test_auth0_token_with_a_wrong_key_is_refused(wasm, auth0):
    env = GuardChain(wasm, public_keys=[rs256_public(rsa_key(2048), kid=auth0["public_key"]["kid"])],
                     genesis_s=auth0["valid_at_unix_seconds"] - 60)
    args = router_args(auth0["jwt"], auth0["sign_payload"], issuer=auth0["issuer"])
    assert env.verify_view(args) == [False, reasons.INVALID_SIGNATURE]


# ----------------------------------------------------------------------------- the 7168-byte limit

PAYLOAD_1K = sample_sign_payload(size=1000)


@pytest.mark.parametrize("signer", [
    "rs2048",
    "rs4096",
    "ed",
])
def test_maximal_token_with_a_1000_byte_payload_verifies(env, signer):
    private, kid = {"rs2048": (rsa_key(2048), "rs2048"), "rs4096": (rsa_key(4096), "rs4096"),
                    "ed": (ed25519_key(), "ed")}[signer]
    base = claims(env.now_s, PAYLOAD_1K)
    at_limit = token_of_length(MAX_TOKEN, private, base, kid=kid)
    assert len(at_limit.encode()) == MAX_TOKEN
    for style in (router_args, fastauth_args):
        args = style(at_limit, PAYLOAD_1K)
        assert env.verify_view(args) == expected_answer(args, [True, SUB])
    value, gas = env.verify_tx(router_args(at_limit, PAYLOAD_1K))
    assert value == [True, SUB]
    # FastAuth -> router -> guard leaves the guard roughly 70 Tgas (README, "Caps and the gas ceiling").
    print(f"\n{signer}: 7168-byte token, 1000-byte payload: {gas / TGAS:.2f} Tgas")
    assert gas < 70 * TGAS



@pytest.mark.parametrize("signer", ["rs2048", "rs4096", "ed"])
def test_token_one_byte_over_the_limit_is_too_large(env, signer):
    private, kid = {"rs2048": (rsa_key(2048), "rs2048"), "rs4096": (rsa_key(4096), "rs4096"),
                    "ed": (ed25519_key(), "ed")}[signer]
    over = token_of_length(MAX_TOKEN + 1, private, claims(env.now_s, PAYLOAD_1K), kid=kid)
    for style in (router_args, fastauth_args):
        args = style(over, PAYLOAD_1K)
        assert env.verify_view(args) == expected_answer(args, [False, reasons.TOKEN_TOO_LARGE])
    value, gas = env.verify_tx(router_args(over, PAYLOAD_1K))
    assert value == [False, reasons.TOKEN_TOO_LARGE]
    print(f"\n{signer}: 7169-byte token refused for {gas / TGAS:.2f} Tgas")


def test_maximal_token_verifies_with_the_gas_a_guard_gets_behind_the_router(env):
    """70 Tgas prepaid (what FastAuth -> router leave the guard with 300 Tgas attached) is enough."""
    base = claims(env.now_s, PAYLOAD_1K)
    token = token_of_length(MAX_TOKEN, rsa_key(2048), base, kid="rs2048")
    result = env.call(ALICE, "verify", router_args(token, PAYLOAD_1K), gas=70 * TGAS)
    assert result.succeeded, result.status
    assert result.return_value == [True, SUB]


def test_multibyte_token_over_the_limit_is_too_large(env):
    assert env.verify_view(router_args("é" * 3585, PAYLOAD_1K)) == [False, reasons.TOKEN_TOO_LARGE]
    assert env.verify_view(router_args("é" * 3584, PAYLOAD_1K)) == [False, reasons.MALFORMED_TOKEN]


def test_maximal_rs256_token_against_an_eddsa_only_key_set(env):
    """No key of the token's algorithm: a reason, before any signature work."""
    env.ok(OWNER, "set_public_keys", {"public_keys": [eddsa_public(ed25519_key())]})
    token = token_of_length(MAX_TOKEN, rsa_key(2048), claims(env.now_s, PAYLOAD_1K))
    assert env.verify_view(router_args(token, PAYLOAD_1K)) == [False, reasons.NO_VALID_KEY]
