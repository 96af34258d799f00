"""Node test contract: the other end of `caller`'s promises.

Raw `near` module; JSON in and out.  Method names avoid NEAR host functions
and C library symbols (nearc exports each method as a C function of its name).
"""
import json

import near


def _args():
    data = near.input()
    return json.loads(data.decode()) if data else {}


def _return_json(value):
    near.value_return(json.dumps(value))


@near.export
def echo():
    """{"value": x} -> x, as JSON."""
    _return_json(_args().get("value"))


@near.export
def fail():
    """{"message": m} -> panics with m."""
    near.panic_utf8(_args().get("message", "callee failed"))


@near.export
def write_then_fail():
    """{"key", "value"} -> writes the key, logs, then panics: the write must roll back."""
    args = _args()
    near.storage_write(args["key"].encode(), args["value"].encode())
    near.log_utf8("wrote " + args["key"])
    near.panic_utf8("failed after writing " + args["key"])


@near.export
def write():
    """{"key", "value"} -> writes the key (so a test can see state survive)."""
    args = _args()
    near.storage_write(args["key"].encode(), args["value"].encode())
    _return_json(True)


@near.export
def lookup():
    """{"key"} -> stored value or null."""
    raw = near.storage_read(_args()["key"].encode())
    _return_json(None if raw is None else raw.decode())


@near.export
def who_called():
    """Who called and with what: predecessor, signer, prepaid gas, deposit."""
    _return_json({
        "predecessor": near.predecessor_account_id(),
        "signer": near.signer_account_id(),
        "prepaid_gas": near.prepaid_gas(),
        "attached_deposit": str(near.attached_deposit()),
    })
