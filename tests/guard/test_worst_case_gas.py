"""Every verify answers, within a bounded gas, whatever the input.

The README promises it: no `verify` with arguments within the caps (32 KB of
arguments, a 7,168-byte token), against any key set and policy the guard
accepts, burns more than CEILING_TGAS -- forged and genuine tokens alike --
and each answers `[bool, string]`. The inputs come from devkit/worst_case.py,
which grows every axis that could be super-linear up to a cap; the admin-side
findings that came with it (unsafe Ed25519 keys, policy limits, a trap on an
error path) are pinned here too.
"""
from __future__ import annotations

import json

import pytest

from devkit import worst_case
from devkit.guard_chain import (
    OWNER,
    build_guard,
    eddsa_public,
    ed25519_key,
    reasons,
    router_args,
    rs256_public,
    rsa_key,
    sample_sign_payload,
)

TGAS = 10**12
CEILING_TGAS = 30
CEILING_4096_TGAS = 45  # a configuration whose kid-less tokens are tried against a 4096-bit key
INVALID_ARGUMENTS = reasons.INVALID_ARGUMENTS


@pytest.fixture(scope="module")
def env():
    chain = worst_case.guard_chain(build_guard().read_bytes())
    return chain


@pytest.fixture
def fresh(env):
    snapshot = env.snapshot()
    yield env
    env.restore(snapshot)


def _answer_and_gas(env, raw_args: bytes):
    result, gas = env.verify_tx(raw_args)
    assert type(result) is list and len(result) == 2, result
    assert type(result[0]) is bool and type(result[1]) is str, result
    return result, gas


def test_no_input_along_any_axis_crosses_the_ceiling(env):
    measured = []
    for case in worst_case.all_cases(env.now_s):
        result, gas = _answer_and_gas(env, case.args)
        measured.append((gas, case.axis, case.name, result))
    worst = max(measured, key=lambda row: row[0])
    print(f"\nworst case: {worst[0] / TGAS:.2f} Tgas ({worst[1]}: {worst[2]}) -> {worst[3]}")
    over = [row for row in measured if row[0] > CEILING_TGAS * TGAS]
    assert not over, over


@pytest.mark.parametrize("index", range(7))
def test_key_sets_a_kidless_token_is_tried_against(fresh, index):
    setup, case = worst_case.key_set_cases(fresh.now_s)[index]
    fresh.ok(OWNER, "set_public_keys", {"public_keys": setup.keys})
    result, gas = _answer_and_gas(fresh, case.args)
    if "refused" in setup.name:
        assert result == [False, reasons.KEY_ID_REQUIRED]
        assert gas < 5 * TGAS  # refused before any exponentiation
    else:
        assert result[0] is True, result
    assert gas <= CEILING_TGAS * TGAS, (setup.name, gas)


@pytest.mark.parametrize("bits,ceiling", [(2048, CEILING_TGAS), (3072, CEILING_TGAS), (4096, CEILING_4096_TGAS)])
def test_the_largest_policy_sets_in_a_normal_transaction_and_every_axis_at_once_stays_under(fresh, bits, ceiling):
    setup, case = worst_case.combined_case(fresh.now_s, bits=bits)
    fresh.ok(OWNER, "set_public_keys", {"public_keys": setup.keys})
    set_result = fresh.ok(OWNER, "set_policy", {"policy": setup.policy}, gas=100 * TGAS)
    assert fresh.method_gas(set_result) < 40 * TGAS
    assert fresh.view("get_policy") == setup.policy
    result, gas = _answer_and_gas(fresh, case.args)
    assert result[0] is True, result
    print(f"\n{setup.name}: {gas / TGAS:.2f} Tgas")
    assert gas <= ceiling * TGAS, gas


# --- the findings, pinned --------------------------------------------------------------


def test_forged_header_with_hundreds_of_keys_is_refused_cheaply(env):
    """Finding 1: ~727 two-letter keys in a forged header cost ~69 Tgas."""
    payload = list(sample_sign_payload())
    names = worst_case._names(727, same_hash=False)
    for separator in (b":0,", b" 0 "):  # also MicroPython's lenient form (no ':' or ',')
        header = b"{" + b"".join(b'"' + name.encode() + b'"' + separator for name in names[:700]) + b'"alg":"RS256","kid":"a"}'
        token = worst_case.forged(header)[:7168]
        result, gas = _answer_and_gas(env, json.dumps(router_args(token, payload)).encode())
        assert result[0] is False
        assert gas < 8 * TGAS, gas


def test_thousands_of_extra_arguments_are_refused_cheaply(env):
    """Finding 2: ~2,000 extra argument keys burnt all 300 Tgas."""
    payload = list(sample_sign_payload())
    args = router_args("a.b.c", payload)
    args.update({f"x{i}": 0 for i in range(2000)})
    raw = json.dumps(args).encode()
    assert len(raw) < 32768
    result, gas = _answer_and_gas(env, raw)
    assert result == [False, INVALID_ARGUMENTS]
    assert gas < 5 * TGAS, gas


