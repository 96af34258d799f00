"""`localnet run` as a user starts it: the announced address, the key file, signals, restarts."""
from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import base58
from nacl.signing import SigningKey

from localnet.primitives import Transfer
from tests.network import localnet_command, rpc_call, wait_until_ready
from tests.rpc.wallet import KeyPair, RawRpc

ANNOUNCEMENT = re.compile(r"localnet: RPC listening on (http://127\.0\.0\.1:(\d+)) \(home (.+), root test\.near\)")


class RunningLocalnet:
    def __init__(self, home: Path, *extra: str):
        self.process = subprocess.Popen(
            [*localnet_command(), "run", "--port", "0", "--home", str(home), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()
        match = ANNOUNCEMENT.match(line.strip())
        assert match, f"unexpected first line {line!r}; stderr: {self.process.stderr.read() if self.process.poll() is not None else ''}"
        self.url, self.port, self.announced_home = match.group(1), int(match.group(2)), match.group(3)
        wait_until_ready(self.url, self.process)

    def stop(self, signum=signal.SIGTERM) -> tuple[int, str]:
        self.process.send_signal(signum)
        _, stderr = self.process.communicate(timeout=20)
        return self.process.returncode, stderr


def test_run_announces_its_port_writes_a_sandbox_style_key_and_stops_on_sigterm(tmp_path):
    home = tmp_path / "home"
    node = RunningLocalnet(home)
    try:
        assert node.port > 0 and Path(node.announced_home) == home.resolve()
        key = json.loads((home / "validator_key.json").read_text())
        assert set(key) == {"account_id", "public_key", "secret_key"}
        assert key["account_id"] == "test.near"
        secret = base58.b58decode(key["secret_key"].removeprefix("ed25519:"))
        assert len(secret) == 64
        assert "ed25519:" + base58.b58encode(bytes(SigningKey(secret[:32]).verify_key)).decode() == key["public_key"]
        account = rpc_call(node.url, "query", {"request_type": "view_account", "account_id": "test.near", "finality": "final"})
        assert account["result"]["amount"] == str(10**33)
        keys = rpc_call(node.url, "query", {"request_type": "view_access_key_list", "account_id": "test.near", "finality": "final"})
        assert [k["public_key"] for k in keys["result"]["keys"]] == [key["public_key"]]
        rpc_call(node.url, "status", [])
    finally:
        code, stderr = node.stop(signal.SIGTERM)
    assert code == 0
    assert "status -> ok" in stderr  # requests are logged readably
    assert "Traceback" not in stderr


def test_state_survives_a_restart_and_sigint_stops_cleanly(tmp_path):
    home = tmp_path / "home"
    node = RunningLocalnet(home)
    try:
        key = json.loads((home / "validator_key.json").read_text())
        root = KeyPair.from_secret_text(key["secret_key"])
        rpc = RawRpc(node.url)
        tx = rpc.signed_transaction("test.near", root, "test.near", (Transfer(1),))
        outcome = rpc.result("broadcast_tx_commit", [tx])
        height = rpc.result("status", [])["sync_info"]["latest_block_height"]
        nonce = rpc.access_key_nonce("test.near", root)
        rpc.close()
    finally:
        code, _ = node.stop(signal.SIGINT)
    assert code == 0

    restarted = RunningLocalnet(home)
    try:
        assert json.loads((home / "validator_key.json").read_text()) == key
        rpc = RawRpc(restarted.url)
        assert rpc.access_key_nonce("test.near", root) == nonce
        assert rpc.result("status", [])["sync_info"]["latest_block_height"] >= height
        found = rpc.result("tx", [outcome["transaction"]["hash"], "test.near"])
        assert found["status"] == outcome["status"]
        rpc.close()
    finally:
        restarted.stop()


def test_port_in_use_is_a_clear_error(tmp_path):
    node = RunningLocalnet(tmp_path / "a")
    try:
        started = time.monotonic()
        clash = subprocess.run(
            [*localnet_command(), "run", "--port", str(node.port), "--home", str(tmp_path / "b")],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert clash.returncode != 0
        assert f"cannot listen on 127.0.0.1:{node.port}" in clash.stderr
        assert time.monotonic() - started < 30
    finally:
        node.stop()


def test_a_foreign_key_file_is_refused(tmp_path):
    home = tmp_path / "home"
    RunningLocalnet(home).stop()
    foreign = KeyPair.generate()
    (home / "validator_key.json").write_text(
        json.dumps({"account_id": "test.near", "public_key": foreign.public_key_text, "secret_key": foreign.secret_text})
    )
    refused = subprocess.run(
        [*localnet_command(), "run", "--port", "0", "--home", str(home)], capture_output=True, text=True, timeout=30
    )
    assert refused.returncode != 0
    assert "is not the key of the chain" in refused.stderr


def test_an_idle_node_keeps_its_clock_with_the_wall(tmp_path):
    """With `localnet run`'s default clock (a block a second) blocks come while nobody sends anything,
    so a token issued "now" is judged against "now", as on nearcore."""
    node = RunningLocalnet(tmp_path / "home")
    try:
        start = rpc_call(node.url, "status", [])["result"]["sync_info"]["latest_block_height"]
        deadline = time.monotonic() + 10
        while rpc_call(node.url, "status", [])["result"]["sync_info"]["latest_block_height"] < start + 2:
            assert time.monotonic() < deadline, "no two idle blocks within 10 s"
            time.sleep(0.1)
        head = rpc_call(node.url, "block", {"finality": "optimistic"})["result"]["header"]
        assert abs(head["timestamp"] - time.time_ns()) < 2 * 10**9
        assert rpc_call(node.url, "client_config", None)["result"]["max_block_production_delay"] == "1s"
    finally:
        node.stop()


def test_clock_options_are_checked(tmp_path):
    run = subprocess.run([*localnet_command(), "run", "--home", str(tmp_path / "home"), "--block-time", "0"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "--block-time must be positive" in run.stderr and "Traceback" not in run.stderr
