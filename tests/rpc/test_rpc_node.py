"""NEAR JSON-RPC end to end: py-near as a user would use it, plus raw requests.

Runs against whatever `network` provides (localnet by default, near-sandbox
or a remote node by environment), so nothing here relies on localnet
internals; where nearcore's answer has free text, only its stable part is
checked.
"""
from __future__ import annotations

import base64
import hashlib
import json
import time
from datetime import datetime

import base58
import pytest
from py_near.account import ViewFunctionError
from py_near.exceptions.provider import InvalidNonce, UnknownAccount

from localnet.borsh import decode_signed_transaction
from localnet.primitives import AccessKey, AddKey, CreateAccount, FullAccess, FunctionCall, Transfer
from tests.rpc.contracts import greeter_wasm
from tests.rpc.wallet import KeyPair, RawRpc, error_of, py_near_account, run, unique_name, wait_until_final

NEAR = 10**24
TGAS = 10**12


def create_account(network, root_key: KeyPair, prefix: str, balance: int = 10 * NEAR) -> tuple[str, KeyPair]:
    """A fresh sub-account of the root with its own full-access key, created through py-near."""
    account_id = f"{unique_name(prefix)}.{network.root_account_id}"
    key = KeyPair.generate()

    async def go():
        async with py_near_account(network.rpc_url, network.root_account_id, root_key) as root:
            return await root.create_account(account_id, key.public_key_bytes, balance)

    outcome = run(go())
    assert "SuccessValue" in outcome.status, outcome.status
    wait_until_final(network.rpc_url, outcome)  # tests read the new account with `finality: final`
    return account_id, key


@pytest.fixture(scope="module")
def greeter(network, root_key) -> tuple[str, KeyPair]:
    """An account with the greeter contract deployed by py-near."""
    account_id, key = create_account(network, root_key, "greeter")

    async def deploy():
        async with py_near_account(network.rpc_url, account_id, key) as account:
            return await account.deploy_contract(greeter_wasm())

    outcome = run(deploy())
    assert "SuccessValue" in outcome.status, outcome.status
    return account_id, key


def account_state(rpc: RawRpc, account_id: str, key: KeyPair) -> tuple:
    """Everything a refused request must leave alone."""
    account = rpc.result("query", {"request_type": "view_account", "account_id": account_id, "finality": "final"})
    return (
        account["amount"],
        account["locked"],
        account["storage_usage"],
        account["code_hash"],
        rpc.access_key_nonce(account_id, key),
    )


# --------------------------------------------------------------------------
# Node information


def test_status_has_nearcores_shape(rpc):
    status = rpc.result("status", [])
    assert {"version", "chain_id", "protocol_version", "sync_info", "validators", "node_public_key"} <= status.keys()
    sync = status["sync_info"]
    assert sync["syncing"] is False
    assert len(base58.b58decode(sync["latest_block_hash"])) == 32
    assert isinstance(sync["latest_block_height"], int)
    datetime.fromisoformat(sync["latest_block_time"].replace("Z", "+00:00"))


def test_block_by_finality_height_and_hash_agree(rpc):
    latest = rpc.result("block", {"finality": "final"})
    header = latest["header"]
    by_height = rpc.result("block", {"block_id": header["height"]})
    by_hash = rpc.result("block", [header["hash"]])
    assert by_height["header"]["hash"] == by_hash["header"]["hash"] == header["hash"]
    assert isinstance(header["timestamp"], int) and header["timestamp_nanosec"] == str(header["timestamp"])
    assert "author" in latest and isinstance(latest["chunks"], list)


def test_gas_price_and_unknown_block(rpc):
    price = rpc.result("gas_price", [None])
    assert int(price["gas_price"]) > 0
    error = error_of(rpc.call("block", {"block_id": 10**12}))
    assert error["name"] == "HANDLER_ERROR" and error["cause"]["name"] == "UNKNOWN_BLOCK"


def test_health_and_network_info(rpc):
    assert rpc.call("health", [])["result"] is None
    assert rpc.result("network_info", [])["num_active_peers"] >= 0


def test_get_status_and_health_over_plain_http(rpc):
    status, body = rpc.get("/status")
    assert status == 200 and "sync_info" in json.loads(body)
    status, _ = rpc.get("/health")
    assert status == 200


