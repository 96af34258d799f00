"""JSON views of chain objects, shaped as nearcore's RPC shows them.

u128 amounts are decimal strings, u64 gas and nonces are numbers, hashes
and keys base58 (keys prefixed with their type), binary payloads base64.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Optional

from ..primitives import (
    AccessKey,
    AddKey,
    CreateAccount,
    DeleteAccount,
    DeleteKey,
    DeployContract,
    FullAccess,
    FunctionCall,
    SignedDelegate,
    SignedTransaction,
    Stake,
    Transfer,
)
from ..borsh import BorshWriter
from ..engine.config import ACTION_COST_NAMES
from .keys import b58, public_key_text, signature_text
from .merkle import path_view


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def permission_view(permission) -> object:
    if isinstance(permission, FullAccess):
        return "FullAccess"
    return {
        "FunctionCall": {
            "allowance": None if permission.allowance is None else str(permission.allowance),
            "receiver_id": permission.receiver_id,
            "method_names": list(permission.method_names),
        }
    }


def access_key_view(key: AccessKey) -> dict:
    return {"nonce": key.nonce, "permission": permission_view(key.permission)}


def action_view(action) -> object:
    if isinstance(action, CreateAccount):
        return "CreateAccount"
    if isinstance(action, DeployContract):
        # nearcore shows the code's hash, not the code.
        return {"DeployContract": {"code": b64(hashlib.sha256(action.code).digest())}}
    if isinstance(action, FunctionCall):
        return {
            "FunctionCall": {
                "method_name": action.method_name,
                "args": b64(action.args),
                "gas": action.gas,
                "deposit": str(action.deposit),
            }
        }
    if isinstance(action, Transfer):
        return {"Transfer": {"deposit": str(action.deposit)}}
    if isinstance(action, Stake):
        return {"Stake": {"stake": str(action.stake), "public_key": public_key_text(action.public_key)}}
    if isinstance(action, AddKey):
        return {
            "AddKey": {
                "public_key": public_key_text(action.public_key),
                "access_key": access_key_view(action.access_key),
            }
        }
    if isinstance(action, DeleteKey):
        return {"DeleteKey": {"public_key": public_key_text(action.public_key)}}
    if isinstance(action, DeleteAccount):
        return {"DeleteAccount": {"beneficiary_id": action.beneficiary_id}}
    if isinstance(action, SignedDelegate):
        inner = action.delegate_action
        return {
            "Delegate": {
                "delegate_action": {
                    "sender_id": inner.sender_id,
                    "receiver_id": inner.receiver_id,
                    "actions": [action_view(a) for a in inner.actions],
                    "nonce": inner.nonce,
                    "max_block_height": inner.max_block_height,
                    "public_key": public_key_text(inner.public_key),
                },
                "signature": signature_text(action.signature),
            }
        }
    raise TypeError(f"no view for action {type(action).__name__}")


def transaction_view(signed: SignedTransaction) -> dict:
    tx = signed.transaction
    return {
        "signer_id": tx.signer_id,
        "public_key": public_key_text(tx.public_key),
        "nonce": tx.nonce,
        "receiver_id": tx.receiver_id,
        "actions": [action_view(a) for a in tx.actions],
        "priority_fee": tx.priority_fee or 0,
        "signature": signature_text(signed.signature),
        "hash": b58(signed.hash),
    }


def gas_profile_view(profile: dict[str, int]) -> list[dict]:
    """nearcore's gas_profile: non-zero costs sorted by category, then name."""
    entries = [
        {
            "cost_category": "ACTION_COST" if name in ACTION_COST_NAMES or name == "DELEGATE" else "WASM_HOST_COST",
            "cost": name,
            "gas_used": str(gas),
        }
        for name, gas in profile.items()
        if gas
    ]
    return sorted(entries, key=lambda entry: (entry["cost_category"], entry["cost"]))


