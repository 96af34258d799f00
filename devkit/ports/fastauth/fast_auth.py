"""TEST PORT of FastAuth's `FastAuth` contract (Peersyst/fast-auth at 38dc894,
`contracts/fa/src/lib.rs` and `src/external_contracts.rs`, near-sdk 5.18.1).

Not production code: it exists so the guard can be tested inside the call chain
FastAuth really builds — sign -> (router ->) guard.verify -> callback -> MPC
sign -> callback — with NEAR's gas and receipts. It behaves as the Rust
contract does, including what upstream gets wrong (tests pin it):

- `on_verify_sign_callback` (lib.rs:561) reads the guard's answer as a
  3-tuple (bool, String, String): a 2-element answer panics, nothing is
  signed and the deposit stays here.
- `on_verify_callback` (lib.rs:402, used by `verify`) reads a 2-tuple, so
  `verify` panics on the router's 3-element answer.
- `on_sign_callback` (lib.rs:596-613) refunds the deposit after a successful
  signature too, from this contract's balance.

Nothing is copied; each behaviour names the upstream line (`lib.rs:N`) it
follows, and tests/ports/README.md has the parity table. near-sdk's wrapper
runs first, in its order: `#[private]`, deposit check for non-payable
`&mut self` methods (`verify`, `execute`, `update_contract` are `&self`: views
to near-sdk, no deposit check), JSON arguments, callback result, init-once check.

Raw `near` module (no near-sdk-py), so the hops before the guard cost about
what Rust's do and the gas the guard is left with is not understated.

Storage: one JSON record under "STATE" (the Rust writes the same fields in
Borsh); only the layout differs, nothing a method returns.
"""

import binascii
import json

import near
import near_sdk_wrapper as sdk

# lib.rs:9-14
CONTRACT_VERSION = "1.0.0"
DEFAULT_MPC_KEY_VERSION = 0
DEFAULT_MPC_DOMAIN_ID = 1
MAX_SUB_BYTES = 256  # lib.rs:460
# lib.rs:17-34: parsed lower-cased; serialised (for the callback) by variant name.
ALGORITHMS = {"secp256k1": "Secp256k1", "ecdsa": "Ecdsa", "eddsa": "Eddsa"}

STATE_KEY = "STATE"
SOURCE_FILE = "fa/src/lib.rs"  # Rust panic locations, as cargo builds the workspace member


# --- plumbing (near-sdk's own behaviour is in near_sdk_wrapper.py) ----------------


def _rust_panic(line, message):
    sdk.rust_panic(SOURCE_FILE, line, message)


def _int_arg(args, name, limit):
    value = args.get(name)
    if type(value) is not int or value < 0 or value >= limit:
        sdk.bad_input("invalid value for `" + name + "`")
    return value


def _yocto_arg(args, name):
    """A NearToken argument: near-sdk serialises it as a decimal string."""
    value = args.get(name)
    if type(value) is not str or not value or not value.isdigit():
        sdk.bad_input("invalid NearToken for `" + name + "`")
    return int(value)


# --- state --------------------------------------------------------------------------


def _state():
    raw = near.storage_read(STATE_KEY)
    if raw is None:
        # lib.rs:51-63 `impl Default`: everything points at the contract's own account.
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
    """lib.rs:72-74: the PREDECESSOR."""
    if near.predecessor_account_id() != state["owner"]:
        _rust_panic(73, "Only the owner can call this function")


def _only_pauser(state):
    """lib.rs:124-126: the SIGNER (not the predecessor, unlike the owner)."""
    if near.signer_account_id() != state["pauser"]:
        _rust_panic(125, "Only the pauser can call this function")


def _non_paused(state):
    """lib.rs:131-133."""
    if state["paused"]:
        _rust_panic(132, "Contract is paused")


def _call_then(account, method, args_json, deposit, callback, callback_args_json):
    """`ext(account).method(args).then(Self::ext(here).callback(...))`: both calls with
    near-sdk's defaults of 0 static gas and weight 1; returned as the method's result."""
    call = near.promise_batch_create(account)
    near.promise_batch_action_function_call_weight(call, method, args_json, deposit, 0, 1)
    then = near.promise_batch_then(call, near.current_account_id())
    near.promise_batch_action_function_call_weight(then, callback, callback_args_json, 0, 0, 1)
    return then


