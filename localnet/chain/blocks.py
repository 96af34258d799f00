"""Blocks: what each step of the chain records, its hash, and its RPC view.

Localnet has one shard and one validator; a block's last final block is
two blocks back and its doomslug-final block its parent, as on a
one-validator nearcore.  A block's hash is sha256 over its height, parent,
timestamp, random value and the roots of the transactions it included and
the receipts it executed, so equal histories give equal hashes.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from . import config
from .keys import b58

ZERO_HASH = bytes(32)
EMPTY_ROOT = hashlib.sha256(b"").digest()
PLACEHOLDER_SIGNATURE = "ed25519:" + b58(bytes(64))


def merkle_like_root(items: tuple[bytes, ...]) -> bytes:
    """A commitment to an ordered list of hashes (not nearcore's Merkle tree; nothing verifies proofs here)."""
    return hashlib.sha256(b"".join(items)).digest() if items else ZERO_HASH


@dataclass(frozen=True)
class Block:
    height: int
    hash: bytes
    prev_hash: bytes
    timestamp: int  # ns
    random_value: bytes
    tx_hashes: tuple[bytes, ...] = ()
    receipt_ids: tuple[bytes, ...] = ()
    gas_burnt: int = 0
    tokens_burnt: int = 0
    total_supply: int = 0

    @property
    def hash_text(self) -> str:
        return b58(self.hash)

    @property
    def epoch_height(self) -> int:
        return self.height // config.EPOCH_LENGTH

    @property
    def state_root(self) -> bytes:
        return hashlib.sha256(b"state" + self.hash).digest()


def compute_block_hash(
    height: int,
    prev_hash: bytes,
    timestamp: int,
    random_value: bytes,
    tx_hashes: tuple[bytes, ...],
    receipt_ids: tuple[bytes, ...],
) -> bytes:
    header = (
        struct.pack("<Q", height)
        + prev_hash
        + struct.pack("<Q", timestamp)
        + random_value
        + merkle_like_root(tx_hashes)
        + merkle_like_root(receipt_ids)
    )
    return hashlib.sha256(header).digest()


def next_random_value(prev: Block) -> bytes:
    return hashlib.sha256(b"random" + prev.random_value + prev.hash).digest()


def make_block(prev: Block | None, height: int, timestamp: int, tx_hashes=(), receipt_ids=(), *,
               gas_burnt: int = 0, tokens_burnt: int = 0, total_supply: int = 0) -> Block:
    prev_hash = prev.hash if prev else ZERO_HASH
    random_value = next_random_value(prev) if prev else hashlib.sha256(b"genesis random").digest()
    tx_hashes, receipt_ids = tuple(tx_hashes), tuple(receipt_ids)
    return Block(
        height=height,
        hash=compute_block_hash(height, prev_hash, timestamp, random_value, tx_hashes, receipt_ids),
        prev_hash=prev_hash,
        timestamp=timestamp,
        random_value=random_value,
        tx_hashes=tx_hashes,
        receipt_ids=receipt_ids,
        gas_burnt=gas_burnt,
        tokens_burnt=tokens_burnt,
        total_supply=total_supply,
    )


def epoch_id(epoch_index: int) -> str:
    # nearcore names the genesis epochs with the all-zero hash.
    if epoch_index <= 0:
        return b58(ZERO_HASH)
    return b58(hashlib.sha256(b"epoch" + struct.pack("<Q", epoch_index)).digest())


def chunk_hash(block: Block) -> bytes:
    """The hash of the block's one chunk."""
    return hashlib.sha256(b"chunk" + block.hash).digest()


def chunk_header_view(block: Block, gas_limit: int = config.CHUNK_GAS_LIMIT) -> dict:
    """nearcore's ChunkHeaderView of the block's one chunk."""
    tx_root = b58(merkle_like_root(block.tx_hashes))
    return {
        "chunk_hash": b58(chunk_hash(block)),
        "prev_block_hash": b58(block.prev_hash),
        "outcome_root": b58(merkle_like_root(block.receipt_ids)),
        "prev_state_root": b58(hashlib.sha256(b"state" + block.prev_hash).digest()),
        "encoded_merkle_root": b58(hashlib.sha256(b"encoded" + block.hash).digest()),
        "encoded_length": 8,
        "height_created": block.height,
        "height_included": block.height,
        "shard_id": 0,
        "gas_used": block.gas_burnt,
        "gas_limit": gas_limit,
        "rent_paid": "0",
        "validator_reward": "0",
        "balance_burnt": str(block.tokens_burnt),
        "outgoing_receipts_root": b58(EMPTY_ROOT),
        "tx_root": tx_root,
        "validator_proposals": [],
        "signature": PLACEHOLDER_SIGNATURE,
    }


def block_view(block: Block, prev_height: int | None, author: str, last_final_hash: bytes,
               last_ds_final_hash: bytes) -> dict:
    """The RPC `block` result (nearcore's BlockView)."""
    epoch_index = block.epoch_height
    tx_root = b58(merkle_like_root(block.tx_hashes))
    outcome_root = b58(merkle_like_root(block.receipt_ids))
    prev_state_root = b58(hashlib.sha256(b"state" + block.prev_hash).digest())
    header = {
        "height": block.height,
        "prev_height": prev_height,
        "epoch_id": epoch_id(epoch_index),
        "next_epoch_id": epoch_id(epoch_index + 1),
        "hash": block.hash_text,
        "prev_hash": b58(block.prev_hash),
        "prev_state_root": prev_state_root,
        "block_body_hash": b58(hashlib.sha256(b"body" + block.hash).digest()),
        "chunk_receipts_root": b58(EMPTY_ROOT),
        "chunk_headers_root": b58(hashlib.sha256(b"chunks" + block.hash).digest()),
        "chunk_tx_root": tx_root,
        "outcome_root": outcome_root,
        "chunks_included": 1,
        "challenges_root": b58(ZERO_HASH),
        "timestamp": block.timestamp,
        "timestamp_nanosec": str(block.timestamp),
        "random_value": b58(block.random_value),
        "validator_proposals": [],
        "chunk_mask": [True],
        "gas_price": str(config.GAS_PRICE),
        "block_ordinal": block.height + 1,
        "rent_paid": "0",
        "validator_reward": "0",
        "total_supply": str(block.total_supply),
        "challenges_result": [],
        "last_final_block": b58(last_final_hash if block.height > 0 else ZERO_HASH),
        "last_ds_final_block": b58(last_ds_final_hash if block.height > 0 else ZERO_HASH),
        "next_bp_hash": b58(hashlib.sha256(b"bp" + author.encode()).digest()),
        "block_merkle_root": b58(hashlib.sha256(b"merkle" + block.prev_hash).digest()),
        "epoch_sync_data_hash": None,
        "approvals": [PLACEHOLDER_SIGNATURE] if block.height > 0 else [],
        "signature": PLACEHOLDER_SIGNATURE,
        "latest_protocol_version": config.PROTOCOL_VERSION,
    }
    return {"author": author, "header": header, "chunks": [chunk_header_view(block)]}
