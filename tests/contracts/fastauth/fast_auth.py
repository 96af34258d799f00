"""TEST PORT of FastAuth's `FastAuth` contract (Rust, Peersyst/fast-auth `contracts/fa`), the `sign` path.

Not production code: it exists so the guard can be tested inside the call chain
FastAuth really builds — FastAuth.sign -> (router ->) guard.verify -> callback ->
MPC sign -> callback — with NEAR's gas and receipts. The behaviour and JSON
interface are ported from the Rust contract and its documentation; nothing is
copied. Differences are listed in tests/ports/README.md.

Raw `near` module (no near-sdk-py), so the hops before the guard cost about what
Rust's do and the gas the guard is left with is not understated.

Interface:
    init(init_guards, owner, pauser)              #[init] #[private]
    owner() / change_owner(new_owner)             owner = PREDECESSOR here (the router uses the signer)
    pause() (pauser, by signer) / unpause() (owner) / set_pauser(pauser) / paused()
    mpc_address() / set_mpc_address(mpc_address)
    mpc_key_version() / set_mpc_key_version(mpc_key_version)
    mpc_domain_id() / set_mpc_domain_id(mpc_domain_id)
    version()
    add_guard(guard_id, guard_address)            owner; '#' refused
    get_guard(guard_id) / remove_guard(guard_id)
    verify(guard_id, verify_payload, sign_payload) -> [bool, str]
    sign(guard_id, verify_payload, sign_payload, algorithm?) -> MPC response | null
        #[payable]; algorithm in secp256k1 (default here) | ecdsa | eddsa.
        The guard is the one registered under the prefix of guard_id (the part
        before the first '#'; "jwt" is the router). It is called with
        {"guard_id", "verify_payload", "sign_payload", "predecessor": <caller of sign>}
        and no explicit gas (0 static, weight 1), then on_verify_sign_callback.
        Verified: path = guard_id + "#" + sub, payload = sha256(sign_payload),
        MPC `sign` with the attached deposit, then on_sign_callback -> response.
        Rejected or failed verification: logs, refunds the deposit to the caller,
        returns nothing (the transaction succeeds with an empty value).
        A sub with '#' or longer than 256 bytes panics ("Invalid sub").

Storage: one JSON record under "STATE" (the Rust keeps its guards HashMap in
the contract state too).
"""

import binascii
import json

import near

CONTRACT_VERSION = "0.1.0"
DEFAULT_MPC_KEY_VERSION = 0
DEFAULT_MPC_DOMAIN_ID = 1
ALGORITHMS = ("secp256k1", "ecdsa", "eddsa")
# The Rust makes `algorithm` a required String; older FastAuth versions had no
# argument and always used the legacy secp256k1 request. Absent means that here.
DEFAULT_ALGORITHM = "secp256k1"
MAX_SUB_BYTES = 256

STATE_KEY = "STATE"

DESERIALIZE_INPUT = "Failed to deserialize input from JSON."
DESERIALIZE_CALLBACK = "Failed to deserialize callback using JSON"

_INT_ONLY = {int}


# --- plumbing -----------------------------------------------------------------


def _fail(message):
    near.panic_utf8(message)


def _return_json(value):
    near.value_return(json.dumps(value))


def _parse_json(raw):
    """JSON container parsed from `raw` bytes, or None (see jwt_guard_router.py)."""
    if type(raw) is not bytes or len(raw) < 2:
        return None
    if raw[0] not in (0x7B, 0x5B):  # '{' or '['
        return None
    try:
        return json.loads(raw)
    except Exception:
        return None


def _args(*required):
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


def _int_arg(args, name):
    value = args.get(name)
    if type(value) is not int or value < 0:
        _fail(DESERIALIZE_INPUT)
    return value


def _is_account_id(value):
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


def _yocto_arg(args, name):
    """A NearToken argument: near-sdk serialises it as a decimal string."""
    value = args.get(name)
    if type(value) is not str or not value or not value.isdigit():
        _fail(DESERIALIZE_INPUT)
    return int(value)


