"""State in `home/chain.sqlite` survives closing and reopening; snapshots rewind in memory."""
from __future__ import annotations

import pytest

from localnet.chain import Chain, ChainError
from localnet.primitives import NEAR, Transfer
from localnet.rpc import views

from .conftest import GENESIS_TIME_NS, ROOT_KEY, create_account, sign


def test_reopening_restores_state_keys_nonces_blocks_and_outcomes(tmp_path):
    with Chain(tmp_path, genesis_time_ns=GENESIS_TIME_NS, root_public_key=ROOT_KEY.public_key) as first:
        key = create_account(first, "alice.test.near", balance=5 * NEAR)
        outcome = first.submit_transaction(sign(first, key, "alice.test.near", "test.near", [Transfer(NEAR)]))
        first.fast_forward(10)
        seen = {
            "account": first.view_account("alice.test.near"),
            "key": first.view_access_key("alice.test.near", key.public_key_text),
            "head": views.block(first, "final"),
            "block": views.block(first, 2),
            "status": views.status(first)["sync_info"],
        }

    with Chain(tmp_path, genesis_time_ns=0, root_balance=1) as second:  # genesis arguments are ignored
        assert second.view_account("alice.test.near") == seen["account"]
        assert second.view_access_key("alice.test.near", key.public_key_text) == seen["key"]
        assert views.block(second, "final") == seen["head"]
        assert views.block(second, seen["block"]["header"]["hash"]) == seen["block"]
        assert views.status(second)["sync_info"] == seen["status"]
        # Ten blocks later the transaction is final.
        assert second.tx_status(outcome["transaction"]["hash"], "alice.test.near") == {**outcome, "final_execution_status": "FINAL"}

        # It carries on: the old nonce is used up, the next one works, heights continue.
        nonce = seen["key"]["nonce"]
        with pytest.raises(Exception):
            second.submit_transaction(sign(second, key, "alice.test.near", "test.near", [Transfer(1)], nonce=nonce))
        second.submit_transaction(sign(second, key, "alice.test.near", "test.near", [Transfer(1)], nonce=nonce + 1))
        assert second.height > seen["head"]["header"]["height"]
        height = second.height

    with Chain(tmp_path) as third:
        assert third.height == height


def test_generated_root_key_is_kept(tmp_path):
    with Chain(tmp_path) as first:
        secret, public = first.root_secret_key, first.root_public_key
        assert secret.startswith("ed25519:")
    with Chain(tmp_path) as second:
        assert (second.root_secret_key, second.root_public_key) == (secret, public)


def test_snapshot_and_restore_rewind_everything(chain):
    snap = chain.snapshot()
    create_account(chain, "alice.test.near")
    outcome = chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "alice.test.near", [Transfer(1)]))
    later = chain.snapshot()

    chain.restore(snap)
    assert chain.height == 0
    with pytest.raises(ChainError):
        chain.view_account("alice.test.near")
    with pytest.raises(ChainError):
        chain.tx_status(outcome["transaction"]["hash"], "test.near")
    assert chain.view_access_key("test.near", ROOT_KEY.public_key_text)["nonce"] == 0

    chain.restore(later)
    assert chain.view_account("alice.test.near")["amount"] == str(10 * NEAR + 1)
    assert chain.tx_status(outcome["transaction"]["hash"], "test.near") == outcome

    # A snapshot can be restored again and again.
    chain.restore(snap)
    create_account(chain, "bob.test.near")
    chain.restore(snap)
    with pytest.raises(ChainError):
        chain.view_account("bob.test.near")


def test_restore_is_persisted(tmp_path):
    with Chain(tmp_path, genesis_time_ns=GENESIS_TIME_NS, root_public_key=ROOT_KEY.public_key) as c:
        snap = c.snapshot()
        create_account(c, "alice.test.near")
        c.restore(snap)
    with Chain(tmp_path) as reopened:
        assert reopened.height == 0
        with pytest.raises(ChainError):
            reopened.view_account("alice.test.near")


def test_executed_receipts_survive_reopening_and_restore(tmp_path):
    with Chain(tmp_path, genesis_time_ns=GENESIS_TIME_NS, root_public_key=ROOT_KEY.public_key) as first:
        key = create_account(first, "alice.test.near", balance=5 * NEAR)
        outcome = first.submit_transaction(sign(first, key, "alice.test.near", "test.near", [Transfer(NEAR)]))
        tx_hash = outcome["transaction"]["hash"]
        receipts = first.tx_receipts(tx_hash)
        assert receipts[0]["receipt"]["Action"]["actions"] == [{"Transfer": {"deposit": str(NEAR)}}]
        assert receipts[0]["predecessor_id"] == "alice.test.near"

    with Chain(tmp_path) as second:
        assert second.tx_receipts(tx_hash) == receipts
        snap = second.snapshot()
        later = second.submit_transaction(sign(second, key, "alice.test.near", "test.near", [Transfer(1)]))
        assert second.tx_receipts(later["transaction"]["hash"])
        second.restore(snap)
        assert second.tx_receipts(tx_hash) == receipts
        with pytest.raises(ChainError):
            second.tx_receipts(later["transaction"]["hash"])
