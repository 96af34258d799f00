"""Runtime patch 11 (contract/runtime/11-fast-bytes-and-json.patch), on the engine.

The patch changes how four things are computed, never what they answer:
json.loads of escape-free strings and short integers, forward byte searches
(find_subbytes: `in`, find, count, split, replace), and it adds
str/bytes.isascii() and near.bytes_from_byte_list(). Each answer is checked
against CPython (or guard_core's pure-Python version), and against the stock
runtime where the stock runtime has the feature; the gas tests pin the win.
"""
from __future__ import annotations

import json
import random

import pytest

from guard_core import values

from .conftest import call, returned_text

# --- json.loads -----------------------------------------------------------------

JSON_CASES = [
    "[0]", "[-0]", "[7]", "[007]", "[-007]", "[123456789]", "[-123456789]", "[1234567890]",
    "[-1234567890]", "[2147483647]", "[2147483648]", "[-2147483649]", "[99999999999999999999]",
    "[1-1]", "[-]", "[--1]", "[1e5]", "[1E5]", "[1.5]", "[-1.25e-3]", "[1+2]", "[12abc]", "[1 2 3]",
    "[1,2,3]", "[255,0,128]", "[ 1 , 2 ]", "{\"a\": 1}", "{\"a\": -12}", "[1", "[-",
    "[\"\"]", "[\"abc\"]", "[\"a\\\"b\"]", "[\"a\\\\b\"]", "[\"a\\nb\"]", "[\"\\u00e9x\"]",
    "[\"\\ud83d\\ude00\"]", "[\"é\"]", "[\"unterminated]", "[\"unterminated", "[\"a\"b\"]",
    "{\"jwt\": \"eyJ.eyJ.sig\", \"n\": [1, 2]}", "{\"k\": \"v\", \"k2\": [\"x\", 5]}",
    "[\"tab\there\"]", "[true, false, null, \"true\"]", "[\"end\\\"\"]", "[\"\\\\\"]",
    # around 64 bytes: longer ASCII strings skip the UTF-8 check and interning
    "[\"" + "a" * 64 + "\"]", "[\"" + "b" * 65 + "\"]", "{\"" + "k" * 100 + "\": \"" + "v" * 300 + "\"}",
    "[\"" + "x" * 99 + "é\"]", "[\"é" + "y" * 200 + "\"]", "[\"" + "z" * 80 + "\\n\"]",
    "[\"" + "q" * 70 + "\", \"" + "q" * 70 + "\"]", "[\"" + "u" * 66,
]


def _random_json_like(rng: random.Random) -> str:
    alphabet = ['"', '\\', '[', ']', '{', '}', ',', ':', '-', '+', '.', 'e', '0', '1', '9', 'a', 'u', ' ', 'é']
    body = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 16)))
    return "[" + body + "]"


def _json_outcome(wasm: bytes, text: str | bytes) -> str:
    outcome = call(wasm, "json_loads_outcome", text)
    assert outcome.error is None, (text, outcome.error)
    # MicroPython lets "\\ud83d" escapes through as lone surrogates (invalid UTF-8).
    return outcome.return_data.data.decode("utf-8", "backslashreplace")


def _same_outcome(patched: str, stock: str) -> bool:
    # The stock runtime may name another exception type (a later raise overwrote
    # the first); what matters is that both fail, or both give the same value.
    return patched == stock or (patched == "error" and stock == "error")


@pytest.mark.parametrize("text", JSON_CASES)
def test_json_loads_answers_as_the_stock_runtime(probe_wasm, text):
    patched = _json_outcome(probe_wasm["patched"], text)
    stock = _json_outcome(probe_wasm["stock"], text)
    assert _same_outcome(patched, stock), (text, patched, stock)


def test_json_loads_random_inputs_answer_as_the_stock_runtime(probe_wasm):
    rng = random.Random(11)
    for _ in range(150):
        text = _random_json_like(rng)
        patched = _json_outcome(probe_wasm["patched"], text)
        stock = _json_outcome(probe_wasm["stock"], text)
        assert _same_outcome(patched, stock), (text, patched, stock)


def test_json_byte_array_and_plain_string_values_match_cpython(probe_wasm):
    rng = random.Random(5)
    items = [rng.randrange(256) for _ in range(1000)] + [-5, 0, 123456789, -123456789]
    text = "hello-._~" * 300
    document = {"sign_payload": items, "jwt": text, "nested": {"s": "x", "n": [1, [2, "y"]]}}
    outcome = _json_outcome(probe_wasm["patched"], json.dumps(document))
    assert outcome.startswith("ok ")
    assert json.loads(outcome[3:]) == document


