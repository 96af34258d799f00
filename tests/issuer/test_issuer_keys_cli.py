"""Signing-key life cycle, configuration, and the `issuer` console command (run in-process and as a process)."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from issuer.cli import main
from issuer.clock import Clock
from issuer.config import ConfigError, load_settings
from issuer.signing_keys import KeyError_
from tests.issuer.issuer_support import MASTER_SECRET, PASSWORD, fast_settings, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- key life cycle


def test_key_life_cycle(make_service):
    clock = Clock()
    service = make_service(clock=clock, activate_key=False)
    keys = service.keys
    assert keys.signer() is None and keys.jwks() == {"keys": []}
    first = keys.generate(kid="k1")
    assert first.state == "pending" and [k["kid"] for k in keys.jwks()["keys"]] == ["k1"]
    assert keys.signer() is None  # published, not signing
    keys.activate("k1")
    assert keys.signer().kid == "k1"
    keys.generate(kid="k2")
    assert [k["kid"] for k in keys.jwks()["keys"]] == ["k1", "k2"] and keys.signer().kid == "k1"
    new, previous = keys.activate("k2")
    assert new.state == "active" and previous.kid == "k1" and previous.state == "retiring"
    # Old tokens live 300 s + 30 s nbf leeway; plus 60 s grace.
    assert previous.retire_after == previous.deactivated_at + 390
    assert keys.signer().kid == "k2" and [k["kid"] for k in keys.jwks()["keys"]] == ["k1", "k2"]
    with pytest.raises(KeyError_, match="may still verify tokens"):
        keys.retire("k1")
    assert keys.due_for_retirement() == []
    clock.advance(390)
    assert [k.kid for k in keys.due_for_retirement()] == ["k1"]
    assert keys.retire("k1").state == "retired"
    assert [k["kid"] for k in keys.jwks()["keys"]] == ["k2"]
    with pytest.raises(KeyError_, match="already retired"):
        keys.retire("k1")
    with pytest.raises(KeyError_, match="only a pending key"):
        keys.activate("k1")
    with pytest.raises(KeyError_, match="is signing"):
        keys.retire("k2")
    # Emergency: revoke the active key; nothing signs until another key is activated.
    assert keys.revoke("k2", "leaked").state == "revoked"
    assert keys.signer() is None and keys.jwks() == {"keys": []}
    with pytest.raises(KeyError_, match="already revoked"):
        keys.revoke("k2")
    assert [(k.kid, k.state) for k in keys.list()] == [("k1", "retired"), ("k2", "revoked")]


def test_kid_rules(make_service):
    keys = make_service(activate_key=False).keys
    for bad in ("", "a#b", 'a"b', "x" * 129, "tab\there"):
        with pytest.raises(KeyError_):
            keys.generate(kid=bad, alg="EdDSA")
    keys.generate(kid="same", alg="EdDSA")
    with pytest.raises(KeyError_, match="exists already"):
        keys.generate(kid="same", alg="EdDSA")
    with pytest.raises(KeyError_, match="not one the guard verifies"):
        keys.generate(alg="ES256")
    generated = keys.generate(alg="EdDSA")
    assert len(generated.kid) <= 128 and generated.thumbprint


@pytest.mark.parametrize("bits", [2048, 3072, 4096])
def test_rsa_sizes_the_guard_accepts(make_service, bits):
    from guard_core import keys as guard_keys
    from guardjwk import guard_key_from_jwk

    info = make_service(activate_key=False).keys.generate(rsa_bits=bits)
    key = guard_key_from_jwk(info.jwk)
    assert len(key["n"]) == bits // 8 and key["e"] == [1, 0, 1]
    assert guard_keys.validate_public_key(key)[1] is None


def test_revocation_by_another_process_applies_to_the_next_token(make_client):
    """The CLI revokes in the database; the running service sees it on its very next request."""
    from issuer.service import IssuerService
    from tests.issuer.issuer_support import bearer, login, transfer

    client = make_client()
    client.service.accounts.add_user("alice", PASSWORD)
    token = login(client)["access_token"]
    body = {"transaction_hex": transfer().hex()}
    kid = client.post("/v1/tokens", json=body, headers=bearer(token)).json()["kid"]
    other = IssuerService(client.service.settings, secret=MASTER_SECRET)  # another process's view
    other.keys.revoke(kid)
    other.close()
    response = client.post("/v1/tokens", json=body, headers=bearer(token))
    assert response.status_code == 503 and response.json()["error"] == "no_signing_key"


# --------------------------------------------------------------------------- configuration


def test_toml_and_environment(tmp_path):
    path = tmp_path / "issuer.toml"
    path.write_text("""