# --------------------------------------------------------------------------
# Accounts, keys, contracts through py-near


def test_py_near_creates_an_account_with_a_new_key(network, root_key, rpc):
    account_id, key = create_account(network, root_key, "alice", balance=3 * NEAR)

    async def inspect():
        async with py_near_account(network.rpc_url, account_id, key) as account:
            return await account.get_balance(), await account.get_access_key(None), await account.get_access_key_list()

    balance, access_key, keys = run(inspect())
    assert balance == 3 * NEAR
    assert access_key.permission == "FullAccess" and access_key.nonce > 0
    assert [k.public_key for k in keys] == [key.public_key_text]


def test_view_access_key_and_call_function_have_exactly_the_keys_py_near_accepts(rpc, greeter):
    account_id, key = greeter
    access_key = rpc.result(
        "query",
        {"request_type": "view_access_key", "account_id": account_id, "public_key": key.public_key_text, "finality": "final"},
    )
    assert set(access_key) == {"nonce", "permission", "block_height", "block_hash"}
    assert access_key["permission"] == "FullAccess"
    call = rpc.result(
        "query",
        {
            "request_type": "call_function",
            "account_id": account_id,
            "method_name": "get_greeting",
            "args_base64": base64.b64encode(b"{}").decode(),
            "finality": "optimistic",
        },
    )
    assert set(call) == {"result", "logs", "block_height", "block_hash"}
    assert all(isinstance(b, int) for b in call["result"])


def test_change_method_result_and_logs_then_view(network, greeter, rpc):
    account_id, key = greeter

    async def go():
        async with py_near_account(network.rpc_url, account_id, key) as account:
            outcome = await account.function_call(account_id, "set_greeting", {"text": "hello"}, gas=30 * TGAS)
            view = await account.view_function(account_id, "get_greeting", {})
            return outcome, view

    outcome, view = run(go())
    stored = json.dumps({"text": "hello"}).encode()
    assert outcome.status == {"SuccessValue": base64.b64encode(stored).decode()}
    assert outcome.logs == ["saved"]
    assert outcome.transaction.actions[0].method_name == "set_greeting"
    assert all(r.gas_burnt > 0 for r in outcome.receipt_outcome[:1])
    assert view.result == {"text": "hello"}

    wait_until_final(network.rpc_url, outcome)
    state = rpc.result(
        "query", {"request_type": "view_state", "account_id": account_id, "prefix_base64": "", "finality": "final"}
    )
    assert state["values"] == [{"key": base64.b64encode(b"greeting").decode(), "value": base64.b64encode(stored).decode()}]


def test_view_code_and_code_hash(rpc, greeter):
    account_id, _ = greeter
    code = rpc.result("query", {"request_type": "view_code", "account_id": account_id, "finality": "final"})
    wasm = greeter_wasm()
    assert base64.b64decode(code["code_base64"]) == wasm
    assert code["hash"] == base58.b58encode(hashlib.sha256(wasm).digest()).decode()
    account = rpc.result("query", {"request_type": "view_account", "account_id": account_id, "finality": "final"})
    assert account["code_hash"] == code["hash"]


def test_path_style_query_still_works(rpc, greeter, network):
    account_id, key = greeter
    account = rpc.result("query", [f"account/{network.root_account_id}", ""])
    assert int(account["amount"]) > 0
    keys = rpc.result("query", [f"access_key/{account_id}", ""])
    assert [k["public_key"] for k in keys["keys"]] == [key.public_key_text]
    call = rpc.result("query", [f"call/{account_id}/get_greeting", base58.b58encode(b"{}").decode()])
    assert "result" in call


# --------------------------------------------------------------------------
# Contract failures, as NEAR reports them


def test_panicking_view_is_a_result_with_an_error_field(network, rpc, greeter):
    account_id, key = greeter
    answer = rpc.result(
        "query",
        {"request_type": "call_function", "account_id": account_id, "method_name": "fail", "args_base64": "", "finality": "final"},
    )
    assert set(answer) == {"error", "logs", "block_height", "block_hash"}
    # nearcore's Debug form of the VM error, e.g. as testnet returns it.
    assert answer["error"] == 'wasm execution failed with error: HostError(GuestPanic { panic_msg: "boom" })'

    async def view():
        async with py_near_account(network.rpc_url, account_id, key) as account:
            await account.view_function(account_id, "fail", {})

    with pytest.raises(ViewFunctionError, match="GuestPanic .*boom"):
        run(view())


