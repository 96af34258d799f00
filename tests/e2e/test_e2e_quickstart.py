"""The README's quickstart, run exactly as written, in bash, in a fresh home."""
from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = re.compile(r"<!-- quickstart:start -->\n```sh\n(.*?)```\n<!-- quickstart:end -->", re.S)


def readme_quickstart() -> str:
    found = QUICKSTART.search((REPO_ROOT / "README.md").read_text())
    assert found, "README.md has no quickstart block between its markers"
    return found.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_readme_quickstart_runs_top_to_bottom(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GUARDCTL_", "LOCALNET_", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), LOCALNET_PORT=str(free_port()), TMPDIR=str(tmp_path))
    # Stop on the first failing command, and never leave the node running.
    script = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + readme_quickstart()
    run = subprocess.run(["bash", "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                         timeout=900, stdin=subprocess.DEVNULL)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "ACCEPTED by router.test.near: sub=alice" in run.stdout, output
    assert "registered 'https://login.example.com/' → guard.test.near on router.test.near" in run.stdout, output
    assert "Transaction V0: test.near → wrap.test.near" in run.stdout, output
    assert (home / ".localnet" / "validator_key.json").is_file()
    assert (home / ".near-credentials" / "localnet" / "guard.test.near.json").is_file()
