"""The RPC's views of the chain: what nearcore's view client answers, read from a `Chain`.

Each function reads the chain's blocks, records and journals (under the
chain's lock) and shapes nearcore's RPC answer: `StatusResponse`'s chain part,
`BlockView`, `ChunkView`, `EpochValidatorInfo`, the protocol and genesis
configs, the gas price, `ReceiptView`, state changes and the light-client
views.  The chain keeps no RPC shapes of its own beyond the records it stores
(transaction outcomes and receipts, as nearcore's views); chain failures are
`ChainError`s, which `methods.RpcMethods` turns into NEAR's error envelope.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from ..chain import config, light_client
from ..chain import errors as chain_errors
from ..chain.blocks import block_view, chunk_header_view, epoch_id
from ..chain.errors import ChainError
from ..chain.keys import b58, public_key_text
from ..chain.merkle import ZERO_HASH
from ..chain.views import STATE_CHANGE_KINDS, split_state_key, state_change_view
from . import protocol

CHANGE_KIND_OF_TYPE = {"account_changes": "account", "all_access_key_changes": "access_key",
                       "single_access_key_changes": "access_key", "contract_code_changes": "contract_code",
                       "data_changes": "data"}
TOUCHED_ORDER = ["account_touched", "access_key_touched", "data_touched", "contract_code_touched"]


def rfc3339(timestamp_ns: int) -> str:
    """Like chrono's AutoSi: as many fractional digits (0/3/6/9) as the value needs."""
    seconds, nanos = divmod(timestamp_ns, 1_000_000_000)
    text = datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if nanos == 0:
        return text + "Z"
    if nanos % 1_000_000 == 0:
        return f"{text}.{nanos // 1_000_000:03d}Z"
    if nanos % 1_000 == 0:
        return f"{text}.{nanos // 1_000:06d}Z"
    return f"{text}.{nanos:09d}Z"


# ---------------------------------------------------------------- node and blocks


def status(chain) -> dict:
    """What the chain knows of itself for RPC `status`: its id, protocol, validators and head.

    The node's own part (version, RPC address, node key, uptime) is `RpcMethods.status`'s.
    """
    with chain.lock:
        head, genesis = chain.head, chain.genesis_block
        epoch_start = head.height - head.height % config.EPOCH_LENGTH
        return {
            "chain_id": chain.chain_id,
            "protocol_version": config.PROTOCOL_VERSION,
            "latest_protocol_version": config.PROTOCOL_VERSION,
            "validators": [{"account_id": chain.root_account_id}],
            "sync_info": {
                "latest_block_hash": head.hash_text,
                "latest_block_height": head.height,
                "latest_state_root": b58(head.state_root),
                "latest_block_time": rfc3339(head.timestamp),
                "syncing": False,
                "earliest_block_hash": genesis.hash_text,
                "earliest_block_height": genesis.height,
                "earliest_block_time": rfc3339(genesis.timestamp),
                "epoch_id": epoch_id(head.epoch_height),
                "epoch_start_height": epoch_start,
            },
            "validator_account_id": chain.root_account_id,
            "validator_public_key": public_key_text(chain.root_public_key),
            "genesis_hash": genesis.hash_text,
        }


def block(chain, reference: Any = "final") -> dict:
    """nearcore's BlockView of the referenced block."""
    with chain.lock:
        found = chain.find_block(reference)
        prev = chain.block_at(found.height - 1) if found.height > 0 else None
        final = chain.block_at(max(0, found.height - config.FINALITY_LAG["final"]))
        near_final = chain.block_at(max(0, found.height - config.FINALITY_LAG["near-final"]))
        return block_view(found, prev, chain.root_account_id, final.hash, near_final.hash)


def gas_price(chain) -> dict:
    return {"gas_price": str(config.GAS_PRICE)}


# ---------------------------------------------------------------- configuration, validators


def protocol_config(chain, reference: Any = "final") -> dict:
    with chain.lock:
        chain.find_block(reference)
        return protocol.protocol_config_view(chain.chain_id, rfc3339(chain.genesis_block.timestamp))


def genesis_config(chain) -> dict:
    with chain.lock:
        validator = {
            "account_id": chain.root_account_id,
            "public_key": public_key_text(chain.root_public_key),
            "amount": str(chain.validator_stake()),
        }
        genesis = chain.genesis_block
        return protocol.genesis_config_view(chain.chain_id, rfc3339(genesis.timestamp), genesis.total_supply, validator)


def validators(chain, reference: Any = "final") -> dict:
    """nearcore's EpochValidatorInfo for the epoch of the referenced block: the root account alone."""
    with chain.lock:
        found = chain.find_block(reference)
        epoch_start = found.height - found.height % config.EPOCH_LENGTH
        produced = found.height - max(epoch_start, 1) + 1 if found.height > 0 else 0
        stake = str(chain.validator_stake())
        public_key = public_key_text(chain.root_public_key)
        return {
            "current_validators": [{
                "account_id": chain.root_account_id,
                "public_key": public_key,
                "is_slashed": False,
                "stake": stake,
                "shards": [0],
                "num_produced_blocks": produced,
                "num_expected_blocks": produced,
                "num_produced_chunks": produced,
                "num_expected_chunks": produced,
                "num_produced_chunks_per_shard": [produced],
                "num_expected_chunks_per_shard": [produced],
                "num_produced_endorsements": 0,
                "num_expected_endorsements": 0,
                "num_produced_endorsements_per_shard": [0],
                "num_expected_endorsements_per_shard": [0],
                "shards_endorsed": [],
            }],
            "next_validators": [{"account_id": chain.root_account_id, "public_key": public_key,
                                 "stake": stake, "shards": [0]}],
            "current_fishermen": [],
            "next_fishermen": [],
            "current_proposals": [],
            "prev_epoch_kickout": [],
            "epoch_start_height": epoch_start,
            "epoch_height": found.epoch_height,
        }


