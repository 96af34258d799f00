"""The NEAR network integration tests run against, chosen by environment.

- default: `localnet run` as a subprocess, on a free port, with a fresh home;
- `NEAR_SANDBOX_BIN=/path/to/near-sandbox`: a real near-sandbox (`init`, then
  `run --rpc-addr`), reading its `validator_key.json`;
- `NEAR_RPC_URL` + `NEAR_ROOT_ACCOUNT` + `NEAR_ROOT_SECRET_KEY`: an existing
  node and a funded account on it (nothing is started or stopped).

Tests only see a `NetworkHandle` and talk JSON-RPC, so the same test runs
unchanged against all three.  This module is plain Python (no pytest) so
scripts and benchmarks can use it too.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
# Tests run the node's clock faster than `localnet run`'s default (a block a second when idle,
# 0.1 s apart while transactions run): a block as soon as there is work, so they do not wait for
# blocks longer than they must.
LOCALNET_CLOCK = ("--block-time", "0.2", "--min-block-time", "0")


@dataclass(frozen=True)
class NetworkHandle:
    rpc_url: str
    root_account_id: str
    root_secret_key: str  # "ed25519:<base58 of the 64-byte secret>", as validator_key.json has it
    kind: str  # "localnet" | "sandbox" | "remote"
    home: Optional[Path] = None  # the node's home directory when this process started it

    def rpc(self, method: str, params, timeout: float = 30.0) -> dict:
        """One raw JSON-RPC call; returns the whole response object (`result` or `error`)."""
        return rpc_call(self.rpc_url, method, params, timeout=timeout)


def rpc_call(rpc_url: str, method: str, params, timeout: float = 30.0) -> dict:
    body = json.dumps({"jsonrpc": "2.0", "id": "tests", "method": method, "params": params}).encode()
    request = urllib.request.Request(rpc_url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_ready(rpc_url: str, process: Optional[subprocess.Popen] = None, timeout: float = READY_TIMEOUT_S) -> dict:
    """Poll `status` until the node answers with a block; fail early if the process died."""
    deadline = time.monotonic() + timeout
    last_error: object = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"node exited with code {process.returncode} before it was ready")
        try:
            status = rpc_call(rpc_url, "status", [], timeout=5)
            if status.get("result", {}).get("sync_info", {}).get("latest_block_height") is not None:
                return status["result"]
            last_error = status.get("error")
        except (OSError, ValueError) as err:
            last_error = err
        time.sleep(0.1)
    raise TimeoutError(f"no answer from {rpc_url} within {timeout:.0f}s: {last_error}")


def wait_until_ready_or_explain(rpc_url: str, process: subprocess.Popen, log_path: Path, timeout: float) -> dict:
    """`wait_until_ready`, with the end of the node's log in the error when it fails."""
    try:
        return wait_until_ready(rpc_url, process, timeout)
    except (RuntimeError, TimeoutError) as err:
        tail = log_path.read_text(errors="replace")[-3000:] if log_path.exists() else "(no log)"
        raise RuntimeError(f"{err}\n--- {log_path} ---\n{tail}") from None


def read_validator_key(home: Path) -> dict:
    return json.loads((home / "validator_key.json").read_text())


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def localnet_command() -> list[str]:
    """The installed `localnet` console script, or the module from this interpreter."""
    script = Path(sys.executable).with_name("localnet")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "localnet.cli"]


@contextlib.contextmanager
def start_localnet(home: Path, log_path: Optional[Path] = None) -> Iterator[NetworkHandle]:
    port = free_port()
    log_path = log_path or home.with_name(home.name + ".log")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*localnet_command(), "run", "--port", str(port), "--home", str(home), *LOCALNET_CLOCK],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            rpc_url = f"http://127.0.0.1:{port}"
            wait_until_ready_or_explain(rpc_url, process, log_path, READY_TIMEOUT_S)
            key = read_validator_key(home)
            yield NetworkHandle(rpc_url, key["account_id"], key["secret_key"], "localnet", home)
        finally:
            stop_process(process)


@contextlib.contextmanager
def start_sandbox(binary: str, home: Path, log_path: Optional[Path] = None) -> Iterator[NetworkHandle]:
    port = free_port()
    log_path = log_path or home.with_name(home.name + ".log")
    subprocess.run([binary, "--home", str(home), "init"], check=True, capture_output=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [binary, "--home", str(home), "run", "--rpc-addr", f"127.0.0.1:{port}"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            rpc_url = f"http://127.0.0.1:{port}"
            wait_until_ready_or_explain(rpc_url, process, log_path, 180)
            key = read_validator_key(home)
            yield NetworkHandle(rpc_url, key["account_id"], key["secret_key"], "sandbox", home)
        finally:
            stop_process(process)


def remote_from_env() -> Optional[NetworkHandle]:
    url = os.environ.get("NEAR_RPC_URL")
    account = os.environ.get("NEAR_ROOT_ACCOUNT")
    secret = os.environ.get("NEAR_ROOT_SECRET_KEY")
    if not url:
        return None
    if not (account and secret):
        raise RuntimeError("NEAR_RPC_URL needs NEAR_ROOT_ACCOUNT and NEAR_ROOT_SECRET_KEY")
    return NetworkHandle(url, account, secret, "remote")


@contextlib.contextmanager
def start_network(workdir: Path) -> Iterator[NetworkHandle]:
    """The network the environment asks for, torn down when the block ends."""
    remote = remote_from_env()
    if remote is not None:
        wait_until_ready(remote.rpc_url)
        yield remote
        return
    binary = os.environ.get("NEAR_SANDBOX_BIN")
    home = workdir / "home"
    if binary:
        if shutil.which(binary) is None and not Path(binary).exists():
            raise RuntimeError(f"NEAR_SANDBOX_BIN={binary} does not exist")
        with start_sandbox(binary, home) as handle:
            yield handle
    else:
        with start_localnet(home) as handle:
            yield handle