def _state():
    raw = near.storage_read(STATE_KEY)
    if raw is None:
        # Rust's `impl Default`: everything points at the contract's own account.
        here = near.current_account_id()
        return {
            "guards": {},
            "owner": here,
            "mpc_address": here,
            "mpc_key_version": DEFAULT_MPC_KEY_VERSION,
            "mpc_domain_id": DEFAULT_MPC_DOMAIN_ID,
            "version": CONTRACT_VERSION,
            "pauser": here,
            "paused": False,
        }
    return json.loads(raw)


def _save(state):
    near.storage_write(STATE_KEY, json.dumps(state))


def _only_owner(state):
    if near.predecessor_account_id() != state["owner"]:
        _fail("Only the owner can call this function")


def _only_pauser(state):
    if near.signer_account_id() != state["pauser"]:
        _fail("Only the pauser can call this function")


def _non_paused(state):
    if state["paused"]:
        _fail("Contract is paused")


def _private(method):
    if near.predecessor_account_id() != near.current_account_id():
        _fail("Method " + method + " is private")


def _guard_prefix(guard_id):
    if not guard_id:
        _fail("Guard ID cannot be empty")
    prefix = guard_id.split("#")[0]
    if not prefix:
        _fail("Guard ID must be in format 'guard' or 'prefix#suffix'")
    return prefix


def _guard_for(state, guard_id):
    address = state["guards"].get(_guard_prefix(guard_id))
    if address is None:
        _fail("Cannot verify: Guard with ID '" + guard_id + "' does not exist")
    return address


def _call_then(receiver, method, args_json, deposit, callback, callback_args_json):
    """receiver.method(args) with 0 static gas and weight 1, then self.callback(args), likewise.

    That is what near-sdk-rs emits for `ext(..).method(..).then(Self::ext(..).callback(..))`
    when no gas is set: both calls share this call's leftover gas evenly.
    """
    call = near.promise_batch_create(receiver)
    near.promise_batch_action_function_call_weight(call, method, args_json, deposit, 0, 1)
    then = near.promise_batch_then(call, near.current_account_id())
    near.promise_batch_action_function_call_weight(then, callback, callback_args_json, 0, 0, 1)
    near.promise_return(then)


def _refund(caller, amount):
    """Send the sign deposit back to whoever called `sign`; returns the promise or None."""
    if amount <= 0:
        return None
    refund = near.promise_batch_create(caller)
    near.promise_batch_action_transfer(refund, amount)
    return refund


def _verification_result():
    """(ok, sub) from the guard's answer; (None, None) when the guard call failed.

    A guard answers [bool, str]; the router answers [bool, str, str]. Both are
    accepted here (see tests/ports/README.md). Any other shape panics, as a
    failed deserialisation does in near-sdk.
    """
    if near.promise_results_count() != 1:
        _fail(DESERIALIZE_CALLBACK)
    status, data = near.promise_result(0)
    if status != 1:
        return None, None
    result = _parse_json(data)
    if (
        type(result) is not list
        or len(result) not in (2, 3)
        or type(result[0]) is not bool
        or type(result[1]) is not str
    ):
        _fail(DESERIALIZE_CALLBACK)
    return result[0], result[1]


# --- initialisation, ownership, pause ---------------------------------------------


@near.export
def init():
    _private("init")
    if near.storage_has_key(STATE_KEY):
        _fail("Contract is already initialized")
    args = _args("init_guards", "owner", "pauser")
    guards = args.get("init_guards")
    if type(guards) is not dict:
        _fail(DESERIALIZE_INPUT)
    for guard_id in guards:
        if not _is_account_id(guards[guard_id]):
            _fail(DESERIALIZE_INPUT)
    state = _state()
    state["guards"] = guards
    state["owner"] = _account_arg(args, "owner")
    state["pauser"] = _account_arg(args, "pauser")
    _save(state)


@near.export
def owner():
    state = _state()
    _non_paused(state)
    _return_json(state["owner"])


@near.export
def change_owner():
    state = _state()
    _non_paused(state)
    _only_owner(state)
    state["owner"] = _account_arg(_args("new_owner"), "new_owner")
    _save(state)


