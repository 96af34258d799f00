"""Blocks: what each step of the chain records, its hash, and its RPC view.

Localnet has one shard and one validator; a block's last final block is
two blocks back and its doomslug-final block its parent, as on a
one-validator nearcore.  A block's hash is nearcore's: sha256 over the hash
of its light-client header (`inner_lite`), the hash of the rest of its
header and its parent's hash (core/primitives/src/block_header.rs
`compute_hash`), so a light client can check it.  `inner_lite` holds what
nearcore puts there: height, epoch ids, state root, the outcome root (over
the outcomes of the previous block's chunk, core/primitives/src/block.rs
`compute_outcome_root`), timestamp, the next producers' hash and the root of
the block Merkle tree over every earlier block.  The rest of the header is
this node's own (see "What the node approximates" in the README).
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, replace

from ..borsh import BorshWriter
from . import config
from .keys import b58
from .merkle import ZERO_HASH, merklize, root_and_path, sha256

EMPTY_ROOT = hashlib.sha256(b"").digest()
PLACEHOLDER_SIGNATURE = "ed25519:" + b58(bytes(64))


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
    outcome_root: bytes = ZERO_HASH  # header: over the previous block's chunk outcome root
    chunk_outcome_root: bytes = ZERO_HASH  # over the outcomes this block's chunk executed
    block_merkle_root: bytes = ZERO_HASH  # over the hashes of every block before this one
    next_bp_hash: bytes = ZERO_HASH

    @property
    def hash_text(self) -> str:
        return b58(self.hash)

    @property
    def epoch_height(self) -> int:
        return self.height // config.EPOCH_LENGTH

    @property
    def state_root(self) -> bytes:
        return hashlib.sha256(b"state" + self.hash).digest()

    @property
    def prev_state_root(self) -> bytes:
        return hashlib.sha256(b"state" + self.prev_hash).digest()

    @property
    def tx_root(self) -> bytes:
        return root_and_path(list(self.tx_hashes))[0]


def inner_lite_bytes(block: Block) -> bytes:
    """nearcore's BlockHeaderInnerLite in borsh (the part a light client is sent)."""
    epoch_index = block.epoch_height
    return (struct.pack("<Q", block.height) + epoch_id_bytes(epoch_index) + epoch_id_bytes(epoch_index + 1)
            + block.prev_state_root + block.outcome_root + struct.pack("<Q", block.timestamp)
            + block.next_bp_hash + block.block_merkle_root)


def inner_rest_bytes(block: Block) -> bytes:
    """The rest of the header: what this node records of a block beyond `inner_lite` (borsh)."""
    return (block.tx_root + root_and_path(list(block.receipt_ids))[0] + block.random_value
            + struct.pack("<Q", block.gas_burnt) + block.tokens_burnt.to_bytes(16, "little")
            + block.total_supply.to_bytes(16, "little"))


def inner_hash(block: Block) -> bytes:
    """nearcore's `compute_inner_hash`: sha256(sha256(inner_lite) || sha256(inner_rest))."""
    return sha256(sha256(inner_lite_bytes(block)) + sha256(inner_rest_bytes(block)))


def sealed(block: Block) -> Block:
    """The block with its hash: sha256(inner hash || previous block's hash)."""
    return replace(block, hash=sha256(inner_hash(block) + block.prev_hash))


def header_outcome_root(prev_chunk_outcome_root: bytes) -> bytes:
    """The block's outcome root: merklize over its chunks' previous outcome roots (one chunk here)."""
    return merklize([prev_chunk_outcome_root])[0]


def next_bp_hash(validators: list[tuple[str, bytes, int]]) -> bytes:
    """nearcore's `compute_bp_hash`: sha256 of the borsh list of ValidatorStake (V1) of the next epoch."""
    writer = BorshWriter()
    writer.u32(len(validators))
    for account_id, public_key, stake in validators:
        writer.u8(0)  # ValidatorStake::V1
        writer.string(account_id)
        writer.fixed(public_key)
        writer.u128(stake)
    return sha256(writer.output())


def next_random_value(prev: Block) -> bytes:
    return hashlib.sha256(b"random" + prev.random_value + prev.hash).digest()


def epoch_id_bytes(epoch_index: int) -> bytes:
    # nearcore names the genesis epochs with the all-zero hash.
    if epoch_index <= 0:
        return ZERO_HASH
    return hashlib.sha256(b"epoch" + struct.pack("<Q", epoch_index)).digest()


def epoch_id(epoch_index: int) -> str:
    return b58(epoch_id_bytes(epoch_index))


def chunk_hash(block: Block) -> bytes:
    """The hash of the block's one chunk."""
    return hashlib.sha256(b"chunk" + block.hash).digest()


def chunk_header_view(block: Block, prev_chunk_outcome_root: bytes, gas_limit: int = config.CHUNK_GAS_LIMIT) -> dict:
    """nearcore's ChunkHeaderView of the block's one chunk; its outcome root covers the previous chunk's outcomes."""
    return {
        "chunk_hash": b58(chunk_hash(block)),
        "prev_block_hash": b58(block.prev_hash),
        "outcome_root": b58(prev_chunk_outcome_root),
        "prev_state_root": b58(block.prev_state_root),
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
        "tx_root": b58(block.tx_root),
        "validator_proposals": [],
        "signature": PLACEHOLDER_SIGNATURE,
    }


def block_view(block: Block, prev: Block | None, author: str, last_final_hash: bytes,
               last_ds_final_hash: bytes) -> dict:
    """The RPC `block` result (nearcore's BlockView)."""
    epoch_index = block.epoch_height
    header = {
        "height": block.height,
        "prev_height": prev.height if prev is not None else None,
        "epoch_id": epoch_id(epoch_index),
        "next_epoch_id": epoch_id(epoch_index + 1),
        "hash": block.hash_text,
        "prev_hash": b58(block.prev_hash),
        "prev_state_root": b58(block.prev_state_root),
        "block_body_hash": b58(hashlib.sha256(b"body" + block.hash).digest()),
        "chunk_receipts_root": b58(EMPTY_ROOT),
        "chunk_headers_root": b58(hashlib.sha256(b"chunks" + block.hash).digest()),
        "chunk_tx_root": b58(block.tx_root),
        "outcome_root": b58(block.outcome_root),
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
        "next_bp_hash": b58(block.next_bp_hash),
        "block_merkle_root": b58(block.block_merkle_root),
        "epoch_sync_data_hash": None,
        "approvals": [PLACEHOLDER_SIGNATURE] if block.height > 0 else [],
        "signature": PLACEHOLDER_SIGNATURE,
        "latest_protocol_version": config.PROTOCOL_VERSION,
    }
    prev_chunk_outcome_root = prev.chunk_outcome_root if prev is not None else ZERO_HASH
    return {"author": author, "header": header, "chunks": [chunk_header_view(block, prev_chunk_outcome_root)]}
