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
    def __init__(self, outcome: dict):
        self._outcome = outcome

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
