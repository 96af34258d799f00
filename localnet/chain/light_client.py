"""Light-client blocks and execution proofs, as nearcore makes them.

`next_light_client_block` follows nearcore's view client
(chain/client/src/view_client_actor.rs, `Handler<GetNextLightClientBlock>`):
while the client's last block is in the head's epoch or the one before, it
gets the head's last final block if that is newer; otherwise the block that
closed the epoch after its last block's.  The block itself is
`Chain::create_light_client_block` and `create_light_client_block_view`
(chain/chain/src/chain.rs, chain/chain/src/lightclient.rs): the final block's
lite header, the inner hash of the block after it and the approvals of the
one after that.

RPC `light_client_proof` (chain/jsonrpc/src/lib.rs
`light_client_execution_outcome_proof`) is `outcome_proof` then
`block_proof`: the outcome with its path to its chunk's outcome root,
restated as of the next block (whose header commits to that root), the path
from the chunk root to the header's outcome root (`Handler<GetExecutionOutcome>`),
then that block's lite header and its path in the light-client head's block
Merkle tree (`Handler<GetBlockProof>`, chain.rs `get_block_proof`).  Both
blocks must be final.

`blocks` is the chain's block list, indexed by height.
"""
from __future__ import annotations

from typing import Optional

from . import config, errors
from .blocks import PLACEHOLDER_SIGNATURE, Block, epoch_id, inner_hash, inner_rest_bytes
from .keys import b58
from .merkle import merklize, path_view, root_and_path, sha256


def last_final(blocks: list[Block], block: Block) -> Block:
    return blocks[max(0, block.height - config.FINALITY_LAG["final"])]


def inner_lite_view(block: Block) -> dict:
    """nearcore's BlockHeaderInnerLiteView."""
    return {
        "height": block.height,
        "epoch_id": epoch_id(block.epoch_height),
        "next_epoch_id": epoch_id(block.epoch_height + 1),
        "prev_state_root": b58(block.prev_state_root),
        "outcome_root": b58(block.outcome_root),
        "timestamp": block.timestamp,
        "timestamp_nanosec": str(block.timestamp),
        "next_bp_hash": b58(block.next_bp_hash),
        "block_merkle_root": b58(block.block_merkle_root),
    }


def block_lite_view(block: Block) -> dict:
    """nearcore's LightClientBlockLiteView: enough for a client to recompute the block's hash."""
    return {
        "prev_block_hash": b58(block.prev_hash),
        "inner_rest_hash": b58(sha256(inner_rest_bytes(block))),
        "inner_lite": inner_lite_view(block),
    }


def _block_at(blocks: list[Block], height: int) -> Block:
    if height >= len(blocks):
        raise errors.light_client_block_unknown()
    return blocks[height]


def light_client_block_view(blocks: list[Block], head: Block, next_bps: list[dict]) -> dict:
    """nearcore's LightClientBlockView for the last final block as of `head`."""
    final = last_final(blocks, head)
    two_ahead = _block_at(blocks, final.height + 2)
    if two_ahead.epoch_height != final.epoch_height:
        one_ahead = _block_at(blocks, final.height + 1)
        final = last_final(blocks, one_ahead if one_ahead.epoch_height != final.epoch_height else two_ahead)
    next_block = _block_at(blocks, final.height + 1)
    after_next = _block_at(blocks, final.height + 2)
    return {
        "prev_block_hash": b58(final.prev_hash),
        "next_block_inner_hash": b58(inner_hash(next_block)),
        "inner_lite": inner_lite_view(final),
        "inner_rest_hash": b58(sha256(inner_rest_bytes(final))),
        "next_bps": next_bps,
        # Approvals are this node's placeholders: a one-validator node signs nothing anyone checks.
        "approvals_after_next": [PLACEHOLDER_SIGNATURE] if after_next.height > 0 else [],
    }


def next_light_client_block(blocks: list[Block], last_block: Block, next_bps: list[dict]) -> Optional[dict]:
    """The block a light client that knows `last_block` should move to; None when it is up to date."""
    head = blocks[-1]
    if head.epoch_height in (last_block.epoch_height, last_block.epoch_height + 1):
        view = light_client_block_view(blocks, head, next_bps)
        return view if view["inner_lite"]["height"] > last_block.height else None
    # The block that closed the epoch after the client's: kept by nearcore per epoch once it ended.
    closing_height = (last_block.epoch_height + 2) * config.EPOCH_LENGTH - 1
    if closing_height > head.height:
        return None
    return light_client_block_view(blocks, blocks[closing_height], next_bps)


def outcome_proof(blocks: list[Block], outcome: dict, executed_at: Block) -> tuple[Block, dict, list]:
    """nearcore's GetExecutionOutcome: the block committing to the outcome, the outcome as of it, the chunk-root path.

    The next block with a chunk (every block has one here) carries the outcome's
    chunk root; NOT_CONFIRMED until it exists.
    """
    if executed_at.height + 1 >= len(blocks):
        raise errors.not_confirmed(outcome["id"])
    committing = blocks[executed_at.height + 1]
    root_path = merklize([executed_at.chunk_outcome_root])[1][0]
    return committing, dict(outcome, block_hash=committing.hash_text), path_view(root_path)


def block_proof(blocks: list[Block], final_height: int, block: Block, head: Block) -> dict:
    """nearcore's GetBlockProof: `block`'s lite header and its path in `head`'s block Merkle tree.

    Both blocks must be final; the tree of a head covers every block before it.
    """
    for known in (block, head):
        if known.height > final_height:
            raise errors.light_client_internal(f"Other Error: {known.hash_text} not on current chain")
    if block.height >= head.height:
        if block.hash != head.hash:
            raise errors.light_client_internal(
                f"Other Error: block {block.hash_text} is ahead of head block {head.hash_text}")
        path = []
    else:
        path = root_and_path([b.hash for b in blocks[:head.height]], block.height)[1]
    return {"block_header_lite": block_lite_view(block), "block_proof": path_view(path)}
