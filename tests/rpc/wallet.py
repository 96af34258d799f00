"""What the RPC tests need to act as a user: keys, py-near accounts, hand-signed transactions.

py-near is the client under test wherever it can do the job.  Hand-signed
transactions (our Borsh encoder + pynacl) are for what py-near will not
send on purpose: a reused nonce, a wrong signature, an unknown signer.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import http.client
import itertools
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any, AsyncIterator, Optional

import base58
from nacl.signing import SigningKey
from py_near.account import Account

from localnet.primitives import Transaction
from localnet import borsh

_unique = itertools.count(1)


def unique_name(prefix: str) -> str:
    return f"{prefix}{next(_unique)}"


@dataclass(frozen=True)
class KeyPair:
    signing_key: SigningKey

    @classmethod
    def generate(cls) -> "KeyPair":
        return cls(SigningKey.generate())

    @classmethod
    def from_secret_text(cls, secret: str) -> "KeyPair":
        return cls(SigningKey(base58.b58decode(secret.removeprefix("ed25519:"))[:32]))

    @property
    def public_key_bytes(self) -> bytes:
        return bytes(self.signing_key.verify_key)

    @property
    def public_key_text(self) -> str:
        return "ed25519:" + base58.b58encode(self.public_key_bytes).decode()

    @property
    def borsh_public_key(self) -> bytes:
        return b"\x00" + self.public_key_bytes

    @property
    def secret_text(self) -> str:
        return "ed25519:" + base58.b58encode(bytes(self.signing_key) + self.public_key_bytes).decode()

    def sign(self, message: bytes) -> bytes:
        return b"\x00" + self.signing_key.sign(message).signature


def run(coroutine):
    return asyncio.run(coroutine)


@contextlib.asynccontextmanager
async def py_near_account(rpc_url: str, account_id: str, key: KeyPair) -> AsyncIterator[Account]:
    account = Account(account_id, key.secret_text, rpc_url)
    await account.startup()
    try:
        yield account
    finally:
        await account.shutdown()


class RawRpc:
    """JSON-RPC over one keep-alive HTTP connection, also for malformed bodies."""

    def __init__(self, rpc_url: str):
        parsed = urllib.parse.urlparse(rpc_url)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def close(self) -> None:
        self.connection.close()

    def post(self, body: bytes, path: str = "/") -> tuple[int, Any]:
        self.connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = self.connection.getresponse()
        return response.status, json.loads(response.read())

    def get(self, path: str) -> tuple[int, bytes]:
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        return response.status, response.read()

    def call(self, method: str, params: Any) -> dict:
        status, answer = self.post(
            json.dumps({"jsonrpc": "2.0", "id": "raw", "method": method, "params": params}).encode()
        )
        assert status == 200, answer
        return answer

    def result(self, method: str, params: Any) -> Any:
        answer = self.call(method, params)
        assert "error" not in answer, answer["error"]
        return answer["result"]

    # ---- hand-signed transactions ----

    def latest_block_hash(self) -> bytes:
        return base58.b58decode(self.result("status", [])["sync_info"]["latest_block_hash"])

    def access_key_nonce(self, account_id: str, key: KeyPair) -> int:
        # `optimistic`: a transaction answered EXECUTED_OPTIMISTIC has moved the nonce
        # in the head block; `final` trails it by two blocks on a real node.
        view = self.result(
            "query",
            {
                "request_type": "view_access_key",
                "account_id": account_id,
                "public_key": key.public_key_text,
                "finality": "optimistic",
            },
        )
        return view["nonce"]

    def signed_transaction(
        self,
        signer_id: str,
        key: KeyPair,
        receiver_id: str,
        actions: tuple,
        *,
        nonce: Optional[int] = None,
        block_hash: Optional[bytes] = None,
        signing_key: Optional[KeyPair] = None,
    ) -> str:
        """Base64 of a signed transaction; nonce defaults to the key's next one."""
        if nonce is None:
            nonce = self.access_key_nonce(signer_id, key) + 1
        transaction = Transaction(
            signer_id,
            key.borsh_public_key,
            nonce,
            receiver_id,
            block_hash or self.latest_block_hash(),
            tuple(actions),
        )
        signed = borsh.sign_transaction(transaction, (signing_key or key).sign)
        return base64.b64encode(borsh.encode_signed_transaction(signed)).decode()


def wait_until_final(rpc_url: str, outcome: Any) -> dict:
    """Wait, as a client of a real node must, until a transaction is FINAL; its outcome then.

    A transaction answered EXECUTED_OPTIMISTIC has executed in the latest blocks,
    which `finality: final` reads do not see yet (and on nearcore its refunds may
    still be running); once the transaction is FINAL, they see everything it did.
    `outcome` is py-near's TransactionResult or the RPC's outcome object.
    """
    from tests.network import rpc_call

    if isinstance(outcome, dict):
        tx_hash, signer_id = outcome["transaction"]["hash"], outcome["transaction"]["signer_id"]
    else:
        tx_hash, signer_id = outcome.transaction.hash, outcome.transaction.signer_id
    answer = rpc_call(rpc_url, "tx", {"tx_hash": tx_hash, "sender_account_id": signer_id, "wait_until": "FINAL"})
    assert "error" not in answer, answer["error"]
    assert answer["result"]["final_execution_status"] == "FINAL", answer["result"]["final_execution_status"]
    return answer["result"]


def error_of(answer: dict) -> dict:
    assert "error" in answer, f"expected an error, got {answer}"
    return answer["error"]
