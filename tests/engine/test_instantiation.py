"""Loading, linking and method resolution as nearcore does them."""
from __future__ import annotations

import pytest

from localnet.engine import DEFAULT_CONFIG, run

from .conftest import context, near_module, returned, returned_u64, run_wat, wasm

RETURN_U64 = """
  (func $return_u64 (param i64)
    (i64.store (i32.const 0) (local.get 0))
    (call $value_return (i64.const 8) (i64.const 0)))
"""


def loading_fee(code: bytes) -> int:
    costs = DEFAULT_CONFIG.ext_costs
    return costs["CONTRACT_LOADING_BASE"] + costs["CONTRACT_LOADING_BYTES"] * len(code)


def test_own_small_memory_is_replaced_by_near_64_mib_memory():
    wat = near_module(
        RETURN_U64 + '(func (export "main") (call $return_u64 (i64.extend_i32_u (memory.size))))',
        ["value_return"],
    )
    assert "(memory 1)" in wat
    assert returned_u64(run_wat(wat)) == 1024


def test_memory_grows_to_2048_pages_and_no_further():
    wat = near_module(
        RETURN_U64
        + """(func (export "main")
              (call $return_u64 (i64.or
                (i64.shl (i64.extend_i32_u (memory.grow (i32.const 1024))) (i64.const 32))
                (i64.extend_i32_u (memory.grow (i32.const 1))))))""",
        ["value_return"],
    )
    value = returned_u64(run_wat(wat))
    assert value >> 32 == 1024  # grow returned the old size
    assert value & 0xFFFFFFFF == 0xFFFFFFFF  # beyond 2048 pages: -1


def test_memory_is_fresh_on_every_call():
    wat = near_module(
        RETURN_U64
        + """(func (export "main")
              (local i64)
              (local.set 0 (i64.load (i32.const 100)))
              (i64.store (i32.const 100) (i64.add (local.get 0) (i64.const 1)))
              (call $return_u64 (local.get 0)))""",
        ["value_return"],
    )
    code = wasm(wat)
    assert returned_u64(run(code, "main", context(), {})) == 0
    assert returned_u64(run(code, "main", context(), {})) == 0


def test_module_without_memory_still_gets_one_for_host_functions():
    wat = """(module
      (import "env" "input" (func $input (param i64)))
      (import "env" "value_return" (func $value_return (param i64 i64)))
      (func (export "main")
        (call $input (i64.const 0))
        (call $value_return (i64.const -1) (i64.const 0))))"""
    assert returned(run_wat(wat, input=b"echo")) == b"echo"


def test_memory_export_of_the_contract_keeps_working():
    wat = """(module
      (import "env" "value_return" (func $value_return (param i64 i64)))
      (memory (export "memory") 1)
      (data (i32.const 8) "hi")
      (func (export "main") (call $value_return (i64.const 2) (i64.const 8))))"""
    assert returned(run_wat(wat)) == b"hi"


def test_exported_start_is_not_run():
    wat = near_module(
        """(func (export "_start") (call $panic))
           (func (export "main") (call $value_return (i64.const 2) (i64.const 0)))""",
        ["panic", "value_return"],
        '(data (i32.const 0) "ok")',
    )
    assert returned(run_wat(wat)) == b"ok"


def test_start_section_runs_before_the_method_like_nearcore():
    # nearcore keeps the start section and runs it on every call (metered).
    wat = near_module(
        """(global $started (mut i32) (i32.const 0))
           (func $init (global.set $started (i32.const 42)))
           (start $init)
           (func (export "main")
             (i32.store (i32.const 0) (global.get $started))
             (call $value_return (i64.const 4) (i64.const 0)))""",
        ["value_return"],
    )
    assert returned(run_wat(wat)) == (42).to_bytes(4, "little")


def test_trapping_start_section_fails_the_call():
    wat = near_module('(func $init (unreachable)) (start $init) (func (export "main"))')
    outcome = run_wat(wat)
    assert outcome.error.message == "WebAssembly trap: An `unreachable` opcode was executed."


def test_infinite_start_section_exhausts_prepaid_gas():
    wat = near_module('(func $init (loop (br 0))) (start $init) (func (export "main"))')
    outcome = run_wat(wat, prepaid_gas=10**10)
    assert outcome.error.message == "Exceeded the prepaid gas."
    assert outcome.burnt_gas == 10**10


def test_missing_method_is_method_not_found_and_burns_nothing():
    outcome = run_wat(near_module('(func (export "main"))'), method="nope")
    assert outcome.error.kind == "MethodResolveError"
    assert outcome.error.message == "MethodResolveError(MethodNotFound)"
    assert outcome.error.data == {"MethodResolveError": "MethodNotFound"}
    assert outcome.burnt_gas == 0


def test_export_that_is_not_a_function_is_method_not_found():
    wat = '(module (global (export "main") i32 (i32.const 1)))'
    assert run_wat(wat).error.message == "MethodResolveError(MethodNotFound)"


