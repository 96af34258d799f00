"""Transactions become receipts; receipts run their actions and produce outcomes.

This follows nearcore's runtime (`runtime/runtime/src/{verifier,lib,actions}.rs`):

* `verify_and_charge_transaction` checks a transaction against the state,
  takes its whole cost from the signer up front (send fees burnt now,
  execution fees and attached gas prepaid at the transaction's gas price,
  deposits) and turns it into one action receipt.
* `apply_action_receipt` runs a receipt's actions in order against an
  overlay.  The first failing action stops the receipt and the overlay is
  dropped, so a failed receipt keeps none of its own changes, creates none
  of its promises, and refunds its deposits to the predecessor; gas it
  burnt stays burnt.  Unused prepaid gas goes back to the signer in a
  refund receipt from `system`.  Waiters on the receipt's result get a data
  receipt -- or, when the method returned a promise, are handed over to
  that promise's receipt.
"""
from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass, field, replace
from typing import Callable, Optional

from .. import borsh
from ..engine.api import VMContext, VMError
from ..engine.errors import rust_debug_str
from ..primitives import (
    ED25519,
    AccessKey,
    AddKey,
    CreateAccount,
    DeleteAccount,
    DeleteKey,
    DeployContract,
    FullAccess,
    FunctionCall,
    FunctionCallPermission,
    ReturnPromise,
    ReturnValue,
    SignedDelegate,
    SignedTransaction,
    Stake,
    Transfer,
    is_implicit_account_id,
    is_valid_account_id,
)
from . import config
from .errors import InvalidTransaction
from .keys import implicit_account_public_key, public_key_text, verify_signature
from .state import NO_CODE_HASH, AccountRecord, AccountStorageReader, StateUpdate, access_key_storage_usage
from .views import Outcome

EMPTY_ED25519_KEY = bytes([ED25519]) + bytes(32)


@dataclass(frozen=True)
class BlockContext:
    """What a receipt sees of the block it executes in."""

    height: int
    timestamp: int  # ns
    prev_hash: bytes
    random_value: bytes
    epoch_height: int
    gas_price: int = config.GAS_PRICE


@dataclass
class ActionReceipt:
    receipt_id: bytes
    predecessor_id: str
    receiver_id: str
    signer_id: str
    signer_public_key: bytes
    gas_price: int
    actions: list
    output_data_receivers: list[tuple[bytes, str]] = field(default_factory=list)  # (data_id, receiver_id)
    input_data_ids: list[bytes] = field(default_factory=list)

    @property
    def is_refund(self) -> bool:
        return self.predecessor_id == config.SYSTEM_ACCOUNT_ID


@dataclass
class DataReceipt:
    """A receipt's result travelling to a receipt that waits for it; None = the receipt failed."""

    data_id: bytes
    predecessor_id: str
    receiver_id: str
    data: Optional[bytes]


def refund_receipt(receiver_id: str, amount: int, signer_public_key: bytes = EMPTY_ED25519_KEY) -> ActionReceipt:
    """A balance refund from `system`: costs no gas, burns its amount if the receiver is gone."""
    return ActionReceipt(
        receipt_id=b"",
        predecessor_id=config.SYSTEM_ACCOUNT_ID,
        receiver_id=receiver_id,
        signer_id=receiver_id if signer_public_key != EMPTY_ED25519_KEY else config.SYSTEM_ACCOUNT_ID,
        signer_public_key=signer_public_key,
        gas_price=0,
        actions=[Transfer(amount)],
    )


# --------------------------------------------------------------------------
# Validation shared by transactions and receipts created by contracts.


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


# --------------------------------------------------------------------------
# Transactions.


@dataclass
class Conversion:
    """A valid transaction after charging: its outcome and the receipt it became."""

    outcome: Outcome
    receipt: ActionReceipt
    burnt_amount: int


