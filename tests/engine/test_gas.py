"""Gas: instructions by fuel, host and loading costs, limits, burnt vs used."""
from __future__ import annotations

from localnet.engine import DEFAULT_CONFIG, run

from .conftest import MAX_GAS, TGAS, context, near_module, returned_u64, run_wat, wasm

OP = DEFAULT_CONFIG.regular_op_cost
COSTS = DEFAULT_CONFIG.ext_costs


def counting_loop(iterations: int) -> str:
    # Per iteration: loop, local.get, i32.const, i32.add, local.tee, i32.const, i32.lt_u, br_if.
    return f"""(module (func (export "main") (local i32)
      (loop $next
        (br_if $next (i32.lt_u (local.tee 0 (i32.add (local.get 0) (i32.const 1))) (i32.const {iterations}))))))"""


def test_more_work_costs_proportionally_more_gas():
    few, many = run_wat(counting_loop(10)), run_wat(counting_loop(1010))
    assert few.error is None and many.error is None
    instructions = many.gas_profile["WASM_INSTRUCTION"] - few.gas_profile["WASM_INSTRUCTION"]
    assert instructions == 1000 * 8 * OP
    assert many.burnt_gas > few.burnt_gas


def test_function_calls_pay_for_their_stack_frame():
    def module(locals_: str) -> str:
        return f"""(module
          (func $callee {locals_})
          (func (export "main") (call $callee) (call $callee)))"""

    bare, heavy = run_wat(module("")), run_wat(module("(local i64 i64 i64 i64 i64 i64 i64 i64)"))
    # 8 i64 locals add 64 bytes to each frame: 8 more operations per call.
    extra = heavy.gas_profile["WASM_INSTRUCTION"] - bare.gas_profile["WASM_INSTRUCTION"]
    assert extra == 2 * 8 * OP


def test_loading_fee_is_base_plus_per_byte():
    code = wasm('(module (func (export "main")))')
    outcome = run(code, "main", context(), {})
    assert outcome.gas_profile["CONTRACT_LOADING_BASE"] == COSTS["CONTRACT_LOADING_BASE"]
    assert outcome.gas_profile["CONTRACT_LOADING_BYTES"] == COSTS["CONTRACT_LOADING_BYTES"] * len(code)
    # An empty method still runs its 64-byte stack frame: 8 operations.
    assert outcome.burnt_gas == COSTS["CONTRACT_LOADING_BASE"] + COSTS["CONTRACT_LOADING_BYTES"] * len(code) + 8 * OP


def test_host_function_costs_follow_the_cost_table():
    wat = near_module(
        '(func (export "main") (call $sha256 (i64.const 100) (i64.const 0) (i64.const 1)))', ["sha256"]
    )
    profile = run_wat(wat).gas_profile
    assert profile["SHA256_BASE"] == COSTS["SHA256_BASE"]
    assert profile["SHA256_BYTE"] == 100 * COSTS["SHA256_BYTE"]
    assert profile["READ_MEMORY_BASE"] == COSTS["READ_MEMORY_BASE"]
    assert profile["READ_MEMORY_BYTE"] == 100 * COSTS["READ_MEMORY_BYTE"]
    assert profile["WRITE_REGISTER_BASE"] == COSTS["WRITE_REGISTER_BASE"]
    assert profile["WRITE_REGISTER_BYTE"] == 32 * COSTS["WRITE_REGISTER_BYTE"]


def test_storage_write_charges_key_value_and_evicted_bytes():
    wat = near_module(
        '(func (export "main") (drop (call $storage_write (i64.const 3) (i64.const 0) (i64.const 10) (i64.const 0) (i64.const 0))))',
        ["storage_write"],
    )
    fresh = run_wat(wat).gas_profile
    overwrite = run_wat(wat, storage={b"\x00\x00\x00": b"12345"}).gas_profile
    assert fresh["STORAGE_WRITE_BASE"] == COSTS["STORAGE_WRITE_BASE"]
    assert fresh["STORAGE_WRITE_KEY_BYTE"] == 3 * COSTS["STORAGE_WRITE_KEY_BYTE"]
    assert fresh["STORAGE_WRITE_VALUE_BYTE"] == 10 * COSTS["STORAGE_WRITE_VALUE_BYTE"]
    assert "STORAGE_WRITE_EVICTED_BYTE" not in fresh
    assert overwrite["STORAGE_WRITE_EVICTED_BYTE"] == 5 * COSTS["STORAGE_WRITE_EVICTED_BYTE"]


def test_profile_accounts_for_every_burnt_unit_and_is_deterministic():
    wat = near_module(
        """(func (export "main")
             (call $log_utf8 (i64.const 5) (i64.const 0))
             (drop (call $storage_write (i64.const 3) (i64.const 0) (i64.const 10) (i64.const 0) (i64.const 0))))""",
        ["log_utf8", "storage_write"],
        '(data (i32.const 0) "hello")',
    )
    first, second = run_wat(wat), run_wat(wat)
    assert sum(first.gas_profile.values()) == first.burnt_gas
    assert first.gas_profile == second.gas_profile
    assert first.burnt_gas == second.burnt_gas == first.used_gas


