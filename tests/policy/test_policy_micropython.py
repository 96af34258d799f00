"""The policy modules under real MicroPython (nearc's tree, configured like the NEAR Wasm port).

The same self-check script runs under CPython and under the NEAR-like unix
MicroPython built by tests/core/core_mpy_build.py (where, as on-chain, an
exception raised inside a C built-in does not unwind); every decoded payload,
policy validation, verdict and claim hash must come out identical. What this
cannot show (31-bit small ints, gas, heap) the Wasm tests cover.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.policy import payloads as P
from tests.policy.payloads import CONTRACT_DIR, NEAR, TERA

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "mpy_policy_selfcheck.py"
from tests.core.core_mpy_build import BuildUnavailable, micropython_binary


@pytest.fixture(scope="module")
def micropython():
    try:
        return micropython_binary()
    except BuildUnavailable as error:
        pytest.skip(f"cannot build MicroPython from nearc's tree: {error}")


def _samples() -> list[bytes]:
    return [
        P.auth0_sign_payload(),
        P.transaction_v0(P.all_kinds())[0],
        P.transaction_v0([P.function_call(method="transférer_😀", args=b"")])[0],
        P.transaction_v0([P.transfer(2**128 - 1), P.function_call(gas=2**64 - 1, deposit=2**128 - 1)],
                         nonce=2**64 - 1)[0],
        P.delegate_payload([a for a in P.all_kinds() if a.expected["kind"] != "Delegate"])[0],
        P.local_transaction([P.function_call(), P.transfer()], priority_fee=2**64 - 1)[0],
        P.local_transaction([P.stake()], public_key=b"\1" + P.secp_key())[0],
        P.transaction_v0([P.signed_delegate(actions=[P.transfer(2 * NEAR)])], receiver="alice.near")[0],
    ]


def _decode_cases() -> list[str]:
    rng = random.Random(7)
    cases = []
    for sample in _samples():
        cases.append(sample)
        cases += [sample[:rng.randrange(len(sample))] for _ in range(15)]
        cases.append(sample + b"\0")
        for _ in range(25):
            corrupted = bytearray(sample)
            for _ in range(rng.randrange(1, 4)):
                corrupted[rng.randrange(len(sample))] = rng.randrange(256)
            cases.append(bytes(corrupted))
    cases += [bytes(rng.randrange(256) for _ in range(rng.randrange(60))) for _ in range(50)]
    cases += [b"", b"\1", b"\0\0\0\0", P.NEP461_PREFIX]
    return [case.hex() for case in cases]


def _policy_cases() -> list:
    claims = {"sub": "s", "iss": "i", "exp": 2**40, "near_account": "alice.near"}
    call = P.transaction_v0([P.function_call("ft_transfer", gas=30 * TERA, deposit=1)], receiver="wrap.near")[0]
    pool = P.transaction_v0([P.function_call("deposit_and_stake", deposit=5 * NEAR)], receiver="a.pool.near")[0]
    delegated = P.transaction_v0([P.signed_delegate(receiver="wrap.near", actions=[P.transfer(2 * NEAR)])],
                                 receiver="alice.near")[0]
    auth0 = P.auth0_sign_payload()
    policies = [
        {}, {"receivers": ["wrap.near"]}, {"receivers": ["*.pool.near", "alice.near"]},
        {"receivers": ["bosisthenear.testnet"]}, {"receivers": ["*.testnet"]},
        {"actions": ["FunctionCall"]}, {"actions": ["Transfer", "Delegate"]},
        {"methods": {"wrap.near": ["ft_transfer"], "*.pool.near": ["*"]}}, {"methods": {"*": ["near_deposit"]}},
        {"max_gas": 30 * TERA}, {"max_gas": str(30 * TERA - 1)},
        {"max_deposit_per_action": str(NEAR)}, {"max_deposit_per_action": 10},
        {"max_deposit_total": str(2 * NEAR)}, {"max_deposit_total": "9"},
        {"signer_claim": "near_account"}, {"signer_claim": "missing"},
        # invalid ones
        {"receivers": []}, {"receivers": ["Bad"]}, {"bogus": 1}, {"max_gas": -1}, {"max_deposit_total": "01"},
        {"max_deposit_total": str(2**128)}, {"methods": {"wrap.near": []}}, {"actions": ["Nope"]}, [],
        {"signer_claim": ""}, {"max_gas": True},
    ]
    payloads = [call, pool, delegated, auth0, call[:-3], b"garbage!"]
    return [[rules, claims, data.hex()] for rules in policies for data in payloads]


def _hash_cases() -> list:
    digest = bytes(range(32))
    return [digest.hex(), digest.hex().upper(), list(digest), digest.hex()[:-1], "zz" * 32, [256] * 32,
            [True] * 32, None, 5, list(digest)[:31]]


def _run(command: list[str], data_path: Path) -> list[str]:
    env = dict(os.environ, MICROPYPATH=str(CONTRACT_DIR))
    result = subprocess.run([*command, str(SCRIPT), str(data_path)], capture_output=True, text=True,
                            timeout=300, env=env)
    lines = result.stdout.splitlines()
    assert lines and lines[-1].startswith("SELFCHECK DONE"), result.stdout[-3000:] + result.stderr[-3000:]
    return lines


def test_micropython_agrees_with_cpython(micropython, tmp_path):
    data = {"decode": _decode_cases(), "policy": _policy_cases(), "hash": _hash_cases()}
    data_path = tmp_path / "policy-data.json"
    data_path.write_text(json.dumps(data))
    expected = _run([sys.executable], data_path)
    got = _run([str(micropython), "-X", "heapsize=64M"], data_path)
    assert len(got) == len(expected)
    differences = [(i, e, g) for i, (e, g) in enumerate(zip(expected, got)) if e != g]
    assert not differences, differences[:5]
    # the cases really exercise both outcomes
    decodes = [line for line in expected if line.startswith("decode ")]
    assert sum(line.startswith("decode [null,") for line in decodes) > len(decodes) // 2
    assert sum(not line.startswith("decode [null,") for line in decodes) >= len(_samples())