def test_panicking_transaction_fails_with_an_action_error(network, greeter):
    account_id, key = greeter

    async def go():
        async with py_near_account(network.rpc_url, account_id, key) as account:
            return await account.function_call(account_id, "fail", {}, gas=30 * TGAS)

    outcome = run(go())
    assert outcome.status == {
        "Failure": {
            "ActionError": {
                "index": 0,
                "kind": {"FunctionCallError": {"ExecutionError": "Smart contract panicked: boom"}},
            }
        }
    }
    assert outcome.receipt_outcome[0].status == outcome.status


# --------------------------------------------------------------------------
# Transactions the node refuses


def test_reused_nonce_is_invalid_nonce_and_changes_nothing(network, root_key, rpc):
    account_id, key = create_account(network, root_key, "nonce")
    used = rpc.access_key_nonce(account_id, key)
    before = account_state(rpc, account_id, key)
    replay = rpc.signed_transaction(account_id, key, network.root_account_id, (Transfer(1),), nonce=used)

    error = error_of(rpc.call("broadcast_tx_commit", [replay]))

    assert error["name"] == "HANDLER_ERROR"
    assert error["cause"]["name"] == "INVALID_TRANSACTION"
    assert error["code"] == -32000 and error["message"] == "Server error"
    assert error["data"] == {"TxExecutionError": {"InvalidTxError": {"InvalidNonce": {"tx_nonce": used, "ak_nonce": used}}}}
    assert account_state(rpc, account_id, key) == before

    async def through_py_near():
        async with py_near_account(network.rpc_url, account_id, key) as account:
            await account.provider.send_tx_and_wait(replay)

    with pytest.raises(InvalidNonce):
        run(through_py_near())


def test_wrong_signature_is_invalid_signature(network, root_key, rpc):
    tx = rpc.signed_transaction(
        network.root_account_id, root_key, network.root_account_id, (Transfer(1),), signing_key=KeyPair.generate()
    )
    error = error_of(rpc.call("broadcast_tx_commit", [tx]))
    assert error["cause"]["name"] == "INVALID_TRANSACTION"
    assert error["data"] == {"TxExecutionError": {"InvalidTxError": "InvalidSignature"}}


def test_unknown_signer_and_unknown_key(network, root_key, rpc):
    stranger = KeyPair.generate()
    missing = f"nobody{time.monotonic_ns()}.{network.root_account_id}"
    tx = rpc.signed_transaction(missing, stranger, network.root_account_id, (Transfer(1),), nonce=1)
    error = error_of(rpc.call("broadcast_tx_commit", [tx]))
    assert error["data"] == {"TxExecutionError": {"InvalidTxError": {"SignerDoesNotExist": {"signer_id": missing}}}}

    tx = rpc.signed_transaction(network.root_account_id, stranger, network.root_account_id, (Transfer(1),), nonce=1)
    error = error_of(rpc.call("broadcast_tx_commit", [tx]))
    assert error["data"] == {
        "TxExecutionError": {
            "InvalidTxError": {
                "InvalidAccessKeyError": {
                    "AccessKeyNotFound": {"account_id": network.root_account_id, "public_key": stranger.public_key_text}
                }
            }
        }
    }


def test_unknown_account_and_unknown_key_views(network, rpc):
    missing = f"ghost{time.monotonic_ns()}.{network.root_account_id}"
    error = error_of(rpc.call("query", {"request_type": "view_account", "account_id": missing, "finality": "final"}))
    assert error["name"] == "HANDLER_ERROR"
    assert error["cause"]["name"] == "UNKNOWN_ACCOUNT"
    assert error["cause"]["info"]["requested_account_id"] == missing
    assert {"block_height", "block_hash"} <= error["cause"]["info"].keys()
    assert error["data"] == f"account {missing} does not exist while viewing"

    stranger = KeyPair.generate()
    answer = rpc.result(
        "query",
        {
            "request_type": "view_access_key",
            "account_id": network.root_account_id,
            "public_key": stranger.public_key_text,
            "finality": "final",
        },
    )
    assert answer["error"] == f"access key {stranger.public_key_text} does not exist while viewing"

    async def through_py_near():
        async with py_near_account(network.rpc_url, network.root_account_id, KeyPair.generate()) as account:
            await account.provider.get_account(missing)

    with pytest.raises(UnknownAccount):
        run(through_py_near())


