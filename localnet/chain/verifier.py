"""Checks before anything runs (nearcore's runtime/runtime/src/verifier.rs).

`verify_and_charge_transaction` checks a transaction against the state,
takes its whole cost from the signer up front (send fees burnt now,
execution fees and attached gas prepaid at the transaction's gas price,
deposits) and turns it into one action receipt.  `validate_actions` and
`validate_new_receipt` are the limits every transaction, and every receipt a
contract creates, must respect; `check_storage_stake` the balance an account
must keep for its storage.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

from ..primitives import (
    ED25519,
    AccessKey,
    AddKey,
    DeleteAccount,
    DeployContract,
    FunctionCall,
    FunctionCallPermission,
    SignedDelegate,
    SignedTransaction,
    Stake,
    is_valid_account_id,
)
from . import config
from .errors import InvalidTransaction
from .keys import public_key_text, verify_signature
from .receipts import ActionReceipt, BlockContext, transaction_receipt_id
from .state import AccountRecord, StateUpdate
from .views import Outcome


def validate_actions(actions, *, inside_delegate: bool = False) -> Optional[object]:
    """nearcore's `validate_actions`: the ActionsValidationError view, or None when valid."""
    if len(actions) > config.MAX_ACTIONS_PER_RECEIPT:
        return {
            "TotalNumberOfActionsExceeded": {
                "total_number_of_actions": len(actions),
                "limit": config.MAX_ACTIONS_PER_RECEIPT,
            }
        }
    found_delegate = False
    for position, action in enumerate(actions):
        if isinstance(action, DeleteAccount) and position != len(actions) - 1:
            return "DeleteActionMustBeFinal"
        if isinstance(action, SignedDelegate):
            if inside_delegate:
                return "DelegateActionMustBeOnlyOne"
            if found_delegate:
                return "DelegateActionMustBeOnlyOne"
            found_delegate = True
            inner_error = validate_actions(action.delegate_action.actions, inside_delegate=True)
            if inner_error is not None:
                return inner_error
        error = _validate_action(action)
        if error is not None:
            return error
    total_prepaid_gas = config.total_prepaid_gas(actions)
    if total_prepaid_gas > config.MAX_TOTAL_PREPAID_GAS:
        return {
            "TotalPrepaidGasExceeded": {
                "total_prepaid_gas": total_prepaid_gas,
                "limit": config.MAX_TOTAL_PREPAID_GAS,
            }
        }
    return None


def _validate_action(action) -> Optional[object]:
    if isinstance(action, DeployContract) and len(action.code) > config.MAX_CONTRACT_SIZE:
        return {"ContractSizeExceeded": {"size": len(action.code), "limit": config.MAX_CONTRACT_SIZE}}
    if isinstance(action, FunctionCall):
        if action.gas == 0:
            return "FunctionCallZeroAttachedGas"
        if len(action.method_name.encode()) > config.MAX_LENGTH_METHOD_NAME:
            return {
                "FunctionCallMethodNameLengthExceeded": {
                    "length": len(action.method_name.encode()),
                    "limit": config.MAX_LENGTH_METHOD_NAME,
                }
            }
        if len(action.args) > config.MAX_ARGUMENTS_LENGTH:
            return {
                "FunctionCallArgumentsLengthExceeded": {
                    "length": len(action.args),
                    "limit": config.MAX_ARGUMENTS_LENGTH,
                }
            }
    if isinstance(action, AddKey) and isinstance(action.access_key.permission, FunctionCallPermission):
        permission = action.access_key.permission
        if not is_valid_account_id(permission.receiver_id):
            return {"InvalidAccountId": {"account_id": permission.receiver_id[:128]}}
        total = 0
        for name in permission.method_names:
            length = len(name.encode())
            if length > config.MAX_LENGTH_METHOD_NAME:
                return {"AddKeyMethodNameLengthExceeded": {"length": length, "limit": config.MAX_LENGTH_METHOD_NAME}}
            total += length + 1
        if total > config.MAX_NUMBER_BYTES_METHOD_NAMES:
            return {
                "AddKeyMethodNamesNumberOfBytesExceeded": {
                    "total_number_of_bytes": total,
                    "limit": config.MAX_NUMBER_BYTES_METHOD_NAMES,
                }
            }
    if isinstance(action, DeleteAccount) and not is_valid_account_id(action.beneficiary_id):
        return {"InvalidAccountId": {"account_id": action.beneficiary_id}}
    if isinstance(action, Stake) and action.public_key[:1] != bytes([ED25519]):
        return {"UnsuitableStakingKey": {"public_key": public_key_text(action.public_key)}}
    return None


