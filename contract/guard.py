"""JwtGuard for FastAuth: the NEAR shell around `guard_core`.

Everything that decides whether a token is valid lives in `guard_core`
(pure Python, tested under CPython and MicroPython). This module only binds it
to NEAR: it reads arguments, storage and the block clock, checks who is
calling, logs NEP-297 events and returns JSON as Rust contracts do.

Why the raw `near` module rather than near-sdk-py's decorators: every call
re-imports the contract module, and importing near-sdk-py costs about 3 Tgas
per call (measured on this runtime); `verify` sits in every FastAuth signature,
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
    authz            {"policy"?, "claim_mode"?}: authorization beyond the JWT,
                     absent while both are off (see _authorization_check)
    c/<account id>   raw 32-byte sha256(jwt) claimed by that account
    h/<32 bytes>     the account holding that claimed hash (bytes key)
    vstate           everything `verify` reads, derived from the records above
                     and rewritten together with them (_write_verify_sources,
                     the only writer of those records): {"keys": the key set with key bytes
                     as hex strings (guard_core.keys.compact_key, one string
                     per key for json.loads instead of one number per byte),
                     "settings"?, "authz"?, "paused"?: true}. One storage read
                     per verify instead of four (~0.06 Tgas each).
"""

# gas-mark: runtime start
import json

import near

# gas-mark: import json, near

# Everything else (guard_core's modules, binascii) is imported inside the
# functions that use it: NEAR runs every call in a fresh instance, which
# re-imports what the call uses, and guard_core costs ~0.7 Tgas to import. So
# the views import nothing more, and each admin method only what it needs.
_values_module = None


def _values():
    """guard_core.values, with the C versions of two byte loops (runtime
    patches 11 and 12) and of RS256's exponentiation from and to bytes (patch
    14) installed, once per call."""
    global _values_module
    if _values_module is None:
        from guard_core import values

        values.use_native(bytes_from_list=near.bytes_from_byte_list, json_text_within=near.json_text_within,
                          rsa_public_pow=near.rsa_public_pow)
        _values_module = values
    return _values_module


EVENT_STANDARD = "jwt_guard"
EVENT_VERSION = "1.0.0"
STATE_VERSION = 2

# A valid verify call is bounded: a 7168-byte token whose `fatxn` equals
# `sign_payload` cannot carry more than ~5.3 KB of payload, so its arguments
# stay far below this. Larger input is answered before it is parsed, because
# parsing is what costs gas.
MAX_VERIFY_ARGS_BYTES = 32768
# What json.loads costs grows with the strings it builds and with nesting, so
# arguments are measured in C (values.json_text_within) before they are
# parsed. A verify call holds 4 names and at most 4 string values (8 strings)
# nested 2 deep; the bounds leave room for a few unknown arguments, which are
# ignored, and refuse what could only be an attempt to burn gas.
MAX_VERIFY_ARG_STRINGS = 32
MAX_VERIFY_ARG_DEPTH = 8
# Admin arguments: the largest valid ones are a full key set (16 keys of up to
# 8 strings) and a full policy (guard_core.policy_spec: MAX_PATTERNS receivers and
# MAX_METHOD_NAMES method names, with their keys, under 300 strings); the
# depth bound also keeps every error path's json.dumps from recursing deep.
MAX_ADMIN_ARG_STRINGS = 512
MAX_ADMIN_ARG_DEPTH = 8
# What bytes.strip() removes (serde_json tolerates whitespace around a value).
_STRIPPED_WHITESPACE = b" \t\n\r\x0b\x0c"

# guard_core.reasons' strings, written out so that answering them imports
# nothing (tests/guard holds them equal).
INVALID_ARGUMENTS = "Invalid arguments"
ARGUMENTS_TOO_LARGE = "Arguments too large"
VERIFICATION_ERROR = "Verification error"

ONLY_OWNER = "Only the owner can call this method"
ONLY_SELF = "Only the guard account itself can call this method"
ALREADY_INITIALIZED = "The guard is already initialized"
NOT_INITIALIZED = "The guard is not initialized"

OWNER_KEY = "owner"
PROPOSED_OWNER_KEY = "proposed_owner"
KEYS_KEY = "keys"
VERIFY_STATE_KEY = "vstate"
# State version 1 kept verify's compact key copy here; `migrate` removes it.
LEGACY_VERIFY_KEYS_KEY = "vkeys"
SETTINGS_KEY = "settings"
PAUSED_KEY = "paused"
VERSION_KEY = "version"
AUTHZ_KEY = "authz"


