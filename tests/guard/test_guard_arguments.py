"""Hostile ARGUMENTS to `verify` (not hostile tokens: see test_guard_adversarial).

Whatever bytes arrive as the call's input, `verify` answers `[false, reason]`
(or `[true, sub]` when a valid token is really there): the call succeeds as a
view and as a transaction, never panics, never traps.
"""
from __future__ import annotations

import json
import re

import pytest

from devkit.guard_chain import (
    ALICE,
    ARGUMENTS_TOO_LARGE,
    GUARD_DIR,
    GUARD_ID,
    INVALID_ARGUMENTS,
    MAX_VERIFY_ARGS_BYTES,
    OWNER,
    SUB,
    claims,
    encode_args,
    fastauth_args,
    reasons,
    router_args,
    rsa_key,
    sample_sign_payload,
    sign_token,
)

PAYLOAD = sample_sign_payload()
TGAS = 10**12
KNOWN_REASONS = set(reasons.VERIFY_REASONS)


@pytest.fixture
def token(env):
    return sign_token(rsa_key(2048), claims(env.now_s, PAYLOAD), kid="rs2048")


def answer(env, raw: bytes):
    """verify with exactly these input bytes, as a view and as a transaction: (value, tx gas)."""
    view_value = json.loads(env.raw_view("verify", raw))
    result = env.call(ALICE, "verify", raw)
    assert result.succeeded and not result.receipt_failures, (result.status, result.logs)
    assert result.value is not None and json.loads(result.value) == view_value
    assert isinstance(view_value, list) and len(view_value) in (2, 3)
    assert type(view_value[0]) is bool and type(view_value[1]) is str
    if view_value[0] is False:
        assert view_value[1] in KNOWN_REASONS, view_value
    if len(view_value) == 3:  # FastAuth's argument set: the guard name on success, "" otherwise
        assert view_value[2] == "" if view_value[0] is False else view_value[2], view_value
    return view_value[:2], env.method_gas(result)


def rejected(env, raw: bytes, reason: str | None = None) -> str:
    value, _ = answer(env, raw)
    assert value[0] is False, value
    if reason is not None:
        assert value[1] == reason
    return value[1]


# ----------------------------------------------------------------------------- not a JSON object


@pytest.mark.parametrize("raw", [
    b"", b" ", b"\x00", b"not json", b"{", b"}", b"{}", b"{{}}", b"null", b"true", b"0", b"123", b"-1",
    b"1-1", b"1e", b"1e999999", b'"a string"', b"[]", b"[1,2,3]", b'["jwt"]', b'[{"jwt":"a.b.c"}]',
    b"{'issuer': 'x'}", b'{"issuer"}', b'{"issuer":}', b'{"issuer":"x",}', b'{"issuer":"x"',
    b'{"issuer":"x"}}', b'{"a":1-1}', b'{"a":tru}', b'{"a":nul}', b'{"a":"\\u12"}', b'{"a":"\\x"}',
    b'{"a":"unterminated}', b"\xef\xbb\xbf{}", '{"a":1}'.encode("utf-16-le"), b'{\x00"a":1}',
], ids=repr)
def test_input_that_is_not_a_json_object(env, raw):
    reason = rejected(env, raw)
    assert reason in (INVALID_ARGUMENTS,), (raw, reason)


def test_valid_call_still_verifies(env, token):
    value, gas = answer(env, encode_args(router_args(token, PAYLOAD)))
    assert value == [True, SUB]


# ----------------------------------------------------------------------------- missing and extra fields


@pytest.mark.parametrize("missing", ["issuer", "jwt", "sign_payload"])
def test_router_args_missing_a_field(env, token, missing):
    args = router_args(token, PAYLOAD)
    del args[missing]
    rejected(env, encode_args(args), INVALID_ARGUMENTS)


@pytest.mark.parametrize("missing", ["guard_id", "verify_payload", "sign_payload"])
def test_fastauth_args_missing_a_field(env, token, missing):
    args = fastauth_args(token, PAYLOAD)
    del args[missing]
    rejected(env, encode_args(args), INVALID_ARGUMENTS if missing != "verify_payload" else reasons.MALFORMED_TOKEN)


