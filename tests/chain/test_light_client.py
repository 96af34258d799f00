"""Light-client data on the chain: nearcore's Merkle trees, outcome proofs, block proofs, their refusals.

Proofs are checked with tests/rpc/light_client_check.py (written from the
light-client spec, not from localnet's code).
"""
from __future__ import annotations

import base58
import pytest

from localnet.chain import Chain, ChainError
from localnet.chain.merkle import PartialMerkleTree, compute_root_from_path, merklize, root_and_path, sha256
from localnet.primitives import CreateAccount, Transfer
from localnet.rpc import views
from tests.chain.conftest import GENESIS_TIME_NS, ROOT_KEY, sign
from tests.rpc.light_client_check import check_execution_proof, lite_block_hash, outcome_leaf, root_from_path

NEAR = 10**24


@pytest.mark.parametrize("size", range(1, 34))
def test_the_block_tree_and_merklize_build_the_same_tree(size):
    leaves = [sha256(bytes([i])) for i in range(size)]
    tree = PartialMerkleTree()
    for leaf in leaves:
        tree.insert(leaf)
    root = root_and_path(leaves)[0]
    assert tree.root() == root
    for index, leaf in enumerate(leaves):
        assert compute_root_from_path(root_and_path(leaves, index)[1], leaf) == root


def test_merklize_hashes_its_items_and_one_item_is_its_own_root():
    assert merklize([b"x"]) == (sha256(b"x"), [[]])
    assert merklize([]) == (bytes(32), [])


@pytest.fixture
def chain(tmp_path):
    with Chain(tmp_path / "home", genesis_time_ns=GENESIS_TIME_NS, root_public_key=ROOT_KEY.public_key) as c:
        yield c


def proof_of(chain: Chain, outcome_id: str, head_height: int) -> dict:
    return views.light_client_proof(chain, outcome_id, views.block(chain, head_height)["header"]["hash"])


def test_every_outcome_of_a_busy_block_proves_against_a_later_final_head(chain):
    result = chain.execute("test.near", "alice.test.near", [CreateAccount(), Transfer(NEAR)])
    outcome = result.outcome_dict()
    for _ in range(4):
        chain.produce_block()
    head = views.block(chain, "final")["header"]
    for item in [outcome["transaction_outcome"], *outcome["receipts_outcome"]]:
        proof = views.light_client_proof(chain, item["id"], head["hash"])
        check_execution_proof(proof, head["block_merkle_root"])


def test_outcome_proofs_in_tx_answers_fold_to_the_chunk_outcome_root(chain):
    nonce = chain.view_access_key("test.near", ROOT_KEY.public_key_text)["nonce"]
    for offset in (1, 2, 3):  # three transactions (six outcomes) in one block: the paths are not empty
        chain.add_transaction(sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(offset)], nonce=nonce + offset))
    chain.produce_block()
    block = chain.head
    assert len(block.tx_hashes) == 3
    for tx_hash in block.tx_hashes:
        outcome = chain.tx_status(base58.b58encode(tx_hash).decode(), "")
        for item in [outcome["transaction_outcome"], *outcome["receipts_outcome"]]:
            assert item["proof"]
            assert root_from_path(item["proof"], outcome_leaf(item)) == block.chunk_outcome_root


def test_refusals_until_the_outcome_is_committed_and_final(chain):
    result = chain.execute("test.near", "test.near", [Transfer(1)])
    tx_hash = result.transaction_hash
    with pytest.raises(ChainError) as refused:
        proof_of(chain, tx_hash, chain.height)
    assert refused.value.cause_name == "NOT_CONFIRMED"

    chain.produce_block()  # commits to the outcome, but is not final
    with pytest.raises(ChainError) as refused:
        proof_of(chain, tx_hash, chain.height)
    assert refused.value.cause_name == "INTERNAL_ERROR"
    assert "not on current chain" in refused.value.data

    committing = chain.height
    for _ in range(3):
        chain.produce_block()
    with pytest.raises(ChainError) as refused:  # a final head before the committing block
        proof_of(chain, tx_hash, committing - 1)
    assert refused.value.cause_name == "INTERNAL_ERROR"
    assert "is ahead of head block" in refused.value.data
    at_itself = proof_of(chain, tx_hash, committing)
    assert at_itself["block_proof"] == []

    with pytest.raises(ChainError) as refused:
        views.light_client_proof(chain, tx_hash, "11111111111111111111111111111111")
    assert (refused.value.cause_name, refused.value.info) == ("UNKNOWN_BLOCK", {})


def test_proofs_and_light_client_blocks_survive_a_restart(tmp_path):
    home = tmp_path / "home"
    with Chain(home, genesis_time_ns=GENESIS_TIME_NS, root_public_key=ROOT_KEY.public_key) as chain:
        tx_hash = chain.execute("test.near", "bob.test.near", [CreateAccount(), Transfer(NEAR)]).transaction_hash
    with Chain(home) as chain:
        for _ in range(4):
            chain.produce_block()
        head = views.block(chain, "final")["header"]
        check_execution_proof(views.light_client_proof(chain, tx_hash, head["hash"]), head["block_merkle_root"])
        light_block = views.next_light_client_block(chain, views.block(chain, 0)["header"]["hash"])
        assert base58.b58encode(lite_block_hash(light_block)).decode() == \
            views.block(chain, light_block["inner_lite"]["height"])["header"]["hash"]


def test_a_client_behind_by_epochs_gets_the_block_that_closed_the_next_epoch(chain):
    chain.fast_forward(3 * 60 + 5)  # three epochs of 60 blocks and then some
    genesis = views.block(chain, 0)["header"]["hash"]
    light_block = views.next_light_client_block(chain, genesis)
    assert light_block["inner_lite"]["height"] == 2 * 60 - 1 - 2  # the last final block of epoch 1
    assert light_block["inner_lite"]["epoch_id"] == views.block(chain, 60)["header"]["epoch_id"]
