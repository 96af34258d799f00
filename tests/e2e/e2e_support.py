"""What the end-to-end tests drive: `guardctl` as an integrator runs it, and NEAR over JSON-RPC.

Everything goes through a `NetworkHandle` (tests/network.py): nothing here
touches localnet's internals, so the suite runs unchanged against a real
near-sandbox or any node with a funded account.

- `Guardctl` runs the CLI either as the installed console script in a
  subprocess (exactly what a user types) or through `guardctl.cli.main(argv)`
  in this process (same code path after argument parsing, without the
  interpreter start-up; most tests use it for speed).
- `Near` signs function calls with py-near and then reads the transaction back
  with the `tx` RPC, because py-near's outcome objects drop `executor_id`,
  which is how a test finds the guard's receipt (and its gas) inside the
  router's or FastAuth's chain of receipts.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest
from py_near import transactions
from py_near.account import Account

from guardctl.credentials import Identity, generate_identity, parse_secret_key, save_identity
from tests.network import NetworkHandle

REPO_ROOT = Path(__file__).resolve().parents[2]
_SCRIPT = Path(sys.executable).with_name("guardctl")
GUARDCTL_COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "guardctl.cli"]
NEAR = 10**24
TGAS = 10**12
COMMAND_TIMEOUT_S = 300
# One yoctoNEAR: what FastAuth.sign forwards to the MPC contract, which wants at least that.
ONE_YOCTO = 1
# The bytes FastAuth would sign. The guard compares them with the token's
# `fatxn` byte for byte; with no transaction policy set it does not decode them.
SIGN_PAYLOAD = bytes.fromhex("0b000000616c6963652e6e656172") + bytes(range(64))
SIGN_PAYLOAD_HEX = SIGN_PAYLOAD.hex()


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


# ----------------------------------------------------------------------------- guardctl


@dataclass
class CliRun:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


@contextlib.contextmanager
def _environment(values: dict):
    """os.environ with every GUARDCTL_* removed and `values` set; restored afterwards."""
    saved = dict(os.environ)
    for name in [name for name in os.environ if name.startswith("GUARDCTL_")]:
        del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Guardctl:
    """`guardctl --network N --rpc URL …` with its own credentials folder and working directory."""

    def __init__(self, rpc_url: str, network_name: str, credentials_dir: Path, workdir: Path):
        self.rpc_url = rpc_url
        self.network_name = network_name
        self.credentials_dir = credentials_dir
        self.workdir = workdir

    def _argv(self, args, network: bool) -> list[str]:
        prefix = ["--network", self.network_name, "--rpc", self.rpc_url] if network else []
        return [*prefix, *map(str, args)]

    def run(self, *args, subprocess_: bool = False, network: bool = True) -> CliRun:
        argv = self._argv(args, network)
        env = {"NEAR_CREDENTIALS_DIR": str(self.credentials_dir)}
        if subprocess_:
            full_env = {name: value for name, value in os.environ.items() if not name.startswith("GUARDCTL_")}
            completed = subprocess.run([*GUARDCTL_COMMAND, *argv], capture_output=True, text=True,
                                       timeout=COMMAND_TIMEOUT_S, env={**full_env, **env}, cwd=self.workdir,
                                       stdin=subprocess.DEVNULL)
            return CliRun(argv, completed.returncode, completed.stdout, completed.stderr)
        from guardctl.cli import main  # imported late: the console script is the reference

        stdout, stderr = io.StringIO(), io.StringIO()
        with _environment(env), contextlib.chdir(self.workdir), \
                contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(argv)
        return CliRun(argv, code, stdout.getvalue(), stderr.getvalue())

    def ok(self, *args, **kwargs) -> CliRun:
        run = self.run(*args, **kwargs)
        assert run.returncode == 0, f"guardctl {' '.join(run.args)} exited {run.returncode}:\n{run.stderr}"
        return run

    def fails(self, *args, **kwargs) -> CliRun:
        """A refused command, held to guardctl's promise: exit 1, one `guardctl: error:` line."""
        run = self.run(*args, **kwargs)
        assert run.returncode == 1, f"guardctl {' '.join(run.args)} should have failed:\n{run.stdout}{run.stderr}"
        assert run.stderr.startswith("guardctl: error: ") and len(run.stderr.splitlines()) == 1, run.stderr
        return run


# ----------------------------------------------------------------------------- chain