@pytest.mark.parametrize("style", [router_args, fastauth_args])
def test_predecessor_is_not_needed_for_plain_jwt_verification(env, token, style):
    """`predecessor` is unused by plain JWT verification (claim mode uses it).
    Missing, or of any type, it changes nothing."""
    args = style(token, PAYLOAD)
    del args["predecessor"]
    assert answer(env, encode_args(args))[0] == [True, SUB]
    for value in (None, 5, [], {}, True, "", "x" * 1000):
        assert answer(env, encode_args(dict(args, predecessor=value)))[0] == [True, SUB]


def test_unknown_fields_are_ignored_like_serde_does(env, token):
    args = dict(router_args(token, PAYLOAD), extra=1, another={"nested": [1, 2]})
    assert answer(env, encode_args(args))[0] == [True, SUB]


def test_router_field_names_win_when_both_sets_are_sent(env, token):
    args = dict(router_args(token, PAYLOAD), guard_id="jwt#https://evil.example/", verify_payload="x.y.z")
    assert answer(env, encode_args(args))[0] == [True, SUB]
    args = dict(router_args(token, PAYLOAD, issuer="https://evil.example/"), guard_id=GUARD_ID)
    assert answer(env, encode_args(args))[0] == [False, reasons.ISSUER_MISMATCH]


def test_duplicate_keys_do_not_break_the_guard(env, token):
    good = encode_args(router_args(token, PAYLOAD))
    doubled = b'{"jwt": "garbage", ' + good[1:]
    assert answer(env, doubled)[0] == [True, SUB]  # the last occurrence wins (serde_json would refuse it)
    doubled = good[:-1] + b', "jwt": "garbage"}'
    assert answer(env, doubled)[0] == [False, reasons.MALFORMED_TOKEN]


# ----------------------------------------------------------------------------- wrong types, field by field

WRONG_TYPES = [None, 0, 5, -1, 1.5, True, False, "", "text", [], [1], {}, {"a": 1}, 10**30, [[1]]]


@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
def test_issuer_of_the_wrong_type(env, token, value):
    if isinstance(value, str):
        expected = reasons.ISSUER_MISMATCH
    else:
        expected = INVALID_ARGUMENTS
    rejected(env, encode_args(router_args(token, PAYLOAD, issuer=value)), expected)


@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
def test_guard_id_of_the_wrong_type(env, token, value):
    expected = reasons.ISSUER_MISMATCH if isinstance(value, str) else INVALID_ARGUMENTS
    rejected(env, encode_args(fastauth_args(token, PAYLOAD, guard_id=value)), expected)


@pytest.mark.parametrize("style", [router_args, fastauth_args])
@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
def test_token_of_the_wrong_type(env, value, style):
    rejected(env, encode_args(style(value, PAYLOAD)), reasons.MALFORMED_TOKEN)


@pytest.mark.parametrize("style", [router_args, fastauth_args])
@pytest.mark.parametrize("value", [None, 0, 5, 1.5, True, "", "text", {}, {"a": 1}, 10**30, [[1]], [1.0], [True],
                                   [-1], [256], [10**30], ["1"], [None], list(PAYLOAD[:-1]) + [1.5]], ids=repr)
def test_sign_payload_of_the_wrong_type(env, token, value, style):
    rejected(env, encode_args(style(token, value)), reasons.INVALID_SIGN_PAYLOAD)


def test_sign_payload_as_base64_text_is_not_bytes(env, token):
    import base64

    rejected(env, encode_args(router_args(token, base64.b64encode(PAYLOAD).decode())), reasons.INVALID_SIGN_PAYLOAD)


def test_odd_numbers_in_an_unused_field(env, token):
    """MicroPython's json is lenient about some number spellings and strict about others;
    either way the call answers, and a real token still verifies."""
    raw = encode_args(router_args(token, PAYLOAD))
    lenient = (b"1e400", b"-1e400", b"1.0e2", b"0.5", b"-0", b"1" * 64, b"01", b"1.")
    # Numbers over 64 characters are refused (runtime patch 06: parsing is quadratic).
    refused = (b"NaN", b"Infinity", b".5", b"+1", b"0x10", b"1" * 65, b"1" * 400)
    for literal in lenient:
        assert answer(env, raw[:-1] + b', "n": ' + literal + b"}")[0] == [True, SUB], literal
    for literal in refused:
        rejected(env, raw[:-1] + b', "n": ' + literal + b"}", INVALID_ARGUMENTS)


