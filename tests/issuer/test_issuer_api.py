"""The HTTP API end to end in-process (FastAPI's TestClient drives the real ASGI app):
login → token for a py-near transfer → the token checked by the guard's own pure core."""
from __future__ import annotations

import hashlib
import json

import jwt
import pytest

from issuer.config import ConfigError
from guard_core import keys as guard_keys
from guardjwk import guard_key_from_jwk
from tests.issuer.issuer_support import PASSWORD, b64, bearer, decode_unverified, fast_settings, guard_verdict, login, transfer


def test_login_issue_and_the_guard_core_accepts_the_token(client):
    session = login(client)
    assert session["token_type"] == "Bearer" and session["subject"] == "alice-sub"
    assert session["access_token"].startswith("fa_at_") and session["refresh_token"].startswith("fa_rt_")
    tx = transfer()
    response = client.post("/v1/tokens", json={"transaction_base64": b64(tx)}, headers=bearer(session["access_token"]))
    assert response.status_code == 200, response.text
    body = response.json()
    header, claims = decode_unverified(body["token"])
    active = client.service.keys.active()
    assert header == {"alg": "RS256", "kid": active.kid, "typ": "JWT"}
    assert body["kid"] == active.kid and body["alg"] == "RS256"
    assert claims["iss"] == client.service.settings.issuer_url == body["issuer"]
    assert claims["sub"] == "alice-sub" == body["subject"]
    assert claims["fatxn"] == list(tx)
    assert claims["nbf"] == claims["iat"] - 30 and claims["exp"] == claims["iat"] + 300 == body["expires_at"]
    assert len(claims["jti"]) >= 20 and claims["jti"] == body["jti"]
    assert body["transaction_sha256"] == hashlib.sha256(tx).hexdigest()

    jwks = client.get("/.well-known/jwks.json").json()
    assert guard_verdict(body["token"], tx, jwks, claims["iss"]) == (True, "alice-sub")
    # Bound to the bytes: any other transaction is refused by the guard.
    assert guard_verdict(body["token"], transfer(amount=2), jwks, claims["iss"]) == (False, "fatxn mismatch")
    # And to the issuer's name.
    assert guard_verdict(body["token"], tx, jwks, "https://other.example/")[0] is False
    # PyJWT, an independent implementation, agrees on the signature.
    public = jwt.PyJWK(jwks["keys"][0]).key
    assert jwt.decode(body["token"], public, algorithms=["RS256"], options={"verify_aud": False})["sub"] == "alice-sub"


def test_hex_body_and_tokens_differ_per_request(client):
    token = login(client)["access_token"]
    tx = transfer()
    first = client.post("/v1/tokens", json={"transaction_hex": tx.hex()}, headers=bearer(token)).json()
    second = client.post("/v1/tokens", json={"transaction_base64": b64(tx)}, headers=bearer(token)).json()
    assert first["jti"] != second["jti"] and first["token"] != second["token"]
    assert first["transaction_sha256"] == second["transaction_sha256"]


def test_eddsa_signing_key(make_client):
    settings = fast_settings("sqlite://", tokens={"algorithm": "EdDSA"})
    client = make_client(settings)
    client.service.accounts.add_user("erin", PASSWORD, subject="erin")
    token = login(client, "erin")["access_token"]
    tx = transfer()
    body = client.post("/v1/tokens", json={"transaction_hex": tx.hex()}, headers=bearer(token)).json()
    assert body["alg"] == "EdDSA"
    jwks = client.get("/.well-known/jwks.json").json()
    assert jwks["keys"][0]["kty"] == "OKP" and jwks["keys"][0]["crv"] == "Ed25519"
    assert guard_verdict(body["token"], tx, jwks, settings.issuer_url) == (True, "erin")


def test_audience_claim_when_configured(make_client):
    settings = fast_settings("sqlite://", tokens={"audience": "fastauth-guard"})
    client = make_client(settings)
    client.service.accounts.add_user("al", PASSWORD)
    token = login(client, "al")["access_token"]
    tx = transfer()
    body = client.post("/v1/tokens", json={"transaction_hex": tx.hex()}, headers=bearer(token)).json()
    assert decode_unverified(body["token"])[1]["aud"] == "fastauth-guard"
    jwks = client.get("/.well-known/jwks.json").json()
    assert guard_verdict(body["token"], tx, jwks, settings.issuer_url, audience="fastauth-guard")[0] is True
    assert guard_verdict(body["token"], tx, jwks, settings.issuer_url, audience="other") == (False, "Audience mismatch")