def _bad_requests(network, rpc, root_key):
    """(description, raw body, expected error name, cause name, code) for malformed input."""
    good_tx = rpc.signed_transaction(network.root_account_id, root_key, network.root_account_id, (Transfer(1),))
    raw = base64.b64decode(good_tx)
    flipped = bytearray(raw)
    flipped[-70] ^= 0xFF  # inside the block hash / actions: still decodes, signature no longer matches

    def request(method, params):
        return json.dumps({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}).encode()

    parse = ("REQUEST_VALIDATION_ERROR", "PARSE_ERROR", -32700)
    return [
        ("invalid JSON", b'{"jsonrpc": "2.0", "method": ', *parse),
        ("not an object", b"[1, 2, 3]", *parse),
        ("no method", b'{"jsonrpc": "2.0", "id": 1}', *parse),
        ("not UTF-8", b"\xff\xfe{}", *parse),
        ("absurdly nested", b"[" * 100_000, *parse),
        ("unknown method", request("no_such_method", []), "REQUEST_VALIDATION_ERROR", "METHOD_NOT_FOUND", -32601),
        ("bad base64", request("broadcast_tx_commit", ["not base64!!"]), *parse),
        ("random bytes", request("broadcast_tx_commit", [base64.b64encode(b"\x07" * 40).decode()]), *parse),
        ("truncated", request("broadcast_tx_commit", [base64.b64encode(raw[:-10]).decode()]), *parse),
        ("trailing bytes", request("broadcast_tx_commit", [base64.b64encode(raw + b"\x00").decode()]), *parse),
        ("send_tx bad wait", request("send_tx", {"signed_tx_base64": good_tx, "wait_until": "SOON"}), *parse),
        ("invalid account id", request("query", {"request_type": "view_account", "account_id": "Bad..Id", "finality": "final"}), *parse),
        ("unknown request type", request("query", {"request_type": "view_everything", "account_id": "a.near"}), *parse),
        ("bad public key", request("query", {"request_type": "view_access_key", "account_id": "a.near", "public_key": "ed25519:xyz", "finality": "final"}), *parse),
        ("bad tx hash", request("tx", ["not-a-hash", network.root_account_id]), *parse),
        ("wrong signature", request("broadcast_tx_commit", [base64.b64encode(bytes(flipped)).decode()]), "HANDLER_ERROR", "INVALID_TRANSACTION", -32000),
        ("unknown transaction", request("tx", [base58.b58encode(bytes(32)).decode(), network.root_account_id]), "HANDLER_ERROR", "UNKNOWN_TRANSACTION", -32000),
    ]


def test_bad_input_gets_near_errors_and_changes_nothing(network, root_key, rpc, greeter):
    greeter_id, greeter_key = greeter
    before = (account_state(rpc, network.root_account_id, root_key), account_state(rpc, greeter_id, greeter_key))

    for description, body, name, cause, code in _bad_requests(network, rpc, root_key):
        status, answer = rpc.post(body)
        assert status == 200, description
        assert answer.get("jsonrpc") == "2.0", description
        error = error_of(answer)
        assert (error["name"], error["cause"]["name"], error["code"]) == (name, cause, code), (description, error)
        assert {"message", "data"} <= error.keys(), description
        assert isinstance(error["cause"]["info"], dict), description

    assert rpc.result("status", [])["sync_info"]["syncing"] is False
    after = (account_state(rpc, network.root_account_id, root_key), account_state(rpc, greeter_id, greeter_key))
    assert after == before


def test_unknown_method_names_the_method(rpc):
    error = error_of(rpc.call("EXPERIMENTAL_no_such_thing", {}))
    assert error["cause"] == {"name": "METHOD_NOT_FOUND", "info": {"method_name": "EXPERIMENTAL_no_such_thing"}}
    assert error["message"] == "Method not found"


# --------------------------------------------------------------------------
# Sending and finding transactions


