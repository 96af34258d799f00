"""Abuse: brute force, refresh-token replay, malformed and oversized bodies, secrets in logs and responses."""
from __future__ import annotations

import http.client
import json
import socket
import threading

import pytest

from issuer.app import create_app
from tests.issuer.issuer_support import PASSWORD, LiveServer, b64, bearer, fast_settings, login, transfer


# --------------------------------------------------------------------------- brute force


@pytest.mark.parametrize("backend", ["database", "memory"])
def test_brute_force_on_one_username_locks_it(make_client, backend):
    settings = fast_settings("sqlite://", rate_limits={"backend": backend,
                                                       "login_failures_per_user": {"limit": 5, "window_seconds": 900},
                                                       "login_per_ip": {"limit": 1000, "window_seconds": 60}})
    client = make_client(settings)
    client.service.accounts.add_user("alice", PASSWORD)
    statuses = [client.post("/v1/auth/login", json={"username": "alice", "password": f"guess-{i}"}).status_code
                for i in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    # Locked: even the right password is not checked now (the attacker learns nothing from it).
    locked = client.post("/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429 and locked.json()["error"] == "rate_limited"
    assert 1 <= int(locked.headers["retry-after"]) <= 900
    # Another username is not affected.
    client.service.accounts.add_user("bob", PASSWORD)
    assert client.post("/v1/auth/login", json={"username": "bob", "password": PASSWORD}).status_code == 200
    events = [row["event"] for row in client.service.audit.tail(limit=100)]
    assert events.count("login_failed") == 5 and events.count("login_locked") == 4


def test_lock_expires_with_the_window(make_client):
    from issuer.clock import Clock

    clock = Clock()
    settings = fast_settings("sqlite://", rate_limits={"login_failures_per_user": {"limit": 3, "window_seconds": 60}})
    client = make_client(settings, clock=clock)
    client.service.accounts.add_user("alice", PASSWORD)
    for _ in range(3):
        client.post("/v1/auth/login", json={"username": "alice", "password": "wrong password"})
    assert client.post("/v1/auth/login", json={"username": "alice", "password": PASSWORD}).status_code == 429
    clock.advance(61)
    assert client.post("/v1/auth/login", json={"username": "alice", "password": PASSWORD}).status_code == 200


def test_spraying_many_usernames_from_one_address_is_limited(make_client):
    settings = fast_settings("sqlite://", rate_limits={"login_per_ip": {"limit": 10, "window_seconds": 60}})
    client = make_client(settings)
    statuses = [client.post("/v1/auth/login", json={"username": f"user{i}", "password": "password123"}).status_code
                for i in range(14)]
    assert statuses == [401] * 10 + [429] * 4


def test_token_requests_are_limited_per_subject_and_per_address(make_client):
    settings = fast_settings("sqlite://", rate_limits={"issue_per_subject": {"limit": 3, "window_seconds": 60},
                                                       "issue_per_ip": {"limit": 8, "window_seconds": 60}})
    client = make_client(settings)
    client.service.accounts.add_user("alice", PASSWORD)
    client.service.accounts.add_user("bob", PASSWORD)
    alice, bob = login(client, "alice")["access_token"], login(client, "bob")["access_token"]
    body = {"transaction_hex": transfer().hex()}
    assert [client.post("/v1/tokens", json=body, headers=bearer(alice)).status_code for _ in range(4)] == \
        [200, 200, 200, 429]
    assert [client.post("/v1/tokens", json=body, headers=bearer(bob)).status_code for _ in range(4)] == \
        [200, 200, 200, 429]
    # 8 requests from this address so far: the address limit now applies to anyone, even unauthenticated.
    response = client.post("/v1/tokens", json=body, headers=bearer("fa_at_unknown"))
    assert response.status_code == 429 and response.json()["message"] == "too many requests from this address"


# --------------------------------------------------------------------------- refresh replay


def test_replayed_refresh_token_revokes_the_whole_family(client):
    stolen = login(client)
    # The legitimate client refreshes twice…
    second = client.post("/v1/auth/refresh", json={"refresh_token": stolen["refresh_token"]}).json()
    third = client.post("/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}).json()
    other_session = login(client)  # another device: another family
    # …then the thief replays the old refresh token.
    replay = client.post("/v1/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert replay.status_code == 401
    assert replay.json()["error"] == "refresh_token_reused"
    # Every token of the family is dead, including the newest pair the legitimate client holds.
    for token in (stolen["access_token"], second["access_token"], third["access_token"]):
        response = client.post("/v1/tokens", json={"transaction_hex": transfer().hex()}, headers=bearer(token))
        assert response.status_code == 401 and response.json()["error"] == "session_revoked"
    assert client.post("/v1/auth/refresh", json={"refresh_token": third["refresh_token"]}).status_code == 401
    # The other family is untouched.
    assert client.get("/v1/auth/session", headers=bearer(other_session["access_token"])).status_code == 200
    family = client.service.accounts.authenticate_access(other_session["access_token"]).family_id
    assert client.service.accounts.family_state(family)["revoked_at"] is None
    assert "refresh_reuse" in [row["event"] for row in client.service.audit.tail()]


def test_concurrent_use_of_one_refresh_token_lets_at_most_one_win(make_service, database_url):
    """Two holders racing with the same refresh token: one gets a pair, the family is revoked anyway."""
    service = make_service(url=database_url)
    service.accounts.add_user("alice", PASSWORD)
    pair = service.accounts.login("alice", PASSWORD)
    results, barrier = [], threading.Barrier(6)

    def racer():
        barrier.wait()
        try:
            results.append(service.accounts.refresh(pair.refresh_token))
        except Exception as err:  # noqa: BLE001 - collected and checked below
            results.append(err)

    threads = [threading.Thread(target=racer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) <= 1 and len(losers) >= 5
    assert {getattr(err, "code", type(err).__name__) for err in losers} <= {"refresh_token_reused", "session_revoked"}
    # The reuse also revoked the family, so even the winner's new pair is dead.
    from issuer.errors import NotAuthenticated
    for winner in winners:
        with pytest.raises(NotAuthenticated, match="revoked"):
            service.accounts.authenticate_access(winner.access_token)


# --------------------------------------------------------------------------- malformed bodies


MALFORMED = [
    ("not json", b"{", "application/json", 400),  # malformed JSON: 400, as documented
    ("json array", b"[1,2]", "application/json", 422),
    ("both encodings", json.dumps({"transaction_hex": "00", "transaction_base64": "AA=="}).encode(), None, 422),
    ("neither encoding", b"{}", None, 422),
    ("unknown field", json.dumps({"transaction_hex": "00", "extra": 1}).encode(), None, 422),
    ("number instead of string", json.dumps({"transaction_hex": 12}).encode(), None, 422),
    ("not hex", json.dumps({"transaction_hex": "zz"}).encode(), None, 422),
    ("odd hex", json.dumps({"transaction_hex": "abc"}).encode(), None, 422),
    ("bad base64", json.dumps({"transaction_base64": "***"}).encode(), None, 422),
    ("empty", json.dumps({"transaction_hex": ""}).encode(), None, 422),
    ("not a transaction", json.dumps({"transaction_hex": "00" * 40}).encode(), None, 422),
    ("transaction + trailing byte", json.dumps({"transaction_hex": transfer().hex() + "00"}).encode(), None, 422),
    ("truncated transaction", json.dumps({"transaction_hex": transfer()[:-3].hex()}).encode(), None, 422),
    ("too long for the field", json.dumps({"transaction_hex": "00" * 5000}).encode(), None, 422),
    ("too large a transaction", json.dumps({"transaction_base64": b64(b"\x01" * 2000)}).encode(), None, 413),
    ("form encoded", b"transaction_hex=00", "application/x-www-form-urlencoded", 415),
    ("text", b"{}", "text/plain", 415),
    ("invalid utf-8", b'{"transaction_hex": "\xff"}', "application/json", 400),
]


@pytest.mark.parametrize("name,body,content_type,status", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_token_requests_get_a_clear_4xx(client, name, body, content_type, status):
    token = login(client)["access_token"]
    response = client.post("/v1/tokens", content=body, headers={**bearer(token),
                                                                "Content-Type": content_type or "application/json"})
    assert response.status_code == status, response.text
    answer = response.json()
    assert set(answer) <= {"error", "message", "details"}
    assert answer["error"] and len(answer["message"]) > 5
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("body", [
    {"username": "alice"}, {"password": "x"}, {"username": "", "password": "x"}, {"username": 1, "password": "x"},
    {"username": "alice", "password": "x" * 2000}, {"username": "alice", "password": PASSWORD, "admin": True},
])
def test_malformed_logins_never_echo_the_password(client, body):
    response = client.post("/v1/auth/login", json=body)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    if isinstance(body.get("password"), str):
        assert body["password"] not in response.text


def test_unknown_paths_and_methods(client):
    assert client.get("/v1/nope").json()["error"] == "not_found"
    response = client.get("/v1/tokens")
    assert response.status_code == 405 and response.json()["error"] == "method_not_allowed"


# --------------------------------------------------------------------------- oversized bodies (real uvicorn)


@pytest.fixture
def live(make_service):
    service = make_service(fast_settings("sqlite://", server={"max_body_bytes": 4096}))
    service.accounts.add_user("alice", PASSWORD)
    with LiveServer(create_app(service=service)) as server:
        yield server


def _raw_request(port: int, request: bytes, body_chunks=(), timeout=10) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        for chunk in body_chunks:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        data = b""
        while b"\r\n\r\n" not in data:
            part = sock.recv(65536)
            if not part:
                break
            data += part
        head, _, rest = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = [int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
        while length and len(rest) < length[0]:
            part = sock.recv(65536)
            if not part:
                break
            rest += part
        return status, rest


def test_oversized_body_is_refused_from_its_content_length(live):
    body = json.dumps({"transaction_hex": "00" * 10_000}).encode()
    connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
    connection.request("POST", "/v1/auth/login", body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read()) == {"error": "body_too_large",
                                           "message": "the request body is larger than 4096 bytes"}


def test_oversized_chunked_body_is_refused_while_streaming(live):
    head = (f"POST /v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    chunk = b"a" * 1024
    chunks = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 64 + [b"0\r\n\r\n"]  # 64 KiB, no length announced
    status, body = _raw_request(live.port, head, chunks)
    assert status == 413
    assert json.loads(body)["error"] == "body_too_large"


def test_a_413_carries_the_security_headers(live):
    connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
    connection.request("POST", "/v1/tokens", body=b"x" * 5000, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 413
    assert response.getheader("x-content-type-options") == "nosniff"
    assert response.getheader("cache-control") == "no-store"


def test_a_body_within_the_limit_streams_fine(live):
    import httpx

    def chunks():
        yield b'{"username": "alice", '
        yield f'"password": "{PASSWORD}"}}'.encode()

    response = httpx.post(live.url + "/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text


def test_negative_content_length_is_a_bad_request(live):
    status, body = _raw_request(live.port, ("POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n"
                                            "Content-Type: application/json\r\n\r\n").encode())
    assert status == 400


# --------------------------------------------------------------------------- secrets stay secret


def test_no_secret_in_any_response_or_log(make_client, captured_logs, monkeypatch):
    client = make_client()
    service = client.service
    service.accounts.add_user("alice", PASSWORD)
    session = login(client)
    issued = client.post("/v1/tokens", json={"transaction_hex": transfer().hex()},
                         headers=bearer(session["access_token"])).json()
    refreshed = client.post("/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}).json()
    client.post("/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})  # a replay
    client.post("/v1/auth/login", json={"username": "alice", "password": "wrong " + PASSWORD})
    client.post("/v1/auth/login", json={"username": "alice", "password": 5})
    client.post("/v1/tokens", json={"transaction_hex": "zz"}, headers=bearer(refreshed["access_token"]))

    from cryptography.hazmat.primitives import serialization
    signer = service.keys.signer()
    private_pem = signer.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()).decode()
    private_numbers = signer.private_key.private_numbers()
    secrets_ = [PASSWORD, session["refresh_token"], refreshed["refresh_token"], session["access_token"],
                refreshed["access_token"], issued["token"], "MASTER", private_pem.splitlines()[1],
                str(private_numbers.d)[:40]]
    from tests.issuer.issuer_support import MASTER_SECRET
    secrets_.append(MASTER_SECRET.decode())
    public_surfaces = [client.get(path).text for path in ("/.well-known/jwks.json", "/.well-known/openid-configuration",
                                                           "/openapi.json", "/readyz", "/healthz")]
    # The audit table and every log line, and the public documents.
    haystack = captured_logs.text + json.dumps(service.audit.tail(limit=1000)) + "".join(public_surfaces)
    for secret in secrets_:
        assert secret not in haystack, secret[:12]
    # The database holds neither the tokens nor the private key in the clear.
    with service.store.read() as conn:
        from sqlalchemy import text
        dump = " ".join(str(row) for table in ("users", "access_tokens", "refresh_tokens", "signing_keys")
                        for row in conn.execute(text(f"SELECT * FROM {table}")))
    for secret in (PASSWORD, session["refresh_token"], session["access_token"], private_pem.splitlines()[1]):
        assert secret not in dump
