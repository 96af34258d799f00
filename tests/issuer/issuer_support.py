"""Helpers for the issuer's tests: settings, transactions, a live uvicorn server, an identity-provider double.

`FakeIdentityProvider` is a TEST DOUBLE OF AN EXTERNAL NETWORK SERVICE (Google,
Auth0, Firebase…): a real HTTP server on 127.0.0.1 serving an OpenID discovery
document and a JWKS of keys generated here, and minting ID tokens with them.
The issuer talks to it over real HTTP exactly as it would to a provider.
"""
from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

import jwt
import nacl.exceptions
import nacl.signing
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from py_near_primitives import FunctionCallAction, Transaction, TransferAction

from issuer.config import Settings, settings_from_dict
from guard_core import verifier
from guardjwk import b64url_encode, guard_key_from_jwk

MASTER_SECRET = b"test master secret, 32+ characters long, not for production"
PASSWORD = "correct horse battery staple"
NEAR = 10**24
TGAS = 10**12


def fast_settings(database_url: str, **sections) -> Settings:
    """Settings for tests: cheap KDF costs (the real defaults are tested separately), the given database."""
    data = {
        "database": {"url": database_url},
        "keys": {"scrypt_n": 1024},
        "auth": {"password": {"argon2_memory_kib": 8192, "argon2_time_cost": 1, "argon2_parallelism": 1}},
    }
    for name, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(name), dict):
            merged = dict(data[name])
            for key, inner in value.items():
                if isinstance(inner, dict) and isinstance(merged.get(key), dict):
                    merged[key] = {**merged[key], **inner}
                else:
                    merged[key] = inner
            data[name] = merged
        else:
            data[name] = value
    return settings_from_dict(data)


def transfer(signer: str = "alice.test.near", receiver: str = "bob.test.near", amount: int = NEAR,
             nonce: int = 1, public_key: bytes = bytes(32), block_hash: bytes = bytes(32)) -> bytes:
    """A transfer's Borsh bytes, built by py-near's transaction builder."""
    return bytes(Transaction(signer, public_key, nonce, receiver, block_hash, [TransferAction(amount)]).serialize())


def function_call(signer: str, receiver: str, method: str, args: bytes = b"{}", gas: int = 30 * TGAS,
                  deposit: int = 0, nonce: int = 1, public_key: bytes = bytes(32),
                  block_hash: bytes = bytes(32)) -> bytes:
    action = FunctionCallAction(method, args, gas, deposit)
    return bytes(Transaction(signer, public_key, nonce, receiver, block_hash, [action]).serialize())


