"""Borsh, NEAR's canonical binary format: the one codec of the chain and the RPC layer.

Borsh is little-endian fixed-width integers, `u32` length prefixes for
strings and vectors, a `u8` tag for enum variants and for `Option`
(0 = None, 1 = Some).  What uses it:

* The RPC layer decodes a `SignedTransaction` from base64 of these bytes.
  Its hash (the transaction id) is sha256 of the Borsh bytes of the unsigned
  transaction, so decoding keeps those exact bytes, not a re-encoding of them.
* `Chain.execute` builds unsigned transactions and names them by the same
  sha256-of-Borsh hash a signed one has (`sign_transaction`).
* A DelegateAction is signed over sha256 of a NEP-461 prefix + its Borsh
  bytes (`delegate_action_hash`).
* The chain stores access keys in their Borsh form, and a key's storage cost
  is the length of that form (nearcore charges
  `len(borsh(public_key)) + len(borsh(access_key)) + 40` bytes per key).

Decoding is strict in the ways nearcore's is: every byte must be consumed,
tags must be known, strings must be UTF-8 and account ids valid.  Any
problem raises `BorshError` (a `ValueError`) with a readable message; no
other exception escapes `decode_*` for any input.  Encoding refuses values
that have no Borsh form (integers out of range, malformed keys) the same way.

This module sits below the chain and the RPC layer: it imports only
`localnet.primitives` and the standard library.
"""
from __future__ import annotations

import hashlib
import struct
from typing import Callable, Optional, TypeVar

from .primitives import (
    ED25519,
    SECP256K1,
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
    SignedTransaction,
    Stake,
    Transaction,
    Transfer,
    is_valid_account_id,
)

T = TypeVar("T")

# Length of the key material after the key-type byte, per key type.
PUBLIC_KEY_LENGTHS = {ED25519: 32, SECP256K1: 64}
SIGNATURE_LENGTHS = {ED25519: 64, SECP256K1: 65}

# NEP-461: signed messages that are not transactions carry a u32 prefix of
# 2^30 + NEP number so that they can never be replayed as a transaction.
DELEGATE_ACTION_PREFIX = 2**30 + 366

ACTION_TAGS = {
    CreateAccount: 0,
    DeployContract: 1,
    FunctionCall: 2,
    Transfer: 3,
    Stake: 4,
    AddKey: 5,
    DeleteKey: 6,
    DeleteAccount: 7,
    SignedDelegate: 8,
}
DEPLOY_GLOBAL_CONTRACT_TAG = 9
USE_GLOBAL_CONTRACT_TAG = 10


class BorshError(ValueError):
    """The bytes are not a valid Borsh encoding of the expected type."""


class UnsupportedActionError(BorshError):
    """A well-formed action that localnet does not execute."""


# --------------------------------------------------------------------------
# Reading


class BorshReader:
    def __init__(self, data: bytes):
        self._data = memoryview(bytes(data))
        self.offset = 0

    def remaining(self) -> int:
        return len(self._data) - self.offset

    def peek(self, length: int) -> bytes:
        return bytes(self._data[self.offset : self.offset + length])

    def fixed(self, length: int) -> bytes:
        if length > self.remaining():
            raise BorshError(
                f"unexpected end of input: needed {length} bytes at offset "
                f"{self.offset}, {self.remaining()} left"
            )
        start = self.offset
        self.offset += length
        return bytes(self._data[start : self.offset])

    def u8(self) -> int:
        return self.fixed(1)[0]

    def u32(self) -> int:
        return struct.unpack("<I", self.fixed(4))[0]

    def u64(self) -> int:
        return struct.unpack("<Q", self.fixed(8))[0]

    def u128(self) -> int:
        return int.from_bytes(self.fixed(16), "little")

    def bytes_vec(self) -> bytes:
        return self.fixed(self.u32())

    def string(self) -> str:
        raw = self.bytes_vec()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise BorshError(f"invalid UTF-8 in string: {err.reason} at byte {err.start}") from None

    def account_id(self) -> str:
        account_id = self.string()
        if not is_valid_account_id(account_id):
            raise BorshError(f"invalid account id {account_id!r}")
        return account_id

    def option(self, read: Callable[[], T]) -> Optional[T]:
        tag = self.u8()
        if tag == 0:
            return None
        if tag == 1:
            return read()
        raise BorshError(f"invalid Option tag {tag}")

    def vec(self, read: Callable[[], T]) -> list[T]:
        count = self.u32()
        # Each element takes at least one byte, so a count larger than the
        # input left is malformed; checking first avoids a huge loop.
        if count > self.remaining():
            raise BorshError(f"vector of {count} elements cannot fit in {self.remaining()} bytes")
        return [read() for _ in range(count)]

    def finish(self) -> None:
        if self.remaining():
            raise BorshError(f"{self.remaining()} unexpected trailing bytes after offset {self.offset}")


