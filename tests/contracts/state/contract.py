"""Node test contract: storage, registers, context and logs.

Raw `near` module rather than near-sdk-py, so a call is cheap and every host
function it reaches is visible here.  Arguments and results are JSON, like a
Rust near-sdk contract (strings come back quoted).  Storage keys and values
are the UTF-8 bytes of the given strings.

Method names avoid NEAR host functions and C library symbols (`set`, `remove`,
`read`...): nearc exports each method as a C function of that name.
"""
import json

import near


def _args():
    data = near.input()
    return json.loads(data.decode()) if data else {}


def _return_json(value):
    near.value_return(json.dumps(value))


def _text(raw):
    return None if raw is None else raw.decode()


@near.export
def put():
    """{"key", "value"} -> the previous value or null; logs the write."""
    args = _args()
    previous = near.storage_write(args["key"].encode(), args["value"].encode())
    near.log_utf8("put " + args["key"])
    _return_json(_text(previous))


@near.export
def get():
    """{"key"} -> the stored value or null."""
    _return_json(_text(near.storage_read(_args()["key"].encode())))


@near.export
def delete():
    """{"key"} -> the removed value or null; logs the removal."""
    key = _args()["key"]
    previous = near.storage_remove(key.encode())
    near.log_utf8("delete " + key)
    _return_json(_text(previous))


@near.export
def contains():
    """{"key"} -> whether the key is stored."""
    _return_json(near.storage_has_key(_args()["key"].encode()))


@near.export
def put_many():
    """{"entries": {key: value}, "logs": n} -> number written; writes n log lines."""
    args = _args()
    for key, value in args["entries"].items():
        near.storage_write(key.encode(), value.encode())
    for index in range(args.get("logs", 0)):
        near.log_utf8("log %d" % index)
    _return_json(len(args["entries"]))


@near.export
def registers():
    """Register semantics: an unset register's length, and a write/read round trip."""
    unset_length = near.register_len(42)  # u64::MAX on NEAR
    near.write_register(7, b"register seven")
    _return_json({
        "unset_length": unset_length,
        "written_length": near.register_len(7),
        "written_value": near.read_register(7).decode(),
    })


@near.export
def context():
    """The call's context as the contract sees it (a change method: uses predecessor)."""
    _return_json({
        "current_account_id": near.current_account_id(),
        "predecessor_account_id": near.predecessor_account_id(),
        "signer_account_id": near.signer_account_id(),
        "block_height": near.block_height(),
        "block_timestamp": near.block_timestamp(),
        "epoch_height": near.epoch_height(),
        "attached_deposit": str(near.attached_deposit()),
        "account_balance": str(near.account_balance()),
        "storage_usage": near.storage_usage(),
        "prepaid_gas": near.prepaid_gas(),
    })


@near.export
def view_context():
    """What a view may read (no predecessor, signer or gas)."""
    _return_json({
        "current_account_id": near.current_account_id(),
        "block_height": near.block_height(),
        "block_timestamp": near.block_timestamp(),
        "storage_usage": near.storage_usage(),
    })


@near.export
def hashes():
    """{"data"} -> sha256 and keccak256 of its UTF-8 bytes, hex."""
    data = _args()["data"].encode()
    _return_json({
        "sha256": near.sha256(data).hex(),
        "keccak256": near.keccak256(data).hex(),
    })


@near.export
def echo_raw():
    """Returns the input bytes unchanged (not JSON)."""
    near.value_return(near.input())