def login(client, username: str = "alice", password: str = PASSWORD) -> dict:
    response = client.post("/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def guard_verdict(token: str, payload: bytes, jwks: dict, issuer: str, now: int = None, audience=None):
    """What the guard's verify answers, computed by contract/guard_core (the code the contract runs)."""
    def ed25519_verify(signature, message, public_key):
        try:
            nacl.signing.VerifyKey(public_key).verify(message, signature)
            return True
        except nacl.exceptions.BadSignatureError:
            return False
    keys = [guard_key_from_jwk(jwk) for jwk in jwks["keys"]]
    return verifier.verify_jwt((token, list(payload), issuer), (keys, audience, None, False, None),
                               (now or int(time.time()), lambda data: hashlib.sha256(data).digest(), ed25519_verify))


def decode_unverified(token: str) -> tuple[dict, dict]:
    header_b64, payload_b64, _ = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return json.loads(base64.urlsafe_b64decode(pad(header_b64))), json.loads(base64.urlsafe_b64decode(pad(payload_b64)))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """An ASGI app on uvicorn, on 127.0.0.1, in a thread of this process."""

    def __init__(self, app, port: Optional[int] = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
                                server_header=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn:{self.port}", daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


# ------------------------------------------------------------------ identity provider double


class FakeIdentityProvider:
    """TEST DOUBLE of an external OpenID Connect provider: discovery + JWKS over real HTTP on 127.0.0.1."""

    _key_cache: dict = {}  # RSA keys generated once per test session

    def __init__(self, key_count: int = 3, max_age: Optional[int] = 3600):
        for i in range(1, key_count + 1):
            if f"idp-k{i}" not in self._key_cache:
                self._key_cache[f"idp-k{i}"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.keys = {f"idp-k{i}": self._key_cache[f"idp-k{i}"] for i in range(1, key_count + 1)}
        self.published = ["idp-k1"]
        self.max_age = max_age
        self.requests: list[str] = []
        self.fail = False
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                provider.requests.append(self.path)
                if provider.fail:
                    return self._send(503, {"error": "down"})
                if self.path == "/.well-known/openid-configuration":
                    return self._send(200, {"issuer": provider.issuer, "jwks_uri": provider.issuer + "/jwks"})
                if self.path == "/jwks":
                    return self._send(200, provider.jwks(), provider.max_age)
                return self._send(404, {"error": "not found"})

            def _send(self, status, body, max_age=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if max_age is not None:
                    self.send_header("Cache-Control", f"public, max-age={max_age}")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "FakeIdentityProvider":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def jwks(self) -> dict:
        keys = []
        for kid in self.published:
            numbers = self.keys[kid].public_key().public_numbers()
            keys.append({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
                         "n": b64url_encode(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                         "e": b64url_encode(numbers.e.to_bytes(3, "big"))})
        # A key type the issuer's verifier must skip without failing.
        keys.append({"kty": "EC", "kid": "enc-1", "use": "enc", "crv": "P-256",
                     "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                     "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})
        return {"keys": keys}

    def jwks_fetches(self) -> int:
        return self.requests.count("/jwks")

    def id_token(self, sub: str = "google-user-1", *, kid: str = "idp-k1", audience="client-123",
                 issuer: Optional[str] = None, iat: Optional[int] = None, lifetime: int = 600,
                 alg: str = "RS256", extra: Optional[dict] = None, headers: Optional[dict] = None) -> str:
        now = int(time.time()) if iat is None else iat
        claims = {"iss": issuer or self.issuer, "sub": sub, "aud": audience, "iat": now, "exp": now + lifetime,
                  "email": f"{sub}@example.com", "email_verified": True, **(extra or {})}
        header = {"kid": kid, **(headers or {})}
        return jwt.encode(claims, self.keys[kid], algorithm=alg, headers=header)

    def provider_config(self, **overrides) -> dict:
        return {"name": "fakeidp", "issuer": self.issuer, "audiences": ["client-123"], **overrides}


# ------------------------------------------------------------------ `issuer serve` as a process

GENEROUS_LIMITS = """
[rate_limits]
issue_per_subject = {limit = 1000000, window_seconds = 60}
issue_per_ip = {limit = 1000000, window_seconds = 60}
login_per_ip = {limit = 1000000, window_seconds = 60}
refresh_per_ip = {limit = 1000000, window_seconds = 60}
login_failures_per_user = {limit = 1000000, window_seconds = 60}
"""


class ServedIssuer:
    """`python -m issuer serve` in a subprocess on 127.0.0.1, set up with `issuer init` and one user (alice)."""

    def __init__(self, workdir, extra_toml: str = "", workers: int = 1, database_url: Optional[str] = None,
                 secret_file=None, serve_args: tuple = ("--log-level", "warning")):
        import os
        import sys
        from pathlib import Path

        self.workdir = Path(workdir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = self.workdir / "issuer.toml"
        self.serve_args = tuple(serve_args)
        sqlite_url = f"sqlite:///{self.workdir / 'served.db'}"
        database_line = f'url = "{sqlite_url}"' if database_url is None else ""
        secret_line = f'master_secret_file = "{secret_file}"' if secret_file else ""
        self.config.write_text(f"""
[issuer]
url = "{self.url}/"
[server]
host = "127.0.0.1"
port = {self.port}
workers = {workers}
[database]
{database_line}
[keys]
scrypt_n = 1024
{secret_line}
[auth.password]
argon2_memory_kib = 8192
argon2_time_cost = 1
{extra_toml}
""")
        self.env = {**os.environ, "ISSUER_MASTER_SECRET": MASTER_SECRET.decode()}
        if database_url is not None:
            # Database credentials come from the environment, never the config file.
            self.env["ISSUER__DATABASE__URL"] = database_url
        if secret_file is not None:
            self.env.pop("ISSUER_MASTER_SECRET")
        self.env.pop("ISSUER_CONFIG", None)
        self.command = [sys.executable, "-m", "issuer", "--config", str(self.config)]
        self.process = None
        self.log_path = self.workdir / "serve.log"

    def cli(self, *args, stdin: str = ""):
        import subprocess

        done = subprocess.run([*self.command, *args], env=self.env, input=stdin, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def __enter__(self) -> "ServedIssuer":
        import subprocess

        import httpx

        self.cli("init")
        self.cli("users", "add", "alice", "--password-stdin", "--subject", "alice", stdin=PASSWORD + "\n")
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen([*self.command, "serve", *self.serve_args], env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError("issuer serve did not start:\n" + self.log_path.read_text(errors="replace"))
            time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except Exception:  # noqa: BLE001
                self.process.kill()
                self.process.wait()
        self.log.close()

    def access_token(self) -> str:
        import httpx

        response = httpx.post(self.url + "/v1/auth/login", json={"username": "alice", "password": PASSWORD})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]