def read_public_key(reader: BorshReader) -> bytes:
    key_type = reader.u8()
    if key_type not in PUBLIC_KEY_LENGTHS:
        raise BorshError(f"unknown public key type {key_type}")
    return bytes([key_type]) + reader.fixed(PUBLIC_KEY_LENGTHS[key_type])


def read_signature(reader: BorshReader) -> bytes:
    key_type = reader.u8()
    if key_type not in SIGNATURE_LENGTHS:
        raise BorshError(f"unknown signature type {key_type}")
    return bytes([key_type]) + reader.fixed(SIGNATURE_LENGTHS[key_type])


def read_access_key(reader: BorshReader) -> AccessKey:
    nonce = reader.u64()
    tag = reader.u8()
    if tag == 0:
        allowance = reader.option(reader.u128)
        receiver_id = reader.account_id()
        method_names = tuple(reader.vec(reader.string))
        permission = FunctionCallPermission(allowance, receiver_id, method_names)
    elif tag == 1:
        permission = FullAccess()
    else:
        raise BorshError(f"unknown access key permission tag {tag}")
    return AccessKey(nonce, permission)


def read_delegate_action(reader: BorshReader) -> DelegateAction:
    sender_id = reader.account_id()
    receiver_id = reader.account_id()
    actions = tuple(reader.vec(lambda: read_action(reader, inside_delegate=True)))
    nonce = reader.u64()
    max_block_height = reader.u64()
    public_key = read_public_key(reader)
    return DelegateAction(sender_id, receiver_id, actions, nonce, max_block_height, public_key)


def read_action(reader: BorshReader, inside_delegate: bool = False):
    tag = reader.u8()
    if tag == 0:
        return CreateAccount()
    if tag == 1:
        return DeployContract(reader.bytes_vec())
    if tag == 2:
        method_name = reader.string()
        args = reader.bytes_vec()
        gas = reader.u64()
        deposit = reader.u128()
        return FunctionCall(method_name, args, gas, deposit)
    if tag == 3:
        return Transfer(reader.u128())
    if tag == 4:
        stake = reader.u128()
        return Stake(stake, read_public_key(reader))
    if tag == 5:
        public_key = read_public_key(reader)
        return AddKey(public_key, read_access_key(reader))
    if tag == 6:
        return DeleteKey(read_public_key(reader))
    if tag == 7:
        return DeleteAccount(reader.account_id())
    if tag == 8:
        if inside_delegate:
            # nearcore's NonDelegateAction refuses this at decoding time.
            raise BorshError("a delegate action cannot contain another delegate action")
        delegate_action = read_delegate_action(reader)
        return SignedDelegate(delegate_action, read_signature(reader))
    if tag == DEPLOY_GLOBAL_CONTRACT_TAG:
        raise UnsupportedActionError("DeployGlobalContract actions are not supported by localnet")
    if tag == USE_GLOBAL_CONTRACT_TAG:
        raise UnsupportedActionError("UseGlobalContract actions are not supported by localnet")
    raise BorshError(f"unknown action tag {tag}")


def read_transaction(reader: BorshReader) -> Transaction:
    # A V0 transaction starts with the u32 length of the signer id, at most
    # 64, so its second byte is always 0.  V1 starts with the version byte 1
    # followed by that length (non-zero), which is how nearcore tells them apart.
    head = reader.peek(2)
    is_v1 = len(head) == 2 and head[0] == 1 and head[1] != 0
    if is_v1:
        reader.u8()
    signer_id = reader.account_id()
    public_key = read_public_key(reader)
    nonce = reader.u64()
    receiver_id = reader.account_id()
    block_hash = reader.fixed(32)
    actions = tuple(reader.vec(lambda: read_action(reader)))
    priority_fee = reader.u64() if is_v1 else None
    return Transaction(signer_id, public_key, nonce, receiver_id, block_hash, actions, priority_fee)