@dataclass
class CallOutcome:
    """A committed transaction as the `tx` RPC returns it, with helpers to find one contract's receipt."""

    tx_hash: str
    raw: dict

    @property
    def status(self) -> dict:
        return self.raw["status"]

    @property
    def succeeded(self) -> bool:
        return isinstance(self.status, dict) and "SuccessValue" in self.status

    @property
    def value(self):
        """The transaction's JSON result (None for an empty value)."""
        assert self.succeeded, self.failure_text
        return _decode(self.status["SuccessValue"])

    @property
    def outcomes(self) -> list[dict]:
        return [{"executor_id": o["outcome"]["executor_id"], **o["outcome"]} for o in self.raw["receipts_outcome"]]

    @property
    def failure_text(self) -> str:
        failures = [o["status"] for o in self.outcomes if "Failure" in o["status"]]
        return json.dumps(self.status) + " " + json.dumps(failures)

    @property
    def logs(self) -> list[str]:
        return [line for o in self.outcomes for line in o["logs"]]

    def receipts_of(self, executor_id: str) -> list[dict]:
        """The receipts `executor_id` executed with gas (a call and its callback are two; refunds burn none)."""
        found = [o for o in self.outcomes if o["executor_id"] == executor_id and o["gas_burnt"] > 0]
        assert found, (executor_id, self.gas_table())
        return found

    def gas_of(self, executor_id: str) -> int:
        """Gas `executor_id` burnt in this transaction, over all its receipts."""
        return sum(o["gas_burnt"] for o in self.receipts_of(executor_id))

    def value_of(self, executor_id: str):
        """The JSON value `executor_id` returned (the one of its receipts that returned a value)."""
        values = [o["status"]["SuccessValue"] for o in self.receipts_of(executor_id) if "SuccessValue" in o["status"]]
        assert len(values) == 1, (executor_id, self.gas_table())
        return _decode(values[0])

    @property
    def total_gas(self) -> int:
        return self.raw["transaction_outcome"]["outcome"]["gas_burnt"] + sum(o["gas_burnt"] for o in self.outcomes)

    def gas_table(self) -> str:
        rows = [f"  {o['executor_id']:<34} {o['gas_burnt'] / TGAS:8.3f} Tgas  {_status_text(o['status'])}"
                for o in self.outcomes]
        return "\n".join(rows)


def _decode(value_b64: str):
    raw = base64.b64decode(value_b64)
    return json.loads(raw) if raw else None


def _status_text(status: dict) -> str:
    if "SuccessValue" in status:
        raw = base64.b64decode(status["SuccessValue"])
        return raw.decode(errors="replace")[:80] if raw else "(empty)"
    if "SuccessReceiptId" in status:
        return "→ receipt"
    return json.dumps(status)[:120]


class Near:
    """A funded root account on `network`, and the calls the tests make as plain NEAR users."""

    def __init__(self, network: NetworkHandle, network_name: str, credentials_dir: Path):
        self.network = network
        self.network_name = network_name
        self.credentials_dir = credentials_dir
        secret, public = parse_secret_key(network.root_secret_key, "root key")
        self.root = Identity(network.root_account_id, secret, public, "the network's root account")
        path = credentials_dir / network_name / f"{self.root.account_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.root.as_credentials_json()))

    # -- transactions

    def transact(self, signer: Identity, receiver_id: str, actions: list) -> CallOutcome:
        async def submit():
            account = Account(signer.account_id, signer.secret_key, self.network.rpc_url)
            try:
                return await account.sign_and_submit_tx(receiver_id, actions)
            finally:
                await account.shutdown()

        result = asyncio.run(submit())
        tx_hash = result.transaction.hash
        # py-near's objects drop executor_id; the `tx` RPC has the whole outcome.
        answer = self.network.rpc("tx", [tx_hash, signer.account_id])
        assert "result" in answer, answer
        return CallOutcome(tx_hash, answer["result"])

    def call(self, signer: Identity, contract_id: str, method: str, args, *, gas: int = 300 * TGAS,
             deposit: int = 0) -> CallOutcome:
        raw = args if isinstance(args, bytes) else json.dumps(args).encode()
        action = transactions.create_function_call_action(method, raw, gas, deposit)
        return self.transact(signer, contract_id, [action])

    def create_account(self, prefix: str, balance_near: float = 20, code: Optional[bytes] = None) -> Identity:
        """A new sub-account of the root, its key stored where guardctl finds it; optionally with code."""
        identity = generate_identity(f"{unique(prefix)}.{self.root.account_id}")
        save_identity(identity, self.network_name, {"NEAR_CREDENTIALS_DIR": str(self.credentials_dir)})
        actions = [transactions.create_create_account_action(),
                   transactions.create_transfer_action(int(balance_near * NEAR)),
                   transactions.create_full_access_key_action(identity.public_key)]
        if code is not None:
            actions.append(transactions.create_deploy_contract_action(code))
        outcome = self.transact(self.root, identity.account_id, actions)
        assert outcome.succeeded, outcome.failure_text
        return identity

    # -- reads

    # Reads are `optimistic`: the tests read what the transaction they just sent (answered
    # EXECUTED_OPTIMISTIC, as on nearcore) did, which `final` shows only two blocks later.
    def view(self, contract_id: str, method: str, args: Optional[dict] = None):
        answer = self.network.rpc("query", {
            "request_type": "call_function", "finality": "optimistic", "account_id": contract_id,
            "method_name": method, "args_base64": base64.b64encode(json.dumps(args or {}).encode()).decode()})
        result = answer["result"]
        assert "error" not in result, result
        return json.loads(bytes(result["result"]))

    def code_hash(self, account_id: str) -> str:
        answer = self.network.rpc("query", {"request_type": "view_account", "finality": "optimistic",
                                            "account_id": account_id})
        return answer["result"]["code_hash"]

    def wait_until_final(self, timeout_s: float = 30.0) -> None:
        """Wait until everything in the blocks made so far is final, polling as a client of nearcore must
        before something that reads `final` (the issuer's checks of the guard) has to see it."""
        target = self.network.rpc("block", {"finality": "optimistic"})["result"]["header"]["height"]
        deadline = time.monotonic() + timeout_s
        while self.network.rpc("block", {"finality": "final"})["result"]["header"]["height"] < target:
            assert time.monotonic() < deadline, f"block {target} did not become final within {timeout_s:.0f}s"
            time.sleep(0.05)

    def block_time(self) -> int:
        """The latest block's time in unix seconds: the clock the guard checks `exp` and key windows against."""
        header = self.network.rpc("block", {"finality": "optimistic"})["result"]["header"]
        return int(header["timestamp"]) // 10**9

    def advance_past(self, unix_s: int, attempts: int = 8) -> int:
        """Fast-forward the chain (sandbox_fast_forward) until its block time is later than `unix_s`."""
        for _ in range(attempts):
            now = self.block_time()
            if now > unix_s:
                return now
            answer = self.network.rpc("sandbox_fast_forward", {"delta_height": unix_s - now + 1}, timeout=120)
            if "error" in answer:
                # A public network has no sandbox methods: such a test cannot run there.
                pytest.skip(f"{self.network.rpc_url} cannot fast-forward: {answer['error'].get('message')}")
            time.sleep(0.05)
        raise AssertionError(f"the chain's time did not pass {unix_s} after {attempts} fast-forwards")


