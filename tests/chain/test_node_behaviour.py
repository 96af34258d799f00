"""What a client of a real node can tell: finality, statuses, historical state, state changes, the block clock."""
from __future__ import annotations

import time

import pytest

from localnet.chain import Chain, ChainError, InvalidTransaction
from localnet.chain.producer import BlockProducer
from localnet.primitives import NEAR, Transfer
from localnet.rpc import views

from .conftest import GENESIS_TIME_NS, ROOT_KEY, create_account, sign


def test_final_trails_the_head_by_two_blocks_and_near_final_by_one(chain):
    chain.fast_forward(5)
    heights = {f: views.block(chain, f)["header"]["height"] for f in ("optimistic", "near-final", "final")}
    assert heights == {"optimistic": 5, "near-final": 4, "final": 3}
    header = views.block(chain, 5)["header"]
    assert header["last_final_block"] == views.block(chain, 3)["header"]["hash"]
    assert header["last_ds_final_block"] == views.block(chain, 4)["header"]["hash"]


def test_a_transaction_goes_from_none_to_final_as_blocks_follow(chain):
    signed = sign(chain, ROOT_KEY, "test.near", "bob.test.near", [Transfer(NEAR)])
    tx_hash = chain.add_transaction(signed)
    assert chain.transaction_status(tx_hash) == "NONE"
    assert chain.wait_for_transaction(tx_hash, "NONE") == {"final_execution_status": "NONE"}
    chain.produce_block()  # converts it: included, its receipt not run yet
    assert chain.transaction_status(tx_hash) == "INCLUDED"
    assert chain.wait_for_transaction(tx_hash, "INCLUDED") == {"final_execution_status": "INCLUDED"}
    chain.produce_block()  # the receipt (a failed transfer to a missing account), then the refund
    chain.produce_block()
    answer = chain.wait_for_transaction(tx_hash, "EXECUTED_OPTIMISTIC")
    # Executed, and the block that included it (height 1) is final at head 3; the refund's is not.
    assert answer["final_execution_status"] == "EXECUTED"
    assert "Failure" in answer["status"]
    final = chain.wait_for_transaction(tx_hash, "FINAL", produce=True)
    assert final["final_execution_status"] == "FINAL"
    assert chain.final_height() >= max(
        views.block(chain, o["block_hash"])["header"]["height"] for o in final["receipts_outcome"])


def test_several_transactions_share_blocks(chain):
    alice, bob = (create_account(chain, f"{n}.test.near") for n in ("alice", "bob"))
    first = chain.add_transaction(sign(chain, alice, "alice.test.near", "test.near", [Transfer(1)]))
    second = chain.add_transaction(sign(chain, bob, "bob.test.near", "test.near", [Transfer(2)]))
    block = chain.produce_block()
    assert set(block.tx_hashes) == {first, second}
    for tx_hash in (first, second):
        assert chain.wait_for_transaction(tx_hash, produce=True)["status"] == {"SuccessValue": ""}


def test_a_transaction_refused_when_its_block_comes_is_reported(chain):
    key = create_account(chain, "alice.test.near")
    nonce = chain.view_access_key("alice.test.near", key.public_key_text)["nonce"] + 1
    first = chain.add_transaction(sign(chain, key, "alice.test.near", "test.near", [Transfer(1)], nonce=nonce))
    # Same nonce, other content: valid on its own, refused once the first took the nonce.
    second = chain.add_transaction(sign(chain, key, "alice.test.near", "test.near", [Transfer(2)], nonce=nonce))
    chain.produce_block()
    with pytest.raises(InvalidTransaction) as excinfo:
        chain.wait_for_transaction(second)
    assert "InvalidNonce" in excinfo.value.invalid_tx_error
    assert chain.wait_for_transaction(first, produce=True)["status"] == {"SuccessValue": ""}


def test_views_read_the_state_of_the_block_they_name(chain):
    create_account(chain, "alice.test.near", balance=5 * NEAR)
    before = chain.view_account("alice.test.near")
    result = chain.execute("test.near", "alice.test.near", [Transfer(NEAR)])
    assert result.succeeded
    now = chain.view_account("alice.test.near")
    assert int(now["amount"]) == int(before["amount"]) + NEAR
    then = chain.view_account("alice.test.near", before["block_height"])
    assert then == before  # the old balance, under the old block's height and hash
    by_hash = chain.view_account("alice.test.near", before["block_hash"])
    assert by_hash == before
    # Before the account existed.
    with pytest.raises(ChainError) as excinfo:
        chain.view_account("alice.test.near", 0)
    assert excinfo.value.cause_name == "UNKNOWN_ACCOUNT" and excinfo.value.info["block_height"] == 0


def test_state_older_than_the_kept_history_is_garbage_collected():
    with Chain(genesis_time_ns=GENESIS_TIME_NS, root_public_key=ROOT_KEY.public_key, history_blocks=5) as chain:
        chain.fast_forward(10)
        assert chain.view_account("test.near", 5)["block_height"] == 5
        with pytest.raises(ChainError) as excinfo:
            chain.view_account("test.near", 4)
        assert excinfo.value.cause_name == "GARBAGE_COLLECTED_BLOCK"
        assert excinfo.value.info == {"block_height": 4, "block_hash": views.block(chain, 4)["header"]["hash"]}
        assert views.block(chain, "earliest_available")["header"]["height"] == 5


