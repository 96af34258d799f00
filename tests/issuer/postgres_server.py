"""A throwaway PostgreSQL server for the storage tests: Debian's postgresql, a temp data dir, a local port.

`start_postgres()` finds the server binaries (/usr/lib/postgresql/*/bin),
installing Debian's `postgresql` package with apt-get when they are missing
and this process is root; runs `initdb` (as the `postgres` system user when
we are root: the server refuses to run as root) with password authentication
over TCP; starts it on 127.0.0.1 on a free port with its socket in the temp
dir and fsync off; and yields a URL. `PostgresUnavailable` carries the
reason when any of that is impossible, so the caller can skip with it.
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

INSTALL_TIMEOUT_S = 900
START_TIMEOUT_S = 60


class PostgresUnavailable(Exception):
    pass


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    bin_dir: Path

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{database}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_bin_dir() -> Optional[Path]:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2])
                            if p.split("/")[-2].isdigit() else 0, reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    return None


def install_postgres() -> Path:
    """apt-get install Debian's postgresql (root only); the bin dir."""
    if os.geteuid() != 0:
        raise PostgresUnavailable("PostgreSQL is not installed and this process is not root (cannot apt-get)")
    if shutil.which("apt-get") is None:
        raise PostgresUnavailable("PostgreSQL is not installed and there is no apt-get here")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"],
                    ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S, env=env,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise PostgresUnavailable(f"{' '.join(command)} timed out") from None
        if done.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(command)} failed: {done.stderr.strip()[-400:]}")
    found = find_bin_dir()
    if found is None:
        raise PostgresUnavailable("postgresql was installed but no /usr/lib/postgresql/*/bin/initdb appeared")
    return found


def _run_as(user: Optional[str], command: list[str], **kwargs) -> subprocess.CompletedProcess:
    if user is not None:
        command = ["runuser", "-u", user, "--", *command]
    return subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, **kwargs)


@contextlib.contextmanager
def start_postgres() -> Iterator[PostgresServer]:
    """A running server in a fresh temp folder (under the system temp dir, which the `postgres`
    user can reach, unlike pytest's 0700 folders); removed afterwards."""
    bin_dir = find_bin_dir() or install_postgres()
    workdir = Path(tempfile.mkdtemp(prefix="issuer-pg-"))
    try:
        with _started(bin_dir, workdir) as server:
            yield server
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def _started(bin_dir: Path, workdir: Path) -> Iterator[PostgresServer]:
    run_user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresUnavailable("running as root and there is no 'postgres' user to run the server") from None
        run_user = "postgres"
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir, socket_dir = workdir / "data", workdir / "socket"
    socket_dir.mkdir(exist_ok=True)
    password = secrets.token_urlsafe(16)
    password_file = workdir / "pwfile"
    password_file.write_text(password + "\n")
    if run_user is not None:
        os.chmod(workdir, 0o755)
        shutil.chown(workdir, run_user)
        shutil.chown(socket_dir, run_user)
        shutil.chown(password_file, run_user)
    user = "issuer"
    init = _run_as(run_user, [str(bin_dir / "initdb"), "-D", str(data_dir), "-U", user, "--pwfile",
                              str(password_file), "--auth-host=scram-sha-256", "--auth-local=scram-sha-256",
                              "-E", "UTF8", "--no-sync"], timeout=120)
    password_file.unlink()
    if init.returncode != 0:
        raise PostgresUnavailable(f"initdb failed: {init.stderr.strip()[-400:]}")
    port = _free_port()
    log_file = workdir / "postgres.log"
    options = f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " \
              "-c full_page_writes=off -c max_connections=100"
    start = _run_as(run_user, [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-o", options, "-l", str(log_file),
                               "-w", "-t", str(START_TIMEOUT_S), "start"], timeout=START_TIMEOUT_S + 30)
    if start.returncode != 0:
        tail = log_file.read_text(errors="replace")[-1500:] if log_file.exists() else ""
        raise PostgresUnavailable(f"pg_ctl start failed: {start.stderr.strip()[-400:]} {tail}")
    try:
        server = PostgresServer("127.0.0.1", port, user, password, bin_dir)
        _wait_ready(server)
        yield server
    finally:
        _run_as(run_user, [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"], timeout=60)


def _wait_ready(server: PostgresServer) -> None:
    import psycopg

    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with psycopg.connect(server.url("postgres"), connect_timeout=3):
                return
        except psycopg.OperationalError as err:
            if time.monotonic() > deadline:
                raise PostgresUnavailable(f"the server did not accept connections: {err}") from None
            time.sleep(0.2)


def create_database(server: PostgresServer, name: str) -> str:
    import psycopg

    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.url(name)


def drop_database(server: PostgresServer, name: str) -> None:
    import psycopg

    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
