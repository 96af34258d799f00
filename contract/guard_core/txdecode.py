"""Borsh decoding of the bytes FastAuth signs: a NEAR `Transaction` or a `DelegateAction`.

    decode_payload(data) -> (payload dict, None) | (None, error text)

`data` is one of (nearcore's `Transaction` and `DelegateAction` Borsh layouts):
* a `Transaction` V0 (`signer_id` first: a u32 length whose second byte is 0,
  since account ids are at most 64 bytes), or V1 (a leading `0x01`, then the
  V0 fields, then `priority_fee: u64`) -- nearcore tells them apart the same way;
* a `DelegateAction` behind NEP-461's prefix, u32 LE 2^30 + 366.

Every action kind of protocol 78 decodes (tags 0-10, global contracts
included), with ed25519 and secp256k1 keys and u128 amounts. Decoding is as
strict as nearcore's: lengths must fit, tags and key types must be known,
account ids must be valid, strings valid UTF-8, a delegate action may not hold
another one, and every byte must be consumed. Anything else is an error,
never an exception: this runs on-chain, where a raise inside a C built-in does
not unwind, so every length is checked before a slice or an index, and the
only C calls made are ones that cannot fail on what was checked (slicing,
`int.from_bytes` on a slice of known length, `set`, `in`, `decode` of
validated bytes). Tags 11+ (DeterministicStateInit and gas-key actions, newer
than protocol 78) are refused as unknown.

The result uses nearcore's field names:

    {"type": "Transaction", "version": 0 | 1, "signer_id", "public_key",
     "nonce", "receiver_id", "block_hash", "actions", "priority_fee" (V1 only)}
    {"type": "DelegateAction", "sender_id", "receiver_id", "actions", "nonce",
     "max_block_height", "public_key"}

Public keys and signatures are bytes with their key-type byte first (33 bytes
for ed25519, 65 for secp256k1; signatures 65 and 66), amounts and gas ints.
Each action is a dict with "kind" (a name in ACTION_KINDS) and its fields:

    CreateAccount        {}
    DeployContract       {"code"}
    FunctionCall         {"method_name", "args", "gas", "deposit"}
    Transfer             {"deposit"}
    Stake                {"stake", "public_key"}
    AddKey               {"public_key", "access_key": {"nonce", "permission"}}
                         permission: "FullAccess" or
                         {"allowance": int | None, "receiver_id", "method_names": [str]}
    DeleteKey            {"public_key"}
    DeleteAccount        {"beneficiary_id"}
    Delegate             {"delegate_action": <DelegateAction dict>, "signature"}
    DeployGlobalContract {"code", "deploy_mode": "CodeHash" | "AccountId"}
    UseGlobalContract    {"contract_identifier": {"CodeHash": bytes} | {"AccountId": str}}
"""

from . import values

ACTION_KINDS = (
    "CreateAccount",
    "DeployContract",
    "FunctionCall",
    "Transfer",
    "Stake",
    "AddKey",
    "DeleteKey",
    "DeleteAccount",
    "Delegate",
    "DeployGlobalContract",
    "UseGlobalContract",
)

# u32 little-endian 2^30 + 366 (NEP-461: signed non-transaction messages).
DELEGATE_ACTION_PREFIX = b"\x6e\x01\x00\x40"

_DELEGATE_TAG = 8
# Bytes after the key-type byte, by key type: 0 ed25519, 1 secp256k1.
_PUBLIC_KEY_SIZES = (32, 64)
_SIGNATURE_SIZES = (64, 65)

_ACCOUNT_ID_BYTES = b"abcdefghijklmnopqrstuvwxyz0123456789-_."
_TRUNCATED = "truncated"


class DecodeError(Exception):
    """Raised (from Python code only) when the bytes are not a valid payload."""


# nearcore refuses a transaction (or a delegate action) with more actions than
# this (runtime config `max_actions_per_receipt`), so a payload with more can
# never be signed into anything that executes; refusing it also bounds the
# policy's per-action work.
MAX_ACTIONS = 100


def decode_payload(data):
    """(payload dict, None) for a valid Transaction / prefixed DelegateAction, else (None, error)."""
    if type(data) is not bytes:
        return None, "expected bytes"
    try:
        return _decode(data), None
    except DecodeError as error:
        return None, error.args[0] if error.args else "invalid payload"


