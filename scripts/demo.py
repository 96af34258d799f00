#!/usr/bin/env python3
"""The guard's whole story in a minute, on a throwaway local chain (`make demo`).

1. build the guard (and a JwtGuardRouter, FastAuth and the MPC mock) — cached
   after the first time;
2. start `localnet run` on a free port with a temporary home;
3. deploy the router and the guard with guardctl (the guard's audience bound to
   its own account), register the guard in the router under the issuer's
   exact `iss`, deploy the MPC mock and FastAuth routing `jwt` to the router;
4. make an identity-provider key, mint a token (aud = the guard), verify it
   through the router, then have FastAuth `sign` with it: FastAuth → router →
   guard → MPC mock, printing the gas of every receipt;
5. rotate the key (add the new one, remove the old one) and show that a token
   from the old key now fails while one from the new key passes;
6. stop the node — also on Ctrl-C or an error.

Each step prints one line with its gas. Exit code 0 when every step did what
it should, 1 otherwise. Every chain step is a `guardctl` command (add
--show-commands to see them) except the router and FastAuth calls and the MPC
mock's deployment, which are plain NEAR transactions signed with py-near, as
FastAuth's relayer would send them.

The router and FastAuth are the test ports of Peersyst/fast-auth's contracts
(devkit/ports/, faithful to upstream; see tests/ports/README.md); the MPC
signer is a mock that answers at once with a signature-shaped value. Pass the
real router's Wasm with --router-wasm to run the demo against it instead.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Optional

from devkit.ports import port_entry

REPO_ROOT = Path(__file__).resolve().parents[1]
ROUTER_PORT_ENTRY = port_entry("jwt_guard_router")
ROUTER_PORT_WASM = REPO_ROOT / "build" / "test-ports" / "jwt_guard_router.wasm"
FASTAUTH_PORT_ENTRY = port_entry("fastauth")
FASTAUTH_PORT_WASM = REPO_ROOT / "build" / "test-ports" / "fast_auth.wasm"
MPC_MOCK_ENTRY = port_entry("mpc_mock")
MPC_MOCK_WASM = REPO_ROOT / "build" / "test-ports" / "mpc_mock.wasm"

ISSUER = "https://issuer.example/"
SUB = "alice"
# What FastAuth would sign: the Borsh bytes of the user's transaction. The guard
# requires the token's `fatxn` claim to be exactly these bytes.
SIGN_PAYLOAD = bytes.fromhex("0a000000616c6963652e6e65617200") + bytes(range(48))
TGAS = 10**12
NODE_START_TIMEOUT_S = 60
NODE_STOP_TIMEOUT_S = 15
LABEL_WIDTH = 72


class StepFailed(Exception):
    """A step did not do what it should; the message says what happened instead."""


def _tool(name: str, module: str) -> list[str]:
    """The venv's console script `name`, or `python -m module` when it is not installed."""
    script = Path(sys.executable).with_name(name)
    return [str(script)] if script.exists() else [sys.executable, "-m", module]


GUARDCTL = _tool("guardctl", "guardctl.cli")
LOCALNET = _tool("localnet", "localnet.cli")


def tgas(gas: int) -> str:
    return f"{gas / TGAS:.1f} Tgas"


def json_text(value) -> str:
    """JSON as people write it: ["a", true] → [true, "alice", "…"] with spaces after commas."""
    return json.dumps(value, separators=(", ", ": "), ensure_ascii=False)