# --- plumbing -----------------------------------------------------------------


def _return_json(value):
    near.value_return(json.dumps(value))


def _fail(message):
    """Abort the call: NEAR rolls back every change it made."""
    near.panic_utf8(message)


def _parse_args(raw, max_strings, max_depth):
    """JSON arguments as a dict (empty input is `{}`), or None (also for
    arguments beyond the bounds, see values.parse_json_object).

    Whitespace around the object is allowed, as serde_json allows it; the core
    parser itself insists on a leading '{' and trailing '}'.
    """
    # bytes.strip() walks the whole input (~350 Wasm instructions per byte),
    # so it runs only when an end really is whitespace.
    if raw[:1] in _STRIPPED_WHITESPACE or raw[-1:] in _STRIPPED_WHITESPACE:
        raw = raw.strip()
    if not raw:
        return {}
    return _values().parse_json_object(raw, max_strings, max_depth)


def _input_object():
    return _parse_args(near.input(), MAX_ADMIN_ARG_STRINGS, MAX_ADMIN_ARG_DEPTH)


def _admin_args(*names):
    """Arguments of an admin call; unknown or malformed arguments abort it."""
    args = _input_object()
    if args is None:
        _fail(INVALID_ARGUMENTS + ": expected a JSON object of at most %d strings, nested at most %d deep"
              % (MAX_ADMIN_ARG_STRINGS, MAX_ADMIN_ARG_DEPTH))
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


def _validated_keys(candidate):
    from guard_core import keys

    validated, reason = keys.validate_public_keys(candidate)
    if reason is not None:
        _fail(reason)
    return validated


def _check_keys_stay_valid(key_set):
    """Refuse a key set that leaves no key valid now, or a hole before a later key."""
    from guard_core import keys

    now = _now_seconds()
    gap = keys.validity_gap(key_set, now)
    if gap is not None:
        _fail(keys.validity_gap_reason(gap, now))


def _store_keys(key_set):
    _check_keys_stay_valid(key_set)
    _write_verify_sources({KEYS_KEY: key_set})


def _write_verify_sources(records):
    """Write the records `vstate` is derived from, then `vstate` itself.

    records: {storage key: value} for keys, settings, paused and authz; a
    value of None (or, for authz, an empty record) removes the record. Every
    admin change to those records goes through here, so `vstate` never lags
    them; `{}` only rebuilds `vstate` (migrate).
    """
    for key in records:
        value = records[key]
        if value is None or (key == AUTHZ_KEY and not value):
            near.storage_remove(key)
        else:
            _write_json(key, value)
    _write_json(VERIFY_STATE_KEY, _verify_state_from_sources(records))


def _verify_state_from_sources(known=None):
    """The `vstate` record, assembled from the records it is derived from (see
    the module doc); `known` holds records just written, saving their reads."""
    from guard_core import keys

    if known is None:
        known = {}

    def record(key, default=None):
        if key in known:
            return known[key]
        return _read_json(key, default)

    state = {"keys": [keys.compact_key(key) for key in record(KEYS_KEY, [])]}
    stored_settings = record(SETTINGS_KEY)
    if stored_settings:
        state["settings"] = stored_settings
    authz = record(AUTHZ_KEY)
    if authz:
        state["authz"] = authz
    if record(PAUSED_KEY) is not None:
        state["paused"] = True
    return state


def _verify_state():
    """`vstate`, or the same assembled afresh when it is missing (state written
    by version 1, before `migrate`; or no `init` yet)."""
    state = _read_json(VERIFY_STATE_KEY)
    if type(state) is dict:
        return state
    return _verify_state_from_sources()


def _validated_settings(audience, issuers):
    from guard_core import settings

    validated, reason = settings.validate_settings(audience, issuers)
    if reason is not None:
        _fail(reason)
    return validated


def _key_ids(key_set):
    return [key.get("kid") for key in key_set]


def _ed25519_verify(signature, message, public_key):
    return near.ed25519_verify(signature, message, public_key, False)