[issuer]
url = "https://auth.example.com/"
[server]
port = 9000
cors_allow_origins = ["https://wallet.example.com"]
[tokens]
lifetime_seconds = 120
[[auth.oidc]]
name = "google"
issuer = "https://accounts.google.com"
audiences = ["123.apps.googleusercontent.com"]
""")
    settings = load_settings(str(path), environ={"ISSUER__SERVER__PORT": "9100",
                                                 "ISSUER__DATABASE__URL": "postgresql://u:pw@db/issuer",
                                                 "ISSUER__RATE_LIMITS__ISSUE_PER_SUBJECT": '{"limit": 5, '
                                                                                           '"window_seconds": 10}'})
    assert settings.issuer_url == "https://auth.example.com/"
    assert settings.jwks_url == "https://auth.example.com/.well-known/jwks.json"
    assert settings.server.port == 9100 and settings.tokens.lifetime_seconds == 120
    assert settings.auth.oidc[0].name == "google" and settings.rate_limits.issue_per_subject.limit == 5
    assert settings.public_dict()["database"]["url"] == "postgresql://u:***@db/issuer"
    via_env = load_settings(None, environ={"ISSUER_CONFIG": str(path)})
    assert via_env.server.port == 9000


@pytest.mark.parametrize("toml,message", [
    ('[keys]\nmaster_secret = "x"', "secrets do not belong in the config file"),
    ('[server]\ncors_allow_origins = ["*"]', "no '*'"),
    ('[tokens]\nlifetime_seconds = 86400', "less than or equal to 3600"),
    ('[tokens]\nalgorithm = "HS256"', "tokens.algorithm"),
    ('[issuer]\nurl = "https://x.example/#frag"', "issuer.url"),
    ('[server]\nport = "eighty"', "server.port"),
    ('[surprise]\nx = 1', "surprise"),
    ('not toml = = 1', "not valid TOML"),
    ('[policy]\nsigner_claim = "acct"\n[tokens]\naccount_claim = "other"', "differs from the policy"),
    ('[server]\nssl_certfile = "c.pem"', "go together"),
    ('[[auth.oidc]]\nname = "g"\nissuer = "https://a"\naudiences = []', "auth.oidc.0.audiences"),
])
def test_invalid_configuration_is_explained(tmp_path, toml, message):
    path = tmp_path / "issuer.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message.replace("*", r"\*").replace("(", r"\(")):
        load_settings(str(path), environ={})


def test_master_secret_must_come_from_the_environment():
    from issuer.config import master_secret

    settings = fast_settings("sqlite://")
    with pytest.raises(ConfigError, match="ISSUER_MASTER_SECRET is not set"):
        master_secret(settings, environ={})
    with pytest.raises(ConfigError, match="too short"):
        master_secret(settings, environ={"ISSUER_MASTER_SECRET": "short"})
    assert master_secret(settings, environ={"ISSUER_MASTER_SECRET": "s" * 32}) == b"s" * 32


def test_default_kdf_costs_are_real():
    from issuer.config import Settings

    defaults = Settings()
    assert defaults.keys.scrypt_n >= 2**15
    assert defaults.auth.password.argon2_memory_kib >= 65536 and defaults.auth.password.argon2_time_cost >= 3
    from issuer.passwords import Passwords
    started = time.perf_counter()
    hashed = Passwords(defaults.auth.password).hash(PASSWORD)
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=2$")
    assert time.perf_counter() - started > 0.01


# --------------------------------------------------------------------------- the console command


class Cli:
    def __init__(self, tmp_path, monkeypatch, extra_env=None):
        self.db = tmp_path / "cli.db"
        monkeypatch.setenv("ISSUER_MASTER_SECRET", MASTER_SECRET.decode())
        monkeypatch.setenv("ISSUER__DATABASE__URL", f"sqlite:///{self.db}")
        monkeypatch.setenv("ISSUER__KEYS__SCRYPT_N", "1024")
        monkeypatch.setenv("ISSUER__AUTH__PASSWORD__ARGON2_MEMORY_KIB", "8192")
        monkeypatch.setenv("ISSUER__AUTH__PASSWORD__ARGON2_TIME_COST", "1")
        monkeypatch.delenv("ISSUER_CONFIG", raising=False)
        monkeypatch.chdir(tmp_path)
        for name, value in (extra_env or {}).items():
            monkeypatch.setenv(name, value)
        self.monkeypatch = monkeypatch

    def run(self, *args, stdin: str = "", capsys=None):
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    runner = Cli(tmp_path, monkeypatch)
    return lambda *args, stdin="": runner.run(*args, stdin=stdin, capsys=capsys)


def test_cli_init_and_rotation_steps(cli):
    code, out, _ = cli("--json", "init")
    assert code == 0
    first = json.loads(out)["created_key"]["kid"]
    code, out, _ = cli("--json", "init")
    assert json.loads(out)["created_key"] is None  # idempotent
    code, out, _ = cli("--json", "keys", "rotate")
    step = json.loads(out)
    assert step["step"] == "generated" and step["next"][0].startswith("guardctl --guard <guard> keys add ")
    second = step["kid"]
    code, out, err = cli("keys", "rotate")
    assert code == 1 and "--guard ID --rpc URL" in err
    code, out, _ = cli("--json", "keys", "rotate", "--skip-chain-check")
    step = json.loads(out)
    assert step["step"] == "activated" and step["kid"] == second and step["previous"]["kid"] == first
    code, out, _ = cli("--json", "keys", "rotate")
    assert json.loads(out)["step"] == "waiting" and json.loads(out)["seconds_left"] > 300
    code, out, _ = cli("--json", "keys", "list")
    states = {k["kid"]: k["state"] for k in json.loads(out)["keys"]}
    assert states == {first: "retiring", second: "active"}
    code, out, err = cli("keys", "retire", first)
    assert code == 1 and "may still verify tokens" in err
    code, out, _ = cli("keys", "retire", first, "--force", "--guard", "guard.near")
    assert code == 0 and f"guardctl --guard guard.near keys remove {first}" in out
    code, out, _ = cli("keys", "jwks")
    assert [k["kid"] for k in json.loads(out)["keys"]] == [second]
    code, out, _ = cli("keys", "list")
    assert first not in out and second in out
    code, out, _ = cli("keys", "list", "--all")
    assert first in out and "retired" in out
    code, out, _ = cli("--json", "audit", "tail")
    events = [r["event"] for r in json.loads(out)["records"]]
    assert events == ["key_generated", "key_activated", "key_generated", "key_activated", "key_retired"]


def test_cli_emergency_revoke(cli):
    cli("init")
    code, out, _ = cli("--json", "keys", "list")
    kid = json.loads(out)["keys"][0]["kid"]
    code, out, _ = cli("keys", "revoke", kid, "--reason", "laptop stolen", "--guard", "g.near")
    assert code == 0 and "revoked (was active)" in out
    assert "guardctl --guard g.near pause" in out and f"guardctl --guard g.near keys remove {kid}" in out
    code, out, _ = cli("keys", "jwks")
    assert json.loads(out) == {"keys": []}


def test_cli_users(cli):
    assert cli("init")[0] == 0
    code, out, _ = cli("--json", "users", "add", "alice", "--password-stdin", "--near-account", "alice.near",
                       stdin=PASSWORD + "\n")
    assert code == 0 and json.loads(out)["user"]["near_account_id"] == "alice.near"
    code, _, err = cli("users", "add", "bob", "--password-stdin", stdin="short\n")
    assert code == 1 and "at least 10 characters" in err
    code, _, err = cli("users", "add", "bob")  # no terminal, no --password-stdin
    assert code == 1 and "--password-stdin" in err
    code, _, err = cli("users", "add", "alice", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 1 and "taken" in err
    code, _, err = cli("users", "add", "bad name", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 1 and "username" in err
    code, out, _ = cli("users", "disable", "alice")
    assert code == 0 and "disabled" in out
    code, out, _ = cli("--json", "users", "list")
    assert json.loads(out)["users"][0]["disabled"] is True
    assert cli("users", "enable", "alice")[0] == 0
    assert cli("users", "passwd", "alice", "--password-stdin", stdin="a new password!\n")[0] == 0
    assert cli("users", "set-account", "alice", "--clear")[0] == 0
    code, _, err = cli("users", "set-account", "alice", "NOT VALID")
    assert code == 1 and "not a NEAR account id" in err
    assert cli("users", "revoke-sessions", "alice")[0] == 0
    code, _, err = cli("users", "disable", "nobody")
    assert code == 1 and "no user 'nobody'" in err
    # The password never reaches the audit log or the output.
    code, out, _ = cli("--json", "audit", "tail", "--limit", "100")
    assert PASSWORD not in out and "a new password!" not in out


def test_cli_errors_are_one_line(cli, monkeypatch):
    monkeypatch.delenv("ISSUER_MASTER_SECRET")
    code, out, err = cli("keys", "list")
    assert code == 1 and err.startswith("issuer: error: ISSUER_MASTER_SECRET is not set")
    assert len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit) as usage:
        cli("keys", "explode")
    assert usage.value.code == 2


def test_cli_config_show_and_secret_generate(cli, monkeypatch):
    monkeypatch.setenv("ISSUER__DATABASE__URL", "postgresql://issuer:s3cret@db.internal/issuer")
    code, out, _ = cli("config", "show")
    assert code == 0 and "s3cret" not in out and "issuer:***@db.internal" in out
    code, out, _ = cli("secret", "generate")
    assert code == 0 and len(out.strip()) >= 60


def test_issuer_serve_runs_as_a_process(tmp_path):
    """`python -m issuer serve` with a config file: uvicorn, the real console path."""
    port = free_port()
    config = tmp_path / "issuer.toml"
    config.write_text(f"""
