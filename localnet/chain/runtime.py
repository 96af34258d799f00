"""Receipt application (nearcore's runtime/runtime/src/lib.rs `apply_action_receipt`).

`apply_action_receipt` runs a receipt's actions in order against an
overlay.  The first failing action stops the receipt and the overlay is
dropped, so a failed receipt keeps none of its own changes, creates none
of its promises, and refunds its deposits to the predecessor; gas it
burnt stays burnt.  Unused prepaid gas goes back to the signer in a
refund receipt from `system`.  Waiters on the receipt's result get a data
receipt -- or, when the method returned a promise, are handed over to
that promise's receipt.  Transactions become receipts in `verifier.py`;
each action's effect is in `actions.py`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Optional

from ..primitives import PromiseResult
from . import config
from .actions import ActionFailed, PromiseIndex, ReceiptRun, Runner, apply_action
from .receipts import ActionReceipt, BlockContext, DataReceipt, child_receipt_id, refund_receipt
from .state import StateUpdate
from .verifier import check_storage_stake
from .views import Outcome


@dataclass
class ReceiptResult:
    outcome: Outcome
    new_receipts: list  # ActionReceipt and DataReceipt, ids assigned
    burnt_amount: int  # tokens taken out of circulation by this receipt
    succeeded: bool


class Runtime:
    def __init__(self, runner: Callable[[], Runner]):
        # A callable returning the engine's `run`, so the engine is looked up only
        # when a contract actually runs.
        self._runner = runner

    def apply_action_receipt(
        self, store, receipt: ActionReceipt, promise_results: tuple, ctx: BlockContext
    ) -> ReceiptResult:
        state = StateUpdate(store)
        run = ReceiptRun(
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
                apply_action(run, index, action, self._runner())
            except ActionFailed as failure:
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
            if error is None and isinstance(run.return_data, PromiseIndex):
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
        elif isinstance(run.return_data, PromiseIndex):
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

    def _refund_receipts(self, run: ReceiptRun, failed: bool) -> list[ActionReceipt]:
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


@dataclass
class ReceiptQueue:
    """Receipts between blocks, each with the hash of the transaction it belongs to.

    As in nearcore's `Runtime::apply`, an action receipt whose input data has not
    all arrived is postponed, and data that arrives before its receipt is kept;
    `arrive` hands back the action receipt a receipt (or data) made ready, with
    its promise results in input order.
    """

    incoming: list = field(default_factory=list)  # (tx hash, receipt) for the next block
    postponed: dict = field(default_factory=dict)  # receipt id -> [receipt, missing input count, tx hash]
    waiting: dict = field(default_factory=dict)  # (receiver, data id) -> postponed receipt id
    received: dict = field(default_factory=dict)  # (receiver, data id) -> data (None: the sender failed)

    def take_incoming(self) -> list:
        arriving, self.incoming = self.incoming, []
        return arriving

    def running_transactions(self) -> set[bytes]:
        """The transactions with receipts still to execute."""
        return {tx_hash for tx_hash, _ in self.incoming} | {entry[2] for entry in self.postponed.values()}

    def arrive(self, tx_hash: bytes, receipt) -> Optional[tuple[ActionReceipt, tuple]]:
        ready: Optional[ActionReceipt] = None
        if isinstance(receipt, DataReceipt):
            key = (receipt.receiver_id, receipt.data_id)
            self.received[key] = receipt.data
            waiting_id = self.waiting.pop(key, None)
            if waiting_id is not None:
                entry = self.postponed[waiting_id]
                entry[1] -= 1
                if entry[1] == 0:
                    ready = self.postponed.pop(waiting_id)[0]
        else:
            missing = [d for d in receipt.input_data_ids if (receipt.receiver_id, d) not in self.received]
            if missing:
                self.postponed[receipt.receipt_id] = [receipt, len(missing), tx_hash]
                for data_id in missing:
                    self.waiting[(receipt.receiver_id, data_id)] = receipt.receipt_id
            else:
                ready = receipt
        if ready is None:
            return None
        results = []
        for data_id in ready.input_data_ids:
            data = self.received.pop((ready.receiver_id, data_id))
            results.append(PromiseResult(data is not None, data or b""))
        return ready, tuple(results)
