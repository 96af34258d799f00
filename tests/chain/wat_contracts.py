"""A small WAT contract for the chain's receipt tests, deployed on every account that needs code.

Methods (the input is an account id, or "a,b" for two hops, where a target is needed):
  set          storage "k" := input; returns the input
  get          returns storage "k" (empty when unset)
  fail         writes "k" then panics with "boom"
  value        returns "42"
  call_set     writes "caller" := "written", then input.set("v1").then(self.on_result); returns the callback's value
  call_fail    same with input.fail(), attaching 1 NEAR
  call_weight  input.value() then self.on_result(), both with 0 static gas and gas weight 1
  forward      input "t": returns promise t.value(); input "m,t": returns promise m.forward("t")
  forward_then input "m,t": m.forward("t").then(self.on_result); returns the callback's value
  promise_then_panic  creates input.value() then panics (the promise must never run)
  on_result    logs "callback"; returns [status byte of promise_result(0)] + the value when status is 1
"""
from __future__ import annotations

import wasmtime

NEAR = 10**24
TGAS = 10**12

IMPORTS = {
    "input": 1, "read_register": 2, "register_len": (1, True), "value_return": 2,
    "storage_write": (5, True), "storage_read": (3, True), "panic_utf8": 2, "log_utf8": 2,
    "current_account_id": 1, "promise_create": (8, True), "promise_then": (9, True),
    "promise_return": 1, "promise_result": (2, True), "promise_batch_create": (2, True),
    "promise_batch_then": (3, True), "promise_batch_action_function_call_weight": 8,
}


def _imports() -> str:
    lines = []
    for name, shape in IMPORTS.items():
        params, returns = (shape, False) if isinstance(shape, int) else shape
        sig = " (param" + " i64" * params + ")" if params else ""
        sig += " (result i64)" if returns else ""
        lines.append(f'  (import "env" "{name}" (func ${name}{sig}))')
    return "\n".join(lines)


def _bytes(data: bytes) -> str:
    return "".join(f"\\{b:02x}" for b in data)


# Constant strings, at fixed offsets.
K, SET, FAIL, ON_RESULT, VALUE, FORTY_TWO, BOOM, CALLER, WRITTEN, V1, FORWARD, CALLBACK = (
    0, 8, 16, 24, 40, 48, 56, 64, 72, 80, 128, 160)
ONE_NEAR, ZERO = 96, 112
INPUT, SELF, OUT = 512, 768, 1024

