"""JwtGuard for FastAuth: the NEAR shell around `guard_core`.

Everything that decides whether a token is valid lives in `guard_core`
(pure Python, tested under CPython and MicroPython). This module only binds it
to NEAR: it reads arguments, storage and the block clock, checks who is
calling, logs NEP-297 events and returns JSON as Rust contracts do.

Why the raw `near` module rather than near-sdk-py's decorators: every call
re-imports the contract module, and importing near-sdk-py costs about 3 Tgas
per call (notes/micropython.md); `verify` sits in every FastAuth signature,
so the hot path stays on `near` + `json` alone. near-sdk-py's wrappers would
also panic on unexpected argument names, while `verify` must answer
`[false, reason]` to anything.

Storage layout (all values JSON, keys short ASCII strings):
    owner            account id of the owner
    proposed_owner   account id proposed by the owner, until accepted
    keys             the validated public key set, in `get_public_keys` shape
    settings         {"audience"?, "issuers"?}
    paused           present (value "1") while the guard is paused
    version          state version written by `migrate`
"""

import binascii
import json

import near

from guard_core import claims, keys, reasons, settings, values, verifier

EVENT_STANDARD = "jwt_guard"
EVENT_VERSION = "1.0.0"
STATE_VERSION = 1

# A valid verify call is bounded: a 7168-byte token whose `fatxn` equals
# `sign_payload` cannot carry more than ~5.3 KB of payload, so its arguments
# stay far below this. Larger input is answered before it is parsed, because
# parsing is what costs gas.
MAX_VERIFY_ARGS_BYTES = 32768

INVALID_ARGUMENTS = "Invalid arguments"
ARGUMENTS_TOO_LARGE = "Arguments too large"

ONLY_OWNER = "Only the owner can call this method"
ONLY_SELF = "Only the guard account itself can call this method"
ALREADY_INITIALIZED = "The guard is already initialized"
NOT_INITIALIZED = "The guard is not initialized"

OWNER_KEY = "owner"
PROPOSED_OWNER_KEY = "proposed_owner"
KEYS_KEY = "keys"
SETTINGS_KEY = "settings"
PAUSED_KEY = "paused"
VERSION_KEY = "version"


# --- plumbing -----------------------------------------------------------------


def _return_json(value):
    near.value_return(json.dumps(value))


def _fail(message):
    """Abort the call: NEAR rolls back every change it made."""
    near.panic_utf8(message)


def _input_object():
    """The call's JSON arguments as a dict (empty input is `{}`), or None."""
    raw = near.input()
    if not raw:
        return {}
    return values.parse_json_object(raw)


def _admin_args(*names):
    """Arguments of an admin call; unknown or malformed arguments abort it."""
    args = _input_object()
    if args is None:
        _fail(INVALID_ARGUMENTS + ": expected a JSON object")
    for name in args:
        if name not in names:
            _fail(INVALID_ARGUMENTS + ": unexpected argument " + json.dumps(name))
    return args


def _read_json(key, default=None):
    raw = near.storage_read(key)
    if raw is None:
        return default
    return json.loads(raw)


def _write_json(key, value):
    near.storage_write(key, json.dumps(value))


def _emit(event, data):
    near.log_utf8(
        "EVENT_JSON:"
        + json.dumps(
            {"standard": EVENT_STANDARD, "version": EVENT_VERSION, "event": event, "data": [data]}
        )
    )


def _now_seconds():
    return near.block_timestamp() // 1000000000


def _owner():
    owner = _read_json(OWNER_KEY)
    if owner is None:
        _fail(NOT_INITIALIZED)
    return owner


def _assert_owner():
    owner = _owner()
    if near.predecessor_account_id() != owner:
        _fail(ONLY_OWNER)
    return owner


def _is_account_id(value):
    return type(value) is str and 2 <= len(value) <= 64


def _validated_keys(candidate):
    validated, reason = keys.validate_public_keys(candidate)
    if reason is not None:
        _fail(reason)
    return validated


def _key_ids(key_set):
    return [key.get("kid") for key in key_set]


def _ed25519_verify(signature, message, public_key):
    return near.ed25519_verify(signature, message, public_key, False)


# --- verification -------------------------------------------------------------


