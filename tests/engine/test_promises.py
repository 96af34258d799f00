"""Promises become outgoing receipts with NEAR's actions, dependencies and fees."""
from __future__ import annotations

from localnet.engine import DEFAULT_CONFIG
from localnet.primitives import (
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
    Stake,
    Transfer,
)

from .conftest import BASE_CONTEXT, MAX_GAS, TGAS, near_module, run_wat

FEES = DEFAULT_CONFIG.action_fees
NEAR = 10**24
KEY = b"\x00" + bytes(range(1, 33))

# Memory layout shared by the contracts below.
DATA = f"""
  (data (i32.const 0) "bob.test.near")
  (data (i32.const 16) "carol.test.near")
  (data (i32.const 32) "callback")
  (data (i32.const 48) "{{}}")
  (data (i32.const 96) "{''.join(f'{chr(92)}{b:02x}' for b in KEY)}")
  (data (i32.const 160) "get,set")
  (data (i32.const 192) "contract.test.near")
"""
BOB = "(i64.const 13) (i64.const 0)"
CAROL = "(i64.const 15) (i64.const 16)"
SELF = "(i64.const 18) (i64.const 192)"
METHOD = "(i64.const 8) (i64.const 32)"
ARGS = "(i64.const 2) (i64.const 48)"
AMOUNT_PTR = "(i64.const 64)"
KEY_ARG = "(i64.const 33) (i64.const 96)"

PROMISE_IMPORTS = [
    "promise_create",
    "promise_then",
    "promise_and",
    "promise_batch_create",
    "promise_batch_then",
    "promise_batch_action_create_account",
    "promise_batch_action_deploy_contract",
    "promise_batch_action_function_call",
    "promise_batch_action_function_call_weight",
    "promise_batch_action_transfer",
    "promise_batch_action_stake",
    "promise_batch_action_add_key_with_full_access",
    "promise_batch_action_add_key_with_function_call",
    "promise_batch_action_delete_key",
    "promise_batch_action_delete_account",
    "promise_return",
]


def set_amount(amount: int) -> str:
    low, high = amount & (2**64 - 1), amount >> 64
    return f"(i64.store (i32.const 64) (i64.const {_signed(low)})) (i64.store (i32.const 72) (i64.const {_signed(high)}))"


def _signed(value: int) -> int:
    return value - 2**64 if value >= 2**63 else value


def promise_module(body: str) -> str:
    return near_module(f'(func (export "main") (local i64 i64 i64 i64) {body})', PROMISE_IMPORTS, DATA)


def run_promises(body: str, **context_overrides):
    outcome = run_wat(promise_module(body), **context_overrides)
    assert outcome.error is None, outcome.error
    return outcome


def test_promise_create_makes_a_function_call_receipt():
    outcome = run_promises(
        f"{set_amount(7)} (drop (call $promise_create {BOB} {METHOD} {ARGS} {AMOUNT_PTR} (i64.const {5 * TGAS})))"
    )
    assert len(outcome.receipts) == 1
    receipt = outcome.receipts[0]
    assert receipt.receiver_id == "bob.test.near"
    assert receipt.depends_on == []
    assert receipt.actions == [FunctionCall("callback", b"{}", 5 * TGAS, 7, 0)]
    assert outcome.balance == BASE_CONTEXT.account_balance - 7


def test_used_gas_holds_receipt_execution_fees_and_attached_gas_on_top_of_burnt():
    outcome = run_promises(
        f"{set_amount(0)} (drop (call $promise_create {BOB} {METHOD} {ARGS} {AMOUNT_PTR} (i64.const {5 * TGAS})))"
    )
    payload = len("callback") + len("{}")
    expected_prepaid = (
        FEES["NEW_ACTION_RECEIPT"].execution
        + FEES["FUNCTION_CALL_BASE"].execution
        + FEES["FUNCTION_CALL_BYTE"].execution * payload
        + 5 * TGAS
    )
    assert outcome.used_gas - outcome.burnt_gas == expected_prepaid
    send_fees = (
        FEES["NEW_ACTION_RECEIPT"].send_not_sir
        + FEES["FUNCTION_CALL_BASE"].send_not_sir
        + FEES["FUNCTION_CALL_BYTE"].send_not_sir * payload
    )
    profile = outcome.gas_profile
    assert profile["NEW_ACTION_RECEIPT"] + profile["FUNCTION_CALL_BASE"] + profile["FUNCTION_CALL_BYTE"] == send_fees
    assert sum(profile.values()) == outcome.burnt_gas


def test_calls_to_self_pay_same_shard_send_fees():
    outcome = run_promises(
        f"{set_amount(0)} (drop (call $promise_create {SELF} {METHOD} {ARGS} {AMOUNT_PTR} (i64.const 0)))"
    )
    payload = len("callback") + len("{}")
    assert outcome.gas_profile["FUNCTION_CALL_BYTE"] == FEES["FUNCTION_CALL_BYTE"].send_sir * payload


