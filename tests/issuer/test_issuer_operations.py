"""The issuer as an operator runs it: each finding of the operations review, as a regression test.

- master-secret rotation without downtime (key ring; a running service follows a re-read secret file);
- /readyz fails when the service cannot sign;
- storage: no silent empty database, 0600 files, database credentials refused in the config file;
- one-line CLI errors for database failures, 503 during a database outage, 400 for malformed JSON;
- /metrics (parsed with the Prometheus text parser), request ids, JSON logs, rejected authentications logged;
- `issuer users unlock`, drill hints that match what the CLI checks.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from issuer.config import ConfigError, load_settings
from issuer.service import IssuerService
from tests.issuer.issuer_support import (GENEROUS_LIMITS, MASTER_SECRET, PASSWORD, ServedIssuer, bearer,
                                         decode_unverified, fast_settings, login, transfer)

NEW_SECRET = "the next master secret, also 32+ characters long"
REPO = Path(__file__).resolve().parents[2]


def issuer_cli(env: dict, *args, cwd=None):
    return subprocess.run([sys.executable, "-m", "issuer", *args], env=env, capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def write_secret_file(path: Path, *secrets: str) -> None:
    """Replace the ring file atomically, as a secret store mounting a new version does."""
    staged = path.with_suffix(".new")
    staged.write_text("\n".join(secrets) + "\n")
    staged.chmod(0o600)
    os.replace(staged, path)


class LoadLoop:
    """Clients issuing tokens without pause until stopped; every non-200 answer and transport error is kept."""

    def __init__(self, url: str, token: str, clients: int = 4):
        self.url, self.token, self.clients = url, token, clients
        self.failures: list[str] = []
        self.kids: list[str] = []
        self.ok = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(clients)]

    def _run(self, index: int) -> None:
        with httpx.Client(base_url=self.url, headers=bearer(self.token), timeout=30) as http:
            nonce = index * 1_000_000
            while not self._stop.is_set():
                nonce += 1
                try:
                    response = http.post("/v1/tokens", json={"transaction_hex": transfer(nonce=nonce).hex()})
                except httpx.HTTPError as err:
                    with self._lock:
                        self.failures.append(type(err).__name__)
                    continue
                with self._lock:
                    if response.status_code == 200:
                        self.ok += 1
                        self.kids.append(response.json()["kid"])
                    else:
                        self.failures.append(f"{response.status_code} {response.text[:120]}")

    def __enter__(self) -> "LoadLoop":
        for thread in self._threads:
            thread.start()
        return self

    def wait_for(self, predicate, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "the load loop did not get there in time"
            time.sleep(0.05)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


# --------------------------------------------------------------------------- master-secret rotation


def test_master_secret_rotation_under_load_loses_no_request(tmp_path):
    """The drill of issuer/README.md (Operations → Rotate the master secret), with a secret file, under load."""
    secret_file = tmp_path / "master-secrets"
    write_secret_file(secret_file, MASTER_SECRET.decode())
    with ServedIssuer(tmp_path, GENEROUS_LIMITS, workers=2, secret_file=secret_file) as served:
        first_kid = json.loads(served.cli("--json", "keys", "list"))["keys"][0]["kid"]
        with LoadLoop(served.url, served.access_token()) as load:
            load.wait_for(lambda: load.ok >= 20)
            # 1. The ring: the new secret first, the old one still accepted.
            write_secret_file(secret_file, NEW_SECRET, MASTER_SECRET.decode())
            # 2. Every blob re-encrypted under the new secret.
            assert "re-encrypted" in served.cli("keys", "rewrap")
            # 3. Only the new secret left. The running workers still opened the key with the old one.
            write_secret_file(secret_file, NEW_SECRET)
            before = load.ok
            load.wait_for(lambda: load.ok >= before + 20)
            # 4. A key made after the rotation: the workers re-read the ring to open it.
            served.cli("keys", "generate", "--kid", "after-rotation")
            served.cli("keys", "activate", "after-rotation", "--skip-chain-check")
            load.wait_for(lambda: load.kids.count("after-rotation") >= 20)
        assert load.failures == [], load.failures[:5]
        assert load.kids[0] == first_kid and load.ok > 60
        assert httpx.get(served.url + "/readyz").json()["signing_key"] == "after-rotation"

        # After the transition only the new secret is needed, and the old one opens nothing.
        write_secret_file(secret_file, MASTER_SECRET.decode())
        refused = issuer_cli(served.env, "--config", str(served.config), "keys", "list")
        assert refused.returncode == 1
        assert refused.stderr.strip() == ("issuer: error: the master secret is not the one this database's signing "
                                          "keys were encrypted with")
        write_secret_file(secret_file, NEW_SECRET)
        assert "after-rotation" in served.cli("keys", "list")


def test_rewrap_with_the_environment_ring_keeps_a_running_service_signing(make_client, monkeypatch):
    """Instances started with the old secret only keep signing with the key they hold after `keys rewrap`."""
    client = make_client()
    client.service.accounts.add_user("alice", PASSWORD, subject="alice")
    token = login(client)["access_token"]
    body = {"transaction_hex": transfer().hex()}
    assert client.post("/v1/tokens", json=body, headers=bearer(token)).status_code == 200
    # Another process (the CLI) with ISSUER_MASTER_SECRET=new and ISSUER_MASTER_SECRET_PREVIOUS=old.
    settings = client.service.settings
    monkeypatch.setenv("ISSUER_MASTER_SECRET", NEW_SECRET)
    monkeypatch.setenv("ISSUER_MASTER_SECRET_PREVIOUS", MASTER_SECRET.decode())
    operator = IssuerService(settings)
    assert operator.keys.rewrap() == 1
    operator.close()
    for _ in range(3):
        assert client.post("/v1/tokens", json=body, headers=bearer(token)).status_code == 200
    assert client.get("/readyz").status_code == 200
    # The new secret alone opens everything now; the old one alone opens nothing.
    monkeypatch.delenv("ISSUER_MASTER_SECRET_PREVIOUS")
    IssuerService(settings).close()
    from issuer.secrets_box import MasterSecretError
    with pytest.raises(MasterSecretError):
        IssuerService(settings, secret=MASTER_SECRET)


def test_readyz_fails_when_the_active_key_cannot_be_opened(make_client):
    client = make_client()
    assert client.get("/readyz").json()["status"] == "ok"
    # A key made under a secret this instance does not hold becomes active (from another process).
    other = IssuerService(client.service.settings, secret=MASTER_SECRET)
    from issuer import secrets_box
    salt, n = secrets_box.install_salt(other.store, 1024)
    other.keys.box = secrets_box.derive_ring([NEW_SECRET.encode()], salt, n)
    info = other.keys.generate(kid="foreign")
    other.keys.activate(info.kid)
    other.close()
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["signing_key"] == "foreign does not open with the master secret"
    client.service.accounts.add_user("alice", PASSWORD, subject="alice")
    issued = client.post("/v1/tokens", json={"transaction_hex": transfer().hex()},
                         headers=bearer(login(client)["access_token"]))
    assert issued.status_code == 503 and issued.json()["error"] == "cannot_sign"


# --------------------------------------------------------------------------- storage


@pytest.fixture
def cli_env(tmp_path):
    env = {**os.environ, "ISSUER_MASTER_SECRET": MASTER_SECRET.decode(), "ISSUER__KEYS__SCRYPT_N": "1024",
           "PYTHONPATH": str(REPO)}
    env.pop("ISSUER_CONFIG", None)
    return env


def test_no_command_but_init_creates_a_database(tmp_path, cli_env):
    db = tmp_path / "data" / "issuer.db"
    db.parent.mkdir()
    env = {**cli_env, "ISSUER__DATABASE__URL": f"sqlite:///{db}"}
    for command in (["users", "list"], ["keys", "list"], ["serve"]):
        done = issuer_cli(env, *command)
        assert done.returncode == 1, command
        assert done.stderr.strip() == (f"issuer: error: no database at {db}: run `issuer init` to create it, or fix "
                                       "database.url (an absolute path is sqlite:////path/issuer.db, four slashes)")
        assert not db.exists()
    # The documented relative-looking mistake (three slashes) names the absolute path it would have used.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    relative = issuer_cli({**cli_env, "ISSUER__DATABASE__URL": "sqlite:///var/issuer.db"}, "users", "list",
                          cwd=elsewhere)
    assert relative.returncode == 1 and "does not exist" in relative.stderr and str(elsewhere) in relative.stderr
    assert issuer_cli(env, "init").returncode == 0
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert issuer_cli(env, "users", "list").stdout.strip() == "no users"


def test_an_empty_database_is_not_an_issuer_database(postgres_url, cli_env):
    done = issuer_cli({**cli_env, "ISSUER__DATABASE__URL": postgres_url}, "keys", "list")
    assert done.returncode == 1
    assert done.stderr.strip() == ("issuer: error: the database has no issuer schema: run `issuer init` to set it "
                                   "up, or fix database.url")


def test_database_password_in_the_config_file_is_refused(tmp_path):
    config = tmp_path / "issuer.toml"
    config.write_text('[database]\nurl = "postgresql://issuer:s3cret@db.internal/issuer"\n')
    with pytest.raises(ConfigError, match="a password does not belong in the config file") as refused:
        load_settings(str(config), environ={})
    assert "s3cret" not in str(refused.value)
    config.write_text('[database]\nurl = "postgresql://issuer@db.internal/issuer"\n')  # .pgpass / PGPASSWORD
    assert load_settings(str(config), environ={}).database.url.endswith("@db.internal/issuer")


def test_database_failures_are_one_cli_line(cli_env):
    env = {**cli_env, "ISSUER__DATABASE__URL": "postgresql://issuer:pw@127.0.0.1:9/issuer"}
    for command in (["keys", "list"], ["users", "list"], ["init"], ["serve"]):
        done = issuer_cli(env, *command)
        assert done.returncode == 1, command
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("issuer: error: database postgresql://issuer:***@127.0.0.1:9"), \
            done.stderr
        assert "pw@" not in done.stderr and "Traceback" not in done.stderr


def test_database_outage_answers_503_on_every_endpoint(make_client, postgres_server, postgres_url, captured_logs):
    from postgres_server import drop_database

    client = make_client(fast_settings(postgres_url))
    client.service.accounts.add_user("alice", PASSWORD, subject="alice")
    token = login(client)["access_token"]
    drop_database(postgres_server, postgres_url.rsplit("/", 1)[1])  # terminates the connections too
    for method, path, kwargs in (("GET", "/.well-known/jwks.json", {}), ("GET", "/readyz", {}),
                                 ("POST", "/v1/tokens", {"json": {"transaction_hex": transfer().hex()},
                                                         "headers": bearer(token)}),
                                 ("POST", "/v1/auth/login", {"json": {"username": "alice", "password": PASSWORD}})):
        response = client.request(method, path, **kwargs)
        assert response.status_code == 503, (path, response.text)
        if path != "/readyz":
            assert response.json() == {"error": "database_unavailable",
                                       "message": "the issuer's database is unavailable; try again shortly"}
            assert response.headers["Retry-After"] == "5"
    assert client.get("/healthz").status_code == 200
    outage_lines = [r for r in captured_logs.records if "database unavailable" in r.getMessage()]
    assert outage_lines and not any(r.exc_info for r in outage_lines)


# --------------------------------------------------------------------------- observability


def _metric_samples(text: str) -> dict:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_are_prometheus_text(client, idp):
    token = login(client)["access_token"]
    assert client.post("/v1/tokens", json={"transaction_hex": transfer().hex()}, headers=bearer(token)).status_code == 200
    too_big = client.post("/v1/tokens", json={"transaction_hex": "00" * 2000}, headers=bearer(token))
    assert too_big.status_code == 413
    assert client.get("/v1/auth/session", headers=bearer("fa_at_forged")).status_code == 401
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = _metric_samples(response.text)
    assert samples[("issuer_tokens_issued_total", ())] >= 1
    assert samples[("issuer_tokens_refused_total", (("reason", "transaction_too_large"),))] >= 1
    assert samples[("issuer_authentication_rejected_total", (("kind", "access_token"), ("reason", "invalid_token")))] >= 1
    assert samples[("issuer_http_requests_total", (("method", "POST"), ("route", "/v1/tokens"), ("status", "200")))] >= 1
    assert samples[("issuer_http_request_duration_seconds_count", (("route", "/v1/tokens"),))] >= 2
    assert samples[("issuer_database_up", ())] == 1 and samples[("issuer_can_sign", ())] == 1
    assert samples[("issuer_signing_key_age_seconds", ())] >= 0


def test_request_ids_are_accepted_or_generated(client):
    given = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
    assert given.headers["x-request-id"] == "lb-7f3a.42"
    made = client.get("/healthz", headers={"X-Request-ID": "<script> with spaces"})
    assert made.headers["x-request-id"] != "<script> with spaces" and len(made.headers["x-request-id"]) == 32
    assert client.get("/nowhere").headers["x-request-id"]


def test_json_logs_carry_request_ids_and_rejections_without_tokens(tmp_path, idp):
    oidc = idp.provider_config()
    provider_toml = "\n".join(f"{key} = {json.dumps(value)}" for key, value in oidc.items())
    served = ServedIssuer(tmp_path, f"[[auth.oidc]]\n{provider_toml}\n",
                          serve_args=("--log-level", "info", "--log-format", "json"))
    with served:
        token = served.access_token()
        ok = httpx.post(served.url + "/v1/tokens", json={"transaction_hex": transfer().hex()},
                        headers={**bearer(token), "X-Request-ID": "drill-1"})
        assert ok.status_code == 200
        rejected = httpx.post(served.url + "/v1/tokens", json={"transaction_hex": transfer().hex()},
                              headers={**bearer("fa_at_not-a-real-token"), "X-Request-ID": "drill-2"})
        assert rejected.status_code == 401
        bad_id_token = idp.id_token(audience="someone-else")
        assert httpx.post(served.url + "/v1/tokens", json={"transaction_hex": transfer().hex()},
                          headers={**bearer(bad_id_token), "X-Request-ID": "drill-3"}).status_code == 401
        time.sleep(0.5)
    lines = [json.loads(line) for line in served.log_path.read_text().splitlines() if line.strip()]
    assert lines and all({"ts", "level", "logger", "message", "request_id"} <= set(line) for line in lines)
    by_id = {}
    for line in lines:
        by_id.setdefault(line["request_id"], []).append(line)
    assert any(line.get("audit", {}).get("event") == "token_issued" for line in by_id["drill-1"])
    assert any("POST /v1/tokens" in line["message"] and "200" in line["message"] for line in by_id["drill-1"])
    assert any(line["message"].startswith("authentication rejected: kind=access_token reason=invalid_token")
               for line in by_id["drill-2"])
    assert any("reason=invalid_audience" in line["message"] for line in by_id["drill-3"])
    text = served.log_path.read_text()
    assert token not in text and bad_id_token not in text and "not-a-real-token" not in text


def test_provider_outage_is_logged_and_answered_503(make_client, idp, captured_logs):
    client = make_client(fast_settings("sqlite://", auth={"oidc": [idp.provider_config()]}))
    id_token = idp.id_token()
    idp.server.shutdown()
    idp.server.server_close()
    response = client.post("/v1/tokens", json={"transaction_hex": transfer().hex()}, headers=bearer(id_token))
    assert response.status_code == 503 and response.json()["error"] == "provider_unavailable"
    assert any(r.levelname == "ERROR" and "identity provider" in r.getMessage() and "unavailable" in r.getMessage()
               for r in captured_logs.records)
    assert id_token not in captured_logs.text


# --------------------------------------------------------------------------- accounts and drills


def test_an_operator_can_lift_a_login_lockout(tmp_path, cli_env):
    db = tmp_path / "issuer.db"
    env = {**cli_env, "ISSUER__DATABASE__URL": f"sqlite:///{db}",
           "ISSUER__RATE_LIMITS__LOGIN_FAILURES_PER_USER": '{"limit": 2, "window_seconds": 900}',
           "ISSUER__AUTH__PASSWORD__ARGON2_MEMORY_KIB": "8192", "ISSUER__AUTH__PASSWORD__ARGON2_TIME_COST": "1"}
    assert issuer_cli(env, "init").returncode == 0
    added = subprocess.run([sys.executable, "-m", "issuer", "users", "add", "Alice", "--password-stdin"], env=env,
                           input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    settings = load_settings(environ=env)
    service = IssuerService(settings, secret=MASTER_SECRET)
    from issuer.errors import NotAuthenticated, RateLimited
    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            service.login("alice", "wrong password!!", "192.0.2.1")
    with pytest.raises(RateLimited):
        service.login("Alice", PASSWORD, "192.0.2.1")
    unlocked = issuer_cli(env, "users", "unlock", "Alice")
    assert unlocked.returncode == 0 and "login lockout lifted" in unlocked.stdout, unlocked.stderr
    assert service.login("Alice", PASSWORD, "192.0.2.1").subject
    service.close()


# --------------------------------------------------------------------------- shutdown


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_lets_in_flight_requests_finish(tmp_path, workers):
    """Requests inside the service when SIGTERM arrives are answered; new connections are refused after."""
    inflight = tmp_path / "inflight"
    inflight.mkdir()
    served = ServedIssuer(tmp_path, GENEROUS_LIMITS + '[authorization]\nhook = "slow_hook:hold"\n', workers=workers)
    served.env["PYTHONPATH"] = str(Path(__file__).resolve().parent)  # where slow_hook lives
    served.env["ISSUER_TEST_INFLIGHT_DIR"] = str(inflight)
    with served:
        token = served.access_token()
        answers: list = []

        def one(nonce: int) -> None:
            try:
                answers.append(httpx.post(served.url + "/v1/tokens", headers=bearer(token), timeout=60,
                                          json={"transaction_hex": transfer(nonce=nonce).hex()}).status_code)
            except httpx.HTTPError as err:
                answers.append(type(err).__name__)

        threads = [threading.Thread(target=one, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(list(inflight.iterdir())) < 8:
            assert time.monotonic() < deadline, "the requests did not all reach the service"
            time.sleep(0.02)
        served.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        while True:  # the service stops listening (after the workers' drain) before it exits
            try:
                httpx.get(served.url + "/healthz", timeout=5)
            except (httpx.ConnectError, httpx.ReadError):  # refused, or reset while the listener closed
                break
            assert time.monotonic() < deadline, "still accepting connections 30 s after SIGTERM"
            time.sleep(0.05)
        for thread in threads:
            thread.join()
        # uvicorn re-raises the signal once it has shut down, so a clean stop ends "killed by SIGTERM".
        assert served.process.wait(timeout=60) in (0, -signal.SIGTERM)
    assert answers == [200] * 8


def test_sigterm_under_load_with_two_workers_drops_nothing_accepted(tmp_path):
    """Under load, nothing the service accepted fails; clients meet refused connections, not server errors."""
    with ServedIssuer(tmp_path, GENEROUS_LIMITS, workers=2) as served:
        load = LoadLoop(served.url, served.access_token(), clients=8)
        with load:
            load.wait_for(lambda: load.ok >= 50)
            served.process.send_signal(signal.SIGTERM)
            assert served.process.wait(timeout=60) in (0, -signal.SIGTERM)
    dropped = [f for f in load.failures if f != "ConnectError"]
    assert dropped == [], f"{len(dropped)} requests dropped: {dropped[:8]}"
    assert "ConnectError" in load.failures


# --------------------------------------------------------------------------- back up and restore


def _restored_service_works(env: dict, kid: str) -> None:
    listed = issuer_cli(env, "--json", "keys", "list")
    assert listed.returncode == 0, listed.stderr
    assert [key["kid"] for key in json.loads(listed.stdout)["keys"]] == [kid]
    users = issuer_cli(env, "users", "list")
    assert users.stdout.startswith("alice:"), users.stderr


def _seed(env: dict) -> str:
    assert issuer_cli(env, "init").returncode == 0
    added = subprocess.run([sys.executable, "-m", "issuer", "users", "add", "alice", "--password-stdin"], env=env,
                           input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    return json.loads(issuer_cli(env, "--json", "keys", "list").stdout)["keys"][0]["kid"]


def test_backup_and_restore_sqlite(tmp_path, cli_env):
    """Operations → Back up / Restore, with the sqlite3 command the README gives."""
    sqlite3 = shutil.which("sqlite3")
    if sqlite3 is None:
        pytest.skip("the sqlite3 command is not installed")
    live, backup = tmp_path / "live" / "issuer.db", tmp_path / "backups" / "issuer.db"
    live.parent.mkdir()
    backup.parent.mkdir()
    env = {**cli_env, "ISSUER__DATABASE__URL": f"sqlite:///{live}",
           "ISSUER__AUTH__PASSWORD__ARGON2_MEMORY_KIB": "8192", "ISSUER__AUTH__PASSWORD__ARGON2_TIME_COST": "1"}
    kid = _seed(env)
    subprocess.run([sqlite3, str(live), f".backup '{backup}'"], check=True, timeout=60)
    for path in live.parent.iterdir():  # the disk is lost
        path.unlink()
    subprocess.run(["install", "-m", "600", str(backup), str(live)], check=True)
    assert stat.S_IMODE(live.stat().st_mode) == 0o600
    _restored_service_works(env, kid)
    # The backup alone is no key: another master secret opens nothing.
    other = issuer_cli({**env, "ISSUER_MASTER_SECRET": NEW_SECRET}, "keys", "list")
    assert other.returncode == 1 and "master secret is not the one" in other.stderr


def test_backup_and_restore_postgres(tmp_path, cli_env, postgres_server, postgres_url):
    """Operations → Back up / Restore with pg_dump and pg_restore."""
    from postgres_server import create_database, drop_database

    env = {**cli_env, "ISSUER__DATABASE__URL": postgres_url,
           "ISSUER__AUTH__PASSWORD__ARGON2_MEMORY_KIB": "8192", "ISSUER__AUTH__PASSWORD__ARGON2_TIME_COST": "1"}
    kid = _seed(env)
    dump = tmp_path / "issuer.dump"
    libpq = {**os.environ, "PGPASSWORD": postgres_server.password}
    target = ["--host", postgres_server.host, "--port", str(postgres_server.port), "--username", postgres_server.user]
    name = postgres_url.rsplit("/", 1)[1]
    subprocess.run([str(postgres_server.bin_dir / "pg_dump"), *target, "--format=custom", f"--file={dump}", name],
                   env=libpq, check=True, timeout=120)
    drop_database(postgres_server, name)  # the database is lost
    create_database(postgres_server, name)
    subprocess.run([str(postgres_server.bin_dir / "pg_restore"), *target, "--clean", "--if-exists",
                    f"--dbname={name}", str(dump)], env=libpq, check=True, timeout=120)
    _restored_service_works(env, kid)