def _verify_call():
    raw = near.input()
    if len(raw) > MAX_VERIFY_ARGS_BYTES:
        return [False, ARGUMENTS_TOO_LARGE]
    args = values.parse_json_object(raw)
    if args is None:
        return [False, INVALID_ARGUMENTS]
    # The router sends {issuer, jwt}; FastAuth and the seed interface send
    # {guard_id, verify_payload}. Both carry sign_payload and predecessor.
    if "jwt" in args:
        token = args.get("jwt")
        expected_issuer = claims.expected_issuer(issuer=args.get("issuer"))
    else:
        token = args.get("verify_payload")
        expected_issuer = claims.expected_issuer(guard_id=args.get("guard_id"))
    if expected_issuer is None or "sign_payload" not in args:
        return [False, INVALID_ARGUMENTS]
    config = _read_json(SETTINGS_KEY, {})
    ok, detail = verifier.verify_jwt(
        token,
        args.get("sign_payload"),
        _read_json(KEYS_KEY, []),
        expected_issuer,
        _now_seconds(),
        near.sha256,
        _ed25519_verify,
        audience=config.get("audience"),
        issuers=config.get("issuers"),
        paused=near.storage_has_key(PAUSED_KEY),
    )
    return [ok, detail]


@near.export
def verify():
    """[true, sub] or [false, reason]; never panics on any token."""
    try:
        result = _verify_call()
    except Exception:
        result = [False, reasons.VERIFICATION_ERROR]
    _return_json(result)


@near.export
def verify_custom_claims():
    """[true, ""] or [false, reason] for an already decoded payload."""
    try:
        raw = near.input()
        args = None if len(raw) > MAX_VERIFY_ARGS_BYTES else values.parse_json_object(raw)
        if args is None:
            result = [False, INVALID_ARGUMENTS]
        else:
            config = _read_json(SETTINGS_KEY, {})
            ok, detail = verifier.verify_custom_claims(
                args.get("jwt_payload"), args.get("sign_payload"), config.get("audience")
            )
            result = [ok, detail]
    except Exception:
        result = [False, reasons.VERIFICATION_ERROR]
    _return_json(result)


# --- views --------------------------------------------------------------------


@near.export
def get_public_keys():
    # Stored in exactly the returned shape, so no parse and re-encode.
    raw = near.storage_read(KEYS_KEY)
    near.value_return(raw if raw is not None else "[]")


@near.export
def owner():
    _return_json(_read_json(OWNER_KEY))


@near.export
def proposed_owner():
    _return_json(_read_json(PROPOSED_OWNER_KEY))


@near.export
def get_settings():
    _return_json(_read_json(SETTINGS_KEY, {}))


@near.export
def is_paused():
    _return_json(near.storage_has_key(PAUSED_KEY))


# --- initialisation and upgrade -----------------------------------------------


@near.export
def init():
    """init(owner, public_keys, audience?, issuers?): once, by the guard account.

    Private like near-sdk-rs's `#[init] #[private]`: deploy and init go in one
    transaction signed by the guard account, so nobody can initialise a freshly
    deployed guard with their own keys in between.
    """
    if near.storage_has_key(OWNER_KEY):
        _fail(ALREADY_INITIALIZED)
    if near.predecessor_account_id() != near.current_account_id():
        _fail(ONLY_SELF)
    args = _admin_args("owner", "public_keys", "audience", "issuers")
    new_owner = args.get("owner")
    if not _is_account_id(new_owner):
        _fail(INVALID_ARGUMENTS + ": owner must be an account id")
    key_set = _validated_keys(args.get("public_keys"))
    config, reason = settings.validate_settings(args.get("audience"), args.get("issuers"))
    if reason is not None:
        _fail(reason)
    _write_json(OWNER_KEY, new_owner)
    _write_json(KEYS_KEY, key_set)
    _write_json(SETTINGS_KEY, config)
    _write_json(VERSION_KEY, STATE_VERSION)
    _emit("init", {"owner": new_owner, "kids": _key_ids(key_set), "settings": config})