def _transfer(account, amount):
    """`Promise::new(account).transfer(amount)`: a Transfer receipt, even of 0 yoctoNEAR."""
    promise = near.promise_batch_create(account)
    near.promise_batch_action_transfer(promise, amount)
    return promise


# --- initialisation, upgrade, ownership, pause ---------------------------------------


@near.export
def init():
    """lib.rs:150-166 #[init] #[private]. near-sdk's init-once check runs first, so the
    body's own "Contract is already initialized" (lib.rs:153-155) is never reached."""
    sdk.private("init")
    sdk.not_payable("init")
    args = sdk.args("init_guards", "owner", "pauser")
    guards = args.get("init_guards")
    if type(guards) is not dict:
        sdk.bad_input("invalid type for `init_guards`, expected a map")
    for guard_id in guards:
        if not sdk.is_account_id(guards[guard_id]):
            sdk.bad_input("invalid account id in `init_guards`")
    owner = sdk.account_arg(args, "owner")
    pauser = sdk.account_arg(args, "pauser")
    if near.storage_has_key(STATE_KEY):
        sdk.fail(sdk.ALREADY_INITIALIZED)
    state = _state()
    state["guards"] = guards
    state["owner"] = owner
    state["pauser"] = pauser
    _save(state)


@near.export
def update_contract():
    """lib.rs:215-231: owner (no pause check); the input is the new code; deploy, then migrate."""
    _only_owner(_state())
    sdk.redeploy_with_input()


@near.export
def migrate():
    """lib.rs:236-257 #[private] #[init(ignore_state)]: every field kept."""
    sdk.start_migration(STATE_KEY)
    _save(_state())


@near.export
def owner():
    """lib.rs:79-82."""
    state = _state()
    _non_paused(state)
    sdk.return_json(state["owner"])


@near.export
def change_owner():
    """lib.rs:89-93."""
    sdk.not_payable("change_owner")
    new_owner = sdk.account_arg(sdk.args("new_owner"), "new_owner")
    state = _state()
    _non_paused(state)
    _only_owner(state)
    state["owner"] = new_owner
    _save(state)


@near.export
def pause():
    """lib.rs:98-101: the pauser, checked as signer."""
    sdk.not_payable("pause")
    state = _state()
    _only_pauser(state)
    state["paused"] = True
    _save(state)


@near.export
def unpause():
    """lib.rs:106-109."""
    sdk.not_payable("unpause")
    state = _state()
    _only_owner(state)
    state["paused"] = False
    _save(state)


@near.export
def set_pauser():
    """lib.rs:116-119."""
    sdk.not_payable("set_pauser")
    pauser = sdk.account_arg(sdk.args("pauser"), "pauser")
    state = _state()
    _only_owner(state)
    state["pauser"] = pauser
    _save(state)


@near.export
def only_pauser():
    """lib.rs:124-126: a `pub fn` inside `#[near] impl`, so near-sdk exports it as a view."""
    _only_pauser(_state())


@near.export
def paused():
    """lib.rs:138-140 (no pause check)."""
    sdk.return_json(_state()["paused"])


@near.export
def version():
    """lib.rs:620-623."""
    state = _state()
    _non_paused(state)
    sdk.return_json(state["version"])


# --- MPC settings -----------------------------------------------------------------------


def _set_setting(method, field, value, log_prefix):
    sdk.not_payable(method)
    state = _state()
    _non_paused(state)
    _only_owner(state)
    near.log_utf8(log_prefix + str(value))
    state[field] = value
    _save(state)


def _get_setting(field):
    state = _state()
    _non_paused(state)
    sdk.return_json(state[field])


@near.export
def set_mpc_address():
    """lib.rs:175-180."""
    address = sdk.account_arg(sdk.args("mpc_address"), "mpc_address")
    _set_setting("set_mpc_address", "mpc_address", address, "Setting MPC address to ")


