"""near-api-js, as an ordinary JavaScript user drives it, against the node (tests/rpc/near_api_js_scenario.mjs).

Needs `node` and `npm`; near-api-js is installed once into the repository's
ignored build cache (.cache/node/), under a file lock so parallel runs share it.
Without node, or when npm cannot fetch the package, the test is skipped and says why.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.rpc.contracts import greeter_wasm

NEAR_API_JS_VERSION = "7.3.1"
REPO = Path(__file__).resolve().parents[2]
INSTALL_DIR = REPO / ".cache" / "node" / f"near-api-js-{NEAR_API_JS_VERSION}"
SCENARIO = Path(__file__).with_name("near_api_js_scenario.mjs")


def near_api_js_entry() -> Path:
    """The installed package's CommonJS entry, installing it the first time."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm are not installed (Debian: apt-get install nodejs npm); the near-api-js scenario needs them")
    entry = INSTALL_DIR / "node_modules" / "near-api-js" / "lib" / "index.cjs"
    INSTALL_DIR.mkdir(parents=True, exist_ok=True)
    with open(INSTALL_DIR.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not entry.exists():
            done = subprocess.run(
                ["npm", "install", "--prefix", str(INSTALL_DIR), "--no-audit", "--no-fund", "--loglevel=error",
                 f"near-api-js@{NEAR_API_JS_VERSION}"],
                capture_output=True, text=True, timeout=600,
            )
            if done.returncode != 0 or not entry.exists():
                pytest.skip(f"npm could not install near-api-js@{NEAR_API_JS_VERSION}: {done.stderr.strip()[-300:]}")
    return entry


def test_near_api_js_scenario(network, tmp_path):
    entry = near_api_js_entry()
    wasm = tmp_path / "greeter.wasm"
    wasm.write_bytes(greeter_wasm())
    env = {**os.environ, "NEAR_API_JS": str(entry), "RPC_URL": network.rpc_url,
           "ROOT_ACCOUNT": network.root_account_id, "ROOT_SECRET_KEY": network.root_secret_key,
           "WASM_PATH": str(wasm)}
    run = subprocess.run(["node", str(SCENARIO)], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])

    assert seen["created"] in ("EXECUTED_OPTIMISTIC", "INCLUDED_FINAL", "EXECUTED", "FINAL")
    # getState reads the storage price from EXPERIMENTAL_protocol_config.
    assert seen["fresh"]["total"] == str(5 * 10**24)
    assert int(seen["fresh"]["usedOnStorage"]) == seen["fresh"]["storageUsage"] * 10**19
    assert seen["fresh"]["codeHash"] == "11111111111111111111111111111111"
    assert seen["deployed"] is True
    assert seen["called"] == {"text": "hi"} and seen["viewed"] == {"text": "hi"}
    assert seen["state"]["storageUsage"] > seen["fresh"]["storageUsage"]
    assert seen["state"]["codeHash"] != seen["fresh"]["codeHash"]
    assert seen["keys"] == ["FullAccess", "FunctionCall"]
    assert seen["limitedNonce"] in ("number", "bigint")
    assert seen["errors"] == {
        "unknownAccount": "AccountDoesNotExistError",
        "unknownKey": "AccessKeyDoesNotExistError",
        "noCode": "ContractCodeDoesNotExistError",
        # near-api-js types only some view failures; a panic stays a plain RpcError with nearcore's text.
        "panickingView": "RpcError",
        "failingCall": "ContractExecutionError",
        "unknownBlock": "UnknownBlockError",
    }
