"""TEMPLATE: test a custom rule on the compiled guard. Copy this file, change RULE and CASES.

It builds a temporary copy of contract/ whose custom_rules.py is RULE, deploys
that Wasm on the in-process node and checks each case through `verify` (as a
view and as a transaction) and the `verify_custom_claims` view. Your real
contract/custom_rules.py is not touched; once the rule is right, paste RULE
into it, rebuild and redeploy (contract/CUSTOM_RULES.md walks through it).
Keep your copy in tests/policy/: `make test` then runs it with the rest.

    .venv/bin/python -m pytest tests/policy/test_my_rule.py -s

The first run compiles the copy (about a minute); later runs reuse the
cached Wasm while RULE is unchanged.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nearwasm.build import build_contract
from devkit.guard_chain import (
    ALICE,
    SUB,
    GuardChain,
    claims,
    ed25519_key,
    eddsa_public,
    router_args,
    sample_sign_payload,
    sign_token,
)

CONTRACT_DIR = Path(__file__).resolve().parents[2] / "contract"

# ---- 1. the rule: the complete contents of custom_rules.py ----------------------------------
RULE = '''
REQUIRED_SCOPE = "transaction:send-transaction"


def check_custom_rules(claims, sign_payload, predecessor):
    """The token must carry the scope that allows sending transactions."""
    scope = claims.get("scope")
    if type(scope) is not str or REQUIRED_SCOPE not in scope.split(" "):
        return "Missing scope " + REQUIRED_SCOPE
    return None
'''

# ---- 2. the cases: extra claims of the token -> what verify must answer ---------------------
CASES = {
    "scope present": ({"scope": "openid transaction:send-transaction"}, [True, SUB]),
    "scope alone": ({"scope": "transaction:send-transaction"}, [True, SUB]),
    "other scopes only": ({"scope": "openid profile"}, [False, "Missing scope transaction:send-transaction"]),
    "prefix is not enough": ({"scope": "transaction:send-transactions"},
                             [False, "Missing scope transaction:send-transaction"]),
    "no scope claim": ({}, [False, "Missing scope transaction:send-transaction"]),
    "scope of the wrong type": ({"scope": ["transaction:send-transaction"]},
                                [False, "Missing scope transaction:send-transaction"]),
}

# ---------------------------------------------------------------------------------------------

PAYLOAD = sample_sign_payload()


def _contract_copy_with_rule(destination: Path, rule: str) -> Path:
    """contract/ (its Python sources and pyproject) with custom_rules.py replaced by `rule`."""
    shutil.copytree(CONTRACT_DIR, destination,
                    ignore=shutil.ignore_patterns("build", "__pycache__", "*.md", "runtime"))
    (destination / "custom_rules.py").write_text(rule.lstrip())
    return destination / "guard.py"


@pytest.fixture(scope="module")
def rule_env(tmp_path_factory):
    entry = _contract_copy_with_rule(tmp_path_factory.mktemp("custom-rule") / "contract", RULE)
    wasm = build_contract(entry, entry.parent / "build" / "guard.wasm").path.read_bytes()
    env = GuardChain(wasm, public_keys=[eddsa_public(ed25519_key(), kid="ed")])
    return env, env.snapshot()


@pytest.fixture
def env(rule_env):
    env, snapshot = rule_env
    env.restore(snapshot)
    return env


def _token(env, extra: dict) -> str:
    return sign_token(ed25519_key(), claims(env.now_s, PAYLOAD, **extra), kid="ed")


@pytest.mark.parametrize("case", CASES)
def test_verify_applies_the_rule(env, case):
    extra, expected = CASES[case]
    args = router_args(_token(env, extra), PAYLOAD)
    assert env.verify_view(args) == expected
    assert env.verify_tx(args)[0] == expected


@pytest.mark.parametrize("case", CASES)
def test_verify_custom_claims_view_applies_the_rule(env, case):
    extra, expected = CASES[case]
    body = json.dumps(claims(env.now_s, PAYLOAD, **extra)).encode()
    answer = env.view("verify_custom_claims", {"jwt": _token(env, extra), "jwt_payload": list(body),
                                                "sign_payload": list(PAYLOAD), "predecessor": ALICE})
    assert answer == ([True, ""] if expected[0] else expected)


def test_the_rule_runs_after_the_signature_check(env):
    token = _token(env, {})
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert env.verify_view(router_args(forged, PAYLOAD)) == [False, "Invalid signature"]