def test_state_changes_of_a_block_name_their_cause(chain):
    create_account(chain, "alice.test.near", balance=5 * NEAR)
    result = chain.execute("test.near", "alice.test.near", [Transfer(NEAR)])
    receipt = result.receipts[0]
    block = views.block(chain, receipt["block_hash"])["header"]
    changes = views.changes(chain, block["height"], "account_changes", ["alice.test.near"])
    assert changes["block_hash"] == block["hash"]
    [change] = changes["changes"]
    assert change["type"] == "account_update"
    assert change["cause"] == {"type": "receipt_processing", "receipt_hash": receipt["id"]}
    assert change["change"]["amount"] == chain.view_account("alice.test.near")["amount"]
    effects = views.changes_in_block(chain, block["height"])["changes"]
    assert {"type": "account_touched", "account_id": "alice.test.near"} in effects
    # The conversion block: the signer's account and key (nonce) changed under the transaction.
    conversion = views.block(chain, result.outcome_dict()["transaction_outcome"]["block_hash"])["header"]["height"]
    keys = views.changes(chain, conversion, "all_access_key_changes", ["test.near"])["changes"]
    assert keys[0]["cause"] == {"type": "transaction_processing", "tx_hash": result.transaction_hash}


def test_chunks_and_receipts_can_be_fetched(chain):
    create_account(chain, "alice.test.near")
    result = chain.execute("test.near", "alice.test.near", [Transfer(NEAR)])
    tx_block = views.block(chain, result.outcome_dict()["transaction_outcome"]["block_hash"])
    by_hash = views.chunk(chain, chunk_id=tx_block["chunks"][0]["chunk_hash"])
    assert by_hash == views.chunk(chain, block_reference=tx_block["header"]["height"], shard_id=0)
    assert [t["hash"] for t in by_hash["transactions"]] == [result.transaction_hash]
    receipt_id = result.receipts[0]["id"]
    assert views.receipt(chain, receipt_id)["receipt_id"] == receipt_id
    receipt_block = views.block(chain, result.receipts[0]["block_hash"])
    assert receipt_id in [r["receipt_id"] for r in views.chunk(chain, chunk_id=receipt_block["chunks"][0]["chunk_hash"])["receipts"]]
    for call, cause in ((lambda: views.receipt(chain, "11111111111111111111111111111111"), "UNKNOWN_RECEIPT"),
                        (lambda: views.chunk(chain, chunk_id="11111111111111111111111111111111"), "UNKNOWN_CHUNK"),
                        (lambda: views.chunk(chain, block_reference=0, shard_id=1), "INVALID_SHARD_ID")):
        with pytest.raises(ChainError) as excinfo:
            call()
        assert excinfo.value.cause_name == cause


def test_the_producer_keeps_the_clock_with_the_wall_while_idle():
    with Chain(root_public_key=ROOT_KEY.public_key) as chain:
        producer = BlockProducer(chain, block_time=0.05, min_block_time=0.0).start()
        try:
            start = chain.height
            deadline = time.monotonic() + 10
            while chain.height < start + 5 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert chain.height >= start + 5
            assert abs(chain.block_timestamp - time.time_ns()) < 2 * 10**9
            # A transaction submitted to a running node executes on the producer's blocks.
            tx_hash = chain.add_transaction(sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(1)]))
            answer = chain.wait_for_transaction(tx_hash, "FINAL")
            assert answer["final_execution_status"] == "FINAL" and answer["status"] == {"SuccessValue": ""}
        finally:
            producer.stop()


def test_blocks_keep_coming_quickly_until_what_a_block_did_is_final():
    """With a long idle block time, a busy block still turns final at the quick rate: clients that poll
    `finality: final` (and not `wait_until`) see their transaction there without waiting for idle blocks."""
    with Chain(root_public_key=ROOT_KEY.public_key) as chain:
        producer = BlockProducer(chain, block_time=600.0, min_block_time=0.0).start()
        try:
            tx_hash = chain.add_transaction(sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(1)]))
            executed = chain.wait_for_transaction(tx_hash, "EXECUTED_OPTIMISTIC", timeout=60)
            busy_height = views.block(chain, executed["receipts_outcome"][-1]["block_hash"])["header"]["height"]
            deadline = time.monotonic() + 60  # an idle block would take 600 s
            while chain.final_height() < busy_height:
                assert time.monotonic() < deadline, "the busy block did not become final at the quick rate"
                time.sleep(0.01)
            assert not chain.has_work  # and then the node is idle again
        finally:
            producer.stop()


def test_going_back_to_a_snapshot_leaves_no_finality_work_behind(chain):
    snap = chain.snapshot()
    chain.execute("test.near", "test.near", [Transfer(1)])
    chain.restore(snap)
    assert not chain.has_work