def transaction_receipt_id(tx_hash: bytes, ctx: BlockContext) -> bytes:
    return hashlib.sha256(b"tx-receipt" + tx_hash + ctx.prev_hash + struct.pack("<Q", ctx.height)).digest()


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
            _check_function_call_key(tx.actions, tx.receiver_id, permission, InvalidTransaction, wrap=True)
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


def _check_function_call_key(actions, receiver_id, permission, error_type, *, wrap: bool):
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


# --------------------------------------------------------------------------
# Receipts.


class _ActionFailed(Exception):
    def __init__(self, kind):
        self.kind = kind


class _DelegateRefused(Exception):
    def __init__(self, reason):
        self.reason = reason


@dataclass
class _PromiseIndex:
    """The method returned a promise: index into the receipt's new receipts."""

    index: int


@dataclass
class ReceiptResult:
    outcome: Outcome
    new_receipts: list  # ActionReceipt and DataReceipt, ids assigned
    burnt_amount: int  # tokens taken out of circulation by this receipt
    succeeded: bool


@dataclass
class _ReceiptRun:
    receipt: ActionReceipt
    state: StateUpdate
    ctx: BlockContext
    promise_results: tuple
    account: Optional[AccountRecord]
    actor_id: str
    gas_burnt: int = 0
    gas_used: int = 0
    gas_burnt_for_function_call: int = 0
    profile: dict = field(default_factory=dict)
    logs: list = field(default_factory=list)
    new_receipts: list = field(default_factory=list)
    return_data: object = None  # None | bytes | _PromiseIndex
    data_counter: int = 0

    def burn(self, items) -> None:
        # Like nearcore, a receipt's own action fees are burnt but not listed in its
        # gas profile (a plain transfer's profile is empty); the profile shows what
        # the contract's code spent, including fees for the promises it created.
        for _, gas in items:
            self.gas_burnt += gas
            self.gas_used += gas

    def new_data_id(self) -> bytes:
        self.data_counter += 1
        return hashlib.sha256(
            b"data" + self.receipt.receipt_id + struct.pack("<QQ", self.ctx.height, self.data_counter)
        ).digest()


def child_receipt_id(parent_id: bytes, ctx: BlockContext, index: int) -> bytes:
    return hashlib.sha256(b"receipt" + parent_id + ctx.prev_hash + struct.pack("<QQ", ctx.height, index)).digest()


Runner = Callable[..., object]  # localnet.engine.run's signature