@near.export
def mpc_address():
    """lib.rs:185-188."""
    _get_setting("mpc_address")


@near.export
def set_mpc_key_version():
    """lib.rs:195-200 (u32)."""
    key_version = _int_arg(sdk.args("mpc_key_version"), "mpc_key_version", 2**32)
    _set_setting("set_mpc_key_version", "mpc_key_version", key_version, "Setting MPC key version to ")


@near.export
def mpc_key_version():
    """lib.rs:205-208."""
    _get_setting("mpc_key_version")


@near.export
def set_mpc_domain_id():
    """lib.rs:264-269 (u64)."""
    domain_id = _int_arg(sdk.args("mpc_domain_id"), "mpc_domain_id", 2**64)
    _set_setting("set_mpc_domain_id", "mpc_domain_id", domain_id, "Setting MPC domain ID to ")


@near.export
def mpc_domain_id():
    """lib.rs:274-277."""
    _get_setting("mpc_domain_id")


# --- guards -----------------------------------------------------------------------------


@near.export
def get_guard():
    """lib.rs:288-293."""
    guard_id = sdk.str_arg(sdk.args("guard_id"), "guard_id")
    state = _state()
    _non_paused(state)
    address = state["guards"].get(guard_id)
    if address is None:
        sdk.fail("Guard with ID '" + guard_id + "' does not exist")
    sdk.return_json(address)


@near.export
def add_guard():
    """lib.rs:301-306: replaces an existing entry silently."""
    sdk.not_payable("add_guard")
    args = sdk.args("guard_id", "guard_address")
    guard_id = sdk.str_arg(args, "guard_id")
    address = sdk.account_arg(args, "guard_address")
    state = _state()
    _non_paused(state)
    _only_owner(state)
    if "#" in guard_id:
        _rust_panic(304, "Guard ID cannot contain '#'")
    state["guards"][guard_id] = address
    _save(state)


@near.export
def remove_guard():
    """lib.rs:313-318: an unknown id is no error."""
    sdk.not_payable("remove_guard")
    guard_id = sdk.str_arg(sdk.args("guard_id"), "guard_id")
    state = _state()
    _non_paused(state)
    _only_owner(state)
    near.log_utf8("Removing guard: " + guard_id)
    if guard_id in state["guards"]:
        del state["guards"][guard_id]
    _save(state)


def _guard_for(state, guard_id):
    """lib.rs:328-337 (prefix = text before the first '#') and lib.rs:355-360 / 440-445 (lookup)."""
    if not guard_id:
        sdk.fail("Guard ID cannot be empty")
    prefix = guard_id.split("#")[0]
    if not prefix:
        sdk.fail("Guard ID must be in format 'guard' or 'prefix#suffix'")
    address = state["guards"].get(prefix)
    if address is None:
        sdk.fail("Cannot verify: Guard with ID '" + guard_id + "' does not exist")
    return address


def _guard_args(guard_id, verify_payload, payload_json, predecessor):
    """external_contracts.rs:10 ExternalGuard::verify's arguments, compact, in declaration order."""
    return (
        '{"guard_id":' + json.dumps(guard_id)
        + ',"verify_payload":' + json.dumps(verify_payload)
        + ',"sign_payload":' + payload_json
        + ',"predecessor":' + json.dumps(predecessor) + "}"
    )


@near.export
def execute():
    """lib.rs:379-390: owner; a function call with `gas` Tgas and no deposit."""
    args = sdk.args("contract_address", "method_name", "args", "gas")
    contract_address = sdk.account_arg(args, "contract_address")
    method_name = sdk.str_arg(args, "method_name")
    call_args = sdk.str_arg(args, "args")
    gas = _int_arg(args, "gas", 2**64)
    state = _state()
    _non_paused(state)
    _only_owner(state)
    promise = near.promise_batch_create(contract_address)
    near.promise_batch_action_function_call_weight(promise, method_name, call_args, 0, gas * 10**12, 0)
    near.promise_return(promise)


# --- verify -------------------------------------------------------------------------------