def _decode(data: bytes, read: Callable[[BorshReader], T]) -> T:
    reader = BorshReader(data)
    try:
        value = read(reader)
        reader.finish()
    except BorshError:
        raise
    except (ValueError, TypeError, OverflowError, RecursionError, struct.error) as err:
        # Defensive: a reader bug must still surface as a decoding failure.
        raise BorshError(f"malformed input: {err}") from None
    return value


def decode_transaction(data: bytes) -> Transaction:
    return _decode(data, read_transaction)


def decode_signed_transaction(data: bytes) -> SignedTransaction:
    data = bytes(data)

    def read(reader: BorshReader) -> SignedTransaction:
        transaction = read_transaction(reader)
        transaction_bytes = data[: reader.offset]
        signature = read_signature(reader)
        return SignedTransaction(
            transaction=transaction,
            signature=signature,
            hash=hashlib.sha256(transaction_bytes).digest(),
            size=len(data),
        )

    return _decode(data, read)


def decode_action(data: bytes):
    return _decode(data, read_action)


def decode_delegate_action(data: bytes) -> DelegateAction:
    return _decode(data, read_delegate_action)


def decode_access_key(data: bytes) -> AccessKey:
    return _decode(data, read_access_key)


def decode_public_key(data: bytes) -> bytes:
    return _decode(data, read_public_key)


# --------------------------------------------------------------------------
# Writing


class BorshWriter:
    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def output(self) -> bytes:
        return b"".join(self._parts)

    def fixed(self, data: bytes) -> None:
        self._parts.append(bytes(data))

    def _uint(self, value: int, width: int, name: str) -> None:
        if not isinstance(value, int) or not 0 <= value < 2 ** (8 * width):
            raise BorshError(f"{name} out of range: {value!r}")
        self._parts.append(value.to_bytes(width, "little"))

    def u8(self, value: int) -> None:
        self._uint(value, 1, "u8")

    def u32(self, value: int) -> None:
        self._uint(value, 4, "u32")

    def u64(self, value: int) -> None:
        self._uint(value, 8, "u64")

    def u128(self, value: int) -> None:
        self._uint(value, 16, "u128")

    def bytes_vec(self, data: bytes) -> None:
        self.u32(len(data))
        self.fixed(data)

    def string(self, value: str) -> None:
        self.bytes_vec(value.encode("utf-8"))

    def option(self, value, write: Callable[[object], None]) -> None:
        if value is None:
            self.u8(0)
        else:
            self.u8(1)
            write(value)

    def vec(self, values, write: Callable[[object], None]) -> None:
        values = list(values)
        self.u32(len(values))
        for value in values:
            write(value)


def _write_key_bytes(writer: BorshWriter, key: bytes, lengths: dict[int, int], what: str) -> None:
    key = bytes(key)
    if not key or key[0] not in lengths or len(key) != 1 + lengths[key[0]]:
        raise BorshError(f"{what} must be a key-type byte followed by the key, got {len(key)} bytes")
    writer.fixed(key)


def write_public_key(writer: BorshWriter, public_key: bytes) -> None:
    _write_key_bytes(writer, public_key, PUBLIC_KEY_LENGTHS, "public key")


def write_signature(writer: BorshWriter, signature: bytes) -> None:
    _write_key_bytes(writer, signature, SIGNATURE_LENGTHS, "signature")


def write_access_key(writer: BorshWriter, access_key: AccessKey) -> None:
    writer.u64(access_key.nonce)
    permission = access_key.permission
    if isinstance(permission, FunctionCallPermission):
        writer.u8(0)
        writer.option(permission.allowance, writer.u128)
        writer.string(permission.receiver_id)
        writer.vec(permission.method_names, writer.string)
    elif isinstance(permission, FullAccess):
        writer.u8(1)
    else:
        raise BorshError(f"unknown access key permission {permission!r}")