def test_promise_then_depends_on_its_promise_and_pays_for_the_data_receipt():
    outcome = run_promises(
        f"""{set_amount(0)}
        (local.set 0 (call $promise_create {BOB} {METHOD} {ARGS} {AMOUNT_PTR} (i64.const 0)))
        (drop (call $promise_then (local.get 0) {SELF} {METHOD} {ARGS} {AMOUNT_PTR} (i64.const 0)))"""
    )
    assert [r.receiver_id for r in outcome.receipts] == ["bob.test.near", "contract.test.near"]
    assert outcome.receipts[1].depends_on == [0]
    data_fee = FEES["NEW_DATA_RECEIPT_BASE"]
    receipt_fee = FEES["NEW_ACTION_RECEIPT"]
    # Both receipts' send fees plus the data receipt's full cost are burnt.
    assert outcome.gas_profile["NEW_ACTION_RECEIPT"] == (
        receipt_fee.send_not_sir + receipt_fee.send_sir + data_fee.send_not_sir + data_fee.execution
    )


def test_promise_and_is_flattened_into_dependencies():
    outcome = run_promises(
        f"""{set_amount(0)}
        (local.set 0 (call $promise_batch_create {BOB}))
        (local.set 1 (call $promise_batch_create {CAROL}))
        (i64.store (i32.const 400) (local.get 0))
        (i64.store (i32.const 408) (local.get 1))
        (local.set 2 (call $promise_and (i64.const 400) (i64.const 2)))
        (i64.store (i32.const 416) (local.get 2))
        (i64.store (i32.const 424) (local.get 0))
        (local.set 3 (call $promise_and (i64.const 416) (i64.const 2)))
        (drop (call $promise_batch_then (local.get 3) {SELF}))"""
    )
    assert len(outcome.receipts) == 3
    assert outcome.receipts[2].depends_on == [0, 1, 0]


def test_actions_cannot_be_appended_to_a_joint_promise():
    wat = promise_module(
        f"""(local.set 0 (call $promise_batch_create {BOB}))
        (i64.store (i32.const 400) (local.get 0))
        (local.set 1 (call $promise_and (i64.const 400) (i64.const 1)))
        (call $promise_batch_action_create_account (local.get 1))"""
    )
    assert run_wat(wat).error.message == "Actions can only be appended to non-joint promise."


def test_batch_actions_are_recorded_in_order():
    outcome = run_promises(
        f"""(local.set 0 (call $promise_batch_create {CAROL}))
        (call $promise_batch_action_create_account (local.get 0))
        {set_amount(NEAR)}
        (call $promise_batch_action_transfer (local.get 0) {AMOUNT_PTR})
        (call $promise_batch_action_deploy_contract (local.get 0) (i64.const 4) (i64.const 192))
        (call $promise_batch_action_add_key_with_full_access (local.get 0) {KEY_ARG} (i64.const 0))
        {set_amount(5)}
        (call $promise_batch_action_add_key_with_function_call (local.get 0) {KEY_ARG} (i64.const 3)
            {AMOUNT_PTR} {BOB} (i64.const 7) (i64.const 160))
        (call $promise_batch_action_stake (local.get 0) {AMOUNT_PTR} {KEY_ARG})
        (call $promise_batch_action_delete_key (local.get 0) {KEY_ARG})
        (call $promise_batch_action_function_call_weight (local.get 0) {METHOD} {ARGS} {AMOUNT_PTR} (i64.const 1000) (i64.const 0))
        (call $promise_batch_action_delete_account (local.get 0) {BOB})"""
    )
    assert outcome.receipts[0].receiver_id == "carol.test.near"
    assert outcome.receipts[0].actions == [
        CreateAccount(),
        Transfer(NEAR),
        DeployContract(b"cont"),
        AddKey(KEY, AccessKey(0, FullAccess())),
        AddKey(KEY, AccessKey(3, FunctionCallPermission(5, "bob.test.near", ("get", "set")))),
        Stake(5, KEY),
        DeleteKey(KEY),
        FunctionCall("callback", b"{}", 1000, 5, 0),
        DeleteAccount("bob.test.near"),
    ]
    assert outcome.balance == BASE_CONTEXT.account_balance - NEAR - 5


def test_zero_allowance_means_unlimited_function_call_key():
    outcome = run_promises(
        f"""(local.set 0 (call $promise_batch_create {CAROL}))
        {set_amount(0)}
        (call $promise_batch_action_add_key_with_function_call (local.get 0) {KEY_ARG} (i64.const 0)
            {AMOUNT_PTR} {BOB} (i64.const 0) (i64.const 160))"""
    )
    permission = outcome.receipts[0].actions[0].access_key.permission
    assert permission == FunctionCallPermission(None, "bob.test.near", ())


