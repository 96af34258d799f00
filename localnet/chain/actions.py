"""What each action does to the receiver's account (nearcore's runtime/runtime/src/actions.rs).

`apply_action` charges an action's execution fee, checks that the account
exists (or may be created) and that the predecessor may act on it, then runs
it on the receipt's `ReceiptRun`: its account record, its state overlay, gas,
logs and the receipts it creates.  A refused action raises `ActionFailed`
with nearcore's ActionErrorKind; `runtime.py` then drops the whole receipt.
"""
from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass, field, replace
from typing import Callable, Optional

from .. import borsh
from ..engine.api import VMContext, VMError
from ..primitives import (
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
    Stake,
    Transfer,
    is_implicit_account_id,
)
from . import config
from .keys import implicit_account_public_key, public_key_text, verify_signature
from .receipts import EMPTY_ED25519_KEY, ActionReceipt, BlockContext, refund_receipt
from .state import NO_CODE_HASH, AccountRecord, AccountStorageReader, StateUpdate, access_key_storage_usage
from .verifier import check_function_call_key, validate_new_receipt

Runner = Callable[..., object]  # localnet.engine.run's signature


class ActionFailed(Exception):
    def __init__(self, kind):
        self.kind = kind


class DelegateRefused(Exception):
    def __init__(self, reason):
        self.reason = reason


@dataclass
class PromiseIndex:
    """The method returned a promise: index into the receipt's new receipts."""

    index: int


@dataclass
class ReceiptRun:
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
    return_data: object = None  # None | bytes | PromiseIndex
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


def apply_action(run: ReceiptRun, index: int, action, runner: Runner) -> None:
    receipt = run.receipt
    account_id = receipt.receiver_id
    run.burn(config.action_fee_items(action, account_id, send=False))
    check_account_existence(run, action)
    check_actor_permissions(run, action)
    if isinstance(action, CreateAccount):
        action_create_account(run)
    elif isinstance(action, DeployContract):
        action_deploy_contract(run, action)
    elif isinstance(action, FunctionCall):
        action_function_call(run, index, action, runner)
    elif isinstance(action, Transfer):
        action_transfer(run, action)
    elif isinstance(action, Stake):
        action_stake(run, action)
    elif isinstance(action, AddKey):
        action_add_key(run, action)
    elif isinstance(action, DeleteKey):
        action_delete_key(run, action)
    elif isinstance(action, DeleteAccount):
        action_delete_account(run, action)
    elif isinstance(action, SignedDelegate):
        apply_delegate_action(run, action)
    else:  # pragma: no cover - validate_actions lets nothing else through
        raise TypeError(f"unsupported action {type(action).__name__}")


def check_account_existence(run: ReceiptRun, action) -> None:
    account_id = run.receipt.receiver_id
    if isinstance(action, CreateAccount):
        if run.account is not None:
            raise ActionFailed({"AccountAlreadyExists": {"account_id": account_id}})
        if is_implicit_account_id(account_id):
            raise ActionFailed({"OnlyImplicitAccountCreationAllowed": {"account_id": account_id}})
    elif run.account is None:
        implicit_creation = (
            isinstance(action, Transfer)
            and len(run.receipt.actions) == 1
            and not run.receipt.is_refund
            and is_implicit_account_id(account_id)
        )
        if not implicit_creation:
            raise ActionFailed({"AccountDoesNotExist": {"account_id": account_id}})


def check_actor_permissions(run: ReceiptRun, action) -> None:
    account_id = run.receipt.receiver_id
    if isinstance(action, (DeployContract, Stake, AddKey, DeleteKey, DeleteAccount)):
        if run.actor_id != account_id:
            raise ActionFailed({"ActorNoPermission": {"account_id": account_id, "actor_id": run.actor_id}})
    if isinstance(action, DeleteAccount) and run.account.locked != 0:
        raise ActionFailed({"DeleteAccountStaking": {"account_id": account_id}})


def action_create_account(run: ReceiptRun) -> None:
    account_id = run.receipt.receiver_id
    predecessor_id = run.receipt.predecessor_id
    if "." not in account_id:
        if (
            len(account_id) < config.MIN_ALLOWED_TOP_LEVEL_ACCOUNT_LENGTH
            and predecessor_id != config.REGISTRAR_ACCOUNT_ID
        ):
            raise ActionFailed(
                {
                    "CreateAccountOnlyByRegistrar": {
                        "account_id": account_id,
                        "registrar_account_id": config.REGISTRAR_ACCOUNT_ID,
                        "predecessor_id": predecessor_id,
                    }
                }
            )
    elif account_id.split(".", 1)[1] != predecessor_id:
        raise ActionFailed({"CreateAccountNotAllowed": {"account_id": account_id, "predecessor_id": predecessor_id}})
    run.actor_id = account_id
    run.account = AccountRecord(0, 0, NO_CODE_HASH, config.STORAGE_NUM_BYTES_ACCOUNT)


def action_deploy_contract(run: ReceiptRun, action: DeployContract) -> None:
    account_id = run.receipt.receiver_id
    previous = run.state.get_code(account_id)
    storage_usage = run.account.storage_usage - (len(previous) if previous else 0) + len(action.code)
    run.state.set_code(account_id, action.code)
    run.account = replace(
        run.account, code_hash=hashlib.sha256(action.code).digest(), storage_usage=storage_usage
    )