@near.export
def verify():
    """lib.rs:352-367: the guard's verify with predecessor = the caller, then on_verify_callback."""
    args = sdk.args("guard_id", "verify_payload", "sign_payload")
    guard_id = sdk.str_arg(args, "guard_id")
    verify_payload = sdk.str_arg(args, "verify_payload")
    sign_payload = sdk.bytes_arg(args, "sign_payload")
    state = _state()
    _non_paused(state)
    address = _guard_for(state, guard_id)
    guard_args = _guard_args(guard_id, verify_payload, json.dumps(sign_payload, separators=(",", ":")),
                             near.predecessor_account_id())
    near.promise_return(_call_then(address, "verify", guard_args, 0, "on_verify_callback", ""))


@near.export
def on_verify_callback():
    """lib.rs:401-413 #[private]: reads a (bool, String) 2-TUPLE — the router's 3-element
    answer (and a 3-element guard answer) makes it panic."""
    sdk.private("on_verify_callback")
    sdk.not_payable("on_verify_callback")
    _status, result = sdk.callback_tuple(2)
    state = _state()
    if result is None:
        near.log_utf8("Guard verification failed")
        sdk.return_json([False, ""])
    elif not result[0]:
        near.log_utf8("Guard verification rejected")
        sdk.return_json([False, result[1]])
    else:
        sdk.return_json([True, result[1]])
    _save(state)


# --- sign ---------------------------------------------------------------------------------


@near.export
def sign():
    """lib.rs:427-452 #[payable]: `algorithm` required, parsed case-insensitively."""
    args = sdk.args("guard_id", "verify_payload", "sign_payload", "algorithm")
    guard_id = sdk.str_arg(args, "guard_id")
    verify_payload = sdk.str_arg(args, "verify_payload")
    sign_payload = sdk.bytes_arg(args, "sign_payload")
    algorithm = sdk.str_arg(args, "algorithm")
    state = _state()
    _non_paused(state)
    deposit = near.attached_deposit()
    caller = near.predecessor_account_id()
    variant = ALGORITHMS.get(algorithm.lower())
    if variant is None:
        sdk.fail("Unsupported algorithm: " + algorithm + ". Supported algorithms are: secp256k1, ecdsa, eddsa")
    address = _guard_for(state, guard_id)
    # The payload travels twice (to the guard and to the callback); encoded once.
    payload_json = json.dumps(sign_payload, separators=(",", ":"))
    guard_id_json = json.dumps(guard_id)
    caller_json = json.dumps(caller)
    callback_args = (
        '{"guard_id":' + guard_id_json
        + ',"sign_payload":' + payload_json
        + ',"attached_deposit":"' + str(deposit) + '"'
        + ',"algorithm":"' + variant + '"'
        + ',"caller":' + caller_json + "}"
    )
    promise = _call_then(address, "verify", _guard_args(guard_id, verify_payload, payload_json, caller), 0,
                         "on_verify_sign_callback", callback_args)
    near.promise_return(promise)
    _save(state)  # `&mut self`


def _mpc_request(state, variant, path, payload_hash):
    if variant == "Secp256k1":
        # lib.rs:473-480, external_contracts.rs:50-54 SignRequest {payload, path, key_version}
        return ('{"request":{"payload":' + json.dumps(list(payload_hash), separators=(",", ":"))
                + ',"path":' + json.dumps(path) + ',"key_version":' + str(state["mpc_key_version"]) + "}}")
    # lib.rs:505-549, external_contracts.rs:58-71 SignRequestV2 {path, payload_v2: {Ecdsa|Eddsa: hex}, domain_id}
    return ('{"request":{"path":' + json.dumps(path) + ',"payload_v2":{"' + variant + '":"'
            + binascii.hexlify(payload_hash).decode() + '"},"domain_id":' + str(state["mpc_domain_id"]) + "}}")