def test_small_prepaid_gas_runs_out():
    outcome = run_wat(counting_loop(10**9), prepaid_gas=5 * TGAS)
    assert outcome.error.message == "Exceeded the prepaid gas."
    assert outcome.error.debug_message == "HostError(GasExceeded)"
    assert outcome.burnt_gas == outcome.used_gas == 5 * TGAS


def test_infinite_loop_stops_at_the_300_tgas_burn_limit():
    infinite = '(module (func (export "main") (loop $forever (br $forever))))'
    outcome = run_wat(infinite, prepaid_gas=MAX_GAS)
    assert outcome.error.message == "Exceeded the maximum amount of gas allowed to burn per contract."
    assert outcome.burnt_gas == 300 * TGAS


def test_views_ignore_prepaid_gas_but_not_the_burn_limit():
    infinite = '(module (func (export "main") (loop $forever (br $forever))))'
    outcome = run_wat(infinite, view=True, prepaid_gas=TGAS)
    assert outcome.error.message == "Exceeded the maximum amount of gas allowed to burn per contract."
    assert outcome.burnt_gas == 300 * TGAS


def test_running_out_inside_a_host_function():
    wat = near_module(
        '(func (export "main") (call $sha256 (i64.const 1000) (i64.const 0) (i64.const 1)))', ["sha256"]
    )
    budget = run_wat(wat).burnt_gas - 1
    outcome = run_wat(wat, prepaid_gas=budget)
    assert outcome.error.message == "Exceeded the prepaid gas."
    assert outcome.burnt_gas == budget


def test_gas_reserved_for_receipts_lowers_the_burn_budget():
    wat = near_module(
        f"""(func (export "main")
             (drop (call $promise_create (i64.const 8) (i64.const 0) (i64.const 1) (i64.const 0)
                                         (i64.const 0) (i64.const 0) (i64.const 16) (i64.const {9 * TGAS})))
             (loop $forever (br $forever)))""",
        ["promise_create"],
        '(data (i32.const 0) "bob.near")',
    )
    outcome = run_wat(wat, prepaid_gas=10 * TGAS)
    assert outcome.error.message == "Exceeded the prepaid gas."
    # 9 Tgas went to the promise and its fees, so well under 1 Tgas could burn.
    assert outcome.burnt_gas < TGAS
    assert outcome.used_gas == outcome.burnt_gas
    assert outcome.receipts == []


def test_used_gas_host_function_sees_instructions_already_run():
    wat = near_module(
        """(func (export "main") (local i32) (local i64)
             (local.set 1 (call $used_gas))
             (loop $next (br_if $next (i32.lt_u (local.tee 0 (i32.add (local.get 0) (i32.const 1))) (i32.const 100))))
             (i64.store (i32.const 0) (i64.sub (call $used_gas) (local.get 1)))
             (call $value_return (i64.const 8) (i64.const 0)))""",
        ["used_gas", "value_return"],
    )
    delta = returned_u64(run_wat(wat))
    # The loop, plus the local.set, local.get, i64.sub bracketing the calls, plus one base host cost.
    assert delta >= 100 * 8 * OP + COSTS["BASE"]
    assert delta < 100 * 8 * OP + COSTS["BASE"] + 20 * OP


def test_storage_writes_pay_for_the_trie_nodes_they_touch():
    write = '(drop (call $storage_write (i64.const 3) (i64.const 0) (i64.const 1) (i64.const 0) (i64.const 0)))'
    once = run_wat(near_module(f'(func (export "main") {write})', ["storage_write"])).gas_profile
    twice = run_wat(near_module(f'(func (export "main") {write} {write})', ["storage_write"])).gas_profile
    touched, cached = DEFAULT_CONFIG.trie_nodes_per_write
    assert once["TOUCHING_TRIE_NODE"] == touched * COSTS["TOUCHING_TRIE_NODE"]
    assert once["READ_CACHED_TRIE_NODE"] == cached * COSTS["READ_CACHED_TRIE_NODE"]
    # The second write to the same key finds every node in the chunk cache.
    assert twice["TOUCHING_TRIE_NODE"] == once["TOUCHING_TRIE_NODE"]
    assert twice["READ_CACHED_TRIE_NODE"] == (touched + 2 * cached) * COSTS["READ_CACHED_TRIE_NODE"]


def test_storage_reads_go_through_flat_storage_without_trie_costs():
    wat = near_module(
        '(func (export "main") (drop (call $storage_read (i64.const 3) (i64.const 0) (i64.const 0))))',
        ["storage_read"],
    )
    profile = run_wat(wat, storage={b"\x00\x00\x00": b"v"}).gas_profile
    assert "TOUCHING_TRIE_NODE" not in profile
    assert profile["STORAGE_READ_VALUE_BYTE"] == COSTS["STORAGE_READ_VALUE_BYTE"]