def test_account_claim_carries_the_users_near_account(make_client):
    settings = fast_settings("sqlite://", tokens={"account_claim": "near_account_id"})
    client = make_client(settings)
    client.service.accounts.add_user("al", PASSWORD, near_account="al.test.near")
    client.service.accounts.add_user("bo", PASSWORD)
    tx = transfer()
    body = client.post("/v1/tokens", json={"transaction_hex": tx.hex()},
                       headers=bearer(login(client, "al")["access_token"])).json()
    assert decode_unverified(body["token"])[1]["near_account_id"] == "al.test.near"
    # Without a bound account and without a policy requiring one, the claim is simply absent.
    body = client.post("/v1/tokens", json={"transaction_hex": tx.hex()},
                       headers=bearer(login(client, "bo")["access_token"])).json()
    assert "near_account_id" not in decode_unverified(body["token"])[1]


def test_public_documents(client):
    settings = client.service.settings
    discovery = client.get("/.well-known/openid-configuration")
    assert discovery.status_code == 200
    document = discovery.json()
    assert document["issuer"] == settings.issuer_url
    assert document["jwks_uri"] == settings.jwks_url
    assert "RS256" in document["id_token_signing_alg_values_supported"]
    assert discovery.headers["cache-control"] == "public, max-age=300"
    jwks = client.get("/.well-known/jwks.json")
    assert jwks.headers["cache-control"] == "public, max-age=300"
    (key,) = jwks.json()["keys"]
    assert set(key) == {"kty", "n", "e", "alg", "use", "kid"} and key["e"] == "AQAB"
    # The JWKS is exactly what guardctl turns into guard keys, and the guard's validator accepts it.
    assert guard_keys.validate_public_key(guard_key_from_jwk(key))[1] is None
    assert client.get("/healthz").json() == {"status": "ok", "database": None, "signing_key": None}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ok" and ready["signing_key"] == key["kid"]


def test_readyz_is_503_without_an_active_key(make_client):
    client = make_client(activate_key=False)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["signing_key"] == "none active"
    client.service.accounts.add_user("al", PASSWORD)
    response = client.post("/v1/tokens", json={"transaction_hex": transfer().hex()},
                           headers=bearer(login(client, "al")["access_token"]))
    assert response.status_code == 503 and response.json()["error"] == "no_signing_key"


def test_session_logout_and_whoami(client):
    session = login(client)
    me = client.get("/v1/auth/session", headers=bearer(session["access_token"]))
    assert me.json() == {"subject": "alice-sub", "method": "password", "near_account": "alice.test.near"}
    assert client.post("/v1/auth/logout", headers=bearer(session["access_token"])).status_code == 204
    after = client.get("/v1/auth/session", headers=bearer(session["access_token"]))
    assert after.status_code == 401 and after.json()["error"] == "session_revoked"
    assert after.headers["www-authenticate"].startswith("Bearer")
    refreshed = client.post("/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 401 and refreshed.json()["error"] == "session_revoked"


def test_refresh_rotates_the_pair(client):
    first = login(client)
    second = client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    third = client.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}).json()
    # Access tokens of the family keep working until they expire.
    for session in (first, second, third):
        assert client.get("/v1/auth/session", headers=bearer(session["access_token"])).status_code == 200