def test_a_nul_byte_ends_the_input_as_before(probe_wasm):
    for text in (b'["ab\x00cd"]', b'[12\x0034]', b'{"a": "x\x00"}'):
        assert _same_outcome(_json_outcome(probe_wasm["patched"], text),
                             _json_outcome(probe_wasm["stock"], text)), text


def test_long_strings_still_refuse_invalid_utf8(probe_wasm):
    """A long escape-free string skips the UTF-8 check only when every byte is ASCII."""
    for text in (b'["' + b"a" * 100 + b'\xff"]', b'["\xc3' + b"a" * 100 + b'"]', b'{"' + b"k" * 90 + b'\x80": 1}'):
        patched = _json_outcome(probe_wasm["patched"], text)
        assert patched == "error", (text, patched)
        assert _same_outcome(patched, _json_outcome(probe_wasm["stock"], text)), text
    text = b'["' + b"a" * 64 + b'\xed\xa0\x80"]'  # a surrogate: whatever the stock check says
    assert _same_outcome(_json_outcome(probe_wasm["patched"], text), _json_outcome(probe_wasm["stock"], text))


def _json_gas(wasm: bytes, text: str) -> int:
    return int(returned_text(call(wasm, "json_loads_gas", text)))


def test_a_long_string_parses_several_times_cheaper(probe_wasm):
    text = json.dumps({"jwt": "eyJhbGciOiJSUzI1NiJ9" * 280})  # a 5.6 KB token
    patched, stock = _json_gas(probe_wasm["patched"], text), _json_gas(probe_wasm["stock"], text)
    assert patched * 4 < stock, (patched, stock)


def test_a_byte_array_parses_several_times_cheaper(probe_wasm):
    text = json.dumps({"sign_payload": list(range(256)) * 4})
    patched, stock = _json_gas(probe_wasm["patched"], text), _json_gas(probe_wasm["stock"], text)
    assert patched * 3 < stock, (patched, stock)


# --- isascii ----------------------------------------------------------------------

ISASCII_TEXTS = ["", "a", "plain ascii ~\x7f", "\x00", "é", "abcé", "😀", "x" * 300 + "é", "\u0080"]


@pytest.mark.parametrize("text", ISASCII_TEXTS)
def test_isascii_matches_cpython(probe_wasm, text):
    raw = json.dumps({"text": text})
    answers = json.loads(returned_text(call(probe_wasm["patched"], "isascii_outcome", raw)))
    encoded = text.encode()
    assert answers == [text.isascii(), encoded.isascii(), bytearray(encoded).isascii(), raw.encode().isascii()]


def test_isascii_on_raw_non_ascii_input(probe_wasm):
    raw = '{"text": "a", "other": "é"}'.encode()
    answers = json.loads(returned_text(call(probe_wasm["patched"], "isascii_outcome", raw)))
    assert answers == [True, True, True, False]


# --- near.bytes_from_byte_list ------------------------------------------------------

BYTE_LIST_CASES = [
    [], [0], [255], [256], [-1], [True], [False], [1.0], [0.5], [None], ["a"], [[1]], [{}],
    [2**31], [2**70], [-(2**70)], [1, 2, True], [1, 2, 3.0], list(range(256)), [255] * 1000,
    "abc", {}, {"0": 1}, None, 5, True, 1.5, [1, 2, "3"], [0, 256, 0], [2**30 - 1], [-(2**30)],
]


@pytest.mark.parametrize("value", BYTE_LIST_CASES, ids=lambda value: json.dumps(value)[:30])
def test_bytes_from_byte_list_matches_guard_core(probe_wasm, value):
    text = returned_text(call(probe_wasm["patched"], "bytes_from_byte_list_outcome", {"value": value}))
    expected = values.bytes_from_list(value)
    assert text == ("none" if expected is None else "bytes " + expected.hex())


def test_bytes_from_byte_list_random_lists(probe_wasm):
    rng = random.Random(3)
    for _ in range(40):
        value = [rng.choice([rng.randrange(256), rng.randrange(-3, 300)]) for _ in range(rng.randrange(0, 50))]
        text = returned_text(call(probe_wasm["patched"], "bytes_from_byte_list_outcome", {"value": value}))
        expected = values.bytes_from_list(value)
        assert text == ("none" if expected is None else "bytes " + expected.hex()), value


# --- near.json_text_within (runtime patch 12) -------------------------------------------

