"""The MicroPython heap on the engine (instantiated as NEAR does), stock vs patched runtime.

Stock: a 32 KB heap; when it fills, the collector scans the C stack from an
unset stack base (NEAR never runs `_start`) and the call burns all its gas or
traps.  Patched: a 256 KB first area that grows instead of being collected,
and a failed allocation ends the call with a MemoryError panic.
"""
from __future__ import annotations

import json

import pytest

from .conftest import TGAS, call, instructions, returned_text


def fastauth_arguments(token_bytes: int, payload_bytes: int) -> bytes:
    """Arguments shaped like the router's `verify` call: a JWT-sized string and sign_payload bytes."""
    token = ("x" * 36 + "." + "y" * (token_bytes - 36 - 1 - 343 - 1) + "." + "z" * 343)
    assert len(token) == token_bytes
    return json.dumps({
        "issuer": "https://login.example.com/",
        "jwt": token,
        "sign_payload": [(index * 7) % 256 for index in range(payload_bytes)],
        "predecessor": "alice.near",
    }).encode()


@pytest.mark.parametrize("token_bytes, payload_bytes", [(5000, 600), (7168, 1000)])
def test_fastauth_sized_arguments_overflow_the_stock_heap_but_not_the_patched_one(
        probe_wasm, token_bytes, payload_bytes):
    arguments = fastauth_arguments(token_bytes, payload_bytes)
    # parse_args_like_sdk imports near-sdk-py and parses the arguments, as every
    # near-sdk-py method does before its body runs.
    stock = call(probe_wasm["stock"], "parse_args_like_sdk", arguments)
    assert stock.error is not None
    assert stock.error.kind == "ExecutionError"
    patched = call(probe_wasm["patched"], "parse_args_like_sdk", arguments)
    assert returned_text(patched) == str(payload_bytes)
    assert patched.burnt_gas < 15 * TGAS


def test_small_arguments_fit_either_heap(probe_wasm):
    arguments = fastauth_arguments(1000, 100)
    for runtime in ("stock", "patched"):
        assert returned_text(call(probe_wasm[runtime], "parse_args_like_sdk", arguments)) == "100"


def test_objects_held_only_by_c_code_survive_a_full_heap(probe_wasm):
    # Builds, joins and parses a 1,200-entry JSON object (over 400 KB of
    # allocations): the heap must grow past its first 256 KB area, and every
    # entry must come back intact.  A collection at that point frees objects
    # that only C locals reference (measured during development: corrupted
    # entries and traps), which is why the patched runtime never collects.
    outcome = call(probe_wasm["patched"], "check_flat_object", {"entries": 1200})
    reply = returned_text(outcome)
    assert reply.startswith("intact 1200, heap ")
    assert int(reply.rsplit(" ", 1)[1]) > 256 * 1024


def test_a_failed_allocation_ends_the_call_with_a_memory_error_panic(probe_wasm):
    outcome = call(probe_wasm["patched"], "allocate", {"bytes": 100 * 1024 * 1024})
    assert outcome.error is not None
    assert outcome.error.message == (
        "Smart contract panicked: MemoryError: memory allocation failed, allocating 104857600 bytes")
    # It stops at once instead of running on with a NULL block.
    assert outcome.burnt_gas < 2 * TGAS


def test_a_large_allocation_grows_the_heap(probe_wasm):
    assert returned_text(call(probe_wasm["patched"], "allocate", {"bytes": 1024 * 1024})) == "allocated 1048576"


def test_trivial_call_gas_stock_vs_patched(probe_wasm):
    stock = call(probe_wasm["stock"], "noop")
    patched = call(probe_wasm["patched"], "noop")
    assert stock.error is None and patched.error is None
    print(f"\nnoop: stock {stock.burnt_gas / TGAS:.3f} Tgas ({instructions(stock)} instructions), "
          f"patched {patched.burnt_gas / TGAS:.3f} Tgas ({instructions(patched)} instructions)")
    # The patched runtime sets up a larger first heap area (256 KB instead of
    # 32 KB), but zeroes it 8 bytes per step (patch 13) where stock zeroes its
    # area byte by byte: a trivial call costs about the same either way.
    assert abs(patched.burnt_gas - stock.burnt_gas) < 0.1 * TGAS
    assert patched.burnt_gas < 1 * TGAS