def test_commit_then_look_up_by_every_form(network, root_key, rpc):
    account_id, key = create_account(network, root_key, "lookup")
    signed = rpc.signed_transaction(account_id, key, network.root_account_id, (Transfer(5),))
    committed = rpc.result("broadcast_tx_commit", [signed])
    tx_hash = committed["transaction"]["hash"]
    assert committed["status"] == {"SuccessValue": ""}
    assert committed["transaction_outcome"]["outcome"]["status"] == {"SuccessReceiptId": committed["receipts_outcome"][0]["id"]}

    for method, params in [
        ("tx", [tx_hash, account_id]),
        ("tx", {"tx_hash": tx_hash, "sender_account_id": account_id}),
        ("tx", [signed]),
        ("EXPERIMENTAL_tx_status", [tx_hash, account_id]),
    ]:
        found = rpc.result(method, params)
        assert found["transaction"]["hash"] == tx_hash, (method, params)
        assert found["status"] == committed["status"]
        assert found["receipts_outcome"][0]["id"] == committed["receipts_outcome"][0]["id"]


def test_send_tx_wait_until_and_async_broadcast(network, root_key, rpc):
    account_id, key = create_account(network, root_key, "sender")
    final = rpc.result(
        "send_tx",
        {"signed_tx_base64": rpc.signed_transaction(account_id, key, network.root_account_id, (Transfer(1),)), "wait_until": "FINAL"},
    )
    assert final["final_execution_status"] == "FINAL"
    assert final["status"] == {"SuccessValue": ""}

    unsent = rpc.signed_transaction(account_id, key, network.root_account_id, (Transfer(1),))
    quick = rpc.result("send_tx", {"signed_tx_base64": unsent, "wait_until": "NONE"})
    # Answered before the transaction is in a block: nothing but the status.
    assert quick == {"final_execution_status": "NONE"}
    quick_hash = base58.b58encode(decode_signed_transaction(base64.b64decode(unsent)).hash).decode()
    # A client waits for it (here until it executed) before reading the next nonce.
    executed = rpc.result("tx", {"tx_hash": quick_hash, "sender_account_id": account_id, "wait_until": "EXECUTED_OPTIMISTIC"})
    assert executed["final_execution_status"] in ("EXECUTED_OPTIMISTIC", "EXECUTED", "FINAL")
    assert executed["status"] == {"SuccessValue": ""}

    signed = rpc.signed_transaction(account_id, key, network.root_account_id, (Transfer(1),))
    tx_hash = rpc.result("broadcast_tx_async", [signed])
    assert len(base58.b58decode(tx_hash)) == 32
    deadline = time.monotonic() + 30
    while True:
        answer = rpc.call("tx", [tx_hash, account_id])
        if "result" in answer or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert answer["result"]["status"] == {"SuccessValue": ""}


def test_hand_built_multi_action_transaction(network, root_key, rpc):
    """Create an account, give it a key and money and call nothing: the batch py-near sends, built by hand."""
    new_key = KeyPair.generate()
    account_id = f"{unique_name('batch')}.{network.root_account_id}"
    tx = rpc.signed_transaction(
        network.root_account_id,
        root_key,
        account_id,
        (CreateAccount(), AddKey(new_key.borsh_public_key, AccessKey(0, FullAccess())), Transfer(NEAR)),
    )
    outcome = rpc.result("broadcast_tx_commit", [tx])
    assert outcome["status"] == {"SuccessValue": ""}
    actions = outcome["transaction"]["actions"]
    assert actions[0] == "CreateAccount" and actions[2] == {"Transfer": {"deposit": str(NEAR)}}
    wait_until_final(network.rpc_url, outcome)
    assert rpc.result("query", {"request_type": "view_account", "account_id": account_id, "finality": "final"})["amount"] == str(NEAR)


def test_function_call_to_missing_method_fails_in_the_receipt(network, rpc, greeter):
    account_id, key = greeter
    tx = rpc.signed_transaction(account_id, key, account_id, (FunctionCall("no_such_method", b"", 10 * TGAS, 0),))
    outcome = rpc.result("broadcast_tx_commit", [tx])
    assert outcome["status"] == {
        "Failure": {"ActionError": {"index": 0, "kind": {"FunctionCallError": {"MethodResolveError": "MethodNotFound"}}}}
    }