# --- authorization beyond the JWT: helpers -----------------------------------------
# The modules behind these (guard_core.policy_spec, .policy_eval, .txdecode, .claim_mode and
# custom_rules) are imported inside the functions that use them: on NEAR every
# call re-imports what it uses, and an import costs ~0.05-0.3 Tgas, so a verify
# with the policy and claim mode off imports only custom_rules.


def _read_authz():
    """The stored {"policy"?, "claim_mode"?}, or None while both are off."""
    return _read_json(AUTHZ_KEY)


def _read_claim(account_id):
    from guard_core import claim_mode

    return near.storage_read(claim_mode.storage_key(account_id))


def _authorization_check(token, predecessor, authz):
    """The core's step-7 hook (`extra_claims_check`), for one verify call.

    It runs only for a token whose signature, fatxn and audience passed, and
    checks, in order: claim mode (when on), the transaction policy (when set;
    only then is sign_payload decoded), and the integrator's rule in
    custom_rules.py. None accepts; the first reason found rejects.
    authz: the stored authz record, or None while both are off.
    """

    def check(token_claims, sign_payload):
        reason = None
        if authz:
            if authz.get("claim_mode") is True:
                from guard_core import claim_mode

                reason = claim_mode.check_predecessor_claim(token, predecessor, _read_claim, near.sha256)
            if reason is None and "policy" in authz:
                from guard_core import policy_eval

                reason = policy_eval.check_policy(authz["policy"], token_claims, sign_payload)
        if reason is None:
            import custom_rules

            reason = custom_rules.check_custom_rules(token_claims, sign_payload, predecessor)
        return reason

    return check


def _validated_policy(candidate):
    """A validated policy dict, or None for null; aborts on an invalid one."""
    if candidate is None:
        return None
    from guard_core import policy_spec

    normalised, reason = policy_spec.validate_policy(candidate)
    if reason is not None:
        _fail(reason)
    return normalised


def _validated_claim_mode(candidate):
    if candidate is not None and type(candidate) is not bool:
        _fail(INVALID_ARGUMENTS + ": claim_mode must be true or false")
    return candidate is True


def _validated_authz(policy_candidate, claim_mode_candidate):
    """init's authz record ({} when both are off); aborts on an invalid part."""
    authz = {}
    rules = _validated_policy(policy_candidate)
    if rules is not None:
        authz["policy"] = rules
    if _validated_claim_mode(claim_mode_candidate):
        authz["claim_mode"] = True
    return authz


def _emit_authz_set(authz):
    if "policy" in authz:
        _emit("policy_set", {"policy": authz["policy"]})
    if "claim_mode" in authz:
        _emit("claim_mode_set", {"enabled": True})


def _transfer(account_id, amount):
    promise = near.promise_batch_create(account_id)
    near.promise_batch_action_transfer(promise, amount)


# --- verification -------------------------------------------------------------


def _verify_call():
    # input_len (runtime patch 07) measures the input without copying it.
    if near.input_len() > MAX_VERIFY_ARGS_BYTES:
        return [False, ARGUMENTS_TOO_LARGE]
    args = _parse_args(near.input(), MAX_VERIFY_ARG_STRINGS, MAX_VERIFY_ARG_DEPTH)
    # gas-mark: arguments (read, bound, parse)
    if not args:
        return [False, INVALID_ARGUMENTS]
    # The router sends {issuer, jwt}; FastAuth sends {guard_id, verify_payload}.
    # Both carry sign_payload and predecessor. The router reads a 2-tuple and
    # FastAuth's sign a 3-tuple (its callback expects the router's answer), so
    # FastAuth gets a third element: the guard name on success, "" otherwise.
    from guard_core import claims, verifier

    called_by_fastauth = "jwt" not in args
    if called_by_fastauth:
        token = args.get("verify_payload")
        expected_issuer = claims.expected_issuer(guard_id=args.get("guard_id"))
    else:
        token = args.get("jwt")
        expected_issuer = claims.expected_issuer(issuer=args.get("issuer"))
    if expected_issuer is None or "sign_payload" not in args:
        return [False, INVALID_ARGUMENTS, ""] if called_by_fastauth else [False, INVALID_ARGUMENTS]
    state = _verify_state()
    # gas-mark: storage read (vstate)
    stored_settings = state.get("settings") or {}
    ok, detail = verifier.verify_jwt(
        (token, args.get("sign_payload"), expected_issuer),
        (state["keys"], stored_settings.get("audience"), stored_settings.get("issuers"),
         state.get("paused") is True, _authorization_check(token, args.get("predecessor"), state.get("authz"))),
        (_now_seconds(), near.sha256, _ed25519_verify),
    )
    if called_by_fastauth:
        return [ok, detail, expected_issuer if ok else ""]
    return [ok, detail]


