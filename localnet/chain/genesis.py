"""Genesis: the state and the block a new chain starts from (nearcore's genesis records and genesis block).

One account, the root, holds the whole supply and one full-access key; it
is also the chain's only validator.
"""
from __future__ import annotations

import hashlib

from ..primitives import AccessKey, FullAccess, is_valid_account_id
from . import config
from .blocks import Block, header_outcome_root, next_bp_hash, sealed
from .merkle import ZERO_HASH
from .state import NO_CODE_HASH, AccountRecord, StateStore, access_key_storage_usage


def genesis_state(root_account_id: str, root_public_key: bytes, root_balance: int) -> StateStore:
    """The state at genesis: the root account with its key (no validator stake: `locked` is 0)."""
    if not is_valid_account_id(root_account_id):
        raise ValueError(f"invalid root account id {root_account_id!r}")
    store = StateStore()
    update = store.update()
    root_key = AccessKey(0, FullAccess())
    storage_usage = config.STORAGE_NUM_BYTES_ACCOUNT + access_key_storage_usage(
        root_public_key, root_key, config.STORAGE_NUM_EXTRA_BYTES_RECORD
    )
    update.set_account(root_account_id, AccountRecord(root_balance, 0, NO_CODE_HASH, storage_usage))
    update.set_access_key(root_account_id, root_public_key, root_key)
    update.commit_into(store)
    store.take_block_journal()
    return store


def genesis_block(chain_id: str, timestamp_ns: int, total_supply: int, producers_hash: bytes) -> Block:
    """Block 0; `producers_hash` is the next block producers' hash (blocks.next_bp_hash)."""
    return sealed(Block(
        height=0,
        hash=b"",
        prev_hash=ZERO_HASH,
        timestamp=timestamp_ns,
        random_value=hashlib.sha256(b"genesis" + chain_id.encode()).digest(),
        total_supply=total_supply,
        outcome_root=header_outcome_root(ZERO_HASH),
        next_bp_hash=producers_hash,
    ))


def producers_hash(root_account_id: str, root_public_key: bytes, stake: int) -> bytes:
    """The hash of an epoch's block producers: the root account alone, with its key and stake."""
    return next_bp_hash([(root_account_id, root_public_key, stake)])