def is_account_id(raw):
    """NEAR account id rules on raw bytes: 2-64 of a-z 0-9 - _ ., a separator
    never first, last or next to another.

    Written for gas, with C-level operations only (sets or a Python loop over
    the characters would cost several times more): stripping every allowed
    byte from both ends leaves nothing only when every byte is allowed; with
    all separators turned into '.', no '..' and no '.' at either end.
    """
    size = len(raw)
    if size < 2 or size > 64 or raw.strip(_ACCOUNT_ID_BYTES):
        return False
    dotted = raw.replace(b"-", b".").replace(b"_", b".")
    return dotted[0] != 46 and dotted[size - 1] != 46 and b".." not in dotted


# --- readers: each takes (data, pos) and returns (value, new pos) ---------------------
# Every length is checked before the slice it guards; the common readers are
# written out flat because a MicroPython call costs as much as the work here.


def _u8(data, pos):
    if pos >= len(data):
        raise DecodeError(_TRUNCATED)
    return data[pos], pos + 1


def _uint(data, pos, size):
    end = pos + size
    if end > len(data):
        raise DecodeError(_TRUNCATED)
    return int.from_bytes(data[pos:end], "little"), end


def _fixed(data, pos, size):
    end = pos + size
    if end > len(data):
        raise DecodeError(_TRUNCATED)
    return data[pos:end], end


def _bytes_vec(data, pos):
    start = pos + 4
    if start > len(data):
        raise DecodeError(_TRUNCATED)
    end = start + int.from_bytes(data[pos:start], "little")
    if end > len(data):
        raise DecodeError(_TRUNCATED)
    return data[start:end], end


def _string(data, pos):
    raw, end = _bytes_vec(data, pos)
    if not values.is_utf8(raw):
        raise DecodeError("invalid UTF-8")
    return raw.decode(), end


def _account_id(data, pos):
    raw, pos = _bytes_vec(data, pos)
    if not is_account_id(raw):
        raise DecodeError("invalid account id")
    return raw.decode(), pos


def _keyed(data, pos, sizes):
    if pos >= len(data):
        raise DecodeError(_TRUNCATED)
    kind = data[pos]
    if kind > 1:
        raise DecodeError("unknown key type")
    end = pos + 1 + sizes[kind]
    if end > len(data):
        raise DecodeError(_TRUNCATED)
    return data[pos:end], end


def _count(data, pos, min_item_size):
    """A u32 element count that the remaining bytes can actually hold."""
    end = pos + 4
    if end > len(data):
        raise DecodeError(_TRUNCATED)
    count = int.from_bytes(data[pos:end], "little")
    if count * min_item_size > len(data) - end:
        raise DecodeError(_TRUNCATED)
    return count, end


# --- actions ----------------------------------------------------------------------------


def _access_key(data, pos):
    nonce, pos = _uint(data, pos, 8)
    tag, pos = _u8(data, pos)
    if tag == 1:
        return {"nonce": nonce, "permission": "FullAccess"}, pos
    if tag != 0:
        raise DecodeError("unknown access key permission")
    option, pos = _u8(data, pos)
    if option == 1:
        allowance, pos = _uint(data, pos, 16)
    elif option == 0:
        allowance = None
    else:
        raise DecodeError("invalid option tag")
    receiver_id, pos = _account_id(data, pos)
    count, pos = _count(data, pos, 4)
    method_names = []
    for _ in range(count):
        name, pos = _string(data, pos)
        method_names.append(name)
    permission = {"allowance": allowance, "receiver_id": receiver_id, "method_names": method_names}
    return {"nonce": nonce, "permission": permission}, pos


