"""Errors the chain raises, carrying the names and payloads NEAR's RPC uses.

`ChainError` covers refused queries (unknown account, key, block,
transaction; no contract code); `cause_name` and `info` are what nearcore
puts in the error envelope's `cause`, `data` its human text.
`InvalidTransaction` carries the full `{"TxExecutionError": {"InvalidTxError": …}}`
payload of a transaction the chain would not accept.
`ContractError` is only for the in-process `Chain.view`/`TxResult` helpers.
"""
from __future__ import annotations

from typing import Any

import base58


class ChainError(Exception):
    def __init__(self, cause_name: str, info: dict, data: str):
        super().__init__(data)
        self.cause_name = cause_name
        self.info = info
        self.data = data


def unknown_account(account_id: str, block_height: int, block_hash: str) -> ChainError:
    return ChainError(
        "UNKNOWN_ACCOUNT",
        {"requested_account_id": account_id, "block_height": block_height, "block_hash": block_hash},
        f"account {account_id} does not exist while viewing",
    )


def unknown_access_key(public_key: str, block_height: int, block_hash: str) -> ChainError:
    return ChainError(
        "UNKNOWN_ACCESS_KEY",
        {"public_key": public_key, "block_height": block_height, "block_hash": block_hash},
        f"access key {public_key} does not exist while viewing",
    )


def no_contract_code(account_id: str, block_height: int, block_hash: str) -> ChainError:
    return ChainError(
        "NO_CONTRACT_CODE",
        {"contract_account_id": account_id, "block_height": block_height, "block_hash": block_hash},
        f"Contract code for contract ID #{account_id} has never been observed on the node",
    )


def block_reference_json(reference: Any) -> dict:
    """nearcore's BlockReference as JSON: {"block_id": height|hash}, {"finality": ...} or {"sync_checkpoint": ...}."""
    if reference in ("optimistic", "near-final", "final"):
        return {"finality": reference}
    if reference in ("genesis", "earliest_available"):
        return {"sync_checkpoint": reference}
    if isinstance(reference, bytes):
        reference = base58.b58encode(reference).decode("ascii")
    return {"block_id": reference}


def unknown_block(reference: Any) -> ChainError:
    """The query error; `block`, `chunk` and `changes` answer it with empty `info` (see the RPC layer)."""
    block_reference = block_reference_json(reference)
    block_id = block_reference.get("block_id")
    debug = f"BlockId(Height({block_id}))" if isinstance(block_id, int) else f"BlockId(Hash({block_id}))"
    return ChainError(
        "UNKNOWN_BLOCK",
        {"block_reference": block_reference},
        f"Block either has never been observed on the node or has been garbage collected: {debug}",
    )


def garbage_collected_block(block_height: int, block_hash: str) -> ChainError:
    return ChainError(
        "GARBAGE_COLLECTED_BLOCK",
        {"block_height": block_height, "block_hash": block_hash},
        f"The data for block #{block_height} is garbage collected on this node, use an archival node to fetch historical data",
    )


def unknown_receipt(receipt_id: str) -> ChainError:
    return ChainError("UNKNOWN_RECEIPT", {"receipt_id": receipt_id},
                      f"Receipt with id {receipt_id} has never been observed on this node")


def unknown_chunk(chunk_hash: str) -> ChainError:
    return ChainError("UNKNOWN_CHUNK", {"chunk_hash": chunk_hash},
                      f"Chunk Missing (unavailable on the node): ChunkHash(`{chunk_hash}`)")


def invalid_shard_id(shard_id: Any) -> ChainError:
    return ChainError("INVALID_SHARD_ID", {"shard_id": shard_id}, f"Shard id {shard_id} does not exist")


def timeout(tx_hash: str) -> ChainError:
    return ChainError("TIMEOUT_ERROR", {}, f"Timeout while waiting for transaction {tx_hash}")


def unknown_transaction(tx_hash: str) -> ChainError:
    return ChainError(
        "UNKNOWN_TRANSACTION",
        {"requested_transaction_hash": tx_hash},
        f"Transaction {tx_hash} doesn't exist",
    )


# Light-client errors (chain/jsonrpc-primitives/src/types/light_client.rs): UNKNOWN_BLOCK keeps
# its message out of `info`; next_light_client_block sends the whole error object as `data`.


def light_client_block_unknown() -> ChainError:
    return ChainError("UNKNOWN_BLOCK", {}, {"name": "UNKNOWN_BLOCK", "info": {}})


def light_client_proof_unknown_block(block_hash: str) -> ChainError:
    return ChainError("UNKNOWN_BLOCK", {}, f"DB Not Found Error: BLOCK HEADER: {block_hash}")


def unknown_transaction_or_receipt(outcome_id: str) -> ChainError:
    return ChainError("UNKNOWN_TRANSACTION_OR_RECEIPT", {"transaction_or_receipt_id": outcome_id},
                      f"{outcome_id} does not exist")


def not_confirmed(outcome_id: str) -> ChainError:
    return ChainError("NOT_CONFIRMED", {"transaction_or_receipt_id": outcome_id}, f"{outcome_id} has not been confirmed")


def light_client_internal(message: str) -> ChainError:
    """Answered with the name INTERNAL_ERROR, as nearcore's `new_internal_or_handler_error` does for it."""
    return ChainError("INTERNAL_ERROR", {"error_message": message}, f"Internal error: {message}")


class InvalidTransaction(Exception):
    """The transaction was refused before execution; nothing changed on chain."""

    def __init__(self, invalid_tx_error: Any):
        self.invalid_tx_error = invalid_tx_error
        self.payload = {"TxExecutionError": {"InvalidTxError": invalid_tx_error}}
        super().__init__(str(self.payload))


class ContractError(Exception):
    """A view (or an in-process call) failed inside the contract."""

    def __init__(self, message: str, logs: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.logs = list(logs or [])
