"""`TxResult`: a transaction's final outcome, read from Python instead of JSON."""
from __future__ import annotations

import base64
import json
from typing import Any, Optional

from .errors import ContractError


def decode_return_value(data: bytes) -> Any:
    """JSON when the bytes are JSON (what near-sdk contracts return), else the raw bytes; None when empty."""
    if not data:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return data


class TxResult:
    def __init__(self, outcome: dict, receipt_views: Optional[list[dict]] = None):
        self._outcome = outcome
        self._receipt_views = list(receipt_views or [])

    def outcome_dict(self) -> dict:
        """The FinalExecutionOutcome exactly as the RPC returns it."""
        return self._outcome

    @property
    def transaction_hash(self) -> str:
        return self._outcome["transaction"]["hash"]

    @property
    def status(self) -> dict:
        """`{"SuccessValue": base64}` or `{"Failure": {...}}`."""
        return self._outcome["status"]

    @property
    def succeeded(self) -> bool:
        return isinstance(self.status, dict) and "SuccessValue" in self.status

    @property
    def failure(self) -> Optional[dict]:
        return self.status.get("Failure") if isinstance(self.status, dict) else None

    @property
    def value(self) -> Optional[bytes]:
        """The raw bytes the transaction's final receipt returned (None on failure)."""
        if not self.succeeded:
            return None
        return base64.b64decode(self.status["SuccessValue"])

    @property
    def return_value(self) -> Any:
        """The returned value, JSON-decoded when it is JSON (None on failure or no value)."""
        data = self.value
        return None if data is None else decode_return_value(data)

    @property
    def receipts(self) -> list[dict]:
        """Each receipt's outcome (RPC shape), in the order the RPC lists them."""
        return self._outcome["receipts_outcome"]

    @property
    def receipt_views(self) -> list[dict]:
        """The action receipts the transaction executed, as EXPERIMENTAL_tx_status lists them (nearcore's ReceiptView)."""
        return self._receipt_views

    @property
    def executed_receipts(self) -> list[dict]:
        """The action receipts the transaction executed, in `receipts` order, decoded for Python.

        Each is `{"receipt_id" (base58), "predecessor_id", "receiver_id", "signer_id",
        "gas_price" (int), "actions" (nearcore's JSON views), "function_calls"
        ([{"method_name", "args" (bytes), "gas", "deposit"}]), "prepaid_gas"
        (the gas its function calls were given), "deposit" (attached, all actions)}`.
        NEAR's outcomes show the gas a receipt burnt; only the receipt shows what it was given.
        """
        executed = []
        for view in self._receipt_views:
            body = view["receipt"].get("Action")
            if body is None:
                continue
            calls = [
                {
                    "method_name": action["FunctionCall"]["method_name"],
                    "args": base64.b64decode(action["FunctionCall"]["args"]),
                    "gas": int(action["FunctionCall"]["gas"]),
                    "deposit": int(action["FunctionCall"]["deposit"]),
                }
                for action in body["actions"]
                if isinstance(action, dict) and "FunctionCall" in action
            ]
            deposit = sum(
                int(fields["deposit"])
                for action in body["actions"]
                if isinstance(action, dict)
                for fields in action.values()
                if isinstance(fields, dict) and "deposit" in fields
            )
            executed.append({
                "receipt_id": view["receipt_id"],
                "predecessor_id": view["predecessor_id"],
                "receiver_id": view["receiver_id"],
                "signer_id": body["signer_id"],
                "gas_price": int(body["gas_price"]),
                "actions": body["actions"],
                "function_calls": calls,
                "prepaid_gas": sum(call["gas"] for call in calls),
                "deposit": deposit,
            })
        return executed

    def executed_receipt(self, receipt_id: str) -> Optional[dict]:
        """One of `executed_receipts` by its base58 id (None when it is not an executed action receipt)."""
        return next((r for r in self.executed_receipts if r["receipt_id"] == receipt_id), None)

    @property
    def logs(self) -> list[str]:
        logs = list(self._outcome["transaction_outcome"]["outcome"]["logs"])
        for receipt in self.receipts:
            logs.extend(receipt["outcome"]["logs"])
        return logs

    @property
    def gas_burnt_per_receipt(self) -> list[int]:
        return [receipt["outcome"]["gas_burnt"] for receipt in self.receipts]

    @property
    def transaction_gas_burnt(self) -> int:
        """Gas burnt converting the transaction into its receipt (the send fees)."""
        return self._outcome["transaction_outcome"]["outcome"]["gas_burnt"]

    @property
    def gas_burnt(self) -> int:
        """Everything the transaction burnt: conversion plus every receipt."""
        return self.transaction_gas_burnt + sum(self.gas_burnt_per_receipt)

    @property
    def tokens_burnt(self) -> int:
        total = int(self._outcome["transaction_outcome"]["outcome"]["tokens_burnt"])
        return total + sum(int(r["outcome"]["tokens_burnt"]) for r in self.receipts)

    @property
    def receipt_failures(self) -> list[dict]:
        """Failures of any receipt, including ones the final status does not show (e.g. a failed callee)."""
        return [r["outcome"]["status"]["Failure"] for r in self.receipts if "Failure" in r["outcome"]["status"]]

    def raise_on_failure(self) -> "TxResult":
        if not self.succeeded:
            raise ContractError(json.dumps(self.status), self.logs)
        return self

    def __repr__(self) -> str:
        return f"TxResult(status={self.status!r}, gas_burnt={self.gas_burnt})"
