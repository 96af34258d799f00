"""TEST PORT of FastAuth's `JwtGuardRouter` (Peersyst/fast-auth at 38dc894,
`contracts/jwt-guard-router/src/lib.rs`, near-sdk 5.18.1).

Not production code: it exists so the guard can be tested against the router
that really calls it, with NEAR's gas and receipts. It behaves as the Rust
contract does — argument names, checks and their order, panic texts, reply
shapes, storage layout — including what upstream gets wrong. Nothing is
copied; every behaviour names the upstream line (`lib.rs:N`) it follows, and
tests/ports/README.md has the parity table with the test that holds each row.

Written on the raw `near` module (no near-sdk-py): a Rust router costs a
fraction of a Tgas per call, and so should its stand-in, or the gas the guard
is left with would be understated.

What near-sdk's `#[near]` wrapper does before a method body runs is ported
too, in its order: `#[private]` check, deposit check for non-payable
`&mut self` methods (`verify` and `update_contract` are `&self`: views to
near-sdk, no deposit check), JSON argument parsing, init-once check
(near-sdk-macros 5.18.1, impl_item_method_info.rs `method_wrapper`).

Storage is Borsh, byte for byte as near-sdk writes it:
    "STATE"          = borsh(JwtGuardRouter) = borsh(LookupMap prefix b"g") + borsh(owner)
                     = 01 00 00 00 'g' + u32 LE len + owner
    b"g" + u32 LE len + name  = borsh(AccountId) of the guard (store::LookupMap, Identity hasher)
so a guard name longer than 2048 - 5 = 2043 bytes makes the storage key exceed
NEAR's 2048-byte limit and the host aborts the call (KeyLengthExceeded), though
`add_guard`'s own check (lib.rs:134) allows 2048.
"""

import json

import near
import near_sdk_wrapper as sdk

# lib.rs:8-11
GUARD_NAME_MAX_BYTES_LENGTH = 2048
MAX_ACCOUNT_BYTES_LENGTH = 64
CONTINGENCY_DEPOSIT = 1000000000000000000000000  # 1 NEAR
STORAGE_BYTE_COST = 10000000000000000000  # env::storage_byte_cost(): 10^19 yocto per byte
REQUIRED_DEPOSIT = STORAGE_BYTE_COST * (GUARD_NAME_MAX_BYTES_LENGTH + MAX_ACCOUNT_BYTES_LENGTH) + CONTINGENCY_DEPOSIT

STATE_KEY = b"STATE"  # near-sdk's state key
MAP_KEY = b"g"  # lib.rs:15
# The file name Rust's panic locations carry when cargo builds the workspace
# member from contracts/ (panic = "abort", near-sdk's panic hook prints
# `panicked at FILE:LINE:COL:\nMESSAGE`).
SOURCE_FILE = "jwt-guard-router/src/lib.rs"


# --- plumbing (near-sdk's own behaviour is in near_sdk_wrapper.py) ----------------


def _rust_panic(line, message):
    sdk.rust_panic(SOURCE_FILE, line, message)


# --- Borsh state --------------------------------------------------------------------


def _borsh_string(text):
    data = text.encode()
    return len(data).to_bytes(4, "little") + data


def _unborsh_string(data, offset):
    size = int.from_bytes(data[offset:offset + 4], "little")
    return data[offset + 4:offset + 4 + size].decode(), offset + 4 + size


def _read_owner():
    raw = near.storage_read(STATE_KEY)
    if raw is None:
        return near.current_account_id()  # lib.rs:32-38 `impl Default`
    _prefix, offset = _unborsh_string(raw, 0)
    owner, _ = _unborsh_string(raw, offset)
    return owner


def _write_state(owner):
    """What near-sdk writes after every `&mut self` method and every #[init]."""
    near.storage_write(STATE_KEY, _borsh_string("g") + _borsh_string(owner))


def _guard_key(guard_name):
    return MAP_KEY + _borsh_string(guard_name)


def _get_guard(guard_name):
    """lib.rs:159-163. A name over 2043 bytes makes storage_read abort (key over 2048 bytes)."""
    raw = near.storage_read(_guard_key(guard_name))
    if raw is None:
        sdk.fail("Guard with name '" + guard_name + "' does not exist")
    account, _ = _unborsh_string(raw, 0)
    return account


def _only_owner(owner):
    """lib.rs:101-103: assert_eq! against the PREDECESSOR."""
    caller = near.predecessor_account_id()
    if caller != owner:
        _rust_panic(102, "assertion `left == right` failed: Only the owner can call this function\n"
                    + '  left: AccountId("' + caller + '")\n right: AccountId("' + owner + '")')


# --- initialisation, upgrade, ownership ----------------------------------------------


@near.export
def init():
    """lib.rs:48-55 #[init] #[private]."""
    sdk.private("init")
    sdk.not_payable("init")
    owner = sdk.account_arg(sdk.args("owner"), "owner")
    if near.storage_has_key(STATE_KEY):
        sdk.fail(sdk.ALREADY_INITIALIZED)
    _write_state(owner)


@near.export
def update_contract():
    """lib.rs:62-78: owner; the input is the new code; deploy to self, then migrate with 10 Tgas."""
    _only_owner(_read_owner())
    sdk.redeploy_with_input()