class Runtime:
    def __init__(self, runner: Callable[[], Runner]):
        # A callable returning the engine's `run`, so the engine is looked up only
        # when a contract actually runs.
        self._runner = runner

    def apply_action_receipt(
        self, store, receipt: ActionReceipt, promise_results: tuple, ctx: BlockContext
    ) -> ReceiptResult:
        state = StateUpdate(store)
        run = _ReceiptRun(
            receipt=receipt,
            state=state,
            ctx=ctx,
            promise_results=promise_results,
            account=state.get_account(receipt.receiver_id),
            actor_id=receipt.predecessor_id,
        )
        run.burn([("NEW_ACTION_RECEIPT", config.fee("NEW_ACTION_RECEIPT").execution)])
        error = None
        for index, action in enumerate(receipt.actions):
            run.return_data = None  # a receipt's result is its last action's
            try:
                self._apply_action(run, index, action)
            except _ActionFailed as failure:
                error = {"index": index, "kind": failure.kind}
                break

        if error is None and run.account is not None:
            lacking = check_storage_stake(run.account)
            if lacking:
                error = {
                    "index": None,
                    "kind": {"LackBalanceForState": {"account_id": receipt.receiver_id, "amount": str(lacking)}},
                }
            else:
                state.set_account(receipt.receiver_id, run.account)
        if error is not None:
            run.new_receipts = []  # a failed receipt's promises never happen

        burnt_amount = 0
        if receipt.is_refund:
            run.gas_burnt = run.gas_used = 0
            run.profile = {}
            if error is not None:
                burnt_amount += config.total_deposit(receipt.actions)
        else:
            run.new_receipts += self._refund_receipts(run, error is not None)

        if error is None:
            state.commit_into(store)
        tokens_burnt = config.gas_to_balance(run.gas_burnt, ctx.gas_price)
        burnt_amount += tokens_burnt

        # The contract earns a share of the gas its code burnt, even when the call failed.
        reward_gas = run.gas_burnt_for_function_call * config.BURNT_GAS_REWARD[0] // config.BURNT_GAS_REWARD[1]
        if reward_gas and not receipt.is_refund:
            reward_update = StateUpdate(store)
            account = reward_update.get_account(receipt.receiver_id)
            if account is not None:
                reward = config.gas_to_balance(reward_gas, ctx.gas_price)
                reward_update.set_account(receipt.receiver_id, replace(account, amount=account.amount + reward))
                reward_update.commit_into(store)
                burnt_amount -= reward

        new_receipts = run.new_receipts
        if receipt.output_data_receivers:
            if error is None and isinstance(run.return_data, _PromiseIndex):
                new_receipts[run.return_data.index].output_data_receivers.extend(receipt.output_data_receivers)
            else:
                data = None if error is not None else (run.return_data or b"")
                new_receipts = new_receipts + [
                    DataReceipt(data_id, receipt.receiver_id, receiver_id, data)
                    for data_id, receiver_id in receipt.output_data_receivers
                ]

        receipt_ids = []
        for index, new in enumerate(new_receipts):
            if isinstance(new, ActionReceipt):
                new.receipt_id = child_receipt_id(receipt.receipt_id, ctx, index)
                receipt_ids.append(new.receipt_id)

        if error is not None:
            status = ("Failure", {"ActionError": error})
        elif isinstance(run.return_data, _PromiseIndex):
            status = ("SuccessReceiptId", new_receipts[run.return_data.index].receipt_id)
        else:
            status = ("SuccessValue", run.return_data or b"")

        outcome = Outcome(
            id=receipt.receipt_id,
            executor_id=receipt.receiver_id,
            status=status,
            gas_burnt=run.gas_burnt,
            tokens_burnt=tokens_burnt,
            logs=run.logs,
            receipt_ids=receipt_ids,
            gas_profile=run.profile,
        )
        return ReceiptResult(outcome, new_receipts, burnt_amount, error is None)

    def _refund_receipts(self, run: _ReceiptRun, failed: bool) -> list[ActionReceipt]:
        receipt = run.receipt
        prepaid_gas = config.total_prepaid_gas(receipt.actions) + config.total_prepaid_send_fees(receipt.actions)
        prepaid_exec_gas = (
            config.total_prepaid_exec_fees(receipt.actions, receipt.receiver_id)
            + config.fee("NEW_ACTION_RECEIPT").execution
        )
        spent = run.gas_burnt if failed else run.gas_used
        gas_refund = max(0, prepaid_gas + prepaid_exec_gas - spent)
        # Localnet's gas price never changes, so there is no price difference to settle.
        gas_balance_refund = config.gas_to_balance(gas_refund, receipt.gas_price)
        refunds = []
        deposit_refund = config.total_deposit(receipt.actions) if failed else 0
        if deposit_refund > 0:
            refunds.append(refund_receipt(receipt.predecessor_id, deposit_refund))
        if gas_balance_refund > 0:
            refunds.append(refund_receipt(receipt.signer_id, gas_balance_refund, receipt.signer_public_key))
        return refunds

    # ---- actions ----------------------------------------------------------

    def _apply_action(self, run: _ReceiptRun, index: int, action) -> None:
        receipt = run.receipt
        account_id = receipt.receiver_id
        run.burn(config.action_fee_items(action, account_id, send=False))
        self._check_account_existence(run, action)
        self._check_actor_permissions(run, action)
        if isinstance(action, CreateAccount):
            self._create_account(run)
        elif isinstance(action, DeployContract):
            self._deploy_contract(run, action)
        elif isinstance(action, FunctionCall):
            self._function_call(run, index, action)
        elif isinstance(action, Transfer):
            self._transfer(run, action)
        elif isinstance(action, Stake):
            self._stake(run, action)
        elif isinstance(action, AddKey):
            self._add_key(run, action)
        elif isinstance(action, DeleteKey):
            self._delete_key(run, action)
        elif isinstance(action, DeleteAccount):
            self._delete_account(run, action)
        elif isinstance(action, SignedDelegate):
            self._delegate(run, action)
        else:  # pragma: no cover - validate_actions lets nothing else through
            raise TypeError(f"unsupported action {type(action).__name__}")

    def _check_account_existence(self, run: _ReceiptRun, action) -> None:
        account_id = run.receipt.receiver_id
        if isinstance(action, CreateAccount):
            if run.account is not None:
                raise _ActionFailed({"AccountAlreadyExists": {"account_id": account_id}})
            if is_implicit_account_id(account_id):
                raise _ActionFailed({"OnlyImplicitAccountCreationAllowed": {"account_id": account_id}})
        elif run.account is None:
            implicit_creation = (
                isinstance(action, Transfer)
                and len(run.receipt.actions) == 1
                and not run.receipt.is_refund
                and is_implicit_account_id(account_id)
            )
            if not implicit_creation:
                raise _ActionFailed({"AccountDoesNotExist": {"account_id": account_id}})

    def _check_actor_permissions(self, run: _ReceiptRun, action) -> None:
        account_id = run.receipt.receiver_id
        if isinstance(action, (DeployContract, Stake, AddKey, DeleteKey, DeleteAccount)):
            if run.actor_id != account_id:
                raise _ActionFailed({"ActorNoPermission": {"account_id": account_id, "actor_id": run.actor_id}})
        if isinstance(action, DeleteAccount) and run.account.locked != 0:
            raise _ActionFailed({"DeleteAccountStaking": {"account_id": account_id}})

    def _create_account(self, run: _ReceiptRun) -> None:
        account_id = run.receipt.receiver_id
        predecessor_id = run.receipt.predecessor_id
        if "." not in account_id:
            if (
                len(account_id) < config.MIN_ALLOWED_TOP_LEVEL_ACCOUNT_LENGTH
                and predecessor_id != config.REGISTRAR_ACCOUNT_ID
            ):
                raise _ActionFailed(
                    {
                        "CreateAccountOnlyByRegistrar": {
                            "account_id": account_id,
                            "registrar_account_id": config.REGISTRAR_ACCOUNT_ID,
                            "predecessor_id": predecessor_id,
                        }
                    }
                )
        elif account_id.split(".", 1)[1] != predecessor_id:
            raise _ActionFailed({"CreateAccountNotAllowed": {"account_id": account_id, "predecessor_id": predecessor_id}})
        run.actor_id = account_id
        run.account = AccountRecord(0, 0, NO_CODE_HASH, config.STORAGE_NUM_BYTES_ACCOUNT)

    def _deploy_contract(self, run: _ReceiptRun, action: DeployContract) -> None:
        account_id = run.receipt.receiver_id
        previous = run.state.get_code(account_id)
        storage_usage = run.account.storage_usage - (len(previous) if previous else 0) + len(action.code)
        run.state.set_code(account_id, action.code)
        run.account = replace(
            run.account, code_hash=hashlib.sha256(action.code).digest(), storage_usage=storage_usage
        )

    def _transfer(self, run: _ReceiptRun, action: Transfer) -> None:
        account_id = run.receipt.receiver_id
        if run.account is None:
            # Transferring to an unused NEAR-implicit id creates it, keyed by the id itself.
            public_key = implicit_account_public_key(account_id)
            key = AccessKey(self._new_key_nonce(run), FullAccess())
            run.state.set_access_key(account_id, public_key, key)
            run.account = AccountRecord(
                action.deposit,
                0,
                NO_CODE_HASH,
                config.STORAGE_NUM_BYTES_ACCOUNT
                + access_key_storage_usage(public_key, key, config.STORAGE_NUM_EXTRA_BYTES_RECORD),
            )
            return
        run.account = replace(run.account, amount=run.account.amount + action.deposit)
        if run.receipt.is_refund and run.receipt.signer_public_key != EMPTY_ED25519_KEY:
            # A gas refund gives back the allowance the function-call key spent on it.
            key = run.state.get_access_key(account_id, run.receipt.signer_public_key)
            if key is not None and isinstance(key.permission, FunctionCallPermission) and key.permission.allowance is not None:
                permission = replace(key.permission, allowance=key.permission.allowance + action.deposit)
                run.state.set_access_key(account_id, run.receipt.signer_public_key, replace(key, permission=permission))

    @staticmethod
    def _new_key_nonce(run: _ReceiptRun) -> int:
        return (run.ctx.height - 1) * config.ACCESS_KEY_NONCE_RANGE_MULTIPLIER

    def _stake(self, run: _ReceiptRun, action: Stake) -> None:
        # Localnet has no validator set to join: staking only moves balance in and out of `locked`.
        account = run.account
        account_id = run.receipt.receiver_id
        if action.stake > 0:
            if account.amount + account.locked < action.stake:
                raise _ActionFailed(
                    {
                        "TriesToStake": {
                            "account_id": account_id,
                            "stake": str(action.stake),
                            "locked": str(account.locked),
                            "balance": str(account.amount),
                        }
                    }
                )
            run.account = replace(account, amount=account.amount + account.locked - action.stake, locked=action.stake)
        else:
            if account.locked == 0:
                raise _ActionFailed({"TriesToUnstake": {"account_id": account_id}})
            run.account = replace(account, amount=account.amount + account.locked, locked=0)

    def _add_key(self, run: _ReceiptRun, action: AddKey) -> None:
        account_id = run.receipt.receiver_id
        if run.state.get_access_key(account_id, action.public_key) is not None:
            raise _ActionFailed(
                {"AddKeyAlreadyExists": {"account_id": account_id, "public_key": public_key_text(action.public_key)}}
            )
        key = AccessKey(self._new_key_nonce(run), action.access_key.permission)
        run.state.set_access_key(account_id, action.public_key, key)
        usage = access_key_storage_usage(action.public_key, key, config.STORAGE_NUM_EXTRA_BYTES_RECORD)
        run.account = replace(run.account, storage_usage=run.account.storage_usage + usage)

    def _delete_key(self, run: _ReceiptRun, action: DeleteKey) -> None:
        account_id = run.receipt.receiver_id
        key = run.state.get_access_key(account_id, action.public_key)
        if key is None:
            raise _ActionFailed(
                {"DeleteKeyDoesNotExist": {"account_id": account_id, "public_key": public_key_text(action.public_key)}}
            )
        run.state.delete_access_key(account_id, action.public_key)
        usage = access_key_storage_usage(action.public_key, key, config.STORAGE_NUM_EXTRA_BYTES_RECORD)
        run.account = replace(run.account, storage_usage=max(0, run.account.storage_usage - usage))

    def _delete_account(self, run: _ReceiptRun, action: DeleteAccount) -> None:
        account_id = run.receipt.receiver_id
        balance = run.account.amount
        run.state.remove_account_entirely(account_id)
        run.account = None
        if balance > 0:
            # The balance travels as a refund from `system`; a missing beneficiary burns it.
            run.new_receipts.append(refund_receipt(action.beneficiary_id, balance))

    def _function_call(self, run: _ReceiptRun, index: int, action: FunctionCall) -> None:
        receipt = run.receipt
        account_id = receipt.receiver_id
        code = run.state.get_code(account_id)
        if code is None:
            raise _ActionFailed(
                {"FunctionCallError": {"CompilationError": {"CodeDoesNotExist": {"account_id": account_id}}}}
            )
        account = replace(run.account, amount=run.account.amount + action.deposit)
        action_hash = hashlib.sha256(b"action" + receipt.receipt_id + struct.pack("<Q", index)).digest()
        context = VMContext(
            current_account_id=account_id,
            signer_account_id=receipt.signer_id,
            signer_account_pk=receipt.signer_public_key,
            predecessor_account_id=receipt.predecessor_id,
            input=action.args,
            block_height=run.ctx.height,
            block_timestamp=run.ctx.timestamp,
            epoch_height=run.ctx.epoch_height,
            account_balance=account.amount,
            account_locked_balance=account.locked,
            storage_usage=account.storage_usage,
            attached_deposit=action.deposit,
            prepaid_gas=action.gas,
            random_seed=hashlib.sha256(action_hash + run.ctx.random_value).digest(),
            view=False,
            promise_results=run.promise_results,
            # Only the last action's result reaches the receipt's waiters (nearcore ignores
            # the output data receivers for earlier calls in a batch).
            output_data_receivers=(
                tuple(receiver for _, receiver in receipt.output_data_receivers)
                if index == len(receipt.actions) - 1
                else ()
            ),
        )
        outcome = self._runner()(code, action.method_name, context, AccountStorageReader(run.state, account_id))
        run.gas_burnt += outcome.burnt_gas
        run.gas_used += outcome.used_gas
        run.gas_burnt_for_function_call += outcome.burnt_gas
        for name, gas in outcome.gas_profile.items():
            run.profile[name] = run.profile.get(name, 0) + gas
        run.logs.extend(outcome.logs)
        if outcome.error is not None:
            raise _ActionFailed({"FunctionCallError": function_call_error_view(outcome.error)})

        for key, value in outcome.storage_writes.items():
            run.state.set_data(account_id, key, value)
        run.account = replace(account, amount=outcome.balance, storage_usage=outcome.storage_usage)

        offset = len(run.new_receipts)
        created = [
            ActionReceipt(
                receipt_id=b"",
                predecessor_id=account_id,
                receiver_id=outgoing.receiver_id,
                signer_id=receipt.signer_id,
                signer_public_key=receipt.signer_public_key,
                gas_price=receipt.gas_price,
                actions=list(outgoing.actions),
            )
            for outgoing in outcome.receipts
        ]
        for position, outgoing in enumerate(outcome.receipts):
            for dependency in outgoing.depends_on:
                data_id = run.new_data_id()
                created[dependency].output_data_receivers.append((data_id, created[position].receiver_id))
                created[position].input_data_ids.append(data_id)
        for new in created:
            problem = _validate_new_receipt(new)
            if problem is not None:
                raise _ActionFailed({"NewReceiptValidationError": problem})
        run.new_receipts.extend(created)

        returned = outcome.return_data
        if isinstance(returned, ReturnValue):
            run.return_data = returned.data
        elif isinstance(returned, ReturnPromise):
            run.return_data = _PromiseIndex(offset + returned.receipt_index)

    def _delegate(self, run: _ReceiptRun, action: SignedDelegate) -> None:
        """NEP-366 meta transaction: run the sender's signed actions, paid for by this receipt's signer."""
        inner = action.delegate_action
        receipt = run.receipt
        state = run.state
        if not verify_signature(inner.public_key, action.signature, borsh.delegate_action_hash(inner)):
            raise _ActionFailed("DelegateActionInvalidSignature")
        if run.ctx.height > inner.max_block_height:
            raise _ActionFailed("DelegateActionExpired")
        if inner.sender_id != receipt.receiver_id:
            raise _ActionFailed(
                {
                    "DelegateActionSenderDoesNotMatchTxReceiver": {
                        "sender_id": inner.sender_id,
                        "receiver_id": receipt.receiver_id,
                    }
                }
            )
        key = state.get_access_key(inner.sender_id, inner.public_key)
        if key is None:
            raise _ActionFailed(
                {
                    "DelegateActionAccessKeyError": {
                        "AccessKeyNotFound": {
                            "account_id": inner.sender_id,
                            "public_key": public_key_text(inner.public_key),
                        }
                    }
                }
            )
        if inner.nonce <= key.nonce:
            raise _ActionFailed({"DelegateActionInvalidNonce": {"delegate_nonce": inner.nonce, "ak_nonce": key.nonce}})
        upper_bound = run.ctx.height * config.ACCESS_KEY_NONCE_RANGE_MULTIPLIER
        if inner.nonce >= upper_bound:
            raise _ActionFailed(
                {"DelegateActionNonceTooLarge": {"delegate_nonce": inner.nonce, "upper_bound": upper_bound}}
            )
        if isinstance(key.permission, FunctionCallPermission):
            try:
                _check_function_call_key(inner.actions, inner.receiver_id, key.permission, _DelegateRefused, wrap=False)
            except _DelegateRefused as refused:
                raise _ActionFailed({"DelegateActionAccessKeyError": refused.reason}) from None
        state.set_access_key(inner.sender_id, inner.public_key, replace(key, nonce=inner.nonce))

        new = ActionReceipt(
            receipt_id=b"",
            predecessor_id=inner.sender_id,
            receiver_id=inner.receiver_id,
            signer_id=receipt.signer_id,
            signer_public_key=receipt.signer_public_key,
            gas_price=receipt.gas_price,
            actions=list(inner.actions),
        )
        required_gas = (
            config.fee("NEW_ACTION_RECEIPT").execution
            + config.total_prepaid_exec_fees(inner.actions, inner.receiver_id)
            + config.total_prepaid_gas(inner.actions)
        )
        send_fees = config.total_send_fees(inner.actions, inner.receiver_id, inner.sender_id == inner.receiver_id)
        run.gas_used += required_gas + send_fees
        run.gas_burnt += send_fees
        run.new_receipts.append(new)


