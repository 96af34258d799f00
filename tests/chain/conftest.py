"""Fixtures for the chain's tests: a deterministic chain and transaction helpers."""
from __future__ import annotations

import hashlib

import pytest

from localnet import borsh
from localnet.chain import Chain, KeyPair
from localnet.primitives import (
    NEAR,
    AccessKey,
    AddKey,
    CreateAccount,
    FullAccess,
    SignedTransaction,
    Transaction,
    Transfer,
)

GENESIS_TIME_NS = 1_700_000_000_000_000_000
ROOT_KEY = KeyPair(bytes(range(32)))


def key_for(name: str) -> KeyPair:
    """A deterministic key pair per name."""
    return KeyPair(hashlib.sha256(name.encode()).digest())


@pytest.fixture
def chain():
    with Chain(genesis_time_ns=GENESIS_TIME_NS, root_public_key=ROOT_KEY.public_key) as c:
        yield c


def sign(chain: Chain, key: KeyPair, signer_id: str, receiver_id: str, actions, *,
         nonce: int | None = None, block_hash: bytes | None = None) -> SignedTransaction:
    """Build and sign a transaction the way a wallet does: next nonce, latest block hash."""
    if nonce is None:
        nonce = chain.view_access_key(signer_id, key.public_key_text)["nonce"] + 1
    tx = Transaction(
        signer_id=signer_id,
        public_key=key.public_key,
        nonce=nonce,
        receiver_id=receiver_id,
        block_hash=chain.head.hash if block_hash is None else block_hash,
        actions=tuple(actions),
    )
    return borsh.sign_transaction(tx, key.sign)


def create_account(chain: Chain, account_id: str, *, balance: int = 10 * NEAR,
                   creator: str = "test.near", key: KeyPair | None = None):
    key = key or key_for(account_id)
    result = chain.execute(
        creator, account_id,
        [CreateAccount(), Transfer(balance), AddKey(key.public_key, AccessKey(0, FullAccess()))],
    )
    assert result.succeeded, result.status
    return key


def balance(chain: Chain, account_id: str) -> int:
    return int(chain.view_account(account_id)["amount"])
