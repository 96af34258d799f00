"""Node test contract: the ways a call can fail.

Raw `near` module.  Method names avoid NEAR host functions and C library
symbols (nearc exports each method as a C function of its name).
"""
import json

import near


def _args():
    data = near.input()
    return json.loads(data.decode()) if data else {}


@near.export
def panic_with_message():
    """{"message"?} -> Smart contract panicked: <message>; logs before it are kept in the outcome."""
    near.log_utf8("about to panic")
    near.panic_utf8(_args().get("message", "boom"))


@near.export
def uncaught_exception():
    """A Python exception nobody catches: the runtime logs the traceback and panics."""
    raise ValueError("uncaught in contract")


@near.export
def write_then_panic():
    """{"key"} -> writes the key and panics: nothing may persist."""
    near.storage_write(_args().get("key", "k").encode(), b"written before the panic")
    near.panic_utf8("panicked after a write")


@near.export
def overflow_stack():
    """Recursion in C (printing a deeply nested list) until the Wasm stack runs out: a trap."""
    nested = []
    for _ in range(_args().get("depth", 5000)):
        nested = [nested]
    near.log_utf8(repr(nested))


@near.export
def allocate_too_much():
    """Asks for more memory than NEAR gives an instance (64 MiB): MemoryError, hence a panic."""
    near.value_return(bytes(_args().get("bytes", 100 * 1024 * 1024))[:1])


@near.export
def burn_gas():
    """Loops forever: ends with the gas limit."""
    counter = 0
    while True:
        counter += 1