def _validate_new_receipt(receipt: ActionReceipt) -> Optional[object]:
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


_WRAPPED = re.compile(r"^(\w+)\((.*)\)$", re.S)


def function_call_error_view(error: VMError) -> object:
    """The engine's error as nearcore's FunctionCallError JSON (inside ActionError.kind)."""
    if getattr(error, "data", None) is not None:
        return error.data
    message = error.message
    if error.kind == "MethodResolveError":
        match = _WRAPPED.match(message)
        return {"MethodResolveError": match.group(2) if match and match.group(1) == "MethodResolveError" else message}
    if error.kind == "CompilationError":
        match = _WRAPPED.match(message)
        if match and match.group(1) == "PrepareError":
            return {"CompilationError": {"PrepareError": match.group(2)}}
        return {"CompilationError": {"WasmerCompileError": {"msg": message}}}
    if error.kind == "LinkError":
        return {"LinkError": {"msg": message}}
    return {"ExecutionError": message}


def view_error_text(error: VMError) -> str:
    """What nearcore puts after "wasm execution failed with error: " -- Rust's Debug of the error."""
    debug = getattr(error, "debug_message", "")
    if debug:
        return debug
    message = error.message
    panic_prefix = "Smart contract panicked: "
    if error.kind == "ExecutionError" and message.startswith(panic_prefix):
        return f"HostError(GuestPanic {{ panic_msg: {rust_debug_str(message[len(panic_prefix):])} }})"
    if error.kind == "ExecutionError" and message == "Exceeded the prepaid gas.":
        return "HostError(GasExceeded)"
    if error.kind == "ExecutionError" and message == "Exceeded the maximum amount of gas allowed to burn per contract.":
        return "HostError(GasLimitExceeded)"
    return message
