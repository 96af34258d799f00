"""Small hand-written contracts for the RPC tests, assembled from WAT.

`GREETER` keeps one value under the storage key "greeting":
- `set_greeting`: stores its raw input, logs "saved", returns the input;
- `get_greeting`: returns the stored value, or `null` when there is none;
- `fail`: panics with "boom" (NEAR reports `Smart contract panicked: boom`).
Inputs and outputs are the JSON py-near sends and parses.
"""
from __future__ import annotations

import wasmtime

GREETER_WAT = r"""
(module
  (import "env" "input" (func $input (param i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "storage_write" (func $storage_write (param i64 i64 i64 i64 i64) (result i64)))
  (import "env" "storage_read" (func $storage_read (param i64 i64 i64) (result i64)))
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (import "env" "log_utf8" (func $log_utf8 (param i64 i64)))
  (import "env" "panic_utf8" (func $panic_utf8 (param i64 i64)))
  (memory 1)
  (data (i32.const 0) "greeting")
  (data (i32.const 16) "saved")
  (data (i32.const 32) "boom")
  (data (i32.const 48) "null")

  ;; Register 0 holds the input (or the stored value); it is copied to 1024 to return it.
  (func (export "set_greeting")
    (call $input (i64.const 0))
    (call $read_register (i64.const 0) (i64.const 1024))
    (drop (call $storage_write
      (i64.const 8) (i64.const 0)
      (call $register_len (i64.const 0)) (i64.const 1024)
      (i64.const 1)))
    (call $log_utf8 (i64.const 5) (i64.const 16))
    (call $value_return (call $register_len (i64.const 0)) (i64.const 1024)))

  (func (export "get_greeting")
    (if (i64.eq (call $storage_read (i64.const 8) (i64.const 0) (i64.const 0)) (i64.const 1))
      (then
        (call $read_register (i64.const 0) (i64.const 1024))
        (call $value_return (call $register_len (i64.const 0)) (i64.const 1024)))
      (else
        (call $value_return (i64.const 4) (i64.const 48)))))

  (func (export "fail")
    (call $panic_utf8 (i64.const 4) (i64.const 32))))
"""


def greeter_wasm() -> bytes:
    return bytes(wasmtime.wat2wasm(GREETER_WAT))