def test_engine_reserved_exports_are_not_callable():
    from localnet.engine.prepare import MEMORY_EXPORT, START_EXPORT

    wat = near_module('(func $init) (start $init) (func (export "main"))')
    for name in (MEMORY_EXPORT, START_EXPORT):
        assert run_wat(wat, method=name).error.message == "MethodResolveError(MethodNotFound)"


@pytest.mark.parametrize(
    "signature", ["(param i32)", "(result i32) (i32.const 0)", "(param i64) (result i64) (local.get 0)"]
)
def test_method_must_take_and_return_nothing(signature):
    outcome = run_wat(f'(module (func (export "main") {signature}))')
    assert outcome.error.message == "MethodResolveError(MethodInvalidSignature)"
    assert outcome.burnt_gas == 0


def test_empty_method_name():
    outcome = run_wat(near_module('(func (export "main"))'), method="")
    assert outcome.error.message == "MethodResolveError(MethodEmptyName)"


@pytest.mark.parametrize(
    "body, feature",
    [
        ("(drop (v128.const i32x4 0 0 0 0))", "SIMD"),
        ("(memory.fill (i32.const 0) (i32.const 0) (i32.const 0))", "bulk memory"),
        ("(drop (ref.null func))", "reference types"),
    ],
)
def test_disallowed_wasm_features_are_rejected(body, feature):
    outcome = run_wat(near_module(f'(func (export "main") {body})'))
    assert outcome.error.kind == "CompilationError", feature
    assert outcome.error.message == "PrepareError: Error happened while deserializing the module."
    assert outcome.burnt_gas == 0


def test_multi_value_is_rejected():
    wat = '(module (func $two (result i32 i32) (i32.const 1) (i32.const 2)) (func (export "main")))'
    assert run_wat(wat).error.kind == "CompilationError"


def test_sign_extension_and_saturating_conversions_are_allowed():
    wat = near_module(
        """(func (export "main")
             (drop (i32.extend8_s (i32.const 255)))
             (drop (i32.trunc_sat_f32_s (f32.const 1e30))))"""
    )
    assert run_wat(wat).error is None


def test_garbage_is_a_compilation_error():
    outcome = run(b"\x00asm\x01\x00\x00\x00\xff", "main", context(), {})
    assert outcome.error.kind == "CompilationError"


def test_imported_memory_is_rejected():
    wat = '(module (import "env" "memory" (memory 1)) (func (export "main")))'
    outcome = run_wat(wat)
    assert outcome.error.message == "PrepareError: Error creating memory."


def test_import_from_other_module_is_rejected():
    wat = '(module (import "wasi" "fd_write" (func (param i32))) (func (export "main")))'
    outcome = run_wat(wat)
    assert outcome.error.message == "PrepareError: Error happened during instantiation."


def test_unknown_import_is_a_link_error_naming_it_and_burns_the_loading_fee():
    wat = '(module (import "env" "block_height" (func (result i64))) (func (export "main")))'
    code = wasm(wat)
    outcome = run(code, "main", context(), {})
    assert outcome.error.kind == "LinkError"
    assert '"env"."block_height"' in outcome.error.message
    assert "unknown import" in outcome.error.message
    assert outcome.burnt_gas == loading_fee(code)


def test_link_error_takes_precedence_over_a_missing_method():
    wat = '(module (import "env" "not_near" (func)) (func (export "main")))'
    assert run_wat(wat, method="other").error.kind == "LinkError"


def test_near_import_with_wrong_signature_is_a_link_error():
    wat = '(module (import "env" "sha256" (func (param i32))) (func (export "main")))'
    outcome = run_wat(wat)
    assert outcome.error.kind == "LinkError"
    assert '"env"."sha256"' in outcome.error.message


@pytest.mark.parametrize("name", ["alt_bn128_g1_sum", "validator_total_stake", "bls12381_p1_sum"])
def test_unimplemented_import_links_but_fails_when_called_naming_it(name):
    uncalled = near_module('(func (export "main"))', [name])
    assert run_wat(uncalled).error is None
    from localnet.engine.imports import NEAR_IMPORTS

    params, results = NEAR_IMPORTS[name]
    args = " ".join("(i64.const 0)" for _ in params)
    call = f"(call ${name} {args})" + (" drop" if results else "")
    called = near_module(f'(func (export "main") {call})', [name])
    outcome = run_wat(called)
    assert outcome.error.kind == "ExecutionError"
    assert name in outcome.error.message
    assert outcome.burnt_gas > 0


def test_every_near_import_links_with_its_signature():
    from localnet.engine.imports import NEAR_IMPORTS

    wat = near_module('(func (export "main"))', sorted(NEAR_IMPORTS))
    assert run_wat(wat).error is None


def test_too_many_functions_is_rejected():
    functions = "\n".join(f"(func $f{i})" for i in range(10_001))
    outcome = run_wat(f'(module {functions} (func (export "main")))')
    assert outcome.error.message == "PrepareError: Too many functions in contract."
