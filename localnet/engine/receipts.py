"""Checks nearcore applies to the receipts a successful call created.

A contract can build actions no transaction could carry (a 300-byte method
name, 101 actions in one receipt); nearcore validates every new receipt after
the call and, if one is invalid, fails the call with NewReceiptValidationError.
"""
from __future__ import annotations

from typing import Optional

from ..primitives import AddKey, DeleteAccount, DeployContract, FunctionCall, FunctionCallPermission
from .api import VMError
from .config import LimitConfig
from .errors import rust_debug_struct


def _error(variant: str, message: str, **fields) -> VMError:
    return VMError(
        "NewReceiptValidationError",
        message,
        debug_message=f"ActionsValidation({rust_debug_struct(variant, fields)})",
        data={"NewReceiptValidationError": {"ActionsValidation": {variant: fields} if fields else variant}},
    )


def validate_receipts(receipts, limits: LimitConfig) -> Optional[VMError]:
    for receipt in receipts:
        error = _validate_actions(receipt.actions, limits)
        if error is not None:
            return error
    return None


def _validate_actions(actions, limits: LimitConfig) -> Optional[VMError]:
    if len(actions) > limits.max_actions_per_receipt:
        return _error(
            "TotalNumberOfActionsExceeded",
            f"The total number of actions {len(actions)} exceeds the limit {limits.max_actions_per_receipt}",
            total_number_of_actions=len(actions),
            limit=limits.max_actions_per_receipt,
        )
    seen_delete = False
    for action in actions:
        if seen_delete:
            return _error("DeleteActionMustBeFinal", "The delete action must be a final action in transaction")
        seen_delete = isinstance(action, DeleteAccount)
        error = _validate_action(action, limits)
        if error is not None:
            return error
    total_gas = sum(action.gas for action in actions if isinstance(action, FunctionCall))
    if total_gas > limits.max_total_prepaid_gas:
        return _error(
            "TotalPrepaidGasExceeded",
            f"The total prepaid gas {total_gas} exceeds the limit {limits.max_total_prepaid_gas}",
            total_prepaid_gas=total_gas,
            limit=limits.max_total_prepaid_gas,
        )
    return None


def _validate_action(action, limits: LimitConfig) -> Optional[VMError]:
    if isinstance(action, FunctionCall):
        name_length = len(action.method_name.encode("utf-8"))
        if name_length > limits.max_length_method_name:
            return _error(
                "FunctionCallMethodNameLengthExceeded",
                f"The length of the method name exceeded the limit in a Function Call action: "
                f"{name_length} > {limits.max_length_method_name}",
                length=name_length,
                limit=limits.max_length_method_name,
            )
        if len(action.args) > limits.max_arguments_length:
            return _error(
                "FunctionCallArgumentsLengthExceeded",
                f"The length of the arguments exceeded the limit in a Function Call action: "
                f"{len(action.args)} > {limits.max_arguments_length}",
                length=len(action.args),
                limit=limits.max_arguments_length,
            )
    elif isinstance(action, DeployContract) and len(action.code) > limits.max_contract_size:
        return _error(
            "ContractSizeExceeded",
            f"The length of the contract size {len(action.code)} exceeds the maximum allowed size "
            f"{limits.max_contract_size}",
            size=len(action.code),
            limit=limits.max_contract_size,
        )
    elif isinstance(action, AddKey) and isinstance(action.access_key.permission, FunctionCallPermission):
        total = 0
        for name in action.access_key.permission.method_names:
            length = len(name.encode("utf-8"))
            if length > limits.max_length_method_name:
                return _error(
                    "AddKeyMethodNameLengthExceeded",
                    f"The length of some method name {length} exceeds the maximum allowed length "
                    f"{limits.max_length_method_name} in a AddKey action",
                    length=length,
                    limit=limits.max_length_method_name,
                )
            total += length + 1  # each name counts its terminator
        if total > limits.max_number_bytes_method_names:
            return _error(
                "AddKeyMethodNamesNumberOfBytesExceeded",
                f"The total number of bytes in allowed method names {total} exceeds the maximum "
                f"allowed number {limits.max_number_bytes_method_names} in a AddKey action",
                total_number_of_bytes=total,
                limit=limits.max_number_bytes_method_names,
            )
    return None