WAT = f"""
(module
{_imports()}
  (memory 1)
  (data (i32.const {K}) "k")
  (data (i32.const {SET}) "set")
  (data (i32.const {FAIL}) "fail")
  (data (i32.const {ON_RESULT}) "on_result")
  (data (i32.const {VALUE}) "value")
  (data (i32.const {FORTY_TWO}) "42")
  (data (i32.const {BOOM}) "boom")
  (data (i32.const {CALLER}) "caller")
  (data (i32.const {WRITTEN}) "written")
  (data (i32.const {V1}) "v1")
  (data (i32.const {ONE_NEAR}) "{_bytes(NEAR.to_bytes(16, 'little'))}")
  (data (i32.const {FORWARD}) "forward")
  (data (i32.const {CALLBACK}) "callback")

  ;; input -> memory at {INPUT}; returns its length
  (func $read_input (result i64)
    (call $input (i64.const 0))
    (call $read_register (i64.const 0) (i64.const {INPUT}))
    (call $register_len (i64.const 0)))

  ;; own account id -> memory at {SELF}; returns its length
  (func $self (result i64)
    (call $current_account_id (i64.const 2))
    (call $read_register (i64.const 2) (i64.const {SELF}))
    (call $register_len (i64.const 2)))

  ;; position of the first ',' in the input (or its length)
  (func $comma (param $len i64) (result i64)
    (local $i i64)
    (block $done
      (loop $scan
        (br_if $done (i64.ge_u (local.get $i) (local.get $len)))
        (br_if $done (i64.eq (i64.load8_u (i32.wrap_i64 (i64.add (i64.const {INPUT}) (local.get $i)))) (i64.const 44)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $scan)))
    (local.get $i))

  (func $then_on_result (param $p i64) (result i64)
    (call $promise_then (local.get $p) (call $self) (i64.const {SELF})
      (i64.const 9) (i64.const {ON_RESULT}) (i64.const 0) (i64.const 0) (i64.const {ZERO}) (i64.const {20 * TGAS})))

  (func (export "set")
    (local $len i64)
    (local.set $len (call $read_input))
    (drop (call $storage_write (i64.const 1) (i64.const {K}) (local.get $len) (i64.const {INPUT}) (i64.const 3)))
    (call $value_return (local.get $len) (i64.const {INPUT})))

  (func (export "get")
    (if (i64.eq (call $storage_read (i64.const 1) (i64.const {K}) (i64.const 1)) (i64.const 1))
      (then
        (call $read_register (i64.const 1) (i64.const {OUT}))
        (call $value_return (call $register_len (i64.const 1)) (i64.const {OUT})))))

  (func (export "fail")
    (drop (call $storage_write (i64.const 1) (i64.const {K}) (i64.const 4) (i64.const {BOOM}) (i64.const 3)))
    (call $panic_utf8 (i64.const 4) (i64.const {BOOM})))

  (func (export "value")
    (call $value_return (i64.const 2) (i64.const {FORTY_TWO})))

  (func (export "call_set")
    (local $len i64)
    (local.set $len (call $read_input))
    (drop (call $storage_write (i64.const 6) (i64.const {CALLER}) (i64.const 7) (i64.const {WRITTEN}) (i64.const 3)))
    (call $promise_return (call $then_on_result
      (call $promise_create (local.get $len) (i64.const {INPUT}) (i64.const 3) (i64.const {SET})
        (i64.const 2) (i64.const {V1}) (i64.const {ZERO}) (i64.const {20 * TGAS})))))

  (func (export "call_fail")
    (local $len i64)
    (local.set $len (call $read_input))
    (drop (call $storage_write (i64.const 6) (i64.const {CALLER}) (i64.const 7) (i64.const {WRITTEN}) (i64.const 3)))
    (call $promise_return (call $then_on_result
      (call $promise_create (local.get $len) (i64.const {INPUT}) (i64.const 4) (i64.const {FAIL})
        (i64.const 0) (i64.const 0) (i64.const {ONE_NEAR}) (i64.const {20 * TGAS})))))

  (func (export "call_weight")
    (local $p i64) (local $cb i64)
    (local.set $p (call $promise_batch_create (call $read_input) (i64.const {INPUT})))
    (call $promise_batch_action_function_call_weight (local.get $p) (i64.const 5) (i64.const {VALUE})
      (i64.const 0) (i64.const 0) (i64.const {ZERO}) (i64.const 0) (i64.const 1))
    (local.set $cb (call $promise_batch_then (local.get $p) (call $self) (i64.const {SELF})))
    (call $promise_batch_action_function_call_weight (local.get $cb) (i64.const 9) (i64.const {ON_RESULT})
      (i64.const 0) (i64.const 0) (i64.const {ZERO}) (i64.const 0) (i64.const 1))
    (call $promise_return (local.get $cb)))

  ;; "t" -> t.value(); "m,t" -> m.forward("t")
  (func $forward_promise (result i64)
    (local $len i64) (local $i i64)
    (local.set $len (call $read_input))
    (local.set $i (call $comma (local.get $len)))
    (if (result i64) (i64.eq (local.get $i) (local.get $len))
      (then (call $promise_create (local.get $len) (i64.const {INPUT}) (i64.const 5) (i64.const {VALUE})
        (i64.const 0) (i64.const 0) (i64.const {ZERO}) (i64.const {10 * TGAS})))
      (else (call $promise_create (local.get $i) (i64.const {INPUT}) (i64.const 7) (i64.const {FORWARD})
        (i64.sub (i64.sub (local.get $len) (local.get $i)) (i64.const 1))
        (i64.add (i64.const {INPUT + 1}) (local.get $i))
        (i64.const {ZERO}) (i64.const {40 * TGAS})))))

  (func (export "forward")
    (call $promise_return (call $forward_promise)))

  (func (export "forward_then")
    (call $promise_return (call $then_on_result (call $forward_promise))))

  (func (export "promise_then_panic")
    (drop (call $promise_create (call $read_input) (i64.const {INPUT}) (i64.const 5) (i64.const {VALUE})
      (i64.const 0) (i64.const 0) (i64.const {ZERO}) (i64.const {10 * TGAS})))
    (call $panic_utf8 (i64.const 4) (i64.const {BOOM})))

  (func (export "on_result")
    (local $status i64)
    (call $log_utf8 (i64.const 8) (i64.const {CALLBACK}))
    (local.set $status (call $promise_result (i64.const 0) (i64.const 1)))
    (i64.store8 (i32.const {OUT}) (local.get $status))
    (if (i64.eq (local.get $status) (i64.const 1))
      (then
        (call $read_register (i64.const 1) (i64.const {OUT + 1}))
        (call $value_return (i64.add (call $register_len (i64.const 1)) (i64.const 1)) (i64.const {OUT})))
      (else
        (call $value_return (i64.const 1) (i64.const {OUT})))))
)
"""

PROBE_WASM = wasmtime.wat2wasm(WAT)