JSON_TEXT_CASES = [
    b"", b"{}", b'{"a":"b"}', b'{"a\\"b":"c\\\\"}', b'["]","[","{"]', b"[[[[[[]]]]]]", b"]]]]{}", b'"\\',
    b'"abc', b'{"\xc3\xa9":1}', b'{"a":"\xc3"}', b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x80",
    b'"\\\xc3\xa9"', "é€😀".encode(), b'{"k" 0 "j" 1}', b"[" * 40 + b"]" * 40, b'"",' * 50,
]


def _json_text_within_on_chain(probe_wasm, data: bytes, strings, depth) -> str:
    return returned_text(call(probe_wasm["patched"], "json_text_within_outcome",
                              {"data_hex": data.hex(), "strings": strings, "depth": depth}))


@pytest.mark.parametrize("data", JSON_TEXT_CASES, ids=lambda data: repr(data)[:30])
def test_json_text_within_matches_guard_core(probe_wasm, data):
    for strings, depth in ((0, 0), (1, 1), (3, 2), (50, 40), (100, 100)):
        expected = values.json_text_within(data, strings, depth)
        assert _json_text_within_on_chain(probe_wasm, data, strings, depth) == repr(expected), (data, strings, depth)


def test_json_text_within_random_json_like_bytes(probe_wasm):
    rng = random.Random(12)
    alphabet = b'{}[]",:\\ab1\xc3\xa9\xe2\x82\xac\xed\xf0\x9f\x80'
    for _ in range(60):
        data = bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 60)))
        strings, depth = rng.randrange(0, 8), rng.randrange(0, 6)
        expected = values.json_text_within(data, strings, depth)
        assert _json_text_within_on_chain(probe_wasm, data, strings, depth) == repr(expected), data


@pytest.mark.parametrize("value", ["{}", None, 5, [1, 2], {"a": 1}])
def test_json_text_within_answers_false_to_anything_but_bytes(probe_wasm, value):
    text = returned_text(call(probe_wasm["patched"], "json_text_within_outcome", {"value": value, "strings": 9, "depth": 9}))
    assert text == "False"
    for strings, depth in (("9", 9), (9, None), (2**70, 9)):
        text = returned_text(call(probe_wasm["patched"], "json_text_within_outcome",
                                  {"data_hex": "7b7d", "strings": strings, "depth": depth}))
        assert text == "False", (strings, depth)
        assert values.json_text_within(b"{}", strings, depth) is False


# --- forward byte searches -----------------------------------------------------------

FIND_CASES = [
    ("", "a"), ("a", "a"), ("abc", "c"), ("abc", "d"), ("aaa", "aa"), ("abcabc", "ca"), ("a.b.c", "."),
    ("header.payload.sig", "."), ("abc", "abcd"), ("x" * 500 + "yz", "yz"), ("ababab", "bab"),
    ("é.é", "."), ("éaé", "é"), ("--__--", "-"), ("abc", "abc"), ("aab", "ab"), ("abc", ""),
]


def _find_answers(haystack: str, needle: str) -> list:
    raw_haystack, raw_needle = haystack.encode(), needle.encode()
    return [
        needle in haystack, haystack.find(needle), haystack.count(needle) if needle else -1,
        haystack.split(needle) if needle else [], haystack.replace(needle, "#") if needle else "",
        raw_needle in raw_haystack, raw_haystack.find(raw_needle),
        raw_haystack.replace(raw_needle, b"#").decode() if raw_needle else "",
        haystack.rfind(needle), haystack.startswith(needle), haystack.endswith(needle),
    ]


@pytest.mark.parametrize("haystack, needle", FIND_CASES)
def test_searches_match_cpython_and_the_stock_runtime(probe_wasm, haystack, needle):
    args = {"haystack": haystack, "needle": needle}
    expected = _find_answers(haystack, needle)
    assert json.loads(returned_text(call(probe_wasm["patched"], "find_outcome", args))) == expected
    assert json.loads(returned_text(call(probe_wasm["stock"], "find_outcome", args))) == expected


def test_random_searches_match_cpython(probe_wasm):
    rng = random.Random(7)
    for _ in range(60):
        haystack = "".join(rng.choice("ab.") for _ in range(rng.randrange(0, 40)))
        needle = "".join(rng.choice("ab.") for _ in range(rng.randrange(1, 4)))
        args = {"haystack": haystack, "needle": needle}
        got = json.loads(returned_text(call(probe_wasm["patched"], "find_outcome", args)))
        assert got == _find_answers(haystack, needle), args