def test_access_token_expiry_uses_the_issuers_clock(make_client):
    from issuer.clock import Clock

    clock = Clock()
    client = make_client(clock=clock)
    client.service.accounts.add_user("al", PASSWORD)
    session = login(client, "al")
    clock.advance(901)
    response = client.get("/v1/auth/session", headers=bearer(session["access_token"]))
    assert response.status_code == 401 and response.json()["error"] == "token_expired"
    # The refresh token outlives it.
    assert client.post("/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 200


def test_disabled_user_loses_every_session(client):
    session = login(client)
    client.service.accounts.set_disabled("alice", True)
    assert client.get("/v1/auth/session", headers=bearer(session["access_token"])).status_code == 401
    assert client.post("/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401
    response = client.post("/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 401 and response.json()["error"] == "invalid_credentials"
    client.service.accounts.set_disabled("alice", False)
    login(client)


def test_wrong_password_and_unknown_user_look_the_same(client):
    wrong = client.post("/v1/auth/login", json={"username": "alice", "password": "not the password"})
    unknown = client.post("/v1/auth/login", json={"username": "mallory", "password": "whatever it is"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": "invalid_credentials", "message": "invalid username or password"}


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer fa_at_nope", "Bearer a.b.c", "Basic YWxpY2U6cHc=",
                                    "Bearer " + "x" * 5000])
def test_issue_requires_a_valid_bearer(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.post("/v1/tokens", json={"transaction_hex": transfer().hex()}, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["error"] in ("missing_token", "invalid_token")


def test_check_endpoint_decides_without_issuing(client):
    token = login(client)["access_token"]
    response = client.post("/v1/tokens/check", json={"transaction_hex": transfer(amount=5).hex()},
                           headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {"allowed": True, "error": None, "reason": None, "transaction": {
        "type": "Transaction", "signer_id": "alice.test.near", "receiver_id": "bob.test.near", "nonce": 1,
        "actions": [{"kind": "Transfer", "deposit": "5"}]}}
    assert client.service.audit.tail(event="token_issued") == []


def test_audit_records_the_issue_but_never_the_token(client, captured_logs):
    session = login(client)
    tx = transfer()
    body = client.post("/v1/tokens", json={"transaction_hex": tx.hex()}, headers=bearer(session["access_token"])).json()
    (record,) = client.service.audit.tail(event="token_issued")
    assert record["subject"] == "alice-sub" and record["kid"] == body["kid"] and record["jti"] == body["jti"]
    assert record["tx_sha256"] == hashlib.sha256(tx).hexdigest() and record["auth_method"] == "password"
    assert record["client_ip"] == "testclient"
    everything = json.dumps(client.service.audit.tail(limit=1000)) + captured_logs.text
    for secret in (body["token"], body["token"].split(".")[2], session["access_token"], session["refresh_token"],
                   PASSWORD):
        assert secret not in everything
    assert json.dumps({"event": "token_issued"})[1:-1] in captured_logs.text


def test_security_headers(client):
    response = client.get("/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "strict-transport-security" not in response.headers  # plain HTTP here
    https = client.get("https://testserver/healthz")
    assert https.headers["strict-transport-security"] == "max-age=31536000"


def test_cors_only_for_listed_origins(make_client):
    client = make_client(fast_settings("sqlite://", server={"cors_allow_origins": ["https://wallet.example"]}))
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    allowed = client.options("/v1/tokens", headers={"Origin": "https://wallet.example", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://wallet.example"
    refused = client.options("/v1/tokens", headers={"Origin": "https://evil.example", **preflight})
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    simple = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_no_cors_headers_by_default(client):
    response = client.options("/v1/tokens", headers={"Origin": "https://wallet.example",
                                                     "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in response.headers


def test_forwarded_for_is_believed_only_from_trusted_proxies(make_client):
    from issuer.api.deps import client_address

    class FakeRequest:  # the two attributes client_address reads
        def __init__(self, peer, forwarded):
            self.client = type("Client", (), {"host": peer})()
            self.headers = {"x-forwarded-for": forwarded} if forwarded else {}

    import ipaddress
    proxies = [ipaddress.ip_network("10.0.0.0/8")]
    assert client_address(FakeRequest("10.1.1.1", "203.0.113.9"), proxies) == "203.0.113.9"
    assert client_address(FakeRequest("10.1.1.1", "198.51.100.1, 203.0.113.9, 10.2.2.2"), proxies) == "203.0.113.9"
    assert client_address(FakeRequest("198.51.100.7", "203.0.113.9"), proxies) == "198.51.100.7"
    assert client_address(FakeRequest("10.1.1.1", "not-an-ip"), proxies) == "10.1.1.1"
    assert client_address(FakeRequest("10.1.1.1", "203.0.113.9"), []) == "10.1.1.1"


def test_openapi_documents_the_api(client):
    schema = client.get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/v1/tokens", "/v1/tokens/check", "/v1/auth/login", "/v1/auth/refresh", "/v1/auth/logout",
            "/v1/auth/session", "/.well-known/jwks.json", "/.well-known/openid-configuration"} <= paths
    assert "HTTPBearer" in schema["components"]["securitySchemes"]


def test_audience_defaults_to_the_guard_the_issuer_serves(make_client):
    """A guard deployed with guardctl's defaults requires aud = its account id; the issuer's
    issuer.guard_account supplies exactly that, and tokens.audience = "" turns aud off."""
    for extra, expected in (({}, "guard.example.near"), ({"tokens": {"audience": ""}}, None),
                            ({"tokens": {"audience": "app"}}, "app")):
        settings = fast_settings("sqlite://", issuer={"guard_account": "guard.example.near"}, **extra)
        client = make_client(settings)
        client.service.accounts.add_user("al", PASSWORD)
        token = login(client, "al")["access_token"]
        body = client.post("/v1/tokens", json={"transaction_hex": transfer().hex()}, headers=bearer(token)).json()
        assert decode_unverified(body["token"])[1].get("aud") == expected
    with pytest.raises(ConfigError, match="issuer.guard_account: Value error, must be a NEAR account id"):
        fast_settings("sqlite://", issuer={"guard_account": "Not An Account"})
