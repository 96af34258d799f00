"""Contracts on the chain (real Wasm through the engine): calls, promises, callbacks, refunds, views."""
from __future__ import annotations

import base64

import pytest

from localnet.chain import ContractError
from localnet.primitives import NEAR, TERA, CreateAccount, DeployContract, FunctionCall, Transfer
from localnet.rpc import views

from .conftest import balance
from .wat_contracts import PROBE_WASM

GAS_PRICE = 100_000_000
CALLER, CALLEE, MIDDLE = "caller.test.near", "callee.test.near", "middle.test.near"


@pytest.fixture
def contracts(chain):
    for account_id in (CALLER, CALLEE, MIDDLE):
        result = chain.execute("test.near", account_id, [CreateAccount(), Transfer(10 * NEAR), DeployContract(PROBE_WASM)])
        assert result.succeeded, result.status
    return chain


def call(chain, receiver_id, method, args: bytes = b"", *, gas=100 * TERA, deposit=0):
    return chain.execute("test.near", receiver_id, [FunctionCall(method, args, gas, deposit)])


def receipt_by_executor(result, executor_id) -> list[dict]:
    return [r for r in result.receipts if r["outcome"]["executor_id"] == executor_id]


def contract_reward(receipt: dict, method: str, args: bytes) -> int:
    """30% of the gas the contract's code burnt (receipt gas minus the action fees), in yocto."""
    action_fees = 108_059_500_000 + 780_000_000_000 + 2_235_934 * (len(method) + len(args))
    return (receipt["outcome"]["gas_burnt"] - action_fees) * 3 // 10 * GAS_PRICE


def test_deployed_code_is_visible(contracts):
    code = contracts.view_code(CALLEE)
    assert base64.b64decode(code["code_base64"]) == PROBE_WASM
    assert contracts.view_account(CALLEE)["code_hash"] == code["hash"]
    assert contracts.view_account(CALLEE)["storage_usage"] == 100 + len(PROBE_WASM)


def test_call_writes_state_and_returns_a_value(contracts):
    result = call(contracts, CALLEE, "set", b"hello")
    assert result.value == b"hello"
    assert contracts.view(CALLEE, "get") == b"hello"
    [receipt, refund] = result.receipts
    assert receipt["outcome"]["executor_id"] == CALLEE
    profile = {entry["cost"]: entry for entry in receipt["outcome"]["metadata"]["gas_profile"]}
    assert profile["STORAGE_WRITE_BASE"]["cost_category"] == "WASM_HOST_COST"
    # The profile covers what the code spent: everything but the receipt's own action fees.
    action_fees = 108_059_500_000 + 780_000_000_000 + 2_235_934 * len("sethello")
    assert sum(int(e["gas_used"]) for e in profile.values()) == receipt["outcome"]["gas_burnt"] - action_fees
    assert refund["outcome"]["executor_id"] == "test.near" and refund["outcome"]["gas_burnt"] == 0


def test_signer_pays_exactly_the_gas_burnt_and_gets_the_rest_back(contracts):
    before = balance(contracts, "test.near")
    result = call(contracts, CALLER, "call_set", CALLEE.encode(), gas=200 * TERA)
    assert result.succeeded
    assert balance(contracts, "test.near") == before - result.tokens_burnt
    assert result.tokens_burnt == result.gas_burnt * GAS_PRICE
    assert result.gas_burnt < 10 * TERA  # far less than the 200 Tgas attached


def test_attached_deposit_is_credited_and_the_contract_earns_gas_reward(contracts):
    before = balance(contracts, CALLEE)
    result = call(contracts, CALLEE, "set", b"x", deposit=2 * NEAR)
    [receipt] = receipt_by_executor(result, CALLEE)
    assert balance(contracts, CALLEE) == before + 2 * NEAR + contract_reward(receipt, "set", b"x")


def test_callback_sees_the_callees_success(contracts):
    result = call(contracts, CALLER, "call_set", CALLEE.encode())
    assert result.value == b"\x01v1"  # promise_result status 1, then the callee's return value
    assert result.logs == ["callback"]
    assert contracts.view(CALLEE, "get") == b"v1"
    # The caller's own receipt returned the callback's promise.
    caller_receipt = result.receipts[0]
    callback = [r for r in receipt_by_executor(result, CALLER) if r["outcome"]["logs"] == ["callback"]][0]
    assert caller_receipt["outcome"]["status"] == {"SuccessReceiptId": callback["id"]}
    # Creating the two promises shows up as action costs in the caller's profile.
    categories = {e["cost"]: e["cost_category"] for e in caller_receipt["outcome"]["metadata"]["gas_profile"]}
    assert categories.get("NEW_ACTION_RECEIPT") == "ACTION_COST"
    # Promises run in later blocks than the receipt that made them.
    heights = [views.block(contracts, r["block_hash"])["header"]["height"] for r in (caller_receipt, *receipt_by_executor(result, CALLEE)[:1], callback)]
    assert heights == sorted(heights) and len(set(heights)) == 3


