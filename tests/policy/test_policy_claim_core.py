"""guard_core.claim_mode under CPython: claim hashes, the verify rule, the storage formula."""
from __future__ import annotations

import hashlib

import pytest


from guard_core import claim_mode, reasons


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


TOKEN = "header.payload.signature"
TOKEN_HASH = sha256(TOKEN.encode())


@pytest.mark.parametrize("value", [TOKEN_HASH.hex(), TOKEN_HASH.hex().upper(), list(TOKEN_HASH)])
def test_jwt_hash_forms(value):
    assert claim_mode.parse_jwt_hash(value) == TOKEN_HASH


@pytest.mark.parametrize("value", [
    None, "", TOKEN_HASH.hex()[:-1], TOKEN_HASH.hex() + "0", "0x" + TOKEN_HASH.hex()[2:], "g" * 64,
    " " + TOKEN_HASH.hex()[1:], list(TOKEN_HASH)[:-1], list(TOKEN_HASH) + [0], [256] + [0] * 31, [True] * 32,
    [0.0] * 32, TOKEN_HASH, {"hash": TOKEN_HASH.hex()}, 5,
])
def test_bad_jwt_hashes(value):
    assert claim_mode.parse_jwt_hash(value) is None


def test_check_claim():
    assert claim_mode.check_claim(TOKEN_HASH, TOKEN, sha256) is None
    assert claim_mode.check_claim(None, TOKEN, sha256) == reasons.NO_CLAIM
    assert claim_mode.check_claim(TOKEN_HASH, TOKEN + "x", sha256) == reasons.NOT_CLAIMED
    assert claim_mode.check_claim(TOKEN_HASH, None, sha256) == reasons.NOT_CLAIMED


def test_check_predecessor_claim_reads_only_plausible_account_ids():
    reads = []

    def read_claim(account_id):
        reads.append(account_id)
        return {"alice.near": TOKEN_HASH}.get(account_id)

    assert claim_mode.check_predecessor_claim(TOKEN, "alice.near", read_claim, sha256) is None
    assert claim_mode.check_predecessor_claim(TOKEN, "bob.near", read_claim, sha256) == reasons.NO_CLAIM
    assert claim_mode.check_predecessor_claim("other", "alice.near", read_claim, sha256) == reasons.NOT_CLAIMED
    for predecessor in (None, "", "a", "x" * 65, "x" * 3000, 5, ["alice.near"]):
        assert claim_mode.check_predecessor_claim(TOKEN, predecessor, read_claim, sha256) == reasons.NO_CLAIM
    assert reads == ["alice.near", "bob.near", "alice.near"]


def test_claim_storage_bytes():
    # "c/" + account -> 32 bytes, and "h/" + 32 bytes -> account; 40 bytes of overhead per record
    assert claim_mode.claim_storage_bytes("user.test.near") == (2 + 14 + 32 + 40) * 2