def _receipt_has_nearcores_shape(receipt: dict) -> dict:
    """Check one ReceiptView's keys and types; return its Action body."""
    assert set(receipt) >= {"predecessor_id", "receiver_id", "receipt_id", "receipt"}
    assert len(base58.b58decode(receipt["receipt_id"])) == 32
    (kind, body), = ((k, v) for k, v in receipt["receipt"].items())
    assert kind == "Action", receipt
    assert set(body) >= {"signer_id", "signer_public_key", "gas_price", "output_data_receivers", "input_data_ids", "actions"}
    assert body["signer_public_key"].startswith("ed25519:")
    assert isinstance(body["gas_price"], str) and int(body["gas_price"]) >= 0
    assert isinstance(body["output_data_receivers"], list) and isinstance(body["input_data_ids"], list)
    return body


def test_experimental_tx_status_lists_the_executed_receipts(network, root_key, rpc, greeter):
    greeter_id, greeter_key = greeter
    args = json.dumps({"text": "receipts"}).encode()
    call = rpc.signed_transaction(greeter_id, greeter_key, greeter_id, (FunctionCall("set_greeting", args, 30 * TGAS, 0),))
    committed = rpc.result("broadcast_tx_commit", [call])
    assert "SuccessValue" in committed["status"]
    tx_hash = committed["transaction"]["hash"]

    found = rpc.result("EXPERIMENTAL_tx_status", [tx_hash, greeter_id])
    assert found["transaction"]["hash"] == tx_hash and found["status"] == committed["status"]
    assert found["receipts_outcome"] == committed["receipts_outcome"]
    outcome_ids = [r["id"] for r in found["receipts_outcome"]]
    assert [r["receipt_id"] for r in found["receipts"]] == outcome_ids[: len(found["receipts"])]
    first = found["receipts"][0]
    assert first["receipt_id"] == found["transaction_outcome"]["outcome"]["receipt_ids"][0]
    assert (first["predecessor_id"], first["receiver_id"]) == (greeter_id, greeter_id)
    body = _receipt_has_nearcores_shape(first)
    assert body["signer_id"] == greeter_id
    assert body["signer_public_key"] == committed["transaction"]["public_key"]
    assert body["actions"] == [{"FunctionCall": {
        "method_name": "set_greeting", "args": base64.b64encode(args).decode(), "gas": 30 * TGAS, "deposit": "0",
    }}]
    # The rest (if any) are gas refunds from the system account.
    assert all(r["predecessor_id"] == "system" for r in found["receipts"][1:])
    # The same by named parameters (its status may have moved on to FINAL meanwhile); `tx` stays without receipts.
    again = rpc.result("EXPERIMENTAL_tx_status", {"tx_hash": tx_hash, "sender_account_id": greeter_id})
    assert again.pop("final_execution_status") in ("EXECUTED_OPTIMISTIC", "EXECUTED", "FINAL")
    assert again == {k: v for k, v in found.items() if k != "final_execution_status"}
    assert "receipts" not in rpc.result("tx", [tx_hash, greeter_id])

    account_id, key = create_account(network, root_key, "receipts")
    transfer = rpc.signed_transaction(account_id, key, network.root_account_id, (Transfer(7),))
    committed = rpc.result("broadcast_tx_commit", [transfer])
    assert committed["status"] == {"SuccessValue": ""}
    assert "receipts" not in committed
    found = rpc.result("EXPERIMENTAL_tx_status", [committed["transaction"]["hash"], account_id])
    first = found["receipts"][0]
    assert first["receipt_id"] == committed["receipts_outcome"][0]["id"]
    assert (first["predecessor_id"], first["receiver_id"]) == (account_id, network.root_account_id)
    body = _receipt_has_nearcores_shape(first)
    assert body["actions"] == [{"Transfer": {"deposit": "7"}}]
    assert body["output_data_receivers"] == [] and body["input_data_ids"] == []
    assert "receipts" not in rpc.result("tx", [committed["transaction"]["hash"], account_id])


# --------------------------------------------------------------------------
# Sandbox controls


def test_fast_forward_moves_the_chain(rpc):
    before = rpc.result("status", [])["sync_info"]["latest_block_height"]
    assert rpc.result("sandbox_fast_forward", {"delta_height": 20}) == {}
    after = rpc.result("status", [])["sync_info"]["latest_block_height"]
    assert after >= before + 20


