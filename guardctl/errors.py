"""The one exception type guardctl shows to users, and the translation of
everything else (py-near, RPC, HTTP, OS) into it.

`main` prints a `GuardctlError` as a single `guardctl: error: …` line, so the
message must already say what went wrong and, where it helps, what to do.
"""
from __future__ import annotations

import json

from .amounts import format_near


class GuardctlError(Exception):
    """A failure the user can act on; its text is the whole error line."""

    exit_code = 1


class ChainFailure(GuardctlError):
    """A transaction that reached the chain and failed there (e.g. a contract panic)."""


def one_line(text: str) -> str:
    """Collapse whitespace so an error never spills over several lines."""
    return " ".join(str(text).split())


def _leaf(tree, path=()):
    """Follow single-key dicts down NEAR's nested error enums.

    {"TxExecutionError": {"InvalidTxError": {"NotEnoughBalance": {...}}}} becomes
    (("TxExecutionError", "InvalidTxError", "NotEnoughBalance"), {...}).
    """
    while isinstance(tree, dict) and len(tree) == 1:
        (name, tree), = tree.items()
        path += (name,)
    if isinstance(tree, str) and not path:
        return (tree,), None
    return path, tree


def _format_info(info) -> str:
    if isinstance(info, dict):
        return ", ".join(f"{key}={_format_value(value)}" for key, value in info.items())
    if info in (None, "", {}):
        return ""
    return _format_value(info)


def _format_value(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def describe_failure(failure) -> str:
    """Readable text for a transaction or receipt `Failure` value.

    A contract panic reads as NEAR prints it ("Smart contract panicked: …"); other
    action and transaction errors as `Name (field=value, …)`.
    """
    if isinstance(failure, dict) and isinstance(failure.get("ActionError"), dict):
        # {"ActionError": {"index": i, "kind": {...}}}: the kind says what happened.
        failure = failure["ActionError"].get("kind", failure)
    path, info = _leaf(failure)
    if path and path[-1] == "ExecutionError" and isinstance(info, str):
        return info
    if path and path[-1] == "MethodResolveError":
        return f"MethodResolveError({info})"
    name = path[-1] if path else "Failure"
    if name == "NotEnoughBalance" and isinstance(info, dict):
        return (f"{info.get('signer_id')} cannot pay for the transaction: balance "
                f"{format_near(int(info.get('balance', 0)))}, cost {format_near(int(info.get('cost', 0)))}")
    if name == "LackBalanceForState" and isinstance(info, dict):
        return (f"{info.get('account_id')} would not have enough balance left to pay for its storage "
                f"(short by {format_near(int(info.get('amount', 0)))})")
    details = _format_info(info)
    return f"{name} ({details})" if details else name


def describe_rpc_error(error_json) -> str:
    """Readable text for a JSON-RPC `error` object as NEAR's RPC returns it."""
    if not isinstance(error_json, dict):
        return one_line(error_json)
    cause = error_json.get("cause") or {}
    name = cause.get("name") or error_json.get("name") or "RPC error"
    info = cause.get("info") or {}
    data = error_json.get("data")
    if name == "UNKNOWN_ACCOUNT":
        return f"account {info.get('requested_account_id', '?')} does not exist"
    if name == "UNKNOWN_ACCESS_KEY":
        return f"access key {info.get('public_key', '?')} does not exist"
    if name == "INVALID_TRANSACTION" and isinstance(data, dict):
        return "transaction rejected: " + describe_failure(data)
    if name == "INVALID_ACCOUNT":
        return f"invalid account id {info.get('requested_account_id', '')}".strip()
    text = _format_info(info) or (data if isinstance(data, str) else _format_info(data))
    return f"{name}: {text}" if text else str(name)
