"""Running the real `guardctl` console script against a real node, for tests/cli."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from py_near import transactions
from py_near.account import Account

from guardctl.credentials import Identity, generate_identity, save_identity

REPO_ROOT = Path(__file__).resolve().parents[2]
_SCRIPT = Path(sys.executable).with_name("guardctl")
GUARDCTL = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "guardctl.cli"]
NEAR = 10**24
COMMAND_TIMEOUT_S = 300


@dataclass
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.splitlines()


class GuardctlRunner:
    """Runs `guardctl --network N --rpc URL …` as a subprocess with its own credentials folder."""

    def __init__(self, rpc_url: str, network_name: str, credentials_dir: Path, workdir: Path):
        self.rpc_url = rpc_url
        self.network_name = network_name
        self.credentials_dir = credentials_dir
        self.workdir = workdir

    def environment(self, extra: Optional[dict] = None) -> dict:
        env = {name: value for name, value in os.environ.items() if not name.startswith("GUARDCTL_")}
        env["NEAR_CREDENTIALS_DIR"] = str(self.credentials_dir)
        env.update(extra or {})
        return env

    def raw(self, *args: str, env: Optional[dict] = None, network: bool = True) -> Run:
        prefix = ["--network", self.network_name, "--rpc", self.rpc_url] if network else []
        command = [*GUARDCTL, *prefix, *args]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S,
                                   env=self.environment(env), cwd=self.workdir, stdin=subprocess.DEVNULL)
        return Run(command, completed.returncode, completed.stdout, completed.stderr)

    def ok(self, *args: str, **kwargs) -> Run:
        run = self.raw(*args, **kwargs)
        assert run.returncode == 0, f"guardctl {' '.join(args)} exited {run.returncode}: {run.stderr}"
        return run

    def fails(self, *args: str, **kwargs) -> Run:
        """A failing run, held to the CLI's promise: one error line, no traceback."""
        run = self.raw(*args, **kwargs)
        assert run.returncode != 0, f"guardctl {' '.join(args)} should have failed: {run.stdout}"
        assert "Traceback" not in run.stderr, run.stderr
        assert len(run.stderr_lines) == 1, f"expected one stderr line, got: {run.stderr!r}"
        assert run.stderr.startswith("guardctl: error: "), run.stderr
        return run


def unique_name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def _create_account(rpc_url: str, parent: Identity, child: Identity, balance: int) -> None:
    account = Account(parent.account_id, parent.secret_key, rpc_url)
    try:
        result = await account.sign_and_submit_tx(child.account_id, [
            transactions.create_create_account_action(),
            transactions.create_transfer_action(balance),
            transactions.create_full_access_key_action(child.public_key),
        ])
        assert "SuccessValue" in result.status, result.status
    finally:
        await account.shutdown()


def create_funded_account(rpc_url: str, network_name: str, credentials_dir: Path, parent: Identity,
                          name: str, balance: int) -> Identity:
    """A sub-account of `parent` with a new key stored where guardctl looks for it."""
    child = generate_identity(f"{name}.{parent.account_id}")
    save_identity(child, network_name, {"NEAR_CREDENTIALS_DIR": str(credentials_dir)})
    asyncio.run(_create_account(rpc_url, parent, child, balance))
    return child


async def _deploy_with_init(rpc_url: str, owner: Identity, code: bytes, init_args: dict) -> None:
    account = Account(owner.account_id, owner.secret_key, rpc_url)
    try:
        result = await account.sign_and_submit_tx(owner.account_id, [
            transactions.create_deploy_contract_action(code),
            transactions.create_function_call_action("init", json.dumps(init_args).encode(), 300 * 10**12, 0),
        ])
        assert "SuccessValue" in result.status, result.status
    finally:
        await account.shutdown()


def deploy_contract(rpc_url: str, account: Identity, code: bytes, init_args: dict) -> None:
    asyncio.run(_deploy_with_init(rpc_url, account, code, init_args))


def with_custom_section(wasm: bytes, name: str, payload: bytes) -> bytes:
    """The same module plus a custom section: new code hash, same behaviour."""
    def leb128(value: int) -> bytes:
        out = bytearray()
        while True:
            byte = value & 0x7F
            value >>= 7
            out.append(byte | (0x80 if value else 0))
            if not value:
                return bytes(out)
    body = leb128(len(name.encode())) + name.encode() + payload
    return wasm + b"\x00" + leb128(len(body)) + body
