"""Blocks and time: heights, timestamps, hashes, fast-forward, the status and block views."""
from __future__ import annotations

import time

import pytest

from localnet.chain import Chain, ChainError
from localnet.primitives import Transfer
from localnet.rpc import views

from .conftest import GENESIS_TIME_NS, ROOT_KEY, sign

SECOND = 1_000_000_000


def test_genesis_is_block_zero_at_the_genesis_time(chain):
    genesis = views.block(chain, 0)
    assert genesis["header"]["height"] == 0
    assert genesis["header"]["timestamp"] == GENESIS_TIME_NS
    assert genesis["header"]["timestamp_nanosec"] == str(GENESIS_TIME_NS)
    assert views.block(chain, "final") == genesis


def test_each_step_is_a_new_block_one_second_later(chain):
    chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(1)]))
    head = views.block(chain, {"finality": "optimistic"})["header"]
    assert head["height"] == 1
    assert head["timestamp"] == GENESIS_TIME_NS + SECOND
    assert head["prev_hash"] == views.block(chain, 0)["header"]["hash"]
    assert head["gas_price"] == "100000000"


def test_fast_forward_moves_height_and_time(chain):
    chain.fast_forward(3600)
    head = views.block(chain, "optimistic")["header"]
    assert head["height"] == 3600
    assert head["timestamp"] == GENESIS_TIME_NS + 3600 * SECOND
    # Every forwarded block exists and links to its parent.
    middle = views.block(chain, 1800)["header"]
    assert views.block(chain, middle["hash"])["header"]["height"] == 1800
    assert views.block(chain, 1801)["header"]["prev_hash"] == middle["hash"]


def test_blocks_by_height_or_hash_and_unknown_blocks(chain):
    chain.fast_forward(2)
    by_height = views.block(chain, 2)
    assert views.block(chain, by_height["header"]["hash"]) == by_height
    assert views.block(chain, {"block_id": 2}) == by_height
    # As in nearcore, only numbers are heights: a digit string is a (here unknown) hash,
    # and the all-'1' string is the zero hash, not a height.
    for unknown in (3, "2", "11111111111111111111111111111111"):
        with pytest.raises(ChainError) as excinfo:
            views.block(chain, unknown)
        assert excinfo.value.cause_name == "UNKNOWN_BLOCK"


def test_block_hashes_are_deterministic():
    def history():
        with Chain(genesis_time_ns=GENESIS_TIME_NS, root_public_key=ROOT_KEY.public_key) as c:
            c.submit_transaction(sign(c, ROOT_KEY, "test.near", "test.near", [Transfer(7)]))
            c.fast_forward(3)
            return [views.block(c, h)["header"]["hash"] for h in range(c.height + 1)]

    first = history()
    assert first == history()
    assert len(set(first)) == len(first)


def test_block_view_has_a_chunk_and_an_author(chain):
    chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(1)]))
    block = views.block(chain, "optimistic")
    assert block["author"] == "test.near"
    [chunk] = block["chunks"]
    assert chunk["height_included"] == block["header"]["height"]
    assert chunk["gas_used"] == 2 * 223_182_562_500  # conversion and the local receipt, same block


def test_status_reports_the_head(chain):
    chain.fast_forward(5)
    status = views.status(chain)
    sync = status["sync_info"]
    assert sync["latest_block_height"] == 5
    assert sync["latest_block_hash"] == views.block(chain, 5)["header"]["hash"]
    assert sync["latest_block_time"] == "2023-11-14T22:13:25Z"
    assert sync["syncing"] is False
    assert status["chain_id"] == "localnet"
    assert status["validator_account_id"] == "test.near"
    assert status["protocol_version"] == 78


def test_rfc3339_uses_as_many_fraction_digits_as_needed():
    assert views.rfc3339(0) == "1970-01-01T00:00:00Z"
    assert views.rfc3339(1_500_000_000) == "1970-01-01T00:00:01.500Z"
    assert views.rfc3339(1_000_001_000) == "1970-01-01T00:00:01.000001Z"
    assert views.rfc3339(1_000_000_001) == "1970-01-01T00:00:01.000000001Z"


def test_without_a_genesis_time_the_chain_follows_the_wall_clock():
    with Chain() as c:
        assert abs(c.block_timestamp - time.time_ns()) < 5 * SECOND
        c.fast_forward(3600)
        # The forwarded hour stays: later blocks keep running an hour ahead of the clock.
        c.execute(c.root_account_id, c.root_account_id, [Transfer(1)])
        ahead = c.block_timestamp - time.time_ns()
        assert 3595 * SECOND < ahead < 3605 * SECOND