@near.export
def verify():
    """[true, sub] or [false, reason] (router's argument set); [true, sub, guard name] or
    [false, reason, ""] (FastAuth's); never panics on any token."""
    try:
        result = _verify_call()
    except Exception:
        result = [False, VERIFICATION_ERROR]
    _return_json(result)
    # gas-mark: reply
    # gas-mark-report


@near.export
def verify_custom_claims():
    """[true, ""] or [false, reason] for an already decoded payload."""
    try:
        args = None
        if near.input_len() <= MAX_VERIFY_ARGS_BYTES:
            args = _parse_args(near.input(), MAX_VERIFY_ARG_STRINGS, MAX_VERIFY_ARG_DEPTH)
        if not args:
            result = [False, INVALID_ARGUMENTS]
        else:
            from guard_core import verifier

            state = _verify_state()
            stored_settings = state.get("settings") or {}
            ok, detail = verifier.verify_custom_claims(
                args.get("jwt_payload"), args.get("sign_payload"), stored_settings.get("audience"),
                _authorization_check(args.get("jwt"), args.get("predecessor"), state.get("authz")),
            )
            result = [ok, detail]
    except Exception:
        result = [False, VERIFICATION_ERROR]
    _return_json(result)


# --- views --------------------------------------------------------------------


@near.export
def get_public_keys():
    # Stored in exactly the returned shape, so no parse and re-encode.
    raw = near.storage_read(KEYS_KEY)
    near.value_return(raw if raw is not None else "[]")
    # gas-mark: read and reply
    # gas-mark-report


@near.export
def owner():
    _return_json(_read_json(OWNER_KEY))
    # gas-mark: read and reply
    # gas-mark-report


@near.export
def proposed_owner():
    _return_json(_read_json(PROPOSED_OWNER_KEY))


@near.export
def get_settings():
    _return_json(_read_json(SETTINGS_KEY, {}))


@near.export
def is_paused():
    _return_json(near.storage_has_key(PAUSED_KEY))


@near.export
def contract_source_metadata():
    # NEP-330. nearwasm.build writes the build's metadata (commit, toolchain,
    # flags: nearwasm/source_metadata.py) over this placeholder in its
    # build copy; a constant of this function, so no other method pays for it.
    near.value_return('{"standards":[{"standard":"nep330","version":"1.3.0"}]}')  # nep330-metadata


# --- initialisation and upgrade -----------------------------------------------


@near.export
def init():
    """init(owner, public_keys, audience?, issuers?, policy?, claim_mode?): once, by the guard account.

    Private like near-sdk-rs's `#[init] #[private]`: deploy and init go in one
    transaction signed by the guard account, so nobody can initialise a freshly
    deployed guard with their own keys in between.
    """
    if near.storage_has_key(OWNER_KEY):
        _fail(ALREADY_INITIALIZED)
    if near.predecessor_account_id() != near.current_account_id():
        _fail(ONLY_SELF)
    args = _admin_args("owner", "public_keys", "audience", "issuers", "policy", "claim_mode")
    new_owner = args.get("owner")
    if not _values().is_account_id(new_owner):
        _fail(INVALID_ARGUMENTS + ": owner must be an account id")
    key_set = _validated_keys(args.get("public_keys"))
    _check_keys_stay_valid(key_set)
    new_settings = _validated_settings(args.get("audience"), args.get("issuers"))
    authz = _validated_authz(args.get("policy"), args.get("claim_mode"))
    _write_json(OWNER_KEY, new_owner)
    _write_json(VERSION_KEY, STATE_VERSION)
    _write_verify_sources({KEYS_KEY: key_set, SETTINGS_KEY: new_settings, AUTHZ_KEY: authz})
    _emit("init", {"owner": new_owner, "kids": _key_ids(key_set), "settings": new_settings})
    _emit_authz_set(authz)


