"""What near-sdk-rs 5.18.1's generated code does around a contract method, for the
test ports of FastAuth's Rust contracts (tests/contracts/jwt_guard_router,
tests/contracts/fastauth; each folder links this file, since a contract is
frozen from its own folder).

near-sdk-macros' `method_wrapper` (impl_item_method_info.rs) runs, in order:
the `#[private]` check, the deposit check of a non-payable `&mut self` or init
method (a `&self` method is a "view" and takes any deposit), JSON
argument parsing, the `#[callback_result]` read, the init-once check. The
texts here are near-sdk's; after "Error: `" comes serde_json's message, which
is reproduced for missing fields and wrong-length tuples (one-line JSON) and
described in the port's own words otherwise.
"""

import json

import near

DESERIALIZE_INPUT = "Failed to deserialize input from JSON. Error: `"
DESERIALIZE_CALLBACK = "Failed to deserialize callback using JSON. Error: `"
ALREADY_INITIALIZED = "The contract has already been initialized"

_INT_ONLY = {int}


def fail(message):
    near.panic_utf8(message)


def rust_panic(source_file, line, message):
    """An `assert!`/`assert_eq!` at `source_file`:`line`, column 9 (all of them are indented
    8 in both contracts), as near-sdk's panic hook prints it (`PanicHookInfo`'s Display)."""
    fail("panicked at " + source_file + ":" + str(line) + ":9:\n" + message)


def private(method):
    if near.predecessor_account_id() != near.current_account_id():
        fail("Method " + method + " is private")


def not_payable(method):
    """For `&mut self` methods and #[init] without #[payable]; near-sdk treats `&self`
    methods as views and checks no deposit there (visitor.rs `is_view`)."""
    if near.attached_deposit() != 0:
        fail("Method " + method + " doesn't accept deposit")


def parse_json(raw):
    """JSON container parsed from `raw` bytes, or None; a leading '{' or '[' is required.

    MicroPython's json.loads can crash the VM on a malformed bare number, so
    only containers are parsed (see contract/guard_core/values.py).
    """
    if type(raw) is not bytes or len(raw) < 2:
        return None
    if raw[0] not in (0x7B, 0x5B):  # '{' or '['
        return None
    try:
        return json.loads(raw)
    except Exception:
        return None


def return_json(value):
    # serde_json writes compact JSON.
    near.value_return(json.dumps(value, separators=(",", ":")))


def bad_input(detail):
    fail(DESERIALIZE_INPUT + detail + "`")


def args(*required):
    """The call's JSON object; a missing field fails with serde_json's words (its column is
    the end of a one-line object). Extra keys are ignored, as serde does."""
    raw = near.input()
    value = parse_json(raw)
    if type(value) is not dict:
        bad_input("expected a JSON object")
    for name in required:
        if name not in value:
            bad_input("missing field `" + name + "` at line 1 column " + str(len(raw)))
    return value


def str_arg(values, name):
    value = values.get(name)
    if type(value) is not str:
        bad_input("invalid type for `" + name + "`, expected a string")
    return value


def is_account_id(value):
    """NEAR account-id rules (near-account-id's validation, which AccountId's deserializer runs)."""
    if type(value) is not str or not 2 <= len(value) <= 64:
        return False
    previous_separator = True
    for ch in value:
        if ch in "-_.":
            if previous_separator:
                return False
            previous_separator = True
        elif ("a" <= ch <= "z") or ("0" <= ch <= "9"):
            previous_separator = False
        else:
            return False
    return not previous_separator


def account_arg(values, name):
    value = values.get(name)
    if not is_account_id(value):
        bad_input("invalid account id for `" + name + "`")
    return value


def bytes_arg(values, name):
    """A JSON byte array (Rust Vec<u8>), returned as the list itself.

    Checked with C-level built-ins only (as contract/guard_core/values.py does):
    a Python loop over a 1,000-byte payload costs ~3 Tgas, these ~0.5.
    """
    value = values.get(name)
    if type(value) is not list:
        bad_input("invalid type for `" + name + "`, expected a sequence")
    if value and (set(map(type, value)) != _INT_ONLY or min(value) < 0 or max(value) > 255):
        bad_input("invalid value in `" + name + "`, expected u8")
    return value


def callback_tuple(size):
    """(status, value): promise result 0 read as `#[callback_result]` reads a Rust
    (bool, String, ...) `size`-tuple; value is None when the call failed (status 2).

    With no promise result the host aborts the call, as near-sdk's read does.
    serde_json refuses a shorter array "invalid length K, expected a tuple of size N"
    just past its `]`, and a longer one "trailing characters" at the first extra element.
    """
    status, data = near.promise_result(0)
    if status != 1:
        return status, None
    value = parse_json(data)
    if type(value) is not list:
        fail(DESERIALIZE_CALLBACK + "expected a JSON array`")
    if len(value) < size:
        end = data.rstrip().rfind(b"]")
        fail(DESERIALIZE_CALLBACK + "invalid length " + str(len(value)) + ", expected a tuple of size "
             + str(size) + " at line 1 column " + str(end + 1) + "`")
    if len(value) > size:
        fail(DESERIALIZE_CALLBACK + "trailing characters at line 1 column "
             + str(_element_column(data, size)) + "`")
    if type(value[0]) is not bool:
        fail(DESERIALIZE_CALLBACK + "invalid type, expected a boolean`")
    for item in value[1:]:
        if type(item) is not str:
            fail(DESERIALIZE_CALLBACK + "invalid type, expected a string`")
    return status, value


def _element_column(data, index):
    """1-based column of the first byte of element `index` (0-based) of a one-line JSON array."""
    depth = 0
    in_string = False
    escaped = False
    seen = 0
    for position in range(len(data)):
        byte = data[position]
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
        elif byte in (0x5D, 0x7D):
            depth -= 1
        elif byte == 0x2C and depth == 1:
            seen += 1
            if seen == index:
                rest = position + 1
                while data[rest] in (0x20, 0x09, 0x0A, 0x0D):
                    rest += 1
                return rest + 1
    return len(data)


# --- the upgrade path both upstream contracts share (router lib.rs:62-98, fa lib.rs:215-257)

MIGRATION_GAS = 10 * 10**12  # MIGRATION_TGAS


def redeploy_with_input():
    """`update_contract` after its owner check: deploy the call's input to this account,
    then `migrate` with 10 Tgas, returned as the call's result."""
    promise = near.promise_batch_create(near.current_account_id())
    near.promise_batch_action_deploy_contract(promise, near.input())
    near.promise_batch_action_function_call_weight(promise, "migrate", "", 0, MIGRATION_GAS, 0)
    near.promise_return(promise)


def start_migration(state_key):
    """`migrate` (#[private] #[init(ignore_state)]) up to re-writing the state, with its logs."""
    private("migrate")
    not_payable("migrate")
    near.log_utf8("migrate")
    if near.storage_has_key(state_key):
        near.log_utf8("state exists: migrating state")
    else:
        near.log_utf8("state does not exist: initializing default state")