@near.export
def migrate():
    """lib.rs:83-98 #[private] #[init(ignore_state)]: keeps guards and owner."""
    sdk.start_migration(STATE_KEY)
    _write_state(_read_owner())


@near.export
def owner():
    """lib.rs:106-108 (a view: any caller, no state write)."""
    sdk.return_json(_read_owner())


@near.export
def change_owner():
    """lib.rs:117-120."""
    sdk.not_payable("change_owner")
    new_owner = sdk.account_arg(sdk.args("new_owner"), "new_owner")
    _only_owner(_read_owner())
    _write_state(new_owner)


# --- guard registry -------------------------------------------------------------------


@near.export
def add_guard():
    """lib.rs:130-150 #[payable]. The deposit stays with the router (never refunded)."""
    args = sdk.args("guard_name", "guard_account")
    guard_name = sdk.str_arg(args, "guard_name")
    guard_account = sdk.account_arg(args, "guard_account")
    owner = _read_owner()
    _only_owner(owner)
    if "#" in guard_name:
        _rust_panic(133, "Guard name cannot contain '#' character")
    if len(guard_name.encode()) > GUARD_NAME_MAX_BYTES_LENGTH:
        _rust_panic(134, "Guard name is too long")
    if len(guard_account) > MAX_ACCOUNT_BYTES_LENGTH:
        _rust_panic(135, "Guard account is too long")
    if near.attached_deposit() < REQUIRED_DEPOSIT:
        _rust_panic(137, "Insufficient deposit. Required: " + _near_token_display(REQUIRED_DEPOSIT))
    key = _guard_key(guard_name)
    if near.storage_has_key(key):  # aborts for a name over 2043 bytes
        _rust_panic(143, "Guard with name " + guard_name + " already exists")
    near.storage_write(key, _borsh_string(guard_account))
    _write_state(owner)


@near.export
def get_guard():
    """lib.rs:159-163 (a view)."""
    sdk.return_json(_get_guard(sdk.str_arg(sdk.args("guard_name"), "guard_name")))


@near.export
def remove_guard():
    """lib.rs:173-183."""
    sdk.not_payable("remove_guard")
    guard_name = sdk.str_arg(sdk.args("guard_name"), "guard_name")
    owner = _read_owner()
    _only_owner(owner)
    key = _guard_key(guard_name)
    if not near.storage_has_key(key):
        _rust_panic(176, "Guard with name " + guard_name + " does not exist")
    near.storage_remove(key)
    _write_state(owner)


def _near_token_display(yocto):
    """near-token 0.3's Display for amounts over 0.999 NEAR: rounded UP to two decimals."""
    milli = 10**21
    hundredths = (yocto + 10 * milli - 1) // milli // 10
    cents = str(hundredths % 100)
    return str(hundredths // 100) + "." + "0" * (2 - len(cents)) + cents + " NEAR"


# --- verification -----------------------------------------------------------------------


@near.export
def verify():
    """lib.rs:214-221: `guard_id` must be exactly "jwt#NAME" (lib.rs:197-205); calls the guard's
    verify(issuer=NAME, jwt, sign_payload, predecessor) (external_contract.rs:6) with 0 static
    gas and weight 1, then on_verify_callback(guard_name) likewise."""
    args = sdk.args("guard_id", "verify_payload", "sign_payload", "predecessor")
    guard_id = sdk.str_arg(args, "guard_id")
    jwt = sdk.str_arg(args, "verify_payload")
    sign_payload = sdk.bytes_arg(args, "sign_payload")
    predecessor = sdk.account_arg(args, "predecessor")
    parts = guard_id.split("#")
    if len(parts) != 2 or parts[0] != "jwt":
        _rust_panic(199, "Invalid guard name format. Expected 'jwt#GUARD_NAME'")
    guard_name = parts[1]
    guard_account = _get_guard(guard_name)

    # serde writes the ext struct's fields in declaration order, compactly.
    guard_args = (
        '{"issuer":' + json.dumps(guard_name)
        + ',"jwt":' + json.dumps(jwt)
        + ',"sign_payload":' + json.dumps(sign_payload, separators=(",", ":"))
        + ',"predecessor":' + json.dumps(predecessor) + "}"
    )
    call = near.promise_batch_create(guard_account)
    near.promise_batch_action_function_call_weight(call, "verify", guard_args, 0, 0, 1)
    callback = near.promise_batch_then(call, near.current_account_id())
    near.promise_batch_action_function_call_weight(
        callback, "on_verify_callback", '{"guard_name":' + json.dumps(guard_name) + "}", 0, 0, 1
    )
    near.promise_return(callback)


@near.export
def on_verify_callback():
    """lib.rs:230-241. Not #[private] upstream; called directly, near-sdk's read of
    promise result 0 aborts (InvalidPromiseResultIndex). Reads the guard's answer as
    (bool, String); answers (true, sub, guard_name) or (false, "", "") — the guard's
    reason is dropped."""
    sdk.not_payable("on_verify_callback")
    guard_name = sdk.str_arg(sdk.args("guard_name"), "guard_name")
    _status, result = sdk.callback_tuple(2)
    owner = _read_owner()
    if result is None:
        sdk.fail("Error verifying JWT: Failed")
    if result[0]:
        sdk.return_json([True, result[1], guard_name])
    else:
        sdk.return_json([False, "", ""])
    _write_state(owner)  # `&mut self`: near-sdk writes the state back
