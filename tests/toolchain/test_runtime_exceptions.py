"""Exceptions raised inside MicroPython's C code, on the engine, stock vs patched runtime.

This port cannot unwind the C stack: a raise in C only marks the exception
pending and the C code runs on.  The patched runtime keeps the first pending
exception, unwinds the handler chain where the exception is caught, and stops
the paths that would otherwise run on with NULLs (contract/runtime/README.md).
Each probe method of tests/contracts/runtime_probe reports "caught <Type>"
when the expected exception reached Python, "wrong <Type>" when another one
did.
"""
from __future__ import annotations

import pytest

from .conftest import call, returned_text

CAUGHT_AS_PYTHON_DOES = [
    ("missing_key", "caught KeyError"),  # {}["k"]
    ("bad_int", "caught ValueError"),  # int("x")
    ("bad_utf8", "caught UnicodeError"),  # b"\xff".decode()
    ("str_plus_int", "caught TypeError"),  # "a" + 1
    ("missing_attribute", "caught AttributeError"),
    ("undefined_name", "caught NameError"),
    ("missing_module", "caught ImportError"),
]


@pytest.mark.parametrize("method, expected", CAUGHT_AS_PYTHON_DOES)
def test_patched_runtime_delivers_the_exception_c_raised(probe_wasm, method, expected):
    assert returned_text(call(probe_wasm["patched"], method)) == expected


@pytest.mark.parametrize("method, stock_reply", [
    ("missing_key", "wrong TypeError"),  # the KeyError is overwritten by a second raise
    ("str_plus_int", "wrong ZeroDivisionError"),
    ("missing_module", "wrong OSError"),
])
def test_stock_runtime_delivers_a_later_exception_instead(probe_wasm, method, stock_reply):
    # The problem the patch fixes, pinned so the probes provably tell them apart.
    assert returned_text(call(probe_wasm["stock"], method)) == stock_reply


def test_stock_runtime_traps_on_a_name_error_inside_try(probe_wasm):
    outcome = call(probe_wasm["stock"], "undefined_name")
    assert outcome.error is not None
    assert "unreachable" in outcome.error.message.lower()


def test_many_caught_exceptions_leave_the_runtime_usable(probe_wasm):
    # 300 caught KeyErrors, then 600 allocations: the handler chain must not
    # point into dead stack frames afterwards.
    assert returned_text(call(probe_wasm["patched"], "many_caught")) == "caught 300, kept 600"
    stock = call(probe_wasm["stock"], "many_caught")
    assert stock.error is not None and "TypeError" in " ".join(stock.logs)


def test_a_module_that_fails_to_import_fails_again_on_the_next_import(probe_wasm):
    # The jump callback that unregisters the half-imported module must run
    # exactly once, where the exception is handled.
    assert returned_text(call(probe_wasm["patched"], "import_broken_module")) == "ValueError, ValueError"
    stock = call(probe_wasm["stock"], "import_broken_module")
    assert stock.error is not None and "trap" in stock.error.message  # callback chain popped twice


HOSTILE_JSON = [
    (b'{"a": [1, 2', "rejected ValueError"),  # truncated inside a nested container
    (b'"unterminated', "rejected ValueError"),
    (b'{"a": "\\u12"}', "rejected ValueError"),  # short \u escape
    (b"[" * 10_000, "rejected ValueError"),  # 10k levels, never closed
    (b"[" * 10_000 + b"]" * 10_000, "parsed list"),  # 10k levels, closed
    # Numbers are capped at 64 characters (runtime patch 06): parsing one is
    # quadratic in its length, and 30,000 digits would burn all the gas.
    (b"-" + b"9" * 63, "parsed int"),  # 64 characters: the longest accepted
    (b"9" * 64, "parsed int"),
    (b"9" * 65, "rejected ValueError"),
    (b"-" + b"9" * 2_000, "rejected ValueError"),
    (b'{"a": [1, ' + b"7" * 30_000 + b"]}", "rejected ValueError"),
    (b"0." + b"5" * 63, "rejected ValueError"),  # floats count too
    (b"1e999999", "parsed float"),  # overflows to inf
    (b"1-1", "rejected ValueError"),
    (b'{"a": 1-1}', "rejected ValueError"),
    (b"\xff\xfe{}", "rejected UnicodeError"),  # invalid UTF-8
    (b'"\xc3"', "rejected UnicodeError"),  # truncated UTF-8 sequence
    (b"\x00\x01garbage", "rejected ValueError"),  # not JSON at all
    (b"\xef\xbb\xbf{}", "rejected ValueError"),  # UTF-8 byte order mark
    (b"", "rejected ValueError"),
    (b"nul", "rejected ValueError"),
    (b'{"a":1}garbage', "rejected ValueError"),
    (b"NaN", "rejected ValueError"),
]


@pytest.mark.parametrize("document, expected", HOSTILE_JSON, ids=lambda v: repr(v)[:30])
def test_json_loads_of_hostile_bytes_is_caught_as_value_error(probe_wasm, document, expected):
    # parse_hostile_json: try data.decode() except UnicodeError; try json.loads except ValueError.
    outcome = call(probe_wasm["patched"], "parse_hostile_json", document)
    assert returned_text(outcome) == expected


@pytest.mark.parametrize("document, parsed_as", [
    (b'{"a":', "dict"),  # unterminated top-level container
    (b"[1,]", "list"),
    (b'{"a" 1}', "dict"),  # ':' and ',' are skipped, not checked
    (b"[1 2]", "list"),
    (b"{1: 2}", "dict"),  # non-string key
    (b"[}", "list"),
])
def test_micropython_json_accepts_some_invalid_documents(probe_wasm, document, parsed_as):
    # Not an exception problem: MicroPython's parser is lenient.  Contracts that
    # need strict JSON must check the shape of what they get (the guard does).
    assert returned_text(call(probe_wasm["patched"], "parse_hostile_json", document)) == "parsed " + parsed_as


def test_host_call_still_runs_after_a_type_error_in_its_arguments(probe_wasm):
    # Known limit of the patch: near.storage_write(1, b"value") raises TypeError
    # for the key, but modnear.c goes on to call the host with an empty key.
    # Contracts must type-check what they pass to `near` functions.
    storage = {}
    outcome = call(probe_wasm["patched"], "host_call_after_type_error", storage=storage)
    assert returned_text(outcome) == "has empty key: True"
    assert outcome.storage_writes == {b"": b"value"}