def test_patch_state_writes_account_key_and_data(network, rpc):
    account_id = f"{unique_name('patched')}.{network.root_account_id}"
    key = KeyPair.generate()
    records = [
        {
            "Account": {
                "account_id": account_id,
                "account": {
                    "amount": str(7 * NEAR),
                    "locked": "0",
                    "code_hash": "11111111111111111111111111111111",
                    "storage_usage": 182,
                    "version": "V1",
                },
            }
        },
        {
            "AccessKey": {
                "account_id": account_id,
                "public_key": key.public_key_text,
                "access_key": {"nonce": 0, "permission": "FullAccess"},
            }
        },
        {
            "Data": {
                "account_id": account_id,
                "data_key": base64.b64encode(b"k").decode(),
                "value": base64.b64encode(b"v").decode(),
            }
        },
    ]
    assert rpc.result("sandbox_patch_state", {"records": records}) == {}
    # The patch is in the latest block; `final` reads see it two blocks later.
    account = rpc.result("query", {"request_type": "view_account", "account_id": account_id, "finality": "optimistic"})
    assert account["amount"] == str(7 * NEAR)
    assert rpc.access_key_nonce(account_id, key) == 0
    state = rpc.result("query", {"request_type": "view_state", "account_id": account_id, "prefix_base64": "", "finality": "optimistic"})
    assert state["values"] == [{"key": "aw==", "value": "dg=="}]


def test_sandbox_params_are_validated(rpc):
    error = error_of(rpc.call("sandbox_fast_forward", {"delta_height": -1}))
    assert error["cause"]["name"] == "PARSE_ERROR"
    error = error_of(rpc.call("sandbox_patch_state", {"records": "nope"}))
    assert error["cause"]["name"] == "PARSE_ERROR"


# --------------------------------------------------------------------------
# py-near's habits


def test_py_near_can_send_many_transactions_in_a_row(network, root_key):
    """py-near reuses one block hash for 50 s; localnet makes a block per transaction step,
    so a hash must stay valid for that long even after 100+ quick blocks."""
    if network.kind != "localnet":
        pytest.skip("about localnet's block pace; a real node makes about one block a second")
    account_id, key = create_account(network, root_key, "busy", balance=10 * NEAR)

    async def go():
        async with py_near_account(network.rpc_url, account_id, key) as account:
            for _ in range(150):
                outcome = await account.send_money(network.root_account_id, 1)
                assert outcome.status == {"SuccessValue": ""}

    run(go())


def test_protocol_config_holds_the_fees_and_price_the_node_charges(network, root_key, rpc):
    config = rpc.result("EXPERIMENTAL_protocol_config", {"finality": "final"})["runtime_config"]
    fees = config["transaction_costs"]
    account_id, key = create_account(network, root_key, "fees")
    tx = rpc.signed_transaction(account_id, key, network.root_account_id, (Transfer(1),))
    outcome = rpc.result("broadcast_tx_commit", [tx])
    # Converting a transaction burns the send fees of its receipt and actions (sender is not receiver).
    send = fees["action_receipt_creation_config"]["send_not_sir"] + fees["action_creation_config"]["transfer_cost"]["send_not_sir"]
    assert outcome["transaction_outcome"]["outcome"]["gas_burnt"] == send
    assert int(config["storage_amount_per_byte"]) == 10**19


def test_a_query_at_an_earlier_block_reads_that_blocks_state(network, root_key, rpc):
    account_id, key = create_account(network, root_key, "history")
    before = rpc.result("query", {"request_type": "view_account", "account_id": account_id, "finality": "optimistic"})
    outcome = rpc.result("broadcast_tx_commit", [rpc.signed_transaction(network.root_account_id, root_key, account_id,
                                                                        (Transfer(NEAR),))])
    assert outcome["status"] == {"SuccessValue": ""}
    wait_until_final(network.rpc_url, outcome)
    now = rpc.result("query", {"request_type": "view_account", "account_id": account_id, "finality": "final"})
    assert int(now["amount"]) == int(before["amount"]) + NEAR
    then = rpc.result("query", {"request_type": "view_account", "account_id": account_id,
                                "block_id": before["block_height"]})
    assert then == before