def check_storage_stake(account: AccountRecord) -> int:
    """How much more balance the account needs to pay for its storage (0 when covered)."""
    required = account.storage_usage * config.STORAGE_AMOUNT_PER_BYTE
    available = account.amount + account.locked
    if available >= required or account.storage_usage <= config.ZERO_BALANCE_ACCOUNT_STORAGE_LIMIT:
        return 0
    return required - available


def validate_new_receipt(receipt: ActionReceipt) -> Optional[object]:
    if not is_valid_account_id(receipt.receiver_id):
        return {"InvalidReceiverId": {"account_id": receipt.receiver_id}}
    if len(receipt.input_data_ids) > config.MAX_NUMBER_INPUT_DATA_DEPENDENCIES:
        return {
            "NumberInputDataDependenciesExceeded": {
                "number_of_input_data_dependencies": len(receipt.input_data_ids),
                "limit": config.MAX_NUMBER_INPUT_DATA_DEPENDENCIES,
            }
        }
    problem = validate_actions(receipt.actions)
    return None if problem is None else {"ActionsValidation": problem}


@dataclass
class Conversion:
    """A valid transaction after charging: its outcome and the receipt it became."""

    outcome: Outcome
    receipt: ActionReceipt
    burnt_amount: int


def verify_and_charge_transaction(
    state: StateUpdate,
    signed: SignedTransaction,
    ctx: BlockContext,
    *,
    verify_signature_: bool = True,
    keyless: bool = False,
) -> Conversion:
    """Validate `signed` against `state`, charge the signer and build its receipt.

    Raises InvalidTransaction (and leaves `state` untouched) when nearcore would
    refuse the transaction.  `keyless` skips access-key checks for in-process
    calls from accounts that have no key.
    """
    tx = signed.transaction
    if not is_valid_account_id(tx.signer_id):
        raise InvalidTransaction({"InvalidSignerId": {"signer_id": tx.signer_id}})
    if not is_valid_account_id(tx.receiver_id):
        raise InvalidTransaction({"InvalidReceiverId": {"receiver_id": tx.receiver_id}})
    if verify_signature_ and not verify_signature(tx.public_key, signed.signature, signed.hash):
        raise InvalidTransaction("InvalidSignature")
    if signed.size > config.MAX_TRANSACTION_SIZE:
        raise InvalidTransaction(
            {"TransactionSizeExceeded": {"size": signed.size, "limit": config.MAX_TRANSACTION_SIZE}}
        )
    actions_error = validate_actions(tx.actions)
    if actions_error is not None:
        raise InvalidTransaction({"ActionsValidation": actions_error})

    sir = tx.signer_id == tx.receiver_id
    gas_burnt = config.fee("NEW_ACTION_RECEIPT").send(sir) + config.total_send_fees(tx.actions, tx.receiver_id, sir)
    prepaid_gas = config.total_prepaid_gas(tx.actions) + config.total_prepaid_send_fees(tx.actions)
    gas_remaining = (
        prepaid_gas
        + config.fee("NEW_ACTION_RECEIPT").execution
        + config.total_prepaid_exec_fees(tx.actions, tx.receiver_id)
    )
    burnt_amount = config.gas_to_balance(gas_burnt, ctx.gas_price)
    total_cost = burnt_amount + config.gas_to_balance(gas_remaining, ctx.gas_price) + config.total_deposit(tx.actions)

    signer = state.get_account(tx.signer_id)
    if signer is None:
        raise InvalidTransaction({"SignerDoesNotExist": {"signer_id": tx.signer_id}})
    access_key = None if keyless else state.get_access_key(tx.signer_id, tx.public_key)
    if access_key is None and not keyless:
        raise InvalidTransaction(
            {
                "InvalidAccessKeyError": {
                    "AccessKeyNotFound": {"account_id": tx.signer_id, "public_key": public_key_text(tx.public_key)}
                }
            }
        )
    if access_key is not None:
        if tx.nonce <= access_key.nonce:
            raise InvalidTransaction({"InvalidNonce": {"tx_nonce": tx.nonce, "ak_nonce": access_key.nonce}})
        upper_bound = ctx.height * config.ACCESS_KEY_NONCE_RANGE_MULTIPLIER
        if tx.nonce >= upper_bound:
            raise InvalidTransaction({"NonceTooLarge": {"tx_nonce": tx.nonce, "upper_bound": upper_bound}})
    if signer.amount < total_cost:
        raise InvalidTransaction(
            {"NotEnoughBalance": {"signer_id": tx.signer_id, "balance": str(signer.amount), "cost": str(total_cost)}}
        )
    signer = replace(signer, amount=signer.amount - total_cost)

    if access_key is not None:
        permission = access_key.permission
        if isinstance(permission, FunctionCallPermission) and permission.allowance is not None:
            if permission.allowance < total_cost:
                raise InvalidTransaction(
                    {
                        "InvalidAccessKeyError": {
                            "NotEnoughAllowance": {
                                "account_id": tx.signer_id,
                                "public_key": public_key_text(tx.public_key),
                                "allowance": str(permission.allowance),
                                "cost": str(total_cost),
                            }
                        }
                    }
                )
            permission = replace(permission, allowance=permission.allowance - total_cost)
        lacking = check_storage_stake(signer)
        if lacking:
            raise InvalidTransaction({"LackBalanceForState": {"signer_id": tx.signer_id, "amount": str(lacking)}})
        if isinstance(permission, FunctionCallPermission):
            check_function_call_key(tx.actions, tx.receiver_id, permission, InvalidTransaction, wrap=True)
        state.set_access_key(tx.signer_id, tx.public_key, AccessKey(tx.nonce, permission))
    else:
        lacking = check_storage_stake(signer)
        if lacking:
            raise InvalidTransaction({"LackBalanceForState": {"signer_id": tx.signer_id, "amount": str(lacking)}})
    state.set_account(tx.signer_id, signer)

    receipt_id = transaction_receipt_id(signed.hash, ctx)
    receipt = ActionReceipt(
        receipt_id=receipt_id,
        predecessor_id=tx.signer_id,
        receiver_id=tx.receiver_id,
        signer_id=tx.signer_id,
        signer_public_key=tx.public_key,
        gas_price=ctx.gas_price,
        actions=list(tx.actions),
    )
    outcome = Outcome(
        id=signed.hash,
        executor_id=tx.signer_id,
        status=("SuccessReceiptId", receipt_id),
        gas_burnt=gas_burnt,
        tokens_burnt=burnt_amount,
        receipt_ids=[receipt_id],
    )
    return Conversion(outcome, receipt, burnt_amount)


def check_function_call_key(actions, receiver_id, permission, error_type, *, wrap: bool):
    """A function-call key may sign exactly one non-paying call to its receiver and methods."""

    def fail(reason):
        raise error_type({"InvalidAccessKeyError": reason} if wrap else reason)

    if len(actions) != 1 or not isinstance(actions[0], FunctionCall):
        fail("RequiresFullAccess")
    call = actions[0]
    if call.deposit > 0:
        fail("DepositWithFunctionCall")
    if receiver_id != permission.receiver_id:
        fail({"ReceiverMismatch": {"tx_receiver": receiver_id, "ak_receiver": permission.receiver_id}})
    if permission.method_names and call.method_name not in permission.method_names:
        fail({"MethodNameMismatch": {"method_name": call.method_name}})
