"""The node's nearc-compiled test contracts, driven over JSON-RPC with py-near as a user would.

tests/toolchain/test_node_contracts.py checks the same contracts in-process; here
the whole path is real: py-near signs, `localnet run` decodes, executes the
receipts (callbacks, rollback, refunds) and answers in NEAR's shapes.
"""
from __future__ import annotations

import base64
import json

import pytest

from localnet.primitives import NEAR, TERA
from tests.contracts import built_contract
from tests.rpc.wallet import KeyPair, py_near_account, run, unique_name, wait_until_final

CALL_GAS = 300 * TERA


@pytest.fixture(scope="module")
def pair(network):
    """caller and callee accounts, created and deployed by py-near."""
    root = KeyPair.from_secret_text(network.root_secret_key)
    accounts = {}
    for name in ("caller", "callee"):
        account_id = f"{unique_name(name)}.{network.root_account_id}"
        key = KeyPair.generate()
        code = built_contract(name).read_bytes()

        async def create_and_deploy():
            async with py_near_account(network.rpc_url, network.root_account_id, root) as parent:
                created = await parent.create_account(account_id, key.public_key_bytes, 20 * NEAR)
            async with py_near_account(network.rpc_url, account_id, key) as account:
                deployed = await account.deploy_contract(code)
            return created, deployed

        created, deployed = run(create_and_deploy())
        assert "SuccessValue" in created.status and "SuccessValue" in deployed.status
        accounts[name] = (account_id, key)
    return accounts


def call(network, pair, method: str, args: dict, deposit: int = 0):
    account_id, key = pair["caller"]

    async def go():
        async with py_near_account(network.rpc_url, account_id, key) as account:
            return await account.function_call(account_id, method, args, gas=CALL_GAS, amount=deposit)

    outcome = run(go())
    wait_until_final(network.rpc_url, outcome)  # the tests read its effects with `finality: final`
    return outcome


def value_of(outcome) -> object:
    return json.loads(base64.b64decode(outcome.status["SuccessValue"]))


def balance(network, account_id: str) -> int:
    answer = network.rpc("query", {"request_type": "view_account", "account_id": account_id, "finality": "final"})
    return int(answer["result"]["amount"])


def test_callback_reports_the_callees_value(network, pair):
    callee = pair["callee"][0]
    outcome = call(network, pair, "call", {"target": callee, "method": "echo", "args": json.dumps({"value": 7})})
    report = value_of(outcome)
    assert report["results"] == [{"status": 1, "value": "7"}]
    assert report["predecessor"] == pair["caller"][0]
    assert "result 0 status 1" in outcome.logs
    # caller -> callee -> callback burnt gas (gas refunds from `system` burn none); none near the cap.
    burnt = [receipt.gas_burnt for receipt in outcome.receipt_outcome]
    assert sum(1 for gas in burnt if gas > 0) >= 3
    assert max(burnt) < CALL_GAS


def test_failed_callee_is_status_2_and_its_write_is_rolled_back(network, pair):
    callee = pair["callee"][0]
    args = json.dumps({"key": "rolled", "value": "back"})
    report = value_of(call(network, pair, "call", {"target": callee, "method": "write_then_fail", "args": args}))
    assert report["results"] == [{"status": 2, "value": None}]
    lookup = network.rpc("query", {"request_type": "call_function", "account_id": callee, "method_name": "lookup",
                                   "args_base64": base64.b64encode(b'{"key": "rolled"}').decode(), "finality": "final"})
    assert json.loads(bytes(lookup["result"]["result"])) is None


def test_deposit_to_a_failing_callee_comes_back(network, pair):
    caller_id, callee = pair["caller"][0], pair["callee"][0]
    before = balance(network, caller_id)
    outcome = call(network, pair, "call", {"target": callee, "method": "fail", "args": "{}", "deposit": str(NEAR)})
    assert value_of(outcome)["results"] == [{"status": 2, "value": None}]
    # Only gas is gone: the 1 NEAR attached to the failed call was refunded to the caller.
    spent = before - balance(network, caller_id)
    assert 0 < spent < NEAR // 100


def test_promise_return_forwards_the_callees_value(network, pair):
    callee = pair["callee"][0]
    outcome = call(network, pair, "forward", {"target": callee, "method": "echo", "args": json.dumps({"value": "hi"})})
    assert value_of(outcome) == "hi"


def test_zero_static_gas_calls_share_the_unused_gas(network, pair):
    callee = pair["callee"][0]
    report = value_of(call(network, pair, "call", {"target": callee, "method": "who_called", "args": "{}"}))
    who = json.loads(report["results"][0]["value"])
    # Attached with 0 static gas and weight 1: the callee got a large share of the 300 Tgas.
    assert who["prepaid_gas"] > 50 * TERA
    assert who["predecessor"] == pair["caller"][0]