@near.export
def pause():
    state = _state()
    _only_pauser(state)
    state["paused"] = True
    _save(state)


@near.export
def unpause():
    state = _state()
    _only_owner(state)
    state["paused"] = False
    _save(state)


@near.export
def set_pauser():
    state = _state()
    _only_owner(state)
    state["pauser"] = _account_arg(_args("pauser"), "pauser")
    _save(state)


@near.export
def paused():
    _return_json(_state()["paused"])


@near.export
def version():
    state = _state()
    _non_paused(state)
    _return_json(state["version"])


# --- MPC settings -------------------------------------------------------------------


@near.export
def mpc_address():
    state = _state()
    _non_paused(state)
    _return_json(state["mpc_address"])


@near.export
def set_mpc_address():
    state = _state()
    _non_paused(state)
    _only_owner(state)
    address = _account_arg(_args("mpc_address"), "mpc_address")
    near.log_utf8("Setting MPC address to " + address)
    state["mpc_address"] = address
    _save(state)


@near.export
def mpc_key_version():
    state = _state()
    _non_paused(state)
    _return_json(state["mpc_key_version"])


@near.export
def set_mpc_key_version():
    state = _state()
    _non_paused(state)
    _only_owner(state)
    key_version = _int_arg(_args("mpc_key_version"), "mpc_key_version")
    near.log_utf8("Setting MPC key version to " + str(key_version))
    state["mpc_key_version"] = key_version
    _save(state)


@near.export
def mpc_domain_id():
    state = _state()
    _non_paused(state)
    _return_json(state["mpc_domain_id"])


@near.export
def set_mpc_domain_id():
    state = _state()
    _non_paused(state)
    _only_owner(state)
    domain_id = _int_arg(_args("mpc_domain_id"), "mpc_domain_id")
    near.log_utf8("Setting MPC domain ID to " + str(domain_id))
    state["mpc_domain_id"] = domain_id
    _save(state)


# --- guards -----------------------------------------------------------------------


@near.export
def get_guard():
    state = _state()
    _non_paused(state)
    guard_id = _str_arg(_args("guard_id"), "guard_id")
    address = state["guards"].get(guard_id)
    if address is None:
        _fail("Guard with ID '" + guard_id + "' does not exist")
    _return_json(address)


@near.export
def add_guard():
    state = _state()
    _non_paused(state)
    _only_owner(state)
    args = _args("guard_id", "guard_address")
    guard_id = _str_arg(args, "guard_id")
    address = _account_arg(args, "guard_address")
    if "#" in guard_id:
        _fail("Guard ID cannot contain '#'")
    state["guards"][guard_id] = address
    _save(state)


@near.export
def remove_guard():
    state = _state()
    _non_paused(state)
    _only_owner(state)
    guard_id = _str_arg(_args("guard_id"), "guard_id")
    near.log_utf8("Removing guard: " + guard_id)
    if guard_id in state["guards"]:
        del state["guards"][guard_id]
    _save(state)


# --- verify -------------------------------------------------------------------------


@near.export
def verify():
    state = _state()
    _non_paused(state)
    args = _args("guard_id", "verify_payload", "sign_payload")
    guard_id = _str_arg(args, "guard_id")
    guard_args = (
        '{"guard_id":' + json.dumps(guard_id)
        + ',"verify_payload":' + json.dumps(_str_arg(args, "verify_payload"))
        + ',"sign_payload":' + json.dumps(_bytes_arg(args, "sign_payload"))
        + ',"predecessor":' + json.dumps(near.predecessor_account_id()) + "}"
    )
    _call_then(_guard_for(state, guard_id), "verify", guard_args, 0, "on_verify_callback", "{}")


@near.export
def on_verify_callback():
    _private("on_verify_callback")
    ok, sub = _verification_result()
    if ok is None:
        near.log_utf8("Guard verification failed")
        _return_json([False, ""])
    elif not ok:
        near.log_utf8("Guard verification rejected")
        _return_json([False, sub])
    else:
        _return_json([True, sub])


# --- sign ---------------------------------------------------------------------------


