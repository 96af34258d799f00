"""NEAR's JSON-RPC error envelope.

nearcore answers every failure with HTTP 200 and an `error` object that
carries both its structured form (`name`, `cause{name, info}`) and the
legacy fields (`code`, `message`, `data`) older clients still read:

    {"name": "HANDLER_ERROR", "cause": {"name": "UNKNOWN_ACCOUNT", "info": {...}},
     "code": -32000, "message": "Server error", "data": "account x does not exist while viewing"}

`name` is REQUEST_VALIDATION_ERROR for requests the node could not parse
(code -32700 "Parse error", or -32601 "Method not found"), HANDLER_ERROR
for well-formed requests the node refused, and INTERNAL_ERROR for the
node's own failures.
"""
from __future__ import annotations

from typing import Any

SERVER_ERROR_CODE = -32000
PARSE_ERROR_CODE = -32700
METHOD_NOT_FOUND_CODE = -32601


class RpcError(Exception):
    """A failure to be sent back as a JSON-RPC `error` object."""

    def __init__(
        self,
        name: str,
        cause_name: str,
        info: Any,
        data: Any,
        *,
        code: int = SERVER_ERROR_CODE,
        message: str = "Server error",
    ):
        super().__init__(f"{name}/{cause_name}: {data}")
        self.name = name
        self.cause_name = cause_name
        self.info = info
        self.data = data
        self.code = code
        self.message = message

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "cause": {"name": self.cause_name, "info": self.info},
            "code": self.code,
            "message": self.message,
            "data": self.data,
        }


def parse_error(error_message: str) -> RpcError:
    """The request (JSON, params, base64, Borsh) could not be understood."""
    return RpcError(
        "REQUEST_VALIDATION_ERROR",
        "PARSE_ERROR",
        {"error_message": error_message},
        error_message,
        code=PARSE_ERROR_CODE,
        message="Parse error",
    )


def method_not_found(method_name: str) -> RpcError:
    return RpcError(
        "REQUEST_VALIDATION_ERROR",
        "METHOD_NOT_FOUND",
        {"method_name": method_name},
        method_name,
        code=METHOD_NOT_FOUND_CODE,
        message="Method not found",
    )


def handler_error(cause_name: str, info: Any, data: Any) -> RpcError:
    """A well-formed request the node refused (unknown account, invalid transaction, …)."""
    return RpcError("HANDLER_ERROR", cause_name, info, data)


def internal_error(error_message: str) -> RpcError:
    return RpcError("INTERNAL_ERROR", "INTERNAL_ERROR", {"error_message": error_message}, error_message)


def invalid_transaction(invalid_tx_error: dict) -> RpcError:
    """nearcore leaves `info` empty and puts the reason in `data`, which is what clients parse."""
    return handler_error(
        "INVALID_TRANSACTION",
        {},
        {"TxExecutionError": {"InvalidTxError": invalid_tx_error}},
    )