def epoch_start_block(chain, epoch: str) -> int:
    """The first height of the epoch with this id (`validators` by `epoch_id`)."""
    with chain.lock:
        for index in range(chain.head.epoch_height + 1):
            if epoch_id(index) == epoch:
                return index * config.EPOCH_LENGTH
        raise ChainError("UNKNOWN_EPOCH", {}, f"Epoch {epoch} is unknown")


# ---------------------------------------------------------------- chunks, receipts


def chunk(chain, chunk_id: Optional[str] = None, block_reference: Any = None, shard_id: Any = 0) -> dict:
    """The block's one chunk, by chunk hash or by block and shard (nearcore's ChunkView)."""
    with chain.lock:
        if chunk_id is not None:
            found = chain.block_of_chunk(chunk_id)
        else:
            found = chain.find_block(block_reference)
            if shard_id != 0:
                raise chain_errors.invalid_shard_id(shard_id)
        prev_root = chain.block_at(found.height - 1).chunk_outcome_root if found.height > 0 else ZERO_HASH
        return {
            "author": chain.root_account_id,
            "header": chunk_header_view(found, prev_root),
            "transactions": chain.block_transactions(found),
            "receipts": chain.block_receipts(found),
        }


def receipt(chain, receipt_id: str) -> dict:
    """EXPERIMENTAL_receipt: an action receipt this node executed, as nearcore's ReceiptView."""
    with chain.lock:
        view = chain.receipt_view(receipt_id)
        if view is None:
            raise chain_errors.unknown_receipt(receipt_id)
        return view


# ---------------------------------------------------------------- light client


def _next_bps_view(chain) -> list[dict]:
    return [{"validator_stake_struct_version": "V1", "account_id": chain.root_account_id,
             "public_key": public_key_text(chain.root_public_key), "stake": str(chain.validator_stake())}]


def next_light_client_block(chain, last_block_hash: str) -> Optional[dict]:
    """next_light_client_block: the LightClientBlockView a client knowing this block moves to, or None."""
    with chain.lock:
        height = chain.height_of(last_block_hash)
        if height is None:
            raise chain_errors.light_client_block_unknown()
        return light_client.next_light_client_block(chain.blocks, chain.block_at(height), _next_bps_view(chain))


def light_client_proof(chain, outcome_id: str, light_client_head: str) -> dict:
    """EXPERIMENTAL_light_client_proof for a transaction's or receipt's outcome, against a final head."""
    with chain.lock:
        outcome = chain.outcome_view(outcome_id)
        if outcome is None:
            raise chain_errors.unknown_transaction_or_receipt(outcome_id)
        blocks = chain.blocks
        executed_at = chain.block_at(chain.height_of(outcome["block_hash"]))
        committing, outcome_proof, root_path = light_client.outcome_proof(blocks, outcome, executed_at)
        head_height = chain.height_of(light_client_head)
        if head_height is None:
            raise chain_errors.light_client_proof_unknown_block(light_client_head)
        proof = light_client.block_proof(blocks, chain.final_height(), committing, chain.block_at(head_height))
        return {"outcome_proof": outcome_proof, "outcome_root_proof": root_path, **proof}


# ---------------------------------------------------------------- state changes


def changes_in_block(chain, reference: Any) -> dict:
    """block_effects / EXPERIMENTAL_changes_in_block: which accounts' records the block touched."""
    with chain.lock:
        found, journal = chain.block_journal(reference)
        touched: dict[tuple[str, str], None] = {}
        for key, _value, _cause in journal.writes:
            kind, account_id, _ = split_state_key(key)
            touched[(STATE_CHANGE_KINDS[kind][0] + "_touched", account_id)] = None
        ordered = sorted(touched, key=lambda item: (TOUCHED_ORDER.index(item[0]), item[1]))
        return {"block_hash": found.hash_text,
                "changes": [{"type": kind, "account_id": account_id} for kind, account_id in ordered]}


def changes(chain, reference: Any, changes_type: str, account_ids: list[str],
            keys: Optional[list[tuple[str, bytes]]] = None, key_prefix: bytes = b"") -> dict:
    """changes / EXPERIMENTAL_changes: every write of one kind the block made, with its cause."""
    with chain.lock:
        found, journal = chain.block_journal(reference)
        accounts = set(account_ids)
        wanted_keys = set(keys or [])
        grouped: dict[bytes, list] = {}
        for key, value, cause in journal.writes:
            kind, account_id, rest = split_state_key(key)
            if STATE_CHANGE_KINDS[kind][0] != CHANGE_KIND_OF_TYPE[changes_type]:
                continue
            if changes_type == "single_access_key_changes":
                if (account_id, rest) not in wanted_keys:
                    continue
            elif account_id not in accounts or (kind == b"d" and not rest.startswith(key_prefix)):
                continue
            grouped.setdefault(key, []).append(state_change_view(kind, account_id, rest, value, cause))
        return {"block_hash": found.hash_text,
                "changes": [change for key in sorted(grouped) for change in grouped[key]]}