def action_transfer(run: ReceiptRun, action: Transfer) -> None:
    account_id = run.receipt.receiver_id
    if run.account is None:
        # Transferring to an unused NEAR-implicit id creates it, keyed by the id itself.
        public_key = implicit_account_public_key(account_id)
        key = AccessKey(new_key_nonce(run), FullAccess())
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


def new_key_nonce(run: ReceiptRun) -> int:
    return (run.ctx.height - 1) * config.ACCESS_KEY_NONCE_RANGE_MULTIPLIER


def action_stake(run: ReceiptRun, action: Stake) -> None:
    # Localnet has no validator set to join: staking only moves balance in and out of `locked`.
    account = run.account
    account_id = run.receipt.receiver_id
    if action.stake > 0:
        if account.amount + account.locked < action.stake:
            raise ActionFailed(
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
            raise ActionFailed({"TriesToUnstake": {"account_id": account_id}})
        run.account = replace(account, amount=account.amount + account.locked, locked=0)


def action_add_key(run: ReceiptRun, action: AddKey) -> None:
    account_id = run.receipt.receiver_id
    if run.state.get_access_key(account_id, action.public_key) is not None:
        raise ActionFailed(
            {"AddKeyAlreadyExists": {"account_id": account_id, "public_key": public_key_text(action.public_key)}}
        )
    key = AccessKey(new_key_nonce(run), action.access_key.permission)
    run.state.set_access_key(account_id, action.public_key, key)
    usage = access_key_storage_usage(action.public_key, key, config.STORAGE_NUM_EXTRA_BYTES_RECORD)
    run.account = replace(run.account, storage_usage=run.account.storage_usage + usage)


def action_delete_key(run: ReceiptRun, action: DeleteKey) -> None:
    account_id = run.receipt.receiver_id
    key = run.state.get_access_key(account_id, action.public_key)
    if key is None:
        raise ActionFailed(
            {"DeleteKeyDoesNotExist": {"account_id": account_id, "public_key": public_key_text(action.public_key)}}
        )
    run.state.delete_access_key(account_id, action.public_key)
    usage = access_key_storage_usage(action.public_key, key, config.STORAGE_NUM_EXTRA_BYTES_RECORD)
    run.account = replace(run.account, storage_usage=max(0, run.account.storage_usage - usage))


def action_delete_account(run: ReceiptRun, action: DeleteAccount) -> None:
    account_id = run.receipt.receiver_id
    balance = run.account.amount
    run.state.remove_account_entirely(account_id)
    run.account = None
    if balance > 0:
        # The balance travels as a refund from `system`; a missing beneficiary burns it.
        run.new_receipts.append(refund_receipt(action.beneficiary_id, balance))


def action_function_call(run: ReceiptRun, index: int, action: FunctionCall, runner: Runner) -> None:
    receipt = run.receipt
    account_id = receipt.receiver_id
    code = run.state.get_code(account_id)
    if code is None:
        raise ActionFailed(
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
    outcome = runner(code, action.method_name, context, AccountStorageReader(run.state, account_id))
    run.gas_burnt += outcome.burnt_gas
    run.gas_used += outcome.used_gas
    run.gas_burnt_for_function_call += outcome.burnt_gas
    for name, gas in outcome.gas_profile.items():
        run.profile[name] = run.profile.get(name, 0) + gas
    run.logs.extend(outcome.logs)
    if outcome.error is not None:
        raise ActionFailed({"FunctionCallError": function_call_error_view(outcome.error)})

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
        problem = validate_new_receipt(new)
        if problem is not None:
            raise ActionFailed({"NewReceiptValidationError": problem})
    run.new_receipts.extend(created)

    returned = outcome.return_data
    if isinstance(returned, ReturnValue):
        run.return_data = returned.data
    elif isinstance(returned, ReturnPromise):
        run.return_data = PromiseIndex(offset + returned.receipt_index)


def apply_delegate_action(run: ReceiptRun, action: SignedDelegate) -> None:
    """NEP-366 meta transaction: run the sender's signed actions, paid for by this receipt's signer."""
    inner = action.delegate_action
    receipt = run.receipt
    state = run.state
    if not verify_signature(inner.public_key, action.signature, borsh.delegate_action_hash(inner)):
        raise ActionFailed("DelegateActionInvalidSignature")
    if run.ctx.height > inner.max_block_height:
        raise ActionFailed("DelegateActionExpired")
    if inner.sender_id != receipt.receiver_id:
        raise ActionFailed(
            {
                "DelegateActionSenderDoesNotMatchTxReceiver": {
                    "sender_id": inner.sender_id,
                    "receiver_id": receipt.receiver_id,
                }
            }
        )
    key = state.get_access_key(inner.sender_id, inner.public_key)
    if key is None:
        raise ActionFailed(
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
        raise ActionFailed({"DelegateActionInvalidNonce": {"delegate_nonce": inner.nonce, "ak_nonce": key.nonce}})
    upper_bound = run.ctx.height * config.ACCESS_KEY_NONCE_RANGE_MULTIPLIER
    if inner.nonce >= upper_bound:
        raise ActionFailed(
            {"DelegateActionNonceTooLarge": {"delegate_nonce": inner.nonce, "upper_bound": upper_bound}}
        )
    if isinstance(key.permission, FunctionCallPermission):
        try:
            check_function_call_key(inner.actions, inner.receiver_id, key.permission, DelegateRefused, wrap=False)
        except DelegateRefused as refused:
            raise ActionFailed({"DelegateActionAccessKeyError": refused.reason}) from None
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
