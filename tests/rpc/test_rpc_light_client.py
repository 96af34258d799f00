"""The light-client methods, checked as a light client checks them.

`next_light_client_block` and `EXPERIMENTAL_light_client_proof` are verified
with tests/rpc/light_client_check.py, written from nearcore's light-client
spec and not from localnet's code: block hashes recomputed from lite headers
must be the hashes the node's `block` method names, and every execution proof
must fold up to the trusted head's block Merkle root.  Talks JSON-RPC only, so
it runs against any `network`.
"""
from __future__ import annotations

import base58
import pytest

from localnet.primitives import CreateAccount, Transfer
from tests.rpc.light_client_check import bp_hash, check_execution_proof, combine, final_proof, lite_block_hash
from tests.rpc.wallet import error_of, unique_name

NEAR = 10**24
ZERO_HASH = "11111111111111111111111111111111"


@pytest.fixture(scope="module")
def created(network, rpc, root_key) -> dict:
    """A transaction with a receipt: creating and funding a sub-account of the root."""
    account_id = f"{unique_name('light')}.{network.root_account_id}"
    signed = rpc.signed_transaction(network.root_account_id, root_key, account_id, (CreateAccount(), Transfer(NEAR)))
    return rpc.result("send_tx", {"signed_tx_base64": signed, "wait_until": "FINAL"})


def b58(data: bytes) -> str:
    return base58.b58encode(data).decode()


def test_next_light_client_block_is_a_block_the_node_has(rpc, created):
    genesis_hash = rpc.result("status", [])["sync_info"]["earliest_block_hash"]
    light_block = rpc.result("next_light_client_block", {"last_block_hash": genesis_hash})
    inner = light_block["inner_lite"]
    assert inner["height"] > 0

    block_hash = lite_block_hash(light_block)
    block = rpc.result("block", {"block_id": b58(block_hash)})["header"]
    assert block["height"] == inner["height"]
    assert {k: block[k] for k in inner} == inner
    # The next block's hash is its inner hash followed by this block's hash.
    following = rpc.result("block", {"block_id": inner["height"] + 1})["header"]
    assert b58(combine(base58.b58decode(light_block["next_block_inner_hash"]), block_hash)) == following["hash"]
    # The producers it names are the ones the header committed to.
    assert b58(bp_hash(light_block["next_bps"])) == inner["next_bp_hash"]
    assert light_block["approvals_after_next"]


def test_a_light_client_moves_forward_and_only_forward(rpc, created):
    genesis_hash = rpc.result("status", [])["sync_info"]["earliest_block_hash"]
    first = rpc.result("next_light_client_block", {"last_block_hash": genesis_hash})
    final = rpc.result("block", {"finality": "final"})["header"]
    assert first["inner_lite"]["height"] <= final["height"]
    # Asked with a block it already has, a client gets a newer one or nothing ({}).
    known = b58(lite_block_hash(first))
    later = rpc.result("next_light_client_block", [known])
    assert later == {} or later["inner_lite"]["height"] > first["inner_lite"]["height"]


def test_transaction_outcome_proves_against_a_final_head(rpc, created, network):
    request = {"type": "transaction", "transaction_hash": created["transaction"]["hash"],
               "sender_id": network.root_account_id}
    proof, head = final_proof(rpc, request)
    assert proof["outcome_proof"]["id"] == created["transaction"]["hash"]
    assert proof["outcome_proof"]["outcome"] == created["transaction_outcome"]["outcome"]
    check_execution_proof(proof, head["block_merkle_root"])
    # The block named is the one after the outcome's, and the node knows it by that hash.
    executed = rpc.result("block", {"block_id": created["transaction_outcome"]["block_hash"]})["header"]
    committing = rpc.result("block", {"block_id": proof["outcome_proof"]["block_hash"]})["header"]
    assert committing["height"] == executed["height"] + 1


def test_receipt_outcome_proves_against_a_final_head(rpc, created):
    receipt = created["receipts_outcome"][0]
    request = {"type": "receipt", "receipt_id": receipt["id"], "receiver_id": receipt["outcome"]["executor_id"]}
    proof, head = final_proof(rpc, request)
    assert proof["outcome_proof"]["outcome"] == receipt["outcome"]
    check_execution_proof(proof, head["block_merkle_root"])


def test_a_tampered_proof_fails_the_clients_checks(rpc, created, network):
    request = {"type": "transaction", "transaction_hash": created["transaction"]["hash"],
               "sender_id": network.root_account_id}
    proof, head = final_proof(rpc, request)
    proof["outcome_proof"]["outcome"]["gas_burnt"] += 1
    with pytest.raises(AssertionError, match="outcome root"):
        check_execution_proof(proof, head["block_merkle_root"])


def test_unknown_blocks_and_outcomes_get_nearcores_errors(rpc, network):
    error = error_of(rpc.call("next_light_client_block", {"last_block_hash": ZERO_HASH}))
    assert (error["name"], error["cause"]) == ("HANDLER_ERROR", {"name": "UNKNOWN_BLOCK", "info": {}})

    head = rpc.result("block", {"finality": "final"})["header"]["hash"]
    error = error_of(rpc.call("EXPERIMENTAL_light_client_proof", {
        "type": "transaction", "transaction_hash": ZERO_HASH, "sender_id": network.root_account_id,
        "light_client_head": head}))
    assert error["cause"] == {"name": "UNKNOWN_TRANSACTION_OR_RECEIPT",
                              "info": {"transaction_or_receipt_id": ZERO_HASH}}

    error = error_of(rpc.call("EXPERIMENTAL_light_client_proof", {
        "type": "receipt", "receipt_id": "not-a-hash", "receiver_id": network.root_account_id,
        "light_client_head": head}))
    assert error["cause"]["name"] == "PARSE_ERROR"