# ----------------------------------------------------------------------------- a deployed guard


@dataclass
class Deployment:
    """A guard deployed and registered in the session's router under its issuer's exact iss."""

    guardctl: Guardctl
    near: Near
    router: str
    relayer: Identity
    guard: str
    owner: Identity
    issuer: str
    keys: dict

    @property
    def guard_id(self) -> str:
        return f"jwt#{self.issuer}"

    def as_owner(self, *args, **kwargs):
        return self.guardctl.ok("--account", self.owner.account_id, "--guard", self.guard, *args, **kwargs)

    def token(self, kid: str, sub: str = "alice", *, exp_in: int = 3600, payload: bytes = None,
              issuer: str = None) -> str:
        """A token minted by `guardctl token`, issued at the chain's time (which fast-forwards move)."""
        key = self.keys[kid]
        return self.guardctl.ok(
            "token", "--key", key["private_pem"], "--kid", kid, "--issuer", issuer or self.issuer, "--sub", sub,
            "--aud", self.guard,  # the audience `guardctl deploy` binds by default
            "--payload", (payload if payload is not None else SIGN_PAYLOAD).hex(),
            "--iat", self.near.block_time(), "--exp-in", exp_in, network=False).stdout.strip()

    def verify(self, token: str, payload: bytes = SIGN_PAYLOAD) -> CallOutcome:
        """router.verify(jwt#ISS, token, payload, predecessor) as a transaction from the relayer."""
        outcome = self.near.call(self.relayer, self.router, "verify", {
            "guard_id": self.guard_id, "verify_payload": token, "sign_payload": list(payload),
            "predecessor": self.relayer.account_id}, gas=300 * TGAS)
        assert outcome.succeeded, outcome.failure_text
        return outcome

    def verdict(self, token: str, payload: bytes = SIGN_PAYLOAD) -> tuple[list, list]:
        """(what the router returned, what the guard told the router)."""
        outcome = self.verify(token, payload)
        return outcome.value, outcome.value_of(self.guard)

    def keys_on_chain(self) -> list[str]:
        return [key.get("kid") for key in self.near.view(self.guard, "get_public_keys")]


def deploy_guard(guardctl: Guardctl, near: Near, root: Identity, router: str, relayer: Identity, wasm: dict,
                 idp_keys: dict, *, subprocess_: bool = False) -> Deployment:
    owner = near.create_account("owner", 20)
    guard = f"{unique('guard')}.{root.account_id}"
    issuer = f"https://{unique('idp')}.example/"
    guardctl.ok("--account", root.account_id, "--guard", guard, "deploy", "--create", "--owner", owner.account_id,
                "--keys", idp_keys["k1"]["jwks_json"], "--wasm", wasm["guard"], subprocess_=subprocess_)
    guardctl.ok("--account", root.account_id, "--guard", guard, "register", "--router", router, "--issuer", issuer,
                subprocess_=subprocess_)
    return Deployment(guardctl, near, router, relayer, guard, owner, issuer, idp_keys)