def test_four_4096_bit_keys_without_kid_need_a_kid(fresh):
    """Finding 3: four RS256-4096 keys and a kid-less token cost ~72 Tgas."""
    keys = [rs256_public(rsa_key(4096, i), kid=f"b{i}") for i in range(4)]
    fresh.ok(OWNER, "set_public_keys", {"public_keys": keys})
    payload = list(sample_sign_payload())
    from devkit.guard_chain import claims, sign_token

    token = sign_token(rsa_key(4096, 3), claims(fresh.now_s, payload))
    result, gas = _answer_and_gas(fresh, json.dumps(router_args(token, payload)).encode())
    assert result == [False, reasons.KEY_ID_REQUIRED]
    assert gas < 5 * TGAS
    pinned = sign_token(rsa_key(4096, 3), claims(fresh.now_s, payload), kid="b3")
    result, gas = _answer_and_gas(fresh, json.dumps(router_args(pinned, payload)).encode())
    assert result[0] is True
    assert gas <= CEILING_TGAS * TGAS


# The eight points of edwards25519 whose order divides 8, canonically encoded
# (tests/core/test_core_edwards.py derives them from the curve and checks the
# guard's rule refuses every encoding of each).
SMALL_ORDER_POINTS = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
]


@pytest.mark.parametrize("encoded", SMALL_ORDER_POINTS + ["edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"])
def test_small_order_and_non_canonical_ed25519_keys_are_refused_on_chain(fresh, encoded):
    """Finding 4: such a key lets anyone forge tokens; the last row is y = p (non-canonical)."""
    before = fresh.state()
    key = {"alg": "EdDSA", "x": list(bytes.fromhex(encoded)), "kid": "bad"}
    result = fresh.call(OWNER, "add_public_key", {"public_key": key})
    assert reasons.KEY_UNSAFE_ED25519 in fresh.failure_message(result)
    assert fresh.state() == before
    # A real key still goes in.
    fresh.ok(OWNER, "add_public_key", {"public_key": eddsa_public(ed25519_key(3), kid="good")})


def test_policies_beyond_the_limits_are_refused_and_cheaply(fresh):
    """Finding 5: 32 entries x 64 method names of 32 characters ran set_policy out of gas."""
    before = fresh.state()
    huge = {"methods": {f"*.m{entry:02d}.near": [f"{index:02d}".ljust(32, "x") for index in range(64)] for entry in range(32)}}
    result = fresh.call(OWNER, "set_policy", {"policy": huge}, gas=300 * TGAS)
    # Its 2,000-odd strings are refused before parsing (the admin argument bound).
    assert INVALID_ARGUMENTS in fresh.failure_message(result)
    assert fresh.method_gas(result) < 15 * TGAS
    # One past each limit, within the argument bound: refused by the policy rules.
    largest = worst_case.max_policy()
    too_many_entries = dict(largest, methods=dict(largest["methods"], **{"*.extra.near": ["x"]}))
    too_many_names = dict(largest, methods=dict(largest["methods"], **{"wrap.near": largest["methods"]["wrap.near"] + ["y"]}))
    too_long = dict(largest, signer_claim="c" * 200)
    for policy in (too_many_entries, too_many_names, too_long):
        result = fresh.call(OWNER, "set_policy", {"policy": policy}, gas=300 * TGAS)
        assert "Invalid policy" in fresh.failure_message(result), fresh.failure_message(result)
        assert fresh.method_gas(result) < 40 * TGAS
    assert fresh.state() == before


def test_remove_public_key_with_a_deeply_nested_kid_panics_with_its_message(fresh):
    """Finding 6: json.dumps on the error path exhausted the call stack (a trap)."""
    before = fresh.state()
    result = fresh.call(OWNER, "remove_public_key", b'{"kid":' + b"[" * 2000 + b"]" * 2000 + b"}")
    message = fresh.failure_message(result)
    assert message.startswith("Smart contract panicked: " + INVALID_ARGUMENTS), message
    assert fresh.state() == before
    # Within the depth bound the error path answers with the kid it was given.
    result = fresh.call(OWNER, "remove_public_key", {"kid": [[[1]]]})
    assert "No key with kid [[[1]]]" in fresh.failure_message(result)
    assert fresh.state() == before


def test_a_direct_caller_gets_invalid_arguments_for_a_kid_nested_too_deep_in_verify(env):
    raw = json.dumps(dict(router_args("a.b.c", [1]), predecessor=json.loads("[" * 50 + "]" * 50))).encode()
    result, gas = _answer_and_gas(env, raw)
    assert result == [False, INVALID_ARGUMENTS]
    assert gas < 5 * TGAS


ADMIN_METHODS = ["set_public_keys", "add_public_key", "remove_public_key", "set_settings", "propose_owner",
                 "pause", "unpause", "set_policy", "set_claim_mode"]


def test_admin_methods_panic_with_a_message_on_every_worst_case_input(fresh):
    """No admin error path traps: each refusal is a panic with its message, and nothing changes."""
    before = fresh.state()
    inputs = [case.args for case in worst_case.argument_cases()] + [
        b'{"kid":' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"public_keys":' + b"[" * 3000 + b"]" * 3000 + b"}",
        b'{"policy":{"methods":' + b"{" * 3000 + b"}" * 3000 + b"}}",
    ]
    for method in ADMIN_METHODS:
        for raw in inputs:
            result = fresh.call(OWNER, method, raw)
            message = fresh.failure_message(result)
            assert message.startswith("Smart contract panicked: "), (method, raw[:60], message)
    assert fresh.state() == before
