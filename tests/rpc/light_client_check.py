"""A light client's checks, written from nearcore's light-client spec, independent of localnet's code.

A client that trusts one block (its head) checks an execution proof so:
the outcome's hashes fold along `outcome_proof.proof` to its chunk's outcome
root, which folds along `outcome_root_proof` to the outcome root in the lite
header; the lite header hashes to the block named in the proof; that block
hash folds along `block_proof` to the head's block Merkle root.
"""
from __future__ import annotations

import base64
import hashlib
import struct
import time

import base58


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def combine(left: bytes, right: bytes) -> bytes:
    return sha256(left + right)


def root_from_path(path: list[dict], leaf: bytes) -> bytes:
    node = leaf
    for item in path:
        sibling = base58.b58decode(item["hash"])
        node = combine(sibling, node) if item["direction"] == "Left" else combine(node, sibling)
    return node


def borsh_string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("<I", len(data)) + data


def outcome_leaf(outcome_with_id: dict) -> bytes:
    """sha256 of the borsh list [id, hash(outcome without logs and error details), hash(log)...]."""
    outcome = outcome_with_id["outcome"]
    receipt_ids = [base58.b58decode(r) for r in outcome["receipt_ids"]]
    status = outcome["status"]
    if isinstance(status, dict) and "SuccessValue" in status:
        value = base64.b64decode(status["SuccessValue"])
        status_bytes = b"\x02" + struct.pack("<I", len(value)) + value
    elif isinstance(status, dict) and "SuccessReceiptId" in status:
        status_bytes = b"\x03" + base58.b58decode(status["SuccessReceiptId"])
    elif isinstance(status, dict) and "Failure" in status:
        status_bytes = b"\x01"
    else:
        status_bytes = b"\x00"
    partial = (struct.pack("<I", len(receipt_ids)) + b"".join(receipt_ids)
               + struct.pack("<Q", outcome["gas_burnt"]) + int(outcome["tokens_burnt"]).to_bytes(16, "little")
               + borsh_string(outcome["executor_id"]) + status_bytes)
    hashes = [base58.b58decode(outcome_with_id["id"]), sha256(partial)]
    hashes += [sha256(log.encode("utf-8")) for log in outcome["logs"]]
    return sha256(struct.pack("<I", len(hashes)) + b"".join(hashes))


def inner_lite_bytes(inner: dict) -> bytes:
    return (struct.pack("<Q", inner["height"]) + base58.b58decode(inner["epoch_id"])
            + base58.b58decode(inner["next_epoch_id"]) + base58.b58decode(inner["prev_state_root"])
            + base58.b58decode(inner["outcome_root"]) + struct.pack("<Q", int(inner["timestamp_nanosec"]))
            + base58.b58decode(inner["next_bp_hash"]) + base58.b58decode(inner["block_merkle_root"]))


def lite_block_hash(lite: dict) -> bytes:
    """A block's hash from its lite header: hash(hash(hash(inner_lite) ++ inner_rest_hash) ++ prev_hash)."""
    inner = combine(sha256(inner_lite_bytes(lite["inner_lite"])), base58.b58decode(lite["inner_rest_hash"]))
    return combine(inner, base58.b58decode(lite["prev_block_hash"]))


def bp_hash(next_bps: list[dict]) -> bytes:
    """sha256 of the borsh list of ValidatorStake::V1 (ed25519 keys)."""
    data = struct.pack("<I", len(next_bps))
    for bp in next_bps:
        key_type, key = bp["public_key"].split(":")
        assert key_type == "ed25519"
        data += b"\x00" + borsh_string(bp["account_id"]) + b"\x00" + base58.b58decode(key)
        data += int(bp["stake"]).to_bytes(16, "little")
    return sha256(data)


def check_execution_proof(proof: dict, head_block_merkle_root: str) -> None:
    """Every check a light client makes; AssertionError names the one that failed."""
    shard_outcome_root = root_from_path(proof["outcome_proof"]["proof"], outcome_leaf(proof["outcome_proof"]))
    block_outcome_root = root_from_path(proof["outcome_root_proof"], sha256(shard_outcome_root))
    lite = proof["block_header_lite"]
    assert base58.b58encode(block_outcome_root).decode() == lite["inner_lite"]["outcome_root"], "outcome root"
    block_hash = lite_block_hash(lite)
    assert base58.b58encode(block_hash).decode() == proof["outcome_proof"]["block_hash"], "block hash"
    assert base58.b58encode(root_from_path(proof["block_proof"], block_hash)).decode() == head_block_merkle_root, \
        "block Merkle root"


PROOF_WAIT_S = 30.0


def final_proof(rpc, request: dict) -> tuple[dict, dict]:
    """A light-client proof against the final block, polled (as a client must) until that head is
    past the block committing to the outcome; (proof, the head's header)."""
    deadline = time.monotonic() + PROOF_WAIT_S
    while True:
        head = rpc.result("block", {"finality": "final"})["header"]
        answer = rpc.call("EXPERIMENTAL_light_client_proof", dict(request, light_client_head=head["hash"]))
        if "result" in answer and answer["result"]["block_proof"]:
            return answer["result"], head
        # Not yet: the committing block is missing (NOT_CONFIRMED), not final, or the head itself.
        if "error" in answer:
            assert answer["error"]["cause"]["name"] in ("NOT_CONFIRMED", "INTERNAL_ERROR"), answer["error"]
        assert time.monotonic() < deadline, f"no proof within {PROOF_WAIT_S:.0f}s: {answer}"
        time.sleep(0.05)