class Demo:
    def __init__(self, workdir: Path, show_commands: bool, router_wasm: Optional[Path]):
        self.workdir = workdir
        self.show_commands = show_commands
        self.router_wasm = router_wasm
        self.home = workdir / "node"
        self.credentials = workdir / "near-credentials"
        self.node: Optional[subprocess.Popen] = None
        self.rpc_url = ""
        self.root = ""
        self.failed = False

    # -- output

    def line(self, ok: bool, label: str, gas: str = "") -> None:
        mark = "✓" if ok else "✗"
        text = f"{mark} {label}"
        if gas:
            text = f"{text:<{LABEL_WIDTH}}   {gas}"
        print(text, flush=True)

    def step(self, label: str, action) -> object:
        """Run `action()` → (detail, gas text, value); print one line; stop the demo on failure."""
        try:
            detail, gas, value = action()
        except StepFailed as err:
            self.failed = True
            self.line(False, f"{label}: {err}")
            raise
        self.line(True, f"{label}{' → ' + detail if detail else ''}", gas)
        return value

    # -- guardctl

    def guardctl(self, *args, network: bool = True) -> dict:
        argv = [*map(str, args), "--json"]
        if network:
            argv = ["--network", "localnet", "--rpc", self.rpc_url, "--key-file",
                    str(self.home / "validator_key.json"), *argv]
        if self.show_commands:
            print(f"    $ guardctl {shlex.join(argv)}", flush=True)
        env = {name: value for name, value in os.environ.items() if not name.startswith("GUARDCTL_")}
        env["NEAR_CREDENTIALS_DIR"] = str(self.credentials)
        done = subprocess.run([*GUARDCTL, *argv], capture_output=True, text=True, env=env, cwd=self.workdir,
                              stdin=subprocess.DEVNULL, timeout=900)
        if done.returncode != 0:
            message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
            raise StepFailed(message.removeprefix("guardctl: error: "))
        return json.loads(done.stdout)

    # -- the node

    def start_node(self):
        log_path = self.workdir / "localnet.log"
        with open(log_path, "wb") as log:
            # Its own session: a Ctrl-C reaches the demo, which then stops the node itself.
            self.node = subprocess.Popen([*LOCALNET, "run", "--port", "0", "--home", str(self.home)],
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + NODE_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.node.poll() is not None:
                raise StepFailed(f"localnet exited with code {self.node.returncode}: {_tail(log_path)}")
            for text in log_path.read_text(errors="replace").splitlines():
                if "RPC listening on " in text:
                    self.rpc_url = text.split("RPC listening on ", 1)[1].split()[0]
            if self.rpc_url and self._answers():
                key = json.loads((self.home / "validator_key.json").read_text())
                self.root = key["account_id"]
                return f"{self.rpc_url}, root {self.root}, temporary home", "", None
            time.sleep(0.1)
        raise StepFailed(f"no RPC answer within {NODE_START_TIMEOUT_S} s: {_tail(log_path)}")

    def _answers(self) -> bool:
        try:
            return "result" in self.rpc("status", [])
        except OSError:
            return False

    def stop_node(self) -> None:
        if self.node is None or self.node.poll() is not None:
            return
        self.node.send_signal(signal.SIGTERM)
        try:
            self.node.wait(timeout=NODE_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.node.kill()
            self.node.wait()
        self.line(True, "stop localnet")

    def rpc(self, method: str, params) -> dict:
        body = json.dumps({"jsonrpc": "2.0", "id": "demo", "method": method, "params": params}).encode()
        request = urllib.request.Request(self.rpc_url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    # -- plain NEAR transactions (py-near), as a relayer sends them

    def send(self, receiver: str, actions: list, shown: str) -> dict:
        """Sign `actions` to `receiver` as the root account; the EXPERIMENTAL_tx_status result."""
        from py_near.account import Account

        key = json.loads((self.home / "validator_key.json").read_text())
        if self.show_commands:
            print(f"    $ (py-near, signed by {self.root}) {shown}", flush=True)

        async def submit():
            account = Account(self.root, key["secret_key"], self.rpc_url)
            try:
                return await account.sign_and_submit_tx(receiver, actions)
            finally:
                await account.shutdown()

        tx_hash = asyncio.run(submit()).transaction.hash
        # receipts_outcome names each receipt's executor and gas; `receipts`
        # (EXPERIMENTAL_tx_status) names the method each one ran.
        answer = self.rpc("EXPERIMENTAL_tx_status", [tx_hash, self.root])
        if "result" not in answer:
            raise StepFailed(f"tx {tx_hash}: {answer.get('error')}")
        return answer["result"]

    def call(self, receiver: str, method: str, args: dict, shown_args: dict, *, deposit: int = 0) -> dict:
        from py_near import transactions

        action = transactions.create_function_call_action(method, json.dumps(args).encode(), 300 * TGAS, deposit)
        return self.send(receiver, [action], f"{receiver}.{method}({json_text(shown_args)}), 300 Tgas"
                                             + (f", {deposit} yoctoNEAR" if deposit else ""))

    def router_verify(self, router: str, guard: str, token: str) -> tuple[list, list, int]:
        """router.verify(jwt#ISS, token, payload, predecessor) → (router's answer, guard's answer, guard gas)."""
        args = {"guard_id": f"jwt#{ISSUER}", "verify_payload": token, "sign_payload": list(SIGN_PAYLOAD),
                "predecessor": self.root}
        result = self.call(router, "verify", args, {**args, "verify_payload": f"<token, {len(token)} chars>",
                                                    "sign_payload": f"<{len(SIGN_PAYLOAD)} bytes>"})
        if "SuccessValue" not in result["status"]:
            raise StepFailed(f"router.verify failed: {json_text(result['status'])}")
        guard_outcomes = [o["outcome"] for o in result["receipts_outcome"] if o["outcome"]["executor_id"] == guard]
        if len(guard_outcomes) != 1 or "SuccessValue" not in guard_outcomes[0]["status"]:
            raise StepFailed(f"no answer from {guard} in tx {tx_hash}")
        return (_decode(result["status"]["SuccessValue"]), _decode(guard_outcomes[0]["status"]["SuccessValue"]),
                guard_outcomes[0]["gas_burnt"])

    def deploy_mock(self, account_id: str, wasm: Path) -> dict:
        from py_near import transactions

        return self.send(account_id, [transactions.create_create_account_action(),
                                      transactions.create_transfer_action(5 * 10**24),
                                      transactions.create_deploy_contract_action(wasm.read_bytes())],
                         f"create {account_id} with 5 NEAR and deploy {wasm.name}")

    # -- the story

    def run(self) -> None:
        keys = self.workdir / "idp"

        def build_guard():
            built = self.guardctl("build", network=False)
            return (f"build/guard.wasm, {built['size'] / 1024:.0f} KB{' (cached)' if built['cached'] else ''}",
                    "", Path(built["path"]))

        def build_router():
            if self.router_wasm is not None:
                size = self.router_wasm.stat().st_size
                return f"{self.router_wasm} ({size / 1024:.0f} KB, given)", "", self.router_wasm
            built = self.guardctl("build", "--contract", ROUTER_PORT_ENTRY, "--out", ROUTER_PORT_WASM, network=False)
            return (f"test port, {built['size'] / 1024:.0f} KB{' (cached)' if built['cached'] else ''}",
                    "", Path(built["path"]))

        def build_port(entry: Path, output: Path, what: str):
            def action():
                built = self.guardctl("build", "--contract", entry, "--out", output, network=False)
                return f"{what}, {built['size'] / 1024:.0f} KB{' (cached)' if built['cached'] else ''}", "", \
                    Path(built["path"])
            return action

        # The first build compiles MicroPython for each contract: minutes of silence otherwise.
        print("  building the guard, the router, FastAuth and the MPC signer (a few minutes the first time; cached afterwards) ...", flush=True)
        guard_wasm = self.step("build guard", build_guard)
        router_wasm = self.step("build JwtGuardRouter", build_router)
        fastauth_wasm = self.step("build FastAuth", build_port(FASTAUTH_PORT_ENTRY, FASTAUTH_PORT_WASM, "test port"))
        mpc_wasm = self.step("build MPC signer", build_port(MPC_MOCK_ENTRY, MPC_MOCK_WASM, "mock"))
        self.step("start localnet", self.start_node)
        router, guard = f"router.{self.root}", f"guard.{self.root}"
        fastauth, mpc = f"fastauth.{self.root}", f"mpc.{self.root}"

        def keygen(kid: str):
            def action():
                made = self.guardctl("keygen", "--out", keys / kid, "--kid", kid, network=False)
                return f"{made['alg']} key pair, kid {kid}, JWKS {Path(made['jwks_json']).name}", "", made
            return action

        old_key = self.step("identity provider key", keygen("idp-1"))

        def deploy_router():
            done = self.guardctl("--account", self.root, "router", "deploy", "--create", "--router", router,
                                 "--owner", self.root, "--wasm", router_wasm)
            return f"{router}, owner {done['owner']}", tgas(done["gas_burnt"]), done

        def deploy_guard():
            done = self.guardctl("--account", self.root, "--guard", guard, "deploy", "--create",
                                 "--owner", self.root, "--keys", old_key["jwks_json"], "--wasm", guard_wasm)
            kids = ", ".join(str(key["kid"]) for key in done["keys"])
            return f"{guard}, keys [{kids}], aud {done['settings'].get('audience')}", tgas(done["gas_burnt"]), done

        def register():
            done = self.guardctl("--account", self.root, "--guard", guard, "register", "--router", router,
                                 "--issuer", ISSUER)
            deposit = int(done["deposit"]) / 10**24
            return (f"name {json_text(ISSUER)} → {guard}, deposit {deposit:.4f} NEAR",
                    tgas(done["gas_burnt"]), done)

        def deploy_mpc():
            result = self.deploy_mock(mpc, mpc_wasm)
            if "SuccessValue" not in result["status"]:
                raise StepFailed(f"deploying the MPC mock failed: {json_text(result['status'])}")
            return f"{mpc} (mock)", tgas(sum(o["outcome"]["gas_burnt"] for o in result["receipts_outcome"])), None

        def deploy_fastauth():
            done = self.guardctl("--account", self.root, "fastauth", "deploy", "--create", "--fastauth", fastauth,
                                 "--owner", self.root, "--router", router, "--mpc", mpc, "--wasm", fastauth_wasm)
            return f"{fastauth}, jwt → {router}, MPC {done['mpc_address']}", tgas(done["gas_burnt"]), done

        self.step("deploy router", deploy_router)
        self.step("deploy guard", deploy_guard)
        self.step("register guard", register)
        self.step("deploy MPC signer", deploy_mpc)
        self.step("deploy FastAuth", deploy_fastauth)

        def mint(key: dict, kid: str):
            def action():
                done = self.guardctl("--guard", guard, "token", "--key", key["private_pem"], "--kid", kid,
                                     "--issuer", ISSUER, "--sub", SUB, "--payload", SIGN_PAYLOAD.hex(), network=False)
                claims = done["claims"]
                return (f"iss {claims['iss']}, sub {claims['sub']}, aud {claims['aud']}, kid {kid}, "
                        f"fatxn = {len(SIGN_PAYLOAD)} payload bytes", "", done["token"])
            return action

        def verify(token: str, must_pass: bool):
            def action():
                answer, guard_answer, gas = self.router_verify(router, guard, token)
                expected = [True, SUB, ISSUER] if must_pass else [False, "", ""]
                if answer != expected:
                    raise StepFailed(f"router answered {json_text(answer)} (guard: {json_text(guard_answer)}), "
                                     f"expected {json_text(expected)}")
                why = "" if must_pass else f" (guard: {guard_answer[1]})"
                return f"{json_text(answer)}{why}", f"guard {tgas(gas)}", answer
            return action

        def fastauth_sign(token: str):
            def action():
                args = {"guard_id": f"jwt#{ISSUER}", "verify_payload": token, "sign_payload": list(SIGN_PAYLOAD),
                        "algorithm": "secp256k1"}
                result = self.call(fastauth, "sign", args, {**args, "verify_payload": f"<token, {len(token)} chars>",
                                                            "sign_payload": f"<{len(SIGN_PAYLOAD)} bytes>"}, deposit=1)
                response = _decode(result["status"].get("SuccessValue", "")) if "SuccessValue" in result["status"] \
                    else None
                if not isinstance(response, dict) or "big_r" not in response:
                    raise StepFailed(f"FastAuth.sign answered {json_text(result['status'])}")
                total = sum(o["outcome"]["gas_burnt"] for o in result["receipts_outcome"])
                detail = (f"MPC mock's signature: big_r {response['big_r']['affine_point'][:14]}…, "
                          f"s {response['s']['scalar'][:10]}…")
                return detail, f"total {tgas(total)}", result
            return action

        old_token = self.step("mint token", mint(old_key, "idp-1"))
        self.step("verify through router", verify(old_token, must_pass=True))
        signed = self.step("FastAuth.sign → router → guard → MPC", fastauth_sign(old_token))
        print("\n".join(receipt_gas_lines(signed)), flush=True)

        new_key = self.step("new identity provider key", keygen("idp-2"))

        def rotate(*args):
            def action():
                done = self.guardctl("--account", self.root, "--guard", guard, "keys", *args)
                kids = ", ".join(str(key.get("kid")) for key in done["keys"])
                return f"keys now [{kids}]", tgas(done["gas_burnt"]), done
            return action

        self.step("rotate: add key idp-2", rotate("add", new_key["jwks_json"]))
        self.step("rotate: remove key idp-1", rotate("remove", "idp-1"))
        self.step("old token through router", verify(old_token, must_pass=False))
        new_token = self.step("mint token with the new key", mint(new_key, "idp-2"))
        self.step("new token through router", verify(new_token, must_pass=True))


def receipt_gas_lines(result: dict) -> list[str]:
    """One line per receipt: executor, method (or refund) and gas burnt, in execution order."""
    methods = {}
    for receipt in result.get("receipts", []):
        actions = receipt.get("receipt", {}).get("Action", {}).get("actions", [])
        names = [action["FunctionCall"]["method_name"] for action in actions
                 if isinstance(action, dict) and "FunctionCall" in action]
        # "system" sends gas refunds (left out); a contract's transfer is FastAuth's deposit refund.
        methods[receipt["receipt_id"]] = ",".join(names) or ("refund" if receipt["predecessor_id"] == "system"
                                                             else f"transfer from {receipt['predecessor_id']}")
    lines = []
    for outcome in result["receipts_outcome"]:
        name = methods.get(outcome["id"], "?")
        if name == "refund":
            continue
        gas = outcome["outcome"]["gas_burnt"]
        label = f"{outcome['outcome']['executor_id']}{' ' if name.startswith('transfer') else '.'}{name}"
        lines.append(f"    {label:<{LABEL_WIDTH - 2}}   {gas / TGAS:6.2f} Tgas")
    return lines


def _decode(value_b64: str):
    raw = base64.b64decode(value_b64)
    return json.loads(raw) if raw else None


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--router-wasm", type=Path, metavar="PATH",
                        help="a JwtGuardRouter Wasm to use instead of building the test port")
    parser.add_argument("--show-commands", action="store_true", help="print each guardctl command")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (node home, keys, log)")
    args = parser.parse_args(argv)
    if args.router_wasm is not None and not args.router_wasm.is_file():
        parser.error(f"--router-wasm {args.router_wasm} does not exist")

    # SIGTERM unwinds like Ctrl-C, so the node is stopped either way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    print("FastAuth JWT guard demo: localnet → router → guard → FastAuth.sign → key rotation", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="guard-demo-"))
    demo = Demo(workdir, args.show_commands, args.router_wasm.resolve() if args.router_wasm else None)
    status = 0
    try:
        demo.run()
    except StepFailed:
        status = 1
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        status = 130
    except Exception as err:  # an unexpected failure still stops the node and says what happened
        demo.line(False, f"unexpected {type(err).__name__}: {err}")
        status = 1
    finally:
        demo.stop_node()
        if args.keep:
            print(f"kept {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - started
    print(f"{'demo passed' if status == 0 else 'demo FAILED'} in {elapsed:.1f} s", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
