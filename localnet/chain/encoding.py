"""Borsh encodings the chain needs itself.

* Access keys and accounts are stored in their Borsh form, and an access
  key's storage cost is the length of that form (nearcore charges
  `len(borsh(public_key)) + len(borsh(access_key)) + 40` bytes per key).
* A DelegateAction is signed over sha256 of a NEP-461 prefix + its Borsh bytes.
* `Chain.execute` builds unsigned transactions and names them by the same
  sha256-of-Borsh hash a signed one has.

Only encoding lives here; decoding transactions from the wire is the RPC layer's job.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from ..primitives import (
    AccessKey,
    AddKey,
    CreateAccount,
    DelegateAction,
    DeleteAccount,
    DeleteKey,
    DeployContract,
    FullAccess,
    FunctionCall,
    FunctionCallPermission,
    SignedDelegate,
    Stake,
    Transaction,
    Transfer,
)

# NEP-461: messages signed for meta transactions carry this u32 prefix.
DELEGATE_ACTION_PREFIX = 2**30 + 366


def u8(value: int) -> bytes:
    return struct.pack("<B", value)


def u32(value: int) -> bytes:
    return struct.pack("<I", value)


def u64(value: int) -> bytes:
    return struct.pack("<Q", value)


def u128(value: int) -> bytes:
    return value.to_bytes(16, "little")


def string(value: str) -> bytes:
    data = value.encode("utf-8")
    return u32(len(data)) + data


def byte_vec(value: bytes) -> bytes:
    return u32(len(value)) + value


def access_key(key: AccessKey) -> bytes:
    permission = key.permission
    if isinstance(permission, FullAccess):
        return u64(key.nonce) + u8(1)
    allowance = b"\x00" if permission.allowance is None else b"\x01" + u128(permission.allowance)
    names = u32(len(permission.method_names)) + b"".join(string(n) for n in permission.method_names)
    return u64(key.nonce) + u8(0) + allowance + string(permission.receiver_id) + names


def decode_access_key(data: bytes) -> AccessKey:
    nonce = struct.unpack_from("<Q", data, 0)[0]
    if data[8] == 1:
        return AccessKey(nonce, FullAccess())
    offset = 9
    allowance = None
    if data[offset] == 1:
        allowance = int.from_bytes(data[offset + 1 : offset + 17], "little")
        offset += 17
    else:
        offset += 1

    def read_string(at: int) -> tuple[str, int]:
        length = struct.unpack_from("<I", data, at)[0]
        return data[at + 4 : at + 4 + length].decode("utf-8"), at + 4 + length

    receiver_id, offset = read_string(offset)
    count = struct.unpack_from("<I", data, offset)[0]
    offset += 4
    names = []
    for _ in range(count):
        name, offset = read_string(offset)
        names.append(name)
    return AccessKey(nonce, FunctionCallPermission(allowance, receiver_id, tuple(names)))


def access_key_storage_usage(public_key: bytes, key: AccessKey, extra_bytes_record: int) -> int:
    return len(public_key) + len(access_key(key)) + extra_bytes_record


@dataclass(frozen=True)
class AccountRecord:
    """nearcore's account (V1 layout): balances in yocto, code hash, storage in bytes."""

    amount: int
    locked: int
    code_hash: bytes  # 32 zero bytes when no contract
    storage_usage: int

    def encode(self) -> bytes:
        return u128(self.amount) + u128(self.locked) + self.code_hash + u64(self.storage_usage)

    @classmethod
    def decode(cls, data: bytes) -> "AccountRecord":
        return cls(
            int.from_bytes(data[0:16], "little"),
            int.from_bytes(data[16:32], "little"),
            bytes(data[32:64]),
            struct.unpack_from("<Q", data, 64)[0],
        )


NO_CODE_HASH = bytes(32)


def action(value) -> bytes:
    if isinstance(value, CreateAccount):
        return u8(0)
    if isinstance(value, DeployContract):
        return u8(1) + byte_vec(value.code)
    if isinstance(value, FunctionCall):
        return u8(2) + string(value.method_name) + byte_vec(value.args) + u64(value.gas) + u128(value.deposit)
    if isinstance(value, Transfer):
        return u8(3) + u128(value.deposit)
    if isinstance(value, Stake):
        return u8(4) + u128(value.stake) + value.public_key
    if isinstance(value, AddKey):
        return u8(5) + value.public_key + access_key(value.access_key)
    if isinstance(value, DeleteKey):
        return u8(6) + value.public_key
    if isinstance(value, DeleteAccount):
        return u8(7) + string(value.beneficiary_id)
    if isinstance(value, SignedDelegate):
        return u8(8) + delegate_action(value.delegate_action) + value.signature
    raise TypeError(f"cannot encode action {type(value).__name__}")


def delegate_action(value: DelegateAction) -> bytes:
    return (
        string(value.sender_id)
        + string(value.receiver_id)
        + u32(len(value.actions))
        + b"".join(action(a) for a in value.actions)
        + u64(value.nonce)
        + u64(value.max_block_height)
        + value.public_key
    )


def delegate_action_hash(value: DelegateAction) -> bytes:
    return hashlib.sha256(u32(DELEGATE_ACTION_PREFIX) + delegate_action(value)).digest()


def transaction(tx: Transaction) -> bytes:
    body = (
        string(tx.signer_id)
        + tx.public_key
        + u64(tx.nonce)
        + string(tx.receiver_id)
        + tx.block_hash
        + u32(len(tx.actions))
        + b"".join(action(a) for a in tx.actions)
    )
    if tx.priority_fee is None:
        return body
    return u8(1) + body + u64(tx.priority_fee)


def transaction_hash(tx: Transaction) -> bytes:
    return hashlib.sha256(transaction(tx)).digest()
