"""TEST PORT of FastAuth's `JwtGuardRouter` (Rust, Peersyst/fast-auth `contracts/jwt-guard-router`).

Not production code: it exists so the guard can be tested against the router
that really calls it in FastAuth, with NEAR's gas and receipts. It ports the
router's JSON interface and behaviour (argument names, checks, panics, the
cross-contract call without explicit gas and its callback); the Rust source
was read for that, nothing is copied from it. Differences from the Rust
contract are listed in tests/ports/README.md.

Written on the raw `near` module (no near-sdk-py): a Rust router costs a
fraction of a Tgas per call, and so should its stand-in, or the gas the guard
is left with would be understated.

Interface (JSON in, JSON out, as near-sdk-rs does):
    init(owner)                                   #[init] #[private]
    owner() -> str                                view
    change_owner(new_owner)                       owner (checked against the SIGNER, as the Rust does)
    add_guard(guard_name, guard_account)          #[payable], owner; deposit >= 10^19 * (2048 + 64) + 1 NEAR
    get_guard(guard_name) -> str                  view; panics when unknown
    remove_guard(guard_name)                      owner; panics when unknown
    verify(guard_id, verify_payload, sign_payload, predecessor) -> Promise
        guard_id must be "jwt#<guard_name>"; calls
        <guard>.verify({"issuer": guard_name, "jwt": verify_payload,
                        "sign_payload": sign_payload, "predecessor": predecessor})
        with 0 static gas and weight 1, then on_verify_callback({"guard_name"})
    on_verify_callback(guard_name) -> [bool, str, str]
        [true, sub, guard_name] or [false, "", ""]; panics when the guard call failed

Storage: "STATE" holds {"owner": ...}; guards live under b"g" + u32 LE length
+ name, the key shape of near-sdk's LookupMap with prefix "g" (so the same
guard names hit NEAR's 2048-byte storage-key limit as in Rust).
"""

import json

import near

GUARD_NAME_MAX_BYTES_LENGTH = 2048
MAX_ACCOUNT_BYTES_LENGTH = 64
CONTINGENCY_DEPOSIT = 1000000000000000000000000  # 1 NEAR
STORAGE_BYTE_COST = 10000000000000000000  # env::storage_byte_cost(): 10^19 yocto per byte
REQUIRED_DEPOSIT = STORAGE_BYTE_COST * (GUARD_NAME_MAX_BYTES_LENGTH + MAX_ACCOUNT_BYTES_LENGTH) + CONTINGENCY_DEPOSIT

STATE_KEY = "STATE"
GUARDS_PREFIX = b"g"

# near-sdk-rs's own panic texts, so clients see the same words.
DESERIALIZE_INPUT = "Failed to deserialize input from JSON."
DESERIALIZE_CALLBACK = "Failed to deserialize callback using JSON"
ALREADY_INITIALIZED = "The contract has already been initialized"
ONLY_OWNER = "Only the owner can call this function"


_INT_ONLY = {int}


# --- plumbing -----------------------------------------------------------------


def _fail(message):
    near.panic_utf8(message)


def _return_json(value):
    near.value_return(json.dumps(value))


def _parse_json(raw):
    """JSON value of `raw` bytes, or None; a leading '{' or '[' is required.

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


def _args(*required):
    """The call's JSON object; a missing argument fails as near-sdk does. Extra keys are ignored."""
    args = _parse_json(near.input())
    if type(args) is not dict:
        _fail(DESERIALIZE_INPUT)
    for name in required:
        if name not in args:
            _fail(DESERIALIZE_INPUT)
    return args


def _str_arg(args, name):
    value = args.get(name)
    if type(value) is not str:
        _fail(DESERIALIZE_INPUT)
    return value


def _is_account_id(value):
    """NEAR account-id rules (what near-sdk's AccountId deserializer enforces)."""
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


def _account_arg(args, name):
    value = args.get(name)
    if not _is_account_id(value):
        _fail(DESERIALIZE_INPUT)
    return value


def _bytes_arg(args, name):
    """A JSON byte array (Rust Vec<u8>), returned as the list itself.

    Checked with C-level built-ins only (as contract/guard_core/values.py does):
    a Python loop over a 1,000-byte payload costs ~3 Tgas, these ~0.5.
    """
    value = args.get(name)
    if type(value) is not list:
        _fail(DESERIALIZE_INPUT)
    if value and (set(map(type, value)) != _INT_ONLY or min(value) < 0 or max(value) > 255):
        _fail(DESERIALIZE_INPUT)
    return value