@near.export
def on_verify_sign_callback():
    """lib.rs:560-587 #[private]: reads the guard's answer as a (bool, String, String) 3-TUPLE."""
    sdk.private("on_verify_sign_callback")
    sdk.not_payable("on_verify_sign_callback")
    args = sdk.args("guard_id", "sign_payload", "attached_deposit", "algorithm", "caller")
    guard_id = sdk.str_arg(args, "guard_id")
    sign_payload = sdk.bytes_arg(args, "sign_payload")
    deposit = _yocto_arg(args, "attached_deposit")
    variant = sdk.str_arg(args, "algorithm")
    if variant not in ("Secp256k1", "Ecdsa", "Eddsa"):
        sdk.bad_input("unknown variant `" + variant + "`, expected one of `Secp256k1`, `Ecdsa`, `Eddsa`")
    caller = sdk.account_arg(args, "caller")
    _status, result = sdk.callback_tuple(3)
    state = _state()

    if result is None or not result[0]:
        near.log_utf8("Guard verification failed" if result is None else "Guard verification rejected")
        near.promise_return(_transfer(caller, deposit))
        _save(state)
        return

    sub = result[1]
    if "#" in sub or len(sub.encode()) > MAX_SUB_BYTES:
        _rust_panic(574, "Invalid sub")

    path = guard_id + "#" + sub
    request = _mpc_request(state, variant, path, near.sha256(bytes(sign_payload)))
    callback_args = '{"caller":' + json.dumps(caller) + ',"original_deposit":"' + str(deposit) + '"}'
    near.promise_return(_call_then(state["mpc_address"], "sign", request, deposit, "on_sign_callback", callback_args))
    _save(state)


def _debug_str(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sign_response(data):
    """external_contracts.rs:41-46 SignResponseAny, untagged: (serde's compact JSON of it, Rust's Debug text)."""
    value = sdk.parse_json(data)
    if type(value) is dict:
        big_r = value.get("big_r")
        s = value.get("s")
        recovery_id = value.get("recovery_id")
        if (type(value.get("scheme")) is str and type(big_r) is dict and type(big_r.get("affine_point")) is str
                and type(s) is dict and type(s.get("scalar")) is str
                and type(recovery_id) is int and 0 <= recovery_id <= 255):
            compact = ('{"scheme":' + json.dumps(value["scheme"]) + ',"big_r":{"affine_point":'
                       + json.dumps(big_r["affine_point"]) + '},"s":{"scalar":' + json.dumps(s["scalar"])
                       + '},"recovery_id":' + str(recovery_id) + "}")
            debug = ("Ecdsa(EcdsaSignResponse { scheme: " + _debug_str(value["scheme"])
                     + ", big_r: AffinePoint { affine_point: " + _debug_str(big_r["affine_point"])
                     + " }, s: Scalar { scalar: " + _debug_str(s["scalar"])
                     + " }, recovery_id: " + str(recovery_id) + " })")
            return compact, debug
        signature = value.get("signature")
        if (type(value.get("scheme")) is str and type(signature) is list
                and all(type(b) is int and 0 <= b <= 255 for b in signature)):
            compact = ('{"scheme":' + json.dumps(value["scheme"]) + ',"signature":'
                       + json.dumps(signature, separators=(",", ":")) + "}")
            debug = ("EdDsa(EdDsaSignResponse { scheme: " + _debug_str(value["scheme"])
                     + ", signature: [" + ", ".join(str(b) for b in signature) + "] })")
            return compact, debug
    sdk.fail(sdk.DESERIALIZE_CALLBACK + "data did not match any variant of untagged enum SignResponseAny`")


@near.export
def on_sign_callback():
    """lib.rs:596-613 #[private] #[payable]: refunds `original_deposit` to the caller on
    failure AND on success (the MPC call already took that deposit from this contract)."""
    sdk.private("on_sign_callback")
    args = sdk.args("caller", "original_deposit")
    caller = sdk.account_arg(args, "caller")
    deposit = _yocto_arg(args, "original_deposit")
    status, data = near.promise_result(0)
    response = _sign_response(data) if status == 1 else None
    state = _state()
    if response is None:
        near.log_utf8("MPC signing failed")
        _transfer(caller, deposit)
        sdk.return_json(None)
    else:
        near.log_utf8("MPC signing successful: " + response[1])
        _transfer(caller, deposit)
        near.value_return(response[0])
    _save(state)