def test_failed_callee_is_rolled_back_refunded_and_reported_to_the_callback(contracts):
    caller_before, callee_before = balance(contracts, CALLER), balance(contracts, CALLEE)
    result = call(contracts, CALLER, "call_fail", CALLEE.encode())

    assert result.value == b"\x02"  # the callback saw a failed dependency
    assert result.succeeded  # the transaction's result is the callback's, which succeeded
    [failure] = result.receipt_failures
    assert failure == {
        "ActionError": {"index": 0, "kind": {"FunctionCallError": {"ExecutionError": "Smart contract panicked: boom"}}}
    }
    # The callee's write is gone; the caller's own write stays.
    assert contracts.view(CALLEE, "get") is None
    assert contracts.view_state(CALLER, b"caller")["values"] == [
        {"key": base64.b64encode(b"caller").decode(), "value": base64.b64encode(b"written").decode()}
    ]
    # The 1 NEAR the caller attached came back to it; both contracts only earned their gas rewards.
    caller_receipts = receipt_by_executor(result, CALLER)
    call_receipt = caller_receipts[0]
    callback = [r for r in caller_receipts if r["outcome"]["logs"] == ["callback"]][0]
    refunds = [r for r in caller_receipts if r["outcome"]["gas_burnt"] == 0]
    assert len(refunds) == 1
    [callee_receipt] = [r for r in receipt_by_executor(result, CALLEE) if r["outcome"]["gas_burnt"] > 0]
    assert balance(contracts, CALLER) == caller_before + contract_reward(
        call_receipt, "call_fail", CALLEE.encode()
    ) + contract_reward(callback, "on_result", b"")
    assert balance(contracts, CALLEE) == callee_before + contract_reward(callee_receipt, "fail", b"")


def test_callback_with_zero_static_gas_and_weight_gets_a_share_of_unused_gas(contracts):
    result = call(contracts, CALLER, "call_weight", CALLEE.encode())
    assert result.value == b"\x0142"
    assert result.logs == ["callback"]
    assert result.receipt_failures == []


def test_promise_return_forwards_the_value_through_several_hops(contracts):
    result = call(contracts, CALLER, "forward", f"{MIDDLE},{CALLEE}".encode(), gas=200 * TERA)
    assert result.value == b"42"
    [caller_receipt] = [r for r in receipt_by_executor(result, CALLER) if r["outcome"]["gas_burnt"] > 0]
    [middle_receipt] = [r for r in receipt_by_executor(result, MIDDLE) if r["outcome"]["gas_burnt"] > 0]
    [callee_receipt] = [r for r in receipt_by_executor(result, CALLEE) if r["outcome"]["gas_burnt"] > 0]
    assert caller_receipt["outcome"]["status"] == {"SuccessReceiptId": middle_receipt["id"]}
    assert middle_receipt["outcome"]["status"] == {"SuccessReceiptId": callee_receipt["id"]}
    assert callee_receipt["outcome"]["status"] == {"SuccessValue": base64.b64encode(b"42").decode()}


def test_callback_waiting_on_a_forwarded_promise_gets_the_final_value(contracts):
    result = call(contracts, CALLER, "forward_then", f"{MIDDLE},{CALLEE}".encode(), gas=200 * TERA)
    assert result.value == b"\x0142"


def test_failed_receipt_drops_its_promises(contracts):
    result = call(contracts, CALLER, "promise_then_panic", CALLEE.encode())
    assert result.failure == {
        "ActionError": {"index": 0, "kind": {"FunctionCallError": {"ExecutionError": "Smart contract panicked: boom"}}}
    }
    assert receipt_by_executor(result, CALLEE) == []


def test_missing_method(contracts):
    result = call(contracts, CALLEE, "nope")
    assert result.failure["ActionError"]["kind"] == {"FunctionCallError": {"MethodResolveError": "MethodNotFound"}}


def test_call_to_account_without_code(contracts):
    result = call(contracts, "test.near", "anything")
    assert result.failure["ActionError"]["kind"] == {
        "FunctionCallError": {"CompilationError": {"CodeDoesNotExist": {"account_id": "test.near"}}}
    }