@near.export
def sign():
    state = _state()
    _non_paused(state)
    args = _args("guard_id", "verify_payload", "sign_payload")
    algorithm = args.get("algorithm", DEFAULT_ALGORITHM)
    if algorithm not in ALGORITHMS:
        _fail("Invalid algorithm. Expected one of: secp256k1, ecdsa, eddsa")
    guard_id = _str_arg(args, "guard_id")
    sign_payload = _bytes_arg(args, "sign_payload")
    caller = near.predecessor_account_id()
    deposit = near.attached_deposit()
    # The payload travels twice (to the guard and back to the callback, as in the
    # Rust); it is encoded once, and the arguments are assembled as text.
    payload_json = json.dumps(sign_payload)
    guard_id_json = json.dumps(guard_id)
    caller_json = json.dumps(caller)
    guard_args = (
        '{"guard_id":' + guard_id_json
        + ',"verify_payload":' + json.dumps(_str_arg(args, "verify_payload"))
        + ',"sign_payload":' + payload_json
        + ',"predecessor":' + caller_json + "}"
    )
    callback_args = (
        '{"guard_id":' + guard_id_json
        + ',"sign_payload":' + payload_json
        + ',"attached_deposit":"' + str(deposit) + '"'
        + ',"algorithm":' + json.dumps(algorithm)
        + ',"caller":' + caller_json + "}"
    )
    _call_then(_guard_for(state, guard_id), "verify", guard_args, 0, "on_verify_sign_callback", callback_args)


def _mpc_request(state, algorithm, path, payload_hash):
    if algorithm == "secp256k1":
        # Legacy SignRequest {payload: Vec<u8>, path, key_version}
        return {"payload": list(payload_hash), "path": path, "key_version": state["mpc_key_version"]}
    variant = "Ecdsa" if algorithm == "ecdsa" else "Eddsa"
    # SignRequestV2 {path, payload_v2: {"Ecdsa"|"Eddsa": hex}, domain_id}
    return {
        "path": path,
        "payload_v2": {variant: binascii.hexlify(payload_hash).decode()},
        "domain_id": state["mpc_domain_id"],
    }


@near.export
def on_verify_sign_callback():
    _private("on_verify_sign_callback")
    args = _args("guard_id", "sign_payload", "attached_deposit", "algorithm", "caller")
    guard_id = _str_arg(args, "guard_id")
    sign_payload = _bytes_arg(args, "sign_payload")
    deposit = _yocto_arg(args, "attached_deposit")
    algorithm = _str_arg(args, "algorithm")
    caller = _account_arg(args, "caller")

    ok, sub = _verification_result()
    if not ok:
        near.log_utf8("Guard verification failed" if ok is None else "Guard verification rejected")
        refund = _refund(caller, deposit)
        if refund is not None:
            near.promise_return(refund)
        return

    if "#" in sub or len(sub.encode()) > MAX_SUB_BYTES:
        _fail("Invalid sub")

    state = _state()
    path = guard_id + "#" + sub
    request = _mpc_request(state, algorithm, path, near.sha256(bytes(sign_payload)))
    _call_then(
        state["mpc_address"],
        "sign",
        json.dumps({"request": request}),
        deposit,
        "on_sign_callback",
        json.dumps({"attached_deposit": str(deposit), "caller": caller}),
    )


@near.export
def on_sign_callback():
    _private("on_sign_callback")
    args = _args("attached_deposit", "caller")
    if near.promise_results_count() != 1:
        _fail(DESERIALIZE_CALLBACK)
    status, data = near.promise_result(0)
    if status != 1:
        near.log_utf8("MPC signing failed")
        # NEAR returned the deposit of the failed MPC receipt to this contract
        # (the predecessor); pass it on to the caller of `sign`.
        _refund(_account_arg(args, "caller"), _yocto_arg(args, "attached_deposit"))
        _return_json(None)
        return
    response = _parse_json(data)
    if type(response) is not dict:
        _fail(DESERIALIZE_CALLBACK)
    near.log_utf8("MPC signing successful")
    near.value_return(data)
