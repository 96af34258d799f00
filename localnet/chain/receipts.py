"""Receipts and the block they run in (nearcore's core/primitives/src/receipt.rs and the runtime's ApplyState).

An `ActionReceipt` carries actions from its predecessor to its receiver; a
`DataReceipt` carries a receipt's result to a receipt waiting for it.  Ids
are sha256 derivations of the transaction or parent receipt and the block
(not nearcore's exact ones, see README).
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from typing import Optional

from ..primitives import ED25519, Transfer
from . import config

EMPTY_ED25519_KEY = bytes([ED25519]) + bytes(32)


@dataclass(frozen=True)
class BlockContext:
    """What a receipt sees of the block it executes in."""

    height: int
    timestamp: int  # ns
    prev_hash: bytes
    random_value: bytes
    epoch_height: int
    gas_price: int = config.GAS_PRICE


@dataclass
class ActionReceipt:
    receipt_id: bytes
    predecessor_id: str
    receiver_id: str
    signer_id: str
    signer_public_key: bytes
    gas_price: int
    actions: list
    output_data_receivers: list[tuple[bytes, str]] = field(default_factory=list)  # (data_id, receiver_id)
    input_data_ids: list[bytes] = field(default_factory=list)

    @property
    def is_refund(self) -> bool:
        return self.predecessor_id == config.SYSTEM_ACCOUNT_ID


@dataclass
class DataReceipt:
    """A receipt's result travelling to a receipt that waits for it; None = the receipt failed."""

    data_id: bytes
    predecessor_id: str
    receiver_id: str
    data: Optional[bytes]


def refund_receipt(receiver_id: str, amount: int, signer_public_key: bytes = EMPTY_ED25519_KEY) -> ActionReceipt:
    """A balance refund from `system`: costs no gas, burns its amount if the receiver is gone."""
    return ActionReceipt(
        receipt_id=b"",
        predecessor_id=config.SYSTEM_ACCOUNT_ID,
        receiver_id=receiver_id,
        signer_id=receiver_id if signer_public_key != EMPTY_ED25519_KEY else config.SYSTEM_ACCOUNT_ID,
        signer_public_key=signer_public_key,
        gas_price=0,
        actions=[Transfer(amount)],
    )


def transaction_receipt_id(tx_hash: bytes, ctx: BlockContext) -> bytes:
    return hashlib.sha256(b"tx-receipt" + tx_hash + ctx.prev_hash + struct.pack("<Q", ctx.height)).digest()


def child_receipt_id(parent_id: bytes, ctx: BlockContext, index: int) -> bytes:
    return hashlib.sha256(b"receipt" + parent_id + ctx.prev_hash + struct.pack("<QQ", ctx.height, index)).digest()