def test_view_returns_the_value_with_the_rpc_shape(contracts):
    assert contracts.view(CALLEE, "value") == 42  # "42" is JSON
    result = contracts.call_function(CALLEE, "value", b"")
    assert result == {"result": list(b"42"), "logs": [], "block_height": contracts.height, "block_hash": contracts.head.hash_text}


def test_view_refuses_writes(contracts):
    call(contracts, CALLEE, "set", b"before")
    result = contracts.call_function(CALLEE, "set", b"after")
    assert set(result) == {"error", "logs", "block_height", "block_hash"}
    assert result["error"].startswith("wasm execution failed with error: ")
    assert "ProhibitedInView" in result["error"]
    with pytest.raises(ContractError):
        contracts.view(CALLEE, "set", b"after")
    assert contracts.view(CALLEE, "get") == b"before"


def test_view_panic_comes_back_as_an_error_field(contracts):
    # `fail` writes first, which a view already refuses; `nope` does not exist.
    result = contracts.call_function(CALLEE, "nope", b"")
    assert result["error"] == "wasm execution failed with error: MethodResolveError(MethodNotFound)"
    assert result["logs"] == []


def test_no_yocto_appears_or_vanishes_except_what_is_burnt(contracts):
    """Balances always add up to the block's total supply: genesis minus burnt tokens."""
    from localnet.primitives import DeleteAccount

    from .conftest import create_account

    key = create_account(contracts, "doomed.test.near", balance=3 * NEAR)
    call(contracts, CALLER, "call_fail", CALLEE.encode())  # deposit refunded, rewards paid
    call(contracts, CALLER, "call_weight", CALLEE.encode())
    # Deleting into a beneficiary that does not exist burns the balance.
    contracts.execute("doomed.test.near", "doomed.test.near", [DeleteAccount("nobody.test.near")], public_key=key.public_key)

    total = sum(
        int(contracts.view_account(a)["amount"]) + int(contracts.view_account(a)["locked"])
        for a in contracts.account_ids()
    )
    assert total == int(views.block(contracts, "optimistic")["header"]["total_supply"])
    assert total < 10**33


def test_tx_result_lists_the_executed_receipts_with_the_gas_each_call_was_given(contracts):
    result = call(contracts, CALLER, "call_set", CALLEE.encode(), gas=100 * TERA)
    executed = result.executed_receipts
    # One per receipt outcome (the action receipts, refunds included), in the same order.
    assert [r["receipt_id"] for r in executed] == [r["id"] for r in result.receipts]

    first = executed[0]
    assert (first["predecessor_id"], first["receiver_id"], first["signer_id"]) == ("test.near", CALLER, "test.near")
    assert first["function_calls"] == [{"method_name": "call_set", "args": CALLEE.encode(), "gas": 100 * TERA, "deposit": 0}]
    assert first["prepaid_gas"] == 100 * TERA and first["gas_price"] == GAS_PRICE

    [callee_call] = [r for r in executed if r["receiver_id"] == CALLEE and r["function_calls"]]
    assert callee_call["predecessor_id"] == CALLER and callee_call["signer_id"] == "test.near"
    assert callee_call["function_calls"] == [{"method_name": "set", "args": b"v1", "gas": 20 * TERA, "deposit": 0}]
    assert callee_call["prepaid_gas"] == 20 * TERA

    [callback] = [r for r in executed if r["receiver_id"] == CALLER and r["predecessor_id"] == CALLER]
    assert [c["method_name"] for c in callback["function_calls"]] == ["on_result"]
    assert callback["prepaid_gas"] == 20 * TERA
    # The callee's result travels to the callback as data: the receipts say so.
    views = {v["receipt_id"]: v["receipt"]["Action"] for v in result.receipt_views}
    [receiver] = views[callee_call["receipt_id"]]["output_data_receivers"]
    assert receiver["receiver_id"] == CALLER
    assert views[callback["receipt_id"]]["input_data_ids"] == [receiver["data_id"]]
    assert result.executed_receipt(callback["receipt_id"]) == callback

    # Refunds come from the system account and call nothing.
    refunds = [r for r in executed if r["predecessor_id"] == "system"]
    assert refunds and all(r["function_calls"] == [] and r["prepaid_gas"] == 0 for r in refunds)

    # The RPC's view of the same transaction, also after the tx is looked up again.
    status = contracts.tx_status(result.transaction_hash, "test.near", with_receipts=True)
    assert status["receipts"] == result.receipt_views
    assert {k: v for k, v in status.items() if k != "receipts"} == result.outcome_dict()
    assert "receipts" not in contracts.tx_status(result.transaction_hash, "test.near")
