"""Transaction status: nearcore's TxExecutionStatus and a finished transaction's FinalExecutionOutcome.

A transaction moves NONE (queued) -> INCLUDED (its block exists) ->
EXECUTED_OPTIMISTIC (every receipt ran), with the *_FINAL steps as the
blocks involved become final (chain/chain's `get_final_transaction_result`
and the client's `TxStatus` in nearcore).  The chain keeps the records; this
module says what status they amount to and builds the outcome a finished
transaction is remembered by.
"""
from __future__ import annotations

from typing import Any

from ..primitives import SignedTransaction
from .views import Outcome, transaction_view

# nearcore's TxExecutionStatus, weakest first.
NONE, INCLUDED, EXECUTED_OPTIMISTIC, INCLUDED_FINAL, EXECUTED, FINAL = (
    "NONE", "INCLUDED", "EXECUTED_OPTIMISTIC", "INCLUDED_FINAL", "EXECUTED", "FINAL")


def included_status(included_height: int, final_height: int) -> str:
    """The status of a transaction in a block whose receipts still run."""
    return INCLUDED_FINAL if included_height <= final_height else INCLUDED


def executed_status(heights: list[int], final_height: int) -> str:
    """The status of a finished transaction: `heights` are its own outcome's block's, then its receipts'."""
    if max(heights) <= final_height:
        return FINAL
    return EXECUTED if heights[0] <= final_height else EXECUTED_OPTIMISTIC


def status_satisfies(status: str, wait_until: str) -> bool:
    """Whether a transaction at `status` is what a client waiting for `wait_until` waits for."""
    executed = status in (EXECUTED_OPTIMISTIC, EXECUTED, FINAL)
    included_final = status in (INCLUDED_FINAL, EXECUTED, FINAL)
    return {
        NONE: True,
        INCLUDED: status != NONE,
        EXECUTED_OPTIMISTIC: executed,
        INCLUDED_FINAL: included_final,
        EXECUTED: executed and included_final,
        FINAL: status == FINAL,
    }[wait_until]


def final_outcome(signed: SignedTransaction, outcomes: dict[bytes, Outcome]) -> dict:
    """The FinalExecutionOutcome of a transaction all of whose receipts have run (outcomes by id)."""
    tx_outcome = outcomes[signed.hash]
    ordered: list[Outcome] = []
    # Depth-first, each outcome before the receipts it created (nearcore's order).
    stack = list(reversed(tx_outcome.receipt_ids))
    while stack:
        outcome = outcomes.get(stack.pop())
        if outcome is None:
            continue
        ordered.append(outcome)
        stack.extend(reversed(outcome.receipt_ids))

    status: Any = "Started"
    looking_for = tx_outcome.id
    for outcome in [tx_outcome] + ordered:
        if outcome.id != looking_for:
            continue
        kind, payload = outcome.status
        if kind == "SuccessReceiptId":
            looking_for = payload
            continue
        status = outcome.status_view()
        break
    return {
        "final_execution_status": EXECUTED_OPTIMISTIC,
        "status": status,
        "transaction": transaction_view(signed),
        "transaction_outcome": tx_outcome.to_json(),
        "receipts_outcome": [o.to_json() for o in ordered],
    }


def outcomes_by_id(final: dict) -> dict[str, dict]:
    """A finished transaction's outcome views (its own and its receipts') by id."""
    outcomes = [final["transaction_outcome"], *final["receipts_outcome"]]
    return {outcome["id"]: outcome for outcome in outcomes}