def _action(data, pos, allow_delegate):
    tag, pos = _u8(data, pos)
    if tag == 2:  # FunctionCall, the common case first
        method_name, pos = _string(data, pos)
        args, pos = _bytes_vec(data, pos)
        end = pos + 24
        if end > len(data):
            raise DecodeError(_TRUNCATED)
        gas = int.from_bytes(data[pos:pos + 8], "little")
        deposit = int.from_bytes(data[pos + 8:end], "little")
        pos = end
        return {"kind": "FunctionCall", "method_name": method_name, "args": args, "gas": gas, "deposit": deposit}, pos
    if tag == 3:
        deposit, pos = _uint(data, pos, 16)
        return {"kind": "Transfer", "deposit": deposit}, pos
    if tag == 0:
        return {"kind": "CreateAccount"}, pos
    if tag == 1:
        code, pos = _bytes_vec(data, pos)
        return {"kind": "DeployContract", "code": code}, pos
    if tag == 4:
        stake, pos = _uint(data, pos, 16)
        public_key, pos = _keyed(data, pos, _PUBLIC_KEY_SIZES)
        return {"kind": "Stake", "stake": stake, "public_key": public_key}, pos
    if tag == 5:
        public_key, pos = _keyed(data, pos, _PUBLIC_KEY_SIZES)
        access_key, pos = _access_key(data, pos)
        return {"kind": "AddKey", "public_key": public_key, "access_key": access_key}, pos
    if tag == 6:
        public_key, pos = _keyed(data, pos, _PUBLIC_KEY_SIZES)
        return {"kind": "DeleteKey", "public_key": public_key}, pos
    if tag == 7:
        beneficiary_id, pos = _account_id(data, pos)
        return {"kind": "DeleteAccount", "beneficiary_id": beneficiary_id}, pos
    if tag == _DELEGATE_TAG:
        if not allow_delegate:
            raise DecodeError("nested delegate action")
        delegate_action, pos = _delegate_action(data, pos)
        signature, pos = _keyed(data, pos, _SIGNATURE_SIZES)
        return {"kind": "Delegate", "delegate_action": delegate_action, "signature": signature}, pos
    if tag == 9:
        code, pos = _bytes_vec(data, pos)
        mode, pos = _u8(data, pos)
        if mode > 1:
            raise DecodeError("unknown global contract deploy mode")
        return {"kind": "DeployGlobalContract", "code": code,
                "deploy_mode": "AccountId" if mode == 1 else "CodeHash"}, pos
    if tag == 10:
        which, pos = _u8(data, pos)
        if which == 0:
            code_hash, pos = _fixed(data, pos, 32)
            identifier = {"CodeHash": code_hash}
        elif which == 1:
            account_id, pos = _account_id(data, pos)
            identifier = {"AccountId": account_id}
        else:
            raise DecodeError("unknown global contract identifier")
        return {"kind": "UseGlobalContract", "contract_identifier": identifier}, pos
    raise DecodeError("unknown action tag")


def _actions(data, pos, allow_delegate):
    count, pos = _count(data, pos, 1)
    if count > MAX_ACTIONS:
        raise DecodeError("more than %d actions" % MAX_ACTIONS)
    actions = []
    for _ in range(count):
        action, pos = _action(data, pos, allow_delegate)
        actions.append(action)
    return actions, pos


def _delegate_action(data, pos):
    sender_id, pos = _account_id(data, pos)
    receiver_id, pos = _account_id(data, pos)
    actions, pos = _actions(data, pos, False)
    nonce, pos = _uint(data, pos, 8)
    max_block_height, pos = _uint(data, pos, 8)
    public_key, pos = _keyed(data, pos, _PUBLIC_KEY_SIZES)
    return {
        "type": "DelegateAction",
        "sender_id": sender_id,
        "receiver_id": receiver_id,
        "actions": actions,
        "nonce": nonce,
        "max_block_height": max_block_height,
        "public_key": public_key,
    }, pos


def _transaction(data, pos, version):
    signer_id, pos = _account_id(data, pos)
    public_key, pos = _keyed(data, pos, _PUBLIC_KEY_SIZES)
    nonce, pos = _uint(data, pos, 8)
    receiver_id, pos = _account_id(data, pos)
    block_hash, pos = _fixed(data, pos, 32)
    actions, pos = _actions(data, pos, True)
    transaction = {
        "type": "Transaction",
        "version": version,
        "signer_id": signer_id,
        "public_key": public_key,
        "nonce": nonce,
        "receiver_id": receiver_id,
        "block_hash": block_hash,
        "actions": actions,
    }
    if version == 1:
        transaction["priority_fee"], pos = _uint(data, pos, 8)
    return transaction, pos


def _decode(data):
    size = len(data)
    if size < 4:
        raise DecodeError("truncated")
    if data[0:4] == DELEGATE_ACTION_PREFIX:
        payload, pos = _delegate_action(data, 4)
    elif data[1] == 0:
        payload, pos = _transaction(data, 0, 0)
    elif data[0] == 1:
        payload, pos = _transaction(data, 1, 1)
    else:
        raise DecodeError("not a transaction or delegate action")
    if pos != size:
        raise DecodeError("trailing bytes")
    return payload