@near.export
def update_contract():
    """Owner: the input is the new Wasm; deploy it to this account, then `migrate`."""
    _assert_owner()
    code = near.input()
    if not code:
        _fail(INVALID_ARGUMENTS + ": the input must be the new contract's Wasm")
    _emit("contract_update", {"code_size": len(code), "code_hash": binascii.hexlify(near.sha256(code)).decode()})
    promise = near.promise_batch_create(near.current_account_id())
    near.promise_batch_action_deploy_contract(promise, code)
    # 0 static gas and weight 1: migrate gets whatever gas this call leaves.
    near.promise_batch_action_function_call_weight(promise, "migrate", "{}", 0, 0, 1)
    near.promise_return(promise)


@near.export
def migrate():
    """Private state-migration hook, run by `update_contract` after a deploy."""
    if near.predecessor_account_id() != near.current_account_id():
        _fail(ONLY_SELF)
    previous = _read_json(VERSION_KEY, 0)
    _write_json(VERSION_KEY, STATE_VERSION)
    _emit("migrate", {"from_version": previous, "to_version": STATE_VERSION})
    _return_json(STATE_VERSION)


# --- key rotation ---------------------------------------------------------------


@near.export
def set_public_keys():
    """Owner: replace the whole key set at once."""
    _assert_owner()
    args = _admin_args("public_keys")
    key_set = _validated_keys(args.get("public_keys"))
    _write_json(KEYS_KEY, key_set)
    _emit("public_keys_set", {"kids": _key_ids(key_set)})


@near.export
def add_public_key():
    """Owner: add one key (validated together with the current set)."""
    _assert_owner()
    args = _admin_args("public_key")
    key_set = _validated_keys(_read_json(KEYS_KEY, []) + [args.get("public_key")])
    _write_json(KEYS_KEY, key_set)
    _emit("public_key_added", {"kid": key_set[-1].get("kid"), "kids": _key_ids(key_set)})


@near.export
def remove_public_key():
    """Owner: remove the key with this kid; the last key cannot be removed."""
    _assert_owner()
    args = _admin_args("kid")
    kid = args.get("kid")
    current = _read_json(KEYS_KEY, [])
    remaining = [key for key in current if key.get("kid") != kid]
    if type(kid) is not str or len(remaining) == len(current):
        _fail("No key with kid " + json.dumps(kid))
    if not remaining:
        _fail("Refusing to remove the last key: the guard would reject every token")
    _write_json(KEYS_KEY, remaining)
    _emit("public_key_removed", {"kid": kid, "kids": _key_ids(remaining)})


@near.export
def set_settings():
    """Owner: set or clear (null) the required audience and issuer allow-list."""
    _assert_owner()
    args = _admin_args("audience", "issuers")
    config, reason = settings.validate_settings(args.get("audience"), args.get("issuers"))
    if reason is not None:
        _fail(reason)
    _write_json(SETTINGS_KEY, config)
    _emit("settings_set", config)


# --- ownership and pause ----------------------------------------------------------


@near.export
def propose_owner():
    """Owner: propose a new owner; it takes effect only when they accept."""
    current = _assert_owner()
    args = _admin_args("new_owner")
    new_owner = args.get("new_owner")
    if not _is_account_id(new_owner):
        _fail(INVALID_ARGUMENTS + ": new_owner must be an account id")
    _write_json(PROPOSED_OWNER_KEY, new_owner)
    _emit("owner_proposed", {"owner": current, "proposed_owner": new_owner})


@near.export
def accept_owner():
    """The proposed owner takes over; a superseded proposal cannot be accepted."""
    _admin_args()
    proposed = _read_json(PROPOSED_OWNER_KEY)
    caller = near.predecessor_account_id()
    if proposed is None or caller != proposed:
        _fail("Only the proposed owner can accept ownership")
    previous = _owner()
    _write_json(OWNER_KEY, caller)
    near.storage_remove(PROPOSED_OWNER_KEY)
    _emit("owner_changed", {"previous_owner": previous, "owner": caller})


@near.export
def pause():
    """Owner: emergency stop; every verify fails until unpause."""
    _assert_owner()
    _admin_args()
    _write_json(PAUSED_KEY, 1)
    _emit("paused", {"by": near.predecessor_account_id()})


@near.export
def unpause():
    _assert_owner()
    _admin_args()
    near.storage_remove(PAUSED_KEY)
    _emit("unpaused", {"by": near.predecessor_account_id()})
