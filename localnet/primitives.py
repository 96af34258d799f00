"""NEAR primitives shared by the engine, the chain and the RPC layer.

Actions are plain dataclasses whose fields mirror nearcore's `Action` enum, so
that a Borsh-decoded transaction and a contract's `promise_batch_action_*`
calls produce the same values.  Amounts are Python ints in yocto (u128),
gas in gas units (u64), public keys in NEAR's Borsh form (key-type byte
followed by the key: 33 bytes for ed25519, 65 for secp256k1).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

TERA = 10**12
NEAR = 10**24

ED25519 = 0
SECP256K1 = 1


@dataclass(frozen=True)
class FullAccess:
    pass


@dataclass(frozen=True)
class FunctionCallPermission:
    allowance: Optional[int]
    receiver_id: str
    method_names: tuple[str, ...] = ()


AccessKeyPermission = Union[FullAccess, FunctionCallPermission]


@dataclass(frozen=True)
class AccessKey:
    nonce: int
    permission: AccessKeyPermission


@dataclass(frozen=True)
class CreateAccount:
    pass


@dataclass(frozen=True)
class DeployContract:
    code: bytes


@dataclass(frozen=True)
class FunctionCall:
    method_name: str
    args: bytes
    gas: int
    deposit: int
    # near-sdk attaches 0 static gas with weight 1; the engine adds a share of
    # the caller's unused gas to every call with weight > 0 after it succeeds.
    gas_weight: int = 0


@dataclass(frozen=True)
class Transfer:
    deposit: int


@dataclass(frozen=True)
class Stake:
    stake: int
    public_key: bytes


@dataclass(frozen=True)
class AddKey:
    public_key: bytes
    access_key: AccessKey


@dataclass(frozen=True)
class DeleteKey:
    public_key: bytes


@dataclass(frozen=True)
class DeleteAccount:
    beneficiary_id: str


@dataclass(frozen=True)
class DelegateAction:
    sender_id: str
    receiver_id: str
    actions: tuple["Action", ...]
    nonce: int
    max_block_height: int
    public_key: bytes


@dataclass(frozen=True)
class SignedDelegate:
    delegate_action: DelegateAction
    signature: bytes  # key-type byte + 64 bytes


Action = Union[
    CreateAccount,
    DeployContract,
    FunctionCall,
    Transfer,
    Stake,
    AddKey,
    DeleteKey,
    DeleteAccount,
    SignedDelegate,
]


@dataclass(frozen=True)
class PromiseResult:
    """One input of a callback, in dependency order (`promise_result(i)`)."""

    successful: bool
    data: bytes = b""


@dataclass
class OutgoingReceipt:
    """A receipt a contract created with `promise_*`; the chain gives it an id.

    `depends_on` holds indices into `VMOutcome.receipts` whose results this
    receipt waits for (from `promise_then`, with `promise_and` already
    flattened into its members, in order).
    """

    receiver_id: str
    actions: list = field(default_factory=list)
    depends_on: list = field(default_factory=list)


@dataclass(frozen=True)
class ReturnValue:
    data: bytes


@dataclass(frozen=True)
class ReturnPromise:
    """`promise_return(i)`: the caller's waiters get receipt i's result."""

    receipt_index: int


ReturnData = Union[None, ReturnValue, ReturnPromise]


def is_valid_account_id(account_id: str) -> bool:
    """NEAR account id rules: 2-64 chars of [a-z0-9-_.], separators not doubled or at the ends."""
    if not isinstance(account_id, str) or not 2 <= len(account_id) <= 64:
        return False
    previous_was_separator = True
    for ch in account_id:
        if ch in "-_.":
            if previous_was_separator:
                return False
            previous_was_separator = True
        elif "0" <= ch <= "9" or "a" <= ch <= "z":
            previous_was_separator = False
        else:
            return False
    return not previous_was_separator


def is_implicit_account_id(account_id: str) -> bool:
    return len(account_id) == 64 and all(c in "0123456789abcdef" for c in account_id)


@dataclass(frozen=True)
class Transaction:
    """An unsigned transaction, field for field as nearcore's `Transaction` (V0 and V1).

    `priority_fee` is None for a V0 transaction and the V1 `u64` otherwise.
    """

    signer_id: str
    public_key: bytes  # Borsh public key: key-type byte + key bytes
    nonce: int
    receiver_id: str
    block_hash: bytes  # 32 bytes
    actions: tuple
    priority_fee: Optional[int] = None


@dataclass(frozen=True)
class SignedTransaction:
    """A transaction with its signature, as decoded from Borsh.

    `hash` is sha256 of the Borsh bytes of `transaction` exactly as received
    (the transaction id); the signature is ed25519 (or secp256k1) over it.
    `signature` is in Borsh form: key-type byte + 64 (or 65) bytes.
    `size` is the length of the whole signed transaction in bytes.
    """

    transaction: Transaction
    signature: bytes
    hash: bytes
    size: int
