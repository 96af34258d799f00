"""The node's test contracts do what they claim, deployed on the in-process chain.

One check per documented behaviour; the node's own tests build on these
contracts for the details (gas split, refunds, RPC shapes).
"""
from __future__ import annotations

import json

import pytest

from localnet.chain import Chain, ContractError
from localnet.primitives import NEAR, TERA, CreateAccount, DeployContract, FunctionCall, Transfer

STATE, CALLER, CALLEE, PANICKER = "state.test.near", "caller.test.near", "callee.test.near", "panicker.test.near"
U64_MAX = 2**64 - 1


@pytest.fixture(scope="module")
def deployed(node_contracts):
    with Chain(genesis_time_ns=1_700_000_000_000_000_000, root_public_key=b"\x00" + bytes(range(32))) as chain:
        for account_id, name in ((STATE, "state"), (CALLER, "caller"), (CALLEE, "callee"), (PANICKER, "panicker")):
            code = node_contracts[name].read_bytes()
            result = chain.execute("test.near", account_id, [CreateAccount(), Transfer(10 * NEAR), DeployContract(code)])
            assert result.succeeded, result.status
        yield chain


def transact(chain: Chain, receiver: str, method: str, args: dict | None = None, gas: int = 300 * TERA):
    return chain.execute("test.near", receiver, [FunctionCall(method, json.dumps(args or {}).encode(), gas, 0)])


def execution_error(result) -> str:
    return result.failure["ActionError"]["kind"]["FunctionCallError"]["ExecutionError"]


# --------------------------------------------------------------------------- state


def test_state_put_get_delete(deployed):
    assert transact(deployed, STATE, "put", {"key": "colour", "value": "blue"}).return_value is None
    result = transact(deployed, STATE, "put", {"key": "colour", "value": "red"})
    assert result.return_value == "blue"  # the previous value, like storage_write's register
    assert "put colour" in result.logs
    assert deployed.view(STATE, "get", {"key": "colour"}) == "red"
    assert deployed.view(STATE, "contains", {"key": "colour"}) is True
    assert transact(deployed, STATE, "delete", {"key": "colour"}).return_value == "red"
    assert deployed.view(STATE, "get", {"key": "colour"}) is None
    assert deployed.view(STATE, "contains", {"key": "colour"}) is False


def test_state_registers_and_context(deployed):
    assert deployed.view(STATE, "registers") == {
        "unset_length": U64_MAX, "written_length": 14, "written_value": "register seven"}
    context = transact(deployed, STATE, "context").return_value
    assert context["current_account_id"] == STATE
    assert context["predecessor_account_id"] == context["signer_account_id"] == "test.near"
    assert deployed.view(STATE, "view_context")["current_account_id"] == STATE
    with pytest.raises(ContractError):
        deployed.view(STATE, "context")  # predecessor and prepaid gas are not allowed in views


def test_state_put_many_and_hashes(deployed):
    result = transact(deployed, STATE, "put_many", {"entries": {"a": "1", "b": "2"}, "logs": 3})
    assert result.return_value == 2
    assert [log for log in result.logs if log.startswith("log ")] == ["log 0", "log 1", "log 2"]
    assert deployed.view(STATE, "hashes", {"data": "abc"})["sha256"] == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")


# --------------------------------------------------------------------------- caller / callee


def test_callback_sees_the_callee_value(deployed):
    result = transact(deployed, CALLER, "call", {
        "target": CALLEE, "method": "echo", "args": json.dumps({"value": "hi"})})
    assert result.succeeded, result.status
    assert result.return_value == {
        "tag": "call", "predecessor": CALLER, "results": [{"status": 1, "value": '"hi"'}]}


def test_callback_sees_a_failed_callee_and_its_write_is_rolled_back(deployed):
    result = transact(deployed, CALLER, "call", {
        "target": CALLEE, "method": "write_then_fail", "args": json.dumps({"key": "k", "value": "v"})})
    assert result.succeeded, result.status  # the callback itself succeeds
    assert result.return_value["results"] == [{"status": 2, "value": None}]
    assert deployed.view(CALLEE, "lookup", {"key": "k"}) is None


def test_promise_and_delivers_results_in_order(deployed):
    result = transact(deployed, CALLER, "call_both", {
        "target": CALLEE,
        "first": ["echo", json.dumps({"value": 1})],
        "second": ["fail", json.dumps({"message": "second fails"})],
    })
    assert result.return_value["results"] == [{"status": 1, "value": "1"}, {"status": 2, "value": None}]


def test_call_with_static_gas(deployed):
    result = transact(deployed, CALLER, "call_static", {
        "target": CALLEE, "method": "echo", "args": json.dumps({"value": [1, 2]}),
        "gas": 20 * TERA, "callback_gas": 20 * TERA})
    assert result.return_value["results"] == [{"status": 1, "value": "[1, 2]"}]


def test_forward_returns_the_callee_value_to_the_signer(deployed):
    result = transact(deployed, CALLER, "forward", {"target": CALLEE, "method": "who_called"})
    value = result.return_value
    assert value["predecessor"] == CALLER and value["signer"] == "test.near"
    # 0 static gas with weight 1: the callee only has gas through the weighted split.
    assert value["prepaid_gas"] > 100 * TERA


# --------------------------------------------------------------------------- panicker


def test_panic_with_message_keeps_earlier_logs(deployed):
    result = transact(deployed, PANICKER, "panic_with_message", {"message": "boom"})
    assert execution_error(result) == "Smart contract panicked: boom"
    assert "about to panic" in result.logs


def test_uncaught_exception_panics_with_its_traceback_in_the_logs(deployed):
    result = transact(deployed, PANICKER, "uncaught_exception")
    assert execution_error(result).startswith("Smart contract panicked: ")
    assert "ValueError: uncaught in contract" in result.logs


def test_write_then_panic_leaves_no_state(deployed):
    result = transact(deployed, PANICKER, "write_then_panic", {"key": "kept?"})
    assert execution_error(result) == "Smart contract panicked: panicked after a write"
    assert deployed.view_state(PANICKER)["values"] == []


def test_stack_overflow_is_a_trap(deployed):
    assert execution_error(transact(deployed, PANICKER, "overflow_stack")).startswith("WebAssembly trap")


def test_memory_exhaustion_is_a_memory_error_panic(deployed):
    assert execution_error(transact(deployed, PANICKER, "allocate_too_much")).startswith(
        "Smart contract panicked: MemoryError")


def test_endless_loop_ends_with_the_gas_limit(deployed):
    result = transact(deployed, PANICKER, "burn_gas", gas=30 * TERA)
    assert execution_error(result) == "Exceeded the prepaid gas."