@near.export
def update_contract():
    """Owner: the input is the new Wasm; deploy it to this account, then `migrate`."""
    _assert_owner()
    code = near.input()
    if not code:
        _fail(INVALID_ARGUMENTS + ": the input must be the new contract's Wasm")
    # Only a request: the deploy runs in its own receipt, and `migrate` logs
    # `contract_migrated` once the new code actually runs.
    import binascii

    _emit("contract_update_requested", {"code_size": len(code), "code_hash": binascii.hexlify(near.sha256(code)).decode()})
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
    if near.storage_has_key(KEYS_KEY):
        _write_verify_sources({})
    near.storage_remove(LEGACY_VERIFY_KEYS_KEY)
    _write_json(VERSION_KEY, STATE_VERSION)
    _emit("contract_migrated", {"from_version": previous, "to_version": STATE_VERSION})
    _return_json(STATE_VERSION)


# --- key rotation ---------------------------------------------------------------


@near.export
def set_public_keys():
    """Owner: replace the whole key set at once."""
    _assert_owner()
    args = _admin_args("public_keys")
    key_set = _validated_keys(args.get("public_keys"))
    _store_keys(key_set)
    _emit("public_keys_set", {"kids": _key_ids(key_set)})


@near.export
def add_public_key():
    """Owner: add one key (validated together with the current set)."""
    _assert_owner()
    args = _admin_args("public_key")
    key_set = _validated_keys(_read_json(KEYS_KEY, []) + [args.get("public_key")])
    _store_keys(key_set)
    _emit("public_key_added", {"kid": key_set[-1].get("kid"), "kids": _key_ids(key_set)})


@near.export
def remove_public_key():
    """Owner: remove the key with this kid; not the last key, nor the last one valid now."""
    _assert_owner()
    args = _admin_args("kid")
    kid = args.get("kid")
    current = _read_json(KEYS_KEY, [])
    remaining = [key for key in current if key.get("kid") != kid]
    if type(kid) is not str or len(remaining) == len(current):
        _fail("No key with kid " + json.dumps(kid))
    if not remaining:
        _fail("Refusing to remove the last key: the guard would reject every token")
    _store_keys(remaining)
    _emit("public_key_removed", {"kid": kid, "kids": _key_ids(remaining)})


@near.export
def set_settings():
    """Owner: set or clear (null) the required audience and issuer allow-list."""
    _assert_owner()
    args = _admin_args("audience", "issuers")
    new_settings = _validated_settings(args.get("audience"), args.get("issuers"))
    _write_verify_sources({SETTINGS_KEY: new_settings})
    _emit("settings_set", new_settings)


# --- ownership and pause ----------------------------------------------------------


@near.export
def propose_owner():
    """Owner: propose a new owner; it takes effect only when they accept."""
    current = _assert_owner()
    args = _admin_args("new_owner")
    new_owner = args.get("new_owner")
    if not _values().is_account_id(new_owner):
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
    _write_verify_sources({PAUSED_KEY: 1})
    _emit("paused", {"by": near.predecessor_account_id()})


@near.export
def unpause():
    _assert_owner()
    _admin_args()
    _write_verify_sources({PAUSED_KEY: None})
    _emit("unpaused", {"by": near.predecessor_account_id()})


# --- authorization beyond the JWT: policy, claim mode -------------------------------


@near.export
def get_policy():
    """The transaction policy (guard_core/policy_spec.py format), or null when none is set."""
    authz = _read_authz()
    _return_json(None if authz is None else authz.get("policy"))


@near.export
def set_policy():
    """Owner: set the transaction policy, or clear it with {"policy": null}."""
    _assert_owner()
    args = _admin_args("policy")
    if "policy" not in args:
        _fail(INVALID_ARGUMENTS + ": policy is required (null clears it)")
    rules = _validated_policy(args.get("policy"))
    authz = _read_authz() or {}
    if rules is None:
        authz.pop("policy", None)
    else:
        authz["policy"] = rules
    _write_verify_sources({AUTHZ_KEY: authz})
    _emit("policy_set", {"policy": rules})


@near.export
def get_claim_mode():
    authz = _read_authz()
    _return_json(authz is not None and authz.get("claim_mode") is True)


