"""Option 2 ("an off-chain backend + CustomIssuerGuard"): tokens from `issuer/` through a
port of upstream custom-issuer-guard's verify (tests/issuer/custom_issuer_guard.py), next to
this project's guard core. Compatible: RS256 with a 2048-bit key. Not: EdDSA (the upstream
guard only does RS256 math) and RSA keys of other sizes (its keys must be 256 bytes)."""
from __future__ import annotations

import hashlib
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.issuer import custom_issuer_guard as upstream
from tests.issuer.issuer_support import PASSWORD, bearer, decode_unverified, fast_settings, guard_verdict, login, transfer
from guard_core import rs256
from guardjwk import guard_key_from_jwk

GUARD_ACCOUNT = "guard.fastauth.testnet"


def issue(client, tx: bytes) -> dict:
    client.service.accounts.add_user("carol", PASSWORD, subject="carol-sub")
    token = login(client, "carol")["access_token"]
    response = client.post("/v1/tokens", json={"transaction_hex": tx.hex()}, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


def upstream_keys(client) -> list[tuple[bytes, bytes]]:
    keys = []
    for jwk in client.get("/.well-known/jwks.json").json()["keys"]:
        key = guard_key_from_jwk(jwk)
        n, e = bytes(key["n"]), bytes(key["e"])
        upstream.assert_valid_public_key(n, e)  # what the attestation/init path would require
        keys.append((n, e))
    return keys


def test_rs256_2048_tokens_pass_custom_issuer_guard_and_this_guard(make_client):
    settings = fast_settings("sqlite://", issuer={"guard_account": GUARD_ACCOUNT})
    client = make_client(settings)
    tx = transfer()
    body = issue(client, tx)
    claims = decode_unverified(body["token"])[1]
    assert claims["aud"] == GUARD_ACCOUNT  # the default audience: the guard the issuer serves
    keys = upstream_keys(client)
    now = int(time.time())
    assert upstream.verify(settings.issuer_url, body["token"], list(tx), keys, now) == (True, "carol-sub")
    jwks = client.get("/.well-known/jwks.json").json()
    assert guard_verdict(body["token"], tx, jwks, settings.issuer_url, audience=GUARD_ACCOUNT) == (True, "carol-sub")

    # The same rules refuse what they should, with upstream's reasons.
    assert upstream.verify(settings.issuer_url, body["token"], list(transfer(amount=2)), keys, now) == (
        False, "Transaction payload mismatch")
    assert upstream.verify("https://other.example/", body["token"], list(tx), keys, now) == (False, "Invalid issuer")
    assert upstream.verify(settings.issuer_url, body["token"], list(tx), keys, claims["exp"]) == (
        False, "Token expired")
    assert upstream.verify(settings.issuer_url, body["token"], list(tx), keys, claims["nbf"] - 1) == (
        False, "Token not yet valid")
    tampered = body["token"][:-2] + ("A" if body["token"][-2] != "A" else "B") + body["token"][-1]
    assert upstream.verify(settings.issuer_url, tampered, list(tx), keys, now) == (False, "")


def test_eddsa_tokens_are_not_for_custom_issuer_guard(make_client):
    settings = fast_settings("sqlite://", tokens={"algorithm": "EdDSA"})
    client = make_client(settings)
    tx = transfer()
    body = issue(client, tx)
    assert body["alg"] == "EdDSA"
    # It has no Ed25519 key to hold, and RS256 math against any RSA key fails.
    other = make_client(fast_settings("sqlite://"))
    assert upstream.verify(settings.issuer_url, body["token"], list(tx), upstream_keys(other), int(time.time())) == (
        False, "")


@pytest.mark.parametrize("bits", [3072, 4096])
def test_larger_rsa_keys_cannot_be_installed_in_custom_issuer_guard(make_client, bits):
    client = make_client(fast_settings("sqlite://", tokens={"rsa_bits": bits}))
    with pytest.raises(upstream.GuardPanic, match="invalid n component length"):
        upstream_keys(client)


def test_upstream_accepts_a_short_signature_this_guard_refuses():
    """rs256.rs only requires signature < n: a verifying signature with its leading zero byte
    dropped passes upstream; RFC 8017 8.2.2 step 1 (and this guard's core) refuse it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    n = key.public_key().public_numbers().n.to_bytes(256, "big")
    # About one signature in 256 starts with a zero byte.
    for attempt in range(4000):
        message = f"header.payload-{attempt}"
        signature = key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
        if signature[0] == 0:
            break
    else:
        pytest.fail("no signature with a leading zero byte in 4000 tries")
    short = signature[1:]
    assert upstream.verify_signature_from_components(message, short, n, b"\x01\x00\x01") is True
    digest = hashlib.sha256(message.encode()).digest()
    assert rs256.verify_digest(signature, digest, n) is True
    assert rs256.verify_digest(short, digest, n) is False