def test_infinite_number_in_sign_payload(env, token):
    hostile = encode_args(router_args(token, PAYLOAD)).replace(b'"sign_payload": [', b'"sign_payload": [1e400, ')
    rejected(env, hostile, reasons.INVALID_SIGN_PAYLOAD)


# ----------------------------------------------------------------------------- text encodings


@pytest.mark.parametrize("raw", [
    b'{"issuer": "\xff", "jwt": "a.b.c", "sign_payload": []}',
    b'{"issuer": "x", "jwt": "a.b.c\xc0\xaf", "sign_payload": []}',
    b'{"issuer": "x", "jwt": "\xed\xa0\x80", "sign_payload": []}',
    b'{"issuer": "x", "jwt": "\xe2\x82", "sign_payload": []}',
    b'{"issuer": "x", "jwt": "a.b.c", "sign_payload": [], "predecessor": "\xf5\x80\x80\x80"}',
    b'{"\xff": 1}',
], ids=repr)
def test_invalid_utf8_anywhere_in_the_input(env, raw):
    rejected(env, raw, INVALID_ARGUMENTS)


def test_escaped_lone_surrogates_in_fields(env, token):
    raw = encode_args(router_args(token, PAYLOAD)).replace(b'"predecessor": "', b'"predecessor": "\\ud800')
    assert answer(env, raw)[0] == [True, SUB]
    raw = encode_args(router_args(token + "\ud800", PAYLOAD))
    assert b"\\ud800" in raw
    rejected(env, raw, reasons.MALFORMED_TOKEN)
    rejected(env, encode_args(router_args(token, PAYLOAD, issuer="\udfff")), reasons.ISSUER_MISMATCH)


@pytest.mark.parametrize("where", ["leading", "trailing", "both", "newline"])
def test_whitespace_around_the_object(env, token, where):
    """Whitespace around the arguments is accepted, as serde_json accepts it."""
    body = encode_args(router_args(token, PAYLOAD))
    raw = {"leading": b"  " + body, "trailing": body + b"  ", "both": b"\t" + body + b"\r\n", "newline": body + b"\n"}[where]
    assert answer(env, raw)[0] == [True, SUB]


def test_whitespace_inside_the_object_is_fine(env, token):
    body = json.dumps(router_args(token, PAYLOAD), indent=4).encode()
    assert answer(env, body)[0] == [True, SUB]


# ----------------------------------------------------------------------------- nesting


@pytest.mark.parametrize("depth", [100, 1000, 5000, 15000])
def test_deeply_nested_json(env, token, depth):
    nested_lists = b"[" * depth + b"]" * depth
    nested_objects = b'{"a":' * depth + b"1" + b"}" * depth
    for field in (b'"jwt"', b'"sign_payload"', b'"predecessor"', b'"extra"'):
        for nested in (nested_lists, nested_objects, b"[" * depth, b"[" * depth + b"}" * depth):
            base = encode_args(router_args(token, PAYLOAD))
            raw = base[:-1] + b", " + field + b": " + nested + b"}"
            if len(raw) > MAX_VERIFY_ARGS_BYTES:
                rejected(env, raw, ARGUMENTS_TOO_LARGE)
            else:
                answer(env, raw)


def test_top_level_nesting(env):
    for depth in (10, 1000, 10000):
        rejected(env, b"{" * depth + b"}" * depth)
        rejected(env, b"[" * depth + b"]" * depth, INVALID_ARGUMENTS)


# ----------------------------------------------------------------------------- size


def _padded(args: dict, size: int) -> bytes:
    raw = encode_args(dict(args, pad=""))
    padded = encode_args(dict(args, pad="x" * (size - len(raw))))
    assert len(padded) == size
    return padded


def test_the_argument_cap_boundary(env, token):
    args = router_args(token, PAYLOAD)
    assert answer(env, _padded(args, MAX_VERIFY_ARGS_BYTES))[0] == [True, SUB]
    rejected(env, _padded(args, MAX_VERIFY_ARGS_BYTES + 1), ARGUMENTS_TOO_LARGE)


