"""`make demo` (scripts/demo.py) as a user runs it: a subprocess with its own node.

The demo always starts its own `localnet run` (that is what it demonstrates),
whatever node the rest of the session uses.
"""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from tests.e2e.e2e_support import REPO_ROOT

DEMO = [sys.executable, str(REPO_ROOT / "scripts" / "demo.py")]
DEMO_TIMEOUT_S = 900  # the first run after a source change compiles contracts; later runs take seconds
GAS = r"\d+\.\d Tgas"


def run_demo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*DEMO, *args], capture_output=True, text=True, timeout=DEMO_TIMEOUT_S,
                          stdin=subprocess.DEVNULL, cwd=REPO_ROOT)


def rpc_url_of(output: str) -> str:
    match = re.search(r"^✓ start localnet → (http://127\.0\.0\.1:\d+)", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def node_is_gone(rpc_url: str) -> bool:
    try:
        urllib.request.urlopen(urllib.request.Request(rpc_url, data=b"{}"), timeout=5)
    except urllib.error.URLError as err:
        return isinstance(err.reason, ConnectionRefusedError)
    return False


def test_demo_runs_every_step_and_stops_its_node():
    done = run_demo()
    output = done.stdout
    assert done.returncode == 0, output + done.stderr
    assert "✗" not in output
    expected = [
        r"  building the guard, the router, FastAuth and the MPC signer \(a few minutes the first time; cached afterwards\) \.\.\.",
        r"✓ build guard → build/guard\.wasm, \d+ KB",
        r"✓ start localnet → http://127\.0\.0\.1:\d+",
        rf"✓ deploy router → router\.test\.near, owner test\.near +{GAS}",
        rf"✓ deploy guard → guard\.test\.near, keys \[idp-1\], aud guard\.test\.near +{GAS}",
        rf"✓ register guard → name \"https://issuer\.example/\" → guard\.test\.near, deposit 1\.0211 NEAR +{GAS}",
        rf"✓ deploy MPC signer → mpc\.test\.near \(mock\) +{GAS}",
        rf"✓ deploy FastAuth → fastauth\.test\.near, jwt → router\.test\.near, MPC mpc\.test\.near +{GAS}",
        r"✓ mint token → iss https://issuer\.example/, sub alice, aud guard\.test\.near, kid idp-1",
        rf"✓ verify through router → \[true, \"alice\", \"https://issuer\.example/\"\] +guard {GAS}",
        # FastAuth.sign through the router ends in the MPC mock's signature, gas per receipt below it.
        rf"✓ FastAuth\.sign → router → guard → MPC → MPC mock's signature: big_r 02[0-9A-F]+…, s [0-9A-F]+… +total {GAS}",
        r"    fastauth\.test\.near\.sign +\d+\.\d\d Tgas",
        r"    router\.test\.near\.verify +\d+\.\d\d Tgas",
        r"    guard\.test\.near\.verify +\d+\.\d\d Tgas",
        r"    router\.test\.near\.on_verify_callback +\d+\.\d\d Tgas",
        r"    fastauth\.test\.near\.on_verify_sign_callback +\d+\.\d\d Tgas",
        r"    mpc\.test\.near\.sign +\d+\.\d\d Tgas",
        r"    fastauth\.test\.near\.on_sign_callback +\d+\.\d\d Tgas",
        r"    test\.near transfer from fastauth\.test\.near +\d+\.\d\d Tgas",
        rf"✓ rotate: add key idp-2 → keys now \[idp-1, idp-2\] +{GAS}",
        rf"✓ rotate: remove key idp-1 → keys now \[idp-2\] +{GAS}",
        rf"✓ old token through router → \[false, \"\", \"\"\] \(guard: Invalid signature\) +guard {GAS}",
        rf"✓ new token through router → \[true, \"alice\", \"https://issuer\.example/\"\] +guard {GAS}",
        r"✓ stop localnet",
        r"demo passed in \d+\.\d s",
    ]
    lines = output.splitlines()
    position = 0
    for pattern in expected:  # in this order, each matching the start of a line
        found = next((i for i in range(position, len(lines)) if re.match(pattern, lines[i])), None)
        assert found is not None, f"no line matching {pattern!r} after line {position}:\n{output}"
        position = found + 1
    assert node_is_gone(rpc_url_of(output))


def test_demo_fails_with_exit_1_and_still_stops_its_node(tmp_path):
    not_wasm = tmp_path / "router.wasm"
    not_wasm.write_bytes(b"this is not a contract")
    done = run_demo("--router-wasm", str(not_wasm))
    output = done.stdout
    assert done.returncode == 1, output + done.stderr
    assert re.search(r"^✗ deploy router: .*is not a Wasm module", output, re.MULTILINE), output
    assert "verify through router" not in output
    assert output.splitlines()[-2:] == ["✓ stop localnet", output.splitlines()[-1]]
    assert output.splitlines()[-1].startswith("demo FAILED")
    assert node_is_gone(rpc_url_of(output))


def test_demo_stops_its_node_on_ctrl_c():
    # A shell starts a background job (`make test &`) with SIGINT ignored, and
    # a Python started that way keeps ignoring it: the demo gets SIGINT's
    # default back, as it has when a user runs it and presses Ctrl-C.
    process = subprocess.Popen(DEMO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               stdin=subprocess.DEVNULL, cwd=REPO_ROOT,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = []
    try:
        for line in process.stdout:
            seen.append(line.rstrip("\n"))
            if line.startswith("✓ start localnet"):
                time.sleep(0.5)  # somewhere in the next steps
                process.send_signal(signal.SIGINT)
                break
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = "\n".join(seen) + "\n" + rest
    assert process.returncode == 130, output
    assert "interrupted" in output and "✓ stop localnet" in output, output
    assert node_is_gone(rpc_url_of(output))