def _format_near(yocto):
    """NearToken's Display: three decimals, truncated ("1.021 NEAR")."""
    milli = yocto // 1000000000000000000000
    fraction = str(milli % 1000)
    return str(milli // 1000) + "." + "0" * (3 - len(fraction)) + fraction + " NEAR"


def _state():
    raw = near.storage_read(STATE_KEY)
    if raw is None:
        # Rust's `impl Default`: an uninitialised router is owned by its own account.
        return {"owner": near.current_account_id()}
    return json.loads(raw)


def _only_owner(state):
    # The Rust router compares the SIGNER (env::signer_account_id), not the predecessor.
    if near.signer_account_id() != state["owner"]:
        _fail(ONLY_OWNER)


def _guard_key(guard_name):
    name = guard_name.encode()
    return GUARDS_PREFIX + len(name).to_bytes(4, "little") + name


def _lookup_guard(guard_name):
    raw = near.storage_read(_guard_key(guard_name))
    if raw is None:
        _fail("Guard with name '" + guard_name + "' does not exist")
    return raw.decode()


def _private(method):
    if near.predecessor_account_id() != near.current_account_id():
        _fail("Method " + method + " is private")


# --- initialisation and ownership -------------------------------------------------


@near.export
def init():
    _private("init")
    if near.storage_has_key(STATE_KEY):
        _fail(ALREADY_INITIALIZED)
    args = _args("owner")
    near.storage_write(STATE_KEY, json.dumps({"owner": _account_arg(args, "owner")}))


@near.export
def owner():
    _return_json(_state()["owner"])


@near.export
def change_owner():
    state = _state()
    _only_owner(state)
    args = _args("new_owner")
    state["owner"] = _account_arg(args, "new_owner")
    near.storage_write(STATE_KEY, json.dumps(state))


# --- guard registry ---------------------------------------------------------------


@near.export
def add_guard():
    state = _state()
    _only_owner(state)
    args = _args("guard_name", "guard_account")
    guard_name = _str_arg(args, "guard_name")
    guard_account = _account_arg(args, "guard_account")
    if "#" in guard_name:
        _fail("Guard name cannot contain '#' character")
    if len(guard_name.encode()) > GUARD_NAME_MAX_BYTES_LENGTH:
        _fail("Guard name is too long")
    if len(guard_account) > MAX_ACCOUNT_BYTES_LENGTH:
        _fail("Guard account is too long")
    # The deposit stays with the router (nothing is refunded, now or on removal).
    if near.attached_deposit() < REQUIRED_DEPOSIT:
        _fail("Insufficient deposit. Required: " + _format_near(REQUIRED_DEPOSIT))
    key = _guard_key(guard_name)
    if near.storage_has_key(key):
        _fail("Guard with name " + guard_name + " already exists")
    near.storage_write(key, guard_account)


@near.export
def get_guard():
    args = _args("guard_name")
    _return_json(_lookup_guard(_str_arg(args, "guard_name")))


@near.export
def remove_guard():
    _only_owner(_state())
    args = _args("guard_name")
    guard_name = _str_arg(args, "guard_name")
    if near.storage_remove(_guard_key(guard_name)) is None:
        _fail("Guard with name " + guard_name + " does not exist")


# --- verification -------------------------------------------------------------------


@near.export
def verify():
    args = _args("guard_id", "verify_payload", "sign_payload", "predecessor")
    guard_id = _str_arg(args, "guard_id")
    jwt = _str_arg(args, "verify_payload")
    sign_payload = _bytes_arg(args, "sign_payload")
    predecessor = _account_arg(args, "predecessor")
    parts = guard_id.split("#")
    if len(parts) != 2 or parts[0] != "jwt":
        _fail("Invalid guard name format. Expected 'jwt#GUARD_NAME'")
    guard_name = parts[1]
    guard_account = _lookup_guard(guard_name)

    guard_args = (
        '{"issuer":' + json.dumps(guard_name)
        + ',"jwt":' + json.dumps(jwt)
        + ',"sign_payload":' + json.dumps(sign_payload)
        + ',"predecessor":' + json.dumps(predecessor) + "}"
    )
    # near-sdk's `ext(...)` without `.with_static_gas`: 0 static gas, weight 1, so
    # the guard and the callback split this call's leftover gas evenly.
    call = near.promise_batch_create(guard_account)
    near.promise_batch_action_function_call_weight(call, "verify", guard_args, 0, 0, 1)
    callback = near.promise_batch_then(call, near.current_account_id())
    near.promise_batch_action_function_call_weight(
        callback, "on_verify_callback", json.dumps({"guard_name": guard_name}), 0, 0, 1
    )
    near.promise_return(callback)


@near.export
def on_verify_callback():
    _private("on_verify_callback")
    args = _args("guard_name")
    guard_name = _str_arg(args, "guard_name")
    if near.promise_results_count() != 1:
        _fail(DESERIALIZE_CALLBACK)
    status, data = near.promise_result(0)
    if status != 1:
        _fail("Error verifying JWT: Failed")
    result = _parse_json(data)
    # Rust deserialises the guard's answer as (bool, String); anything else panics.
    if type(result) is not list or len(result) != 2 or type(result[0]) is not bool or type(result[1]) is not str:
        _fail(DESERIALIZE_CALLBACK)
    if result[0]:
        _return_json([True, result[1], guard_name])
    else:
        _return_json([False, "", ""])