# Gas for an oversized input, measured: 100 KB -> 6.0 Tgas, 1 MB -> 39.9 Tgas, flat in
# the content. The guard never parses it, but `near.input()` (the runtime's C code)
# copies the whole input into a fresh bytes object first -- about 30 Wasm
# instructions and ~6.5 M gas of host fees per byte -- and NEAR charges every
# function call 2.2 M gas per argument byte. A parsed call costs far more per byte
# (a 1,000-byte sign_payload alone adds ~15 Tgas), so the cap still pays off.
HUGE_INPUT_GAS_PER_BYTE = 42_000_000  # ~37 M measured
HUGE_INPUT_GAS_BASE = 3 * TGAS


@pytest.mark.parametrize("size", [100_000, 1_000_000])
def test_huge_input_is_answered_before_parsing(env, token, size):
    cases = [
        _padded(router_args(token, PAYLOAD), size),  # a valid call, padded
        encode_args(router_args("A" * (size - 200), PAYLOAD))[:size],  # a huge token (and cut short: not JSON)
        b"[" * size,
        b"{" + b'"a":' * ((size - 2) // 4) + b"}",
        bytes(range(256)) * (size // 256),
    ]
    gases = []
    for raw in cases:
        value, gas = answer(env, raw)
        assert value == [False, ARGUMENTS_TOO_LARGE]
        gases.append(gas)
        assert gas < HUGE_INPUT_GAS_BASE + size * HUGE_INPUT_GAS_PER_BYTE, gas
    # The content does not matter, only the size: nothing is parsed.
    assert max(gases) - min(gases) < 0.01 * TGAS + size * 100, gases


def test_huge_sign_payload_with_a_small_token(env, token):
    rejected(env, encode_args(router_args(token, list(range(256)) * 40)), ARGUMENTS_TOO_LARGE)


# ----------------------------------------------------------------------------- verify_custom_claims


def test_verify_custom_claims_view(env):
    payload_json = json.dumps(claims(env.now_s, PAYLOAD)).encode()
    args = {"jwt": "x", "jwt_payload": list(payload_json), "sign_payload": list(PAYLOAD), "predecessor": ALICE}
    assert env.view("verify_custom_claims", args) == [True, ""]
    other = list(PAYLOAD)
    other[0] ^= 1
    assert env.view("verify_custom_claims", dict(args, sign_payload=other)) == [False, reasons.FATXN_MISMATCH]
    assert env.view("verify_custom_claims", dict(args, sign_payload="x")) == [False, reasons.INVALID_SIGN_PAYLOAD]
    assert env.view("verify_custom_claims", dict(args, jwt_payload=list(b"[1]"))) == [False, reasons.INVALID_PAYLOAD]
    assert env.view("verify_custom_claims", dict(args, jwt_payload="{}")) == [False, reasons.INVALID_PAYLOAD]
    env.ok(OWNER, "set_settings", {"audience": "https://app.example"})
    assert env.view("verify_custom_claims", args) == [False, reasons.AUDIENCE_MISMATCH]


@pytest.mark.parametrize("raw", [b"", b"garbage", b"[]", b"{}", b"{" * 5000, b"x" * 100_000, b'{"jwt_payload": 5}'], ids=lambda r: repr(r[:20]))
def test_verify_custom_claims_never_panics(env, raw):
    value = json.loads(env.raw_view("verify_custom_claims", raw))
    assert isinstance(value, list) and len(value) == 2 and value[0] is False
    result = env.call(ALICE, "verify_custom_claims", raw)
    assert result.succeeded, result.status
    assert result.return_value == value


def test_the_shells_answers_are_guard_core_reasons():
    """guard.py writes its own answers out instead of importing guard_core.reasons
    (the views import nothing from guard_core); they stay the core's strings."""
    source = (GUARD_DIR / "guard.py").read_text()
    for name in ("INVALID_ARGUMENTS", "ARGUMENTS_TOO_LARGE", "VERIFICATION_ERROR"):
        match = re.search(rf'^{name} = "([^"]*)"$', source, re.M)
        assert match, f"guard.py no longer defines {name} as a literal"
        assert match.group(1) == getattr(reasons, name), name