@near.export
def set_claim_mode():
    """Owner: turn claim mode on or off ({"enabled": true|false})."""
    _assert_owner()
    args = _admin_args("enabled")
    enabled = args.get("enabled")
    if type(enabled) is not bool:
        _fail(INVALID_ARGUMENTS + ": enabled must be true or false")
    authz = _read_authz() or {}
    if enabled:
        authz["claim_mode"] = True
    else:
        authz.pop("claim_mode", None)
    _write_verify_sources({AUTHZ_KEY: authz})
    _emit("claim_mode_set", {"enabled": enabled})


@near.export
def claim():
    """claim(jwt_hash): bind sha256(jwt) to the calling account; payable.

    The attached deposit (at least 1 yocto, so only a full-access key can
    claim) must cover the storage the claim adds; the rest is refunded. A new
    claim replaces the account's previous one, which adds no storage. A hash
    another account holds cannot be claimed (guard_core/claim_mode.py says why).
    """
    import binascii

    from guard_core import claim_mode

    args = _admin_args("jwt_hash")
    jwt_hash = claim_mode.parse_jwt_hash(args.get("jwt_hash"))
    if jwt_hash is None:
        _fail(claim_mode.BAD_HASH)
    deposit = near.attached_deposit()
    if deposit < 1:
        _fail(claim_mode.DEPOSIT_REQUIRED)
    account_id = near.predecessor_account_id()
    index_key = claim_mode.hash_key(jwt_hash)
    holder = near.storage_read(index_key)
    if holder is not None and holder != account_id.encode():
        _fail(claim_mode.CLAIMED_BY_ANOTHER)
    before = near.storage_usage()
    previous = near.storage_write(claim_mode.storage_key(account_id), jwt_hash)
    if previous is not None and previous != jwt_hash:
        near.storage_remove(claim_mode.hash_key(previous))
    near.storage_write(index_key, account_id)
    added = near.storage_usage() - before
    cost = added * claim_mode.STORAGE_BYTE_COST if added > 0 else 0
    if deposit < cost:
        _fail(claim_mode.INSUFFICIENT_DEPOSIT + str(cost) + " yoctoNEAR")
    refund = deposit - cost
    if refund > 0:
        _transfer(account_id, refund)
    hex_hash = binascii.hexlify(jwt_hash).decode()
    _emit("claim", {"account_id": account_id, "jwt_hash": hex_hash, "storage_deposit": str(cost),
                    "replaced": previous is not None})
    _return_json({"jwt_hash": hex_hash, "storage_deposit": str(cost), "refund": str(refund)})


@near.export
def unclaim():
    """Delete the calling account's claim and return its storage deposit; attach exactly 1 yocto."""
    import binascii

    from guard_core import claim_mode

    _admin_args()
    if near.attached_deposit() != 1:
        _fail(claim_mode.ONE_YOCTO_REQUIRED)
    account_id = near.predecessor_account_id()
    before = near.storage_usage()
    removed = near.storage_remove(claim_mode.storage_key(account_id))
    if removed is None:
        _fail(claim_mode.NO_CLAIM_TO_REMOVE)
    near.storage_remove(claim_mode.hash_key(removed))
    released = before - near.storage_usage()
    refund = released * claim_mode.STORAGE_BYTE_COST + 1
    _transfer(account_id, refund)
    _emit("unclaim", {"account_id": account_id, "jwt_hash": binascii.hexlify(removed).decode(),
                      "refund": str(refund)})
    _return_json({"refund": str(refund)})


@near.export
def get_claim():
    """get_claim(account_id): the account's claimed hash (hex), or null."""
    import binascii

    from guard_core import claim_mode

    args = _admin_args("account_id")
    account_id = args.get("account_id")
    if not _values().is_account_id(account_id):
        _fail(INVALID_ARGUMENTS + ": account_id must be an account id")
    stored = near.storage_read(claim_mode.storage_key(account_id))
    _return_json(None if stored is None else binascii.hexlify(stored).decode())


@near.export
def get_claim_deposit():
    """get_claim_deposit(account_id): yocto (string) a first claim by that account locks."""
    from guard_core import claim_mode

    args = _admin_args("account_id")
    account_id = args.get("account_id")
    if not _values().is_account_id(account_id):
        _fail(INVALID_ARGUMENTS + ": account_id must be an account id")
    _return_json(str(claim_mode.claim_storage_bytes(account_id) * claim_mode.STORAGE_BYTE_COST))

# gas-mark: guard.py body (constants, exports)