def write_delegate_action(writer: BorshWriter, delegate_action: DelegateAction) -> None:
    writer.string(delegate_action.sender_id)
    writer.string(delegate_action.receiver_id)
    writer.vec(delegate_action.actions, lambda action: write_action(writer, action))
    writer.u64(delegate_action.nonce)
    writer.u64(delegate_action.max_block_height)
    write_public_key(writer, delegate_action.public_key)


def write_action(writer: BorshWriter, action) -> None:
    tag = ACTION_TAGS.get(type(action))
    if tag is None:
        raise BorshError(f"not an action: {action!r}")
    writer.u8(tag)
    if isinstance(action, CreateAccount):
        pass
    elif isinstance(action, DeployContract):
        writer.bytes_vec(action.code)
    elif isinstance(action, FunctionCall):
        writer.string(action.method_name)
        writer.bytes_vec(action.args)
        writer.u64(action.gas)
        writer.u128(action.deposit)
    elif isinstance(action, Transfer):
        writer.u128(action.deposit)
    elif isinstance(action, Stake):
        writer.u128(action.stake)
        write_public_key(writer, action.public_key)
    elif isinstance(action, AddKey):
        write_public_key(writer, action.public_key)
        write_access_key(writer, action.access_key)
    elif isinstance(action, DeleteKey):
        write_public_key(writer, action.public_key)
    elif isinstance(action, DeleteAccount):
        writer.string(action.beneficiary_id)
    elif isinstance(action, SignedDelegate):
        write_delegate_action(writer, action.delegate_action)
        write_signature(writer, action.signature)


def write_transaction(writer: BorshWriter, transaction: Transaction) -> None:
    priority_fee = getattr(transaction, "priority_fee", None)
    if priority_fee is not None:
        writer.u8(1)
    writer.string(transaction.signer_id)
    write_public_key(writer, transaction.public_key)
    writer.u64(transaction.nonce)
    writer.string(transaction.receiver_id)
    if len(transaction.block_hash) != 32:
        raise BorshError("block hash must be 32 bytes")
    writer.fixed(transaction.block_hash)
    writer.vec(transaction.actions, lambda action: write_action(writer, action))
    if priority_fee is not None:
        writer.u64(priority_fee)


def _encode(value, write: Callable[[BorshWriter, object], None]) -> bytes:
    writer = BorshWriter()
    write(writer, value)
    return writer.output()


def encode_transaction(transaction: Transaction) -> bytes:
    return _encode(transaction, write_transaction)


def encode_signed_transaction(signed: SignedTransaction) -> bytes:
    """Borsh bytes of a signed transaction (its `hash` and `size` are derived, not encoded)."""
    return encode_transaction(signed.transaction) + _encode(signed.signature, write_signature)


def encode_action(action) -> bytes:
    return _encode(action, write_action)


def encode_delegate_action(delegate_action: DelegateAction) -> bytes:
    return _encode(delegate_action, write_delegate_action)


def encode_access_key(access_key: AccessKey) -> bytes:
    return _encode(access_key, write_access_key)


def encode_public_key(public_key: bytes) -> bytes:
    return _encode(public_key, write_public_key)


def transaction_hash(transaction: Transaction) -> bytes:
    """The transaction id: sha256 of its Borsh bytes; the signature signs this hash."""
    return hashlib.sha256(encode_transaction(transaction)).digest()


def delegate_action_hash(delegate_action: DelegateAction) -> bytes:
    """The NEP-461 hash a SignedDelegate's signature signs."""
    prefix = DELEGATE_ACTION_PREFIX.to_bytes(4, "little")
    return hashlib.sha256(prefix + encode_delegate_action(delegate_action)).digest()


def sign_transaction(transaction: Transaction, sign: Callable[[bytes], bytes]) -> SignedTransaction:
    """Sign with `sign(message) -> signature bytes incl. type byte` (e.g. ed25519 over the hash)."""
    body = encode_transaction(transaction)
    tx_hash = hashlib.sha256(body).digest()
    signature = bytes(sign(tx_hash))
    return SignedTransaction(
        transaction=transaction, signature=signature, hash=tx_hash, size=len(body) + len(signature)
    )