@dataclass
class Outcome:
    """One execution outcome (a transaction's conversion or a receipt's execution)."""

    id: bytes
    executor_id: str
    status: tuple  # ("SuccessValue", bytes) | ("SuccessReceiptId", bytes) | ("Failure", dict)
    gas_burnt: int = 0
    tokens_burnt: int = 0
    logs: list[str] = field(default_factory=list)
    receipt_ids: list[bytes] = field(default_factory=list)
    gas_profile: Optional[dict[str, int]] = None  # None for a transaction's outcome
    block_hash: bytes = b""
    proof: list = field(default_factory=list)  # its Merkle path in its block's chunk outcome root

    def merkle_leaf_bytes(self) -> bytes:
        """nearcore's `to_hashes` in borsh: the id, the hash of the outcome without logs, each log's hash."""
        kind, payload = self.status
        writer = BorshWriter()
        writer.vec(self.receipt_ids, writer.fixed)
        writer.u64(self.gas_burnt)
        writer.u128(self.tokens_burnt)
        writer.string(self.executor_id)
        if kind == "SuccessValue":
            writer.u8(2)
            writer.bytes_vec(payload)
        elif kind == "SuccessReceiptId":
            writer.u8(3)
            writer.fixed(payload)
        else:
            writer.u8(1)  # Failure: the proof leaves the error out
        hashes = [self.id, hashlib.sha256(writer.output()).digest()]
        hashes += [hashlib.sha256(log.encode("utf-8")).digest() for log in self.logs]
        return len(hashes).to_bytes(4, "little") + b"".join(hashes)

    def status_view(self) -> dict:
        kind, payload = self.status
        if kind == "SuccessValue":
            return {"SuccessValue": b64(payload)}
        if kind == "SuccessReceiptId":
            return {"SuccessReceiptId": b58(payload)}
        return {"Failure": payload}

    def to_json(self) -> dict:
        metadata = (
            {"version": 1, "gas_profile": None}
            if self.gas_profile is None
            else {"version": 3, "gas_profile": gas_profile_view(self.gas_profile)}
        )
        return {
            "proof": path_view(self.proof),
            "block_hash": b58(self.block_hash),
            "id": b58(self.id),
            "outcome": {
                "logs": list(self.logs),
                "receipt_ids": [b58(r) for r in self.receipt_ids],
                "gas_burnt": self.gas_burnt,
                "tokens_burnt": str(self.tokens_burnt),
                "executor_id": self.executor_id,
                "status": self.status_view(),
                "metadata": metadata,
            },
        }


def action_receipt_view(receipt) -> dict:
    """An executed action receipt as nearcore's ReceiptView (EXPERIMENTAL_tx_status `receipts`)."""
    return {
        "predecessor_id": receipt.predecessor_id,
        "receiver_id": receipt.receiver_id,
        "receipt_id": b58(receipt.receipt_id),
        "receipt": {
            "Action": {
                "signer_id": receipt.signer_id,
                "signer_public_key": public_key_text(receipt.signer_public_key),
                "gas_price": str(receipt.gas_price),
                "output_data_receivers": [
                    {"data_id": b58(data_id), "receiver_id": receiver_id}
                    for data_id, receiver_id in receipt.output_data_receivers
                ],
                "input_data_ids": [b58(data_id) for data_id in receipt.input_data_ids],
                "actions": [action_view(a) for a in receipt.actions],
            }
        },
    }


# State record kinds (first byte of a state key, see state.py): nearcore's change-type stem
# and what an update's `change` carries.
STATE_CHANGE_KINDS = {
    b"a": ("account",),
    b"k": ("access_key",),
    b"c": ("contract_code",),
    b"d": ("data",),
}


def split_state_key(key: bytes) -> tuple[bytes, str, bytes]:
    """A state key's kind byte, account id and the rest (public key or data key)."""
    kind, body = key[:1], key[1:]
    if kind in (b"k", b"d"):
        account, _, rest = body.partition(b"\x00")
        return kind, account.decode(), rest
    return kind, body.decode(), b""


def state_change_view(kind: bytes, account_id: str, rest: bytes, value: Optional[bytes], cause: dict) -> dict:
    """One write as nearcore's StateChangeWithCauseView."""
    from ..borsh import decode_access_key
    from .state import AccountRecord

    stem = STATE_CHANGE_KINDS[kind][0]
    change: dict = {"account_id": account_id}
    if kind == b"k":
        change["public_key"] = public_key_text(rest)
    elif kind == b"d":
        change["key_base64"] = b64(rest)
    if value is None:
        return {"cause": cause, "type": f"{stem}_deletion", "change": change}
    if kind == b"a":
        account = AccountRecord.decode(value)
        change.update({"amount": str(account.amount), "locked": str(account.locked),
                       "code_hash": b58(account.code_hash), "storage_usage": account.storage_usage,
                       "storage_paid_at": 0})
    elif kind == b"k":
        change["access_key"] = access_key_view(decode_access_key(value))
    elif kind == b"c":
        change["code_base64"] = b64(value)
    else:
        change["value_base64"] = b64(value)
    return {"cause": cause, "type": f"{stem}_update", "change": change}