[issuer]
url = "http://127.0.0.1:{port}/"
[server]
host = "127.0.0.1"
port = {port}
[database]
url = "sqlite:///{tmp_path / 'served.db'}"
[keys]
scrypt_n = 1024
""")
    env = {**os.environ, "ISSUER_MASTER_SECRET": MASTER_SECRET.decode()}
    env.pop("ISSUER_CONFIG", None)
    command = [sys.executable, "-m", "issuer", "--config", str(config)]
    assert subprocess.run([*command, "init"], env=env, capture_output=True, timeout=60).returncode == 0
    process = subprocess.Popen([*command, "serve", "--log-level", "warning"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "issuer serve did not come up"
                time.sleep(0.1)
        assert ready.status_code == 200 and ready.json()["status"] == "ok"
        jwks = httpx.get(f"http://127.0.0.1:{port}/.well-known/jwks.json").json()
        assert len(jwks["keys"]) == 1
        assert "server" not in httpx.get(f"http://127.0.0.1:{port}/healthz").headers
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_refuses_to_start_with_a_wrong_secret(tmp_path):
    env = {**os.environ, "ISSUER_MASTER_SECRET": MASTER_SECRET.decode(),
           "ISSUER__DATABASE__URL": f"sqlite:///{tmp_path / 'x.db'}", "ISSUER__KEYS__SCRYPT_N": "1024"}
    env.pop("ISSUER_CONFIG", None)
    subprocess.run([sys.executable, "-m", "issuer", "init"], env=env, capture_output=True, timeout=60, check=True)
    env["ISSUER_MASTER_SECRET"] = "a different secret that is long enough"
    done = subprocess.run([sys.executable, "-m", "issuer", "serve", "--port", str(free_port())], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "issuer: error: the master secret is not the one" in done.stderr


def test_the_example_configuration_is_valid():
    from issuer.authorization import validated_policy

    settings = load_settings(str(REPO_ROOT / "issuer" / "issuer.example.toml"), environ={})
    assert settings.issuer_url == "https://auth.example.com/" and settings.auth.oidc[0].name == "google"
    assert validated_policy(settings.policy)["methods"]["wrap.near"] == ["near_deposit", "ft_transfer"]
    readme = (REPO_ROOT / "issuer" / "README.md").read_text()
    snippet = readme.split("cat > issuer.toml <<'EOF'\n", 1)[1].split("\nEOF\n", 1)[0]
    documented = __import__("tomllib").loads(snippet)
    from issuer.config import settings_from_dict
    assert validated_policy(settings_from_dict(documented).policy) is not None