def test_attaching_more_than_the_balance_fails():
    wat = promise_module(
        f"""{set_amount(BASE_CONTEXT.account_balance + 1)}
        (call $promise_batch_action_transfer (call $promise_batch_create {BOB}) {AMOUNT_PTR})"""
    )
    outcome = run_wat(wat)
    assert outcome.error.message == "Exceeded the account balance."
    assert outcome.error.debug_message == "HostError(BalanceExceeded)"
    assert outcome.receipts == []


def test_invalid_receiver_account_id():
    wat = promise_module('(drop (call $promise_batch_create (i64.const 3) (i64.const 48)))')
    assert run_wat(wat).error.message == "VM Logic returned an invalid account id"


def test_invalid_public_key_is_reported():
    wat = promise_module(
        f"(call $promise_batch_action_delete_key (call $promise_batch_create {BOB}) (i64.const 32) (i64.const 96))"
    )
    assert run_wat(wat).error.message == "VM Logic provided an invalid public key"


def test_unknown_promise_index():
    wat = promise_module("(call $promise_batch_action_create_account (i64.const 3))")
    assert run_wat(wat).error.message == "3 does not correspond to existing promises"


def test_promise_return_forwards_the_receipt_result():
    outcome = run_promises(
        f"""{set_amount(0)}
        (drop (call $promise_batch_create {CAROL}))
        (local.set 0 (call $promise_create {BOB} {METHOD} {ARGS} {AMOUNT_PTR} (i64.const 0)))
        (call $promise_return (local.get 0))"""
    )
    assert outcome.return_data == ReturnPromise(1)


def test_unused_gas_is_split_by_weight_with_the_remainder_to_the_last_call():
    outcome = run_promises(
        f"""{set_amount(0)}
        (local.set 0 (call $promise_batch_create {BOB}))
        (call $promise_batch_action_function_call_weight (local.get 0) {METHOD} {ARGS} {AMOUNT_PTR} (i64.const {TGAS}) (i64.const 2))
        (call $promise_batch_action_function_call (local.get 0) {METHOD} {ARGS} {AMOUNT_PTR} (i64.const {TGAS}))
        (local.set 1 (call $promise_batch_then (local.get 0) {SELF}))
        (call $promise_batch_action_function_call_weight (local.get 1) {METHOD} {ARGS} {AMOUNT_PTR} (i64.const 0) (i64.const 1))"""
    )
    first, unweighted = outcome.receipts[0].actions
    callback = outcome.receipts[1].actions[0]
    assert unweighted.gas == TGAS  # weight 0: keeps exactly its static gas
    assert outcome.used_gas == MAX_GAS
    used_before_split = outcome.used_gas - (first.gas - TGAS) - callback.gas
    unused = MAX_GAS - used_before_split
    assert first.gas - TGAS == unused * 2 // 3
    assert callback.gas == unused - unused * 2 // 3  # near-sdk style: 0 static gas, gets the rest
    assert callback.gas > 90 * TGAS


def test_without_weights_unused_gas_stays_unused():
    outcome = run_promises(
        f"{set_amount(0)} (drop (call $promise_create {BOB} {METHOD} {ARGS} {AMOUNT_PTR} (i64.const {TGAS})))"
    )
    assert outcome.used_gas < MAX_GAS
    assert outcome.receipts[0].actions[0].gas == TGAS


def test_attached_gas_beyond_prepaid_gas_fails():
    wat = promise_module(
        f"{set_amount(0)} (drop (call $promise_create {BOB} {METHOD} {ARGS} {AMOUNT_PTR} (i64.const {MAX_GAS})))"
    )
    outcome = run_wat(wat)
    assert outcome.error.message == "Exceeded the prepaid gas."
    assert outcome.receipts == []
    assert outcome.used_gas == outcome.burnt_gas


def test_receipts_nearcore_would_reject_fail_the_call():
    long_name = "m" * 257
    wat = near_module(
        f"""(func (export "main")
             (drop (call $promise_create (i64.const 13) (i64.const 0) (i64.const 257) (i64.const 512)
                                         (i64.const 0) (i64.const 0) (i64.const 64) (i64.const 0))))""",
        ["promise_create"],
        f'(data (i32.const 0) "bob.test.near") (data (i32.const 512) "{long_name}")',
    )
    outcome = run_wat(wat)
    assert outcome.error.kind == "NewReceiptValidationError"
    assert outcome.error.data == {
        "NewReceiptValidationError": {
            "ActionsValidation": {"FunctionCallMethodNameLengthExceeded": {"length": 257, "limit": 256}}
        }
    }
    assert outcome.receipts == []
    assert outcome.burnt_gas == outcome.used_gas > 0


def test_delete_account_must_be_the_last_action():
    outcome = run_wat(
        promise_module(
            f"""(local.set 0 (call $promise_batch_create {CAROL}))
            (call $promise_batch_action_delete_account (local.get 0) {BOB})
            (call $promise_batch_action_create_account (local.get 0))"""
        )
    )
    assert outcome.error.kind == "NewReceiptValidationError"
    assert outcome.error.debug_message == "ActionsValidation(DeleteActionMustBeFinal)"
