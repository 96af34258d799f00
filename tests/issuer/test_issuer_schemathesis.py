"""The OpenAPI schema fuzzed by schemathesis (property-based) against `issuer serve`: no server errors,
and every response conforms to the schema (status codes, content types, bodies, headers)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.issuer.issuer_support import GENEROUS_LIMITS, ServedIssuer

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# Everything schemathesis checks, except that any schema-valid body is accepted: a random hex string is
# schema-valid and still not a NEAR transaction, so 422 is the right answer to most of them.
CHECKS = ["--checks", "all", "--exclude-checks", "positive_data_acceptance"]


def run_schemathesis(served: ServedIssuer, token: str, *extra: str, examples: int = 100) -> tuple[int, str]:
    command = [str(SCHEMATHESIS), "run", served.url + "/openapi.json", *CHECKS, "--max-examples", str(examples),
               "--header", f"Authorization: Bearer {token}", "--no-color", "--seed", "20251127",
               "--request-timeout", "10", "--generation-database", "none", *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=served.workdir)
    return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if not SCHEMATHESIS.exists():
        pytest.fail(f"schemathesis is a test dependency and is not installed ({SCHEMATHESIS})")
    with ServedIssuer(tmp_path_factory.mktemp("schemathesis"), GENEROUS_LIMITS) as server:
        yield server


def _generated(output: str) -> int:
    match = re.search(r"(\d+) generated", output)
    return int(match.group(1)) if match else 0


def test_every_operation_but_logout(served):
    code, output = run_schemathesis(served, served.access_token(), "--exclude-path", "/v1/auth/logout")
    print(output[-3000:])
    assert code == 0, output[-6000:]
    assert "Server error" not in output and "500" not in re.sub(r"\d{4,}", "", output.split("SUMMARY")[-1])
    assert _generated(output) >= 300
    # The service is still healthy afterwards.
    import httpx
    assert httpx.get(served.url + "/readyz").json()["status"] == "ok"


def test_logout(served):
    """Alone: a successful logout ends the session the fuzzer uses."""
    code, output = run_schemathesis(served, served.access_token(), "--include-path", "/v1/auth/logout",
                                    examples=50)
    print(output[-2000:])
    assert code == 0, output[-6000:]
