"""Every answer the node gives, checked against nearcore's own OpenAPI-derived models.

`near-jsonrpc-client` (PyPI, pinned in pyproject.toml) ships pydantic models
generated from nearcore's OpenAPI spec, one response model per method (result
or error envelope).  A scenario records a response for every method the node
supports and for each error class it can answer; each must validate against
its method's model, and carry no field the schema does not know.

nearcore itself answers a few things outside its schema; those are listed in
SCHEMA_EXCEPTIONS with the reason, and the test checks that exactly those
(and nothing else) fall outside.
"""
from __future__ import annotations

import importlib
import json
from typing import Any

import pytest

from localnet.primitives import AccessKey, AddKey, CreateAccount, DeployContract, FullAccess, FunctionCall, Transfer
from localnet.rpc import views
from tests.rpc.contracts import greeter_wasm
from tests.rpc.light_client_check import final_proof
from tests.rpc.wallet import KeyPair, RawRpc, unique_name, wait_until_final

models = pytest.importorskip("near_jsonrpc_models", reason="near-jsonrpc-client is a dev dependency")

NEAR = 10**24
TGAS = 10**12
ZERO_HASH = "11111111111111111111111111111111"

# method -> the response model nearcore's spec gives it (module and class share a stem).
RESPONSE_MODELS = {
    "status": "rpc_status_response_and_rpc_status_error",
    "health": "nullable_rpc_health_response_and_rpc_status_error",
    "network_info": "rpc_network_info_response_and_rpc_network_info_error",
    "block": "rpc_block_response_and_rpc_block_error",
    "chunk": "rpc_chunk_response_and_rpc_chunk_error",
    "gas_price": "rpc_gas_price_response_and_rpc_gas_price_error",
    "query": "rpc_query_response_and_rpc_query_error",
    "broadcast_tx_commit": "rpc_transaction_response_and_rpc_transaction_error",
    "send_tx": "rpc_transaction_response_and_rpc_transaction_error",
    "tx": "rpc_transaction_response_and_rpc_transaction_error",
    "EXPERIMENTAL_tx_status": "rpc_transaction_response_and_rpc_transaction_error",
    "broadcast_tx_async": "crypto_hash_and_rpc_transaction_error",
    "EXPERIMENTAL_protocol_config": "rpc_protocol_config_response_and_rpc_protocol_config_error",
    "EXPERIMENTAL_genesis_config": "genesis_config_and_genesis_config_error",
    "genesis_config": "genesis_config_and_genesis_config_error",
    "client_config": "rpc_client_config_response_and_rpc_client_config_error",
    "validators": "rpc_validator_response_and_rpc_validator_error",
    "EXPERIMENTAL_validators_ordered": "array_of_validator_stake_view_and_rpc_validator_error",
    "EXPERIMENTAL_receipt": "rpc_receipt_response_and_rpc_receipt_error",
    "changes": "rpc_state_changes_in_block_response_and_rpc_state_changes_error",
    "EXPERIMENTAL_changes": "rpc_state_changes_in_block_response_and_rpc_state_changes_error",
    "block_effects": "rpc_state_changes_in_block_by_type_response_and_rpc_state_changes_error",
    "EXPERIMENTAL_changes_in_block": "rpc_state_changes_in_block_by_type_response_and_rpc_state_changes_error",
    "next_light_client_block": "rpc_light_client_next_block_response_and_rpc_light_client_next_block_error",
    "EXPERIMENTAL_light_client_proof": "rpc_light_client_execution_proof_response_and_rpc_light_client_proof_error",
    "light_client_proof": "rpc_light_client_execution_proof_response_and_rpc_light_client_proof_error",
}
# sandbox_patch_state and sandbox_fast_forward are not in nearcore's spec (sandbox builds only).

# Answers nearcore gives outside its own schema, each with where nearcore does it.
# Cases whose answer does not validate at all:
SCHEMA_INVALID = {
    # A failing view call stays a *result* with `error` (and no `result`) for old clients
    # (nearcore chain/jsonrpc/src/lib.rs, process_query_response: ContractExecutionError).
    "query call_function panics",
    "query call_function without code",
    # The same legacy result for a missing access key (UnknownAccessKey).
    "query view_access_key unknown key",
    # wait_until NONE: nothing but {"final_execution_status": "NONE"}, which the schema's
    # RpcTransactionResponse (an outcome is required) does not allow.
    "send_tx NONE",
}
# Fields every error answer carries besides the schema's `name` and `cause`: the legacy
# `code`, `message` and `data` of JSON-RPC 2.0 that older clients read (nearcore's RpcError).
LEGACY_ERROR_FIELDS = {"error.code", "error.message", "error.data"}


def response_model(method: str):
    stem = RESPONSE_MODELS[method]
    module = importlib.import_module(f"near_jsonrpc_models.json_rpc_response_for_{stem}")
    wanted = "jsonrpcresponsefor" + stem.replace("_", "")
    [cls] = [getattr(module, name) for name in dir(module) if name.lower() == wanted]
    return cls


def unknown_fields(sent: Any, understood: Any, path: str = "") -> set[str]:
    """Keys in `sent` that the validated model did not keep (fields the schema does not know)."""
    found: set[str] = set()
    if isinstance(sent, dict) and isinstance(understood, dict):
        for key, value in sent.items():
            here = f"{path}.{key}" if path else key
            if key not in understood:
                found.add(here)
            else:
                found |= unknown_fields(value, understood[key], here)
    elif isinstance(sent, list) and isinstance(understood, list):
        for value, kept in zip(sent, understood):
            found |= unknown_fields(value, kept, f"{path}[]")
    return found


def schema_problems(method: str, answer: dict) -> tuple[str | None, set[str]]:
    """(validation error or None, fields outside the schema) of one whole JSON-RPC response."""
    from pydantic import ValidationError

    try:
        parsed = response_model(method).model_validate(answer)
    except ValidationError as err:
        return str(err), set()
    understood = parsed.model_dump(mode="json", exclude_unset=True, by_alias=True)
    return None, unknown_fields(answer, understood)


@pytest.fixture(scope="module")
def recorded(network) -> list[tuple[str, str, dict]]:
    """(case label, method, whole response) for every method and error class the node answers."""
    rpc = RawRpc(network.rpc_url)
    root_key = KeyPair.from_secret_text(network.root_secret_key)
    root = network.root_account_id
    cases: list[tuple[str, str, dict]] = []

    def record(label: str, method: str, params: Any) -> dict:
        answer = rpc.call(method, params)
        answer["id"] = str(answer["id"])
        cases.append((label, method, answer))
        return answer

    account_id = f"{unique_name('schema')}.{root}"
    key = KeyPair.generate()
    create = rpc.signed_transaction(root, root_key, account_id, (
        CreateAccount(), AddKey(key.borsh_public_key, AccessKey(0, FullAccess())), Transfer(10 * NEAR)))
    created = record("broadcast_tx_commit create account", "broadcast_tx_commit", [create])["result"]
    deploy = rpc.signed_transaction(account_id, key, account_id, (DeployContract(greeter_wasm()),))
    record("send_tx deploy FINAL", "send_tx", {"signed_tx_base64": deploy, "wait_until": "FINAL"})
    call = rpc.signed_transaction(account_id, key, account_id, (
        FunctionCall("set_greeting", b'{"text": "hi"}', 30 * TGAS, 0),))
    called = record("send_tx call", "send_tx", {"signed_tx_base64": call, "wait_until": "EXECUTED_OPTIMISTIC"})["result"]
    failing = rpc.signed_transaction(account_id, key, account_id, (FunctionCall("fail", b"", 30 * TGAS, 0),))
    record("broadcast_tx_commit failing call", "broadcast_tx_commit", [failing])
    quick = rpc.signed_transaction(account_id, key, root, (Transfer(1),))
    record("send_tx NONE", "send_tx", {"signed_tx_base64": quick, "wait_until": "NONE"})
    wait_until_final(network.rpc_url, called)
    later = rpc.signed_transaction(account_id, key, root, (Transfer(1),))
    record("broadcast_tx_async", "broadcast_tx_async", [later])

    tx_hash = called["transaction"]["hash"]
    record("tx", "tx", {"tx_hash": tx_hash, "sender_account_id": account_id, "wait_until": "FINAL"})
    record("EXPERIMENTAL_tx_status", "EXPERIMENTAL_tx_status", {"tx_hash": tx_hash, "sender_account_id": account_id})
    record("tx unknown", "tx", {"tx_hash": ZERO_HASH, "sender_account_id": account_id})
    used = rpc.access_key_nonce(account_id, key)
    replay = rpc.signed_transaction(account_id, key, root, (Transfer(2),), nonce=used)
    record("broadcast_tx_commit invalid nonce", "broadcast_tx_commit", [replay])
    wrong = rpc.signed_transaction(account_id, key, root, (Transfer(1),), signing_key=KeyPair.generate())
    record("broadcast_tx_commit invalid signature", "broadcast_tx_commit", [wrong])

    record("status", "status", [])
    record("health", "health", [])
    record("network_info", "network_info", [])
    block = record("block final", "block", {"finality": "final"})["result"]
    record("block by height", "block", {"block_id": block["header"]["height"]})
    record("block unknown", "block", {"block_id": 10**12})
    record("chunk by hash", "chunk", {"chunk_id": block["chunks"][0]["chunk_hash"]})
    receipt_block = created["receipts_outcome"][0]["block_hash"]
    record("chunk by block", "chunk", {"block_id": receipt_block, "shard_id": 0})
    record("chunk unknown", "chunk", {"chunk_id": ZERO_HASH})
    record("gas_price", "gas_price", [None])
    record("EXPERIMENTAL_protocol_config", "EXPERIMENTAL_protocol_config", {"finality": "final"})
    record("EXPERIMENTAL_genesis_config", "EXPERIMENTAL_genesis_config", None)
    record("genesis_config", "genesis_config", None)
    record("client_config", "client_config", None)
    record("validators", "validators", [None])
    record("EXPERIMENTAL_validators_ordered", "EXPERIMENTAL_validators_ordered", [None])
    record("EXPERIMENTAL_receipt", "EXPERIMENTAL_receipt", {"receipt_id": created["receipts_outcome"][0]["id"]})
    record("EXPERIMENTAL_receipt unknown", "EXPERIMENTAL_receipt", {"receipt_id": ZERO_HASH})
    changed_in = {"block_id": called["receipts_outcome"][0]["block_hash"]}
    for method in ("changes", "EXPERIMENTAL_changes"):
        record(f"{method} account", method, {"changes_type": "account_changes", "account_ids": [account_id], **changed_in})
        record(f"{method} data", method, {"changes_type": "data_changes", "account_ids": [account_id],
                                          "key_prefix_base64": "", **changed_in})
    conversion_in = {"block_id": called["transaction_outcome"]["block_hash"]}
    record("changes keys", "changes", {"changes_type": "single_access_key_changes",
                                       "keys": [{"account_id": account_id, "public_key": key.public_key_text}],
                                       **conversion_in})
    for method in ("block_effects", "EXPERIMENTAL_changes_in_block"):
        record(method, method, changed_in)

    genesis_hash = rpc.result("status", [])["sync_info"]["earliest_block_hash"]
    record("next_light_client_block", "next_light_client_block", {"last_block_hash": genesis_hash})
    record("next_light_client_block unknown", "next_light_client_block", [ZERO_HASH])
    tx_proof = {"type": "transaction", "transaction_hash": tx_hash, "sender_id": account_id}
    receipt = called["receipts_outcome"][0]
    receipt_proof = {"type": "receipt", "receipt_id": receipt["id"], "receiver_id": account_id}
    _, head = final_proof(rpc, tx_proof)
    final_proof(rpc, receipt_proof)
    for method in ("EXPERIMENTAL_light_client_proof", "light_client_proof"):
        record(f"{method} transaction", method, dict(tx_proof, light_client_head=head["hash"]))
        record(f"{method} receipt", method, dict(receipt_proof, light_client_head=head["hash"]))
    record("light_client_proof unknown", "EXPERIMENTAL_light_client_proof",
           dict(tx_proof, transaction_hash=ZERO_HASH, light_client_head=head["hash"]))
    record("light_client_proof unknown head", "EXPERIMENTAL_light_client_proof",
           dict(tx_proof, light_client_head=ZERO_HASH))

    view = {"finality": "final", "account_id": account_id}
    record("query view_account", "query", {"request_type": "view_account", **view})
    record("query view_account at a height", "query",
           {"request_type": "view_account", "account_id": account_id, "block_id": created["receipts_outcome"][0]["block_hash"]})
    record("query view_access_key", "query", {"request_type": "view_access_key", "public_key": key.public_key_text, **view})
    record("query view_access_key_list", "query", {"request_type": "view_access_key_list", **view})
    record("query view_state", "query", {"request_type": "view_state", "prefix_base64": "", **view})
    record("query view_code", "query", {"request_type": "view_code", **view})
    record("query call_function", "query", {"request_type": "call_function", "method_name": "get_greeting",
                                            "args_base64": "", **view})
    record("query call_function panics", "query", {"request_type": "call_function", "method_name": "fail",
                                                   "args_base64": "", **view})
    record("query call_function without code", "query", {"request_type": "call_function", "method_name": "x",
                                                          "args_base64": "", "finality": "final", "account_id": root})
    record("query view_access_key unknown key", "query", {"request_type": "view_access_key",
                                                          "public_key": KeyPair.generate().public_key_text, **view})
    record("query unknown account", "query", {"request_type": "view_account", "finality": "final",
                                              "account_id": f"nobody.{root}"})
    record("query view_code without code", "query", {"request_type": "view_code", "finality": "final", "account_id": root})
    record("query unknown block", "query", {"request_type": "view_account", "account_id": root, "block_id": 10**12})
    record("query bad params", "query", {"request_type": "view_account", "finality": "final"})
    record("query block id digit string", "query", {"request_type": "view_account", "account_id": root, "block_id": "5"})
    rpc.close()
    return cases


def test_every_method_answers_within_nearcores_schema(recorded):
    invalid: set[str] = set()
    outside: dict[str, set[str]] = {}
    for label, method, answer in recorded:
        error, unknown = schema_problems(method, answer)
        if error is not None:
            invalid.add(label)
        if "error" in answer:
            assert LEGACY_ERROR_FIELDS <= set(f"error.{k}" for k in answer["error"]), label
            unknown -= LEGACY_ERROR_FIELDS
        if unknown:
            outside[label] = unknown
    assert invalid == SCHEMA_INVALID
    assert outside == {}


def test_every_supported_method_and_error_class_was_recorded(recorded):
    from localnet.rpc.methods import RpcMethods

    supported = set(RpcMethods(None)._methods) - {"sandbox_patch_state", "sandbox_fast_forward"}
    assert supported == set(RESPONSE_MODELS)
    assert {method for _, method, _ in recorded} == supported
    error_causes = {answer["error"]["cause"]["name"] for _, _, answer in recorded if "error" in answer}
    assert error_causes == {"UNKNOWN_BLOCK", "UNKNOWN_CHUNK", "UNKNOWN_RECEIPT", "UNKNOWN_TRANSACTION",
                            "INVALID_TRANSACTION", "UNKNOWN_ACCOUNT", "NO_CONTRACT_CODE", "PARSE_ERROR",
                            "UNKNOWN_TRANSACTION_OR_RECEIPT"}


def test_light_client_answers_a_live_node_races_through_are_within_the_schema():
    """Answers that depend on where the head is, recorded on an in-process chain that makes blocks on demand:
    an up-to-date light client ({}), an outcome not yet committed, a head that is not final."""
    from localnet.chain import Chain
    from localnet.rpc.methods import RpcMethods
    from localnet.rpc.server import handle_rpc_body

    chain = Chain(genesis_time_ns=1_700_000_000_000_000_000)
    methods = RpcMethods(chain)

    def answer(method: str, params: Any) -> dict:
        body = json.dumps({"jsonrpc": "2.0", "id": "schema", "method": method, "params": params}).encode()
        return handle_rpc_body(methods, body)[0]

    for _ in range(3):
        chain.produce_block()
    done = chain.execute(chain.root_account_id, chain.root_account_id, [Transfer(1)])
    request = {"type": "transaction", "transaction_hash": done.transaction_hash, "sender_id": chain.root_account_id}
    head = views.block(chain, "optimistic")["header"]["hash"]
    answers = {  # label -> (method, response, expected cause; None for a result)
        "up to date": ("next_light_client_block", answer("next_light_client_block", [head]), None),
        "not confirmed": ("EXPERIMENTAL_light_client_proof", answer(
            "EXPERIMENTAL_light_client_proof", dict(request, light_client_head=head)), "NOT_CONFIRMED"),
    }
    chain.produce_block()
    head = views.block(chain, "optimistic")["header"]["hash"]
    answers["head not final"] = ("EXPERIMENTAL_light_client_proof", answer(
        "EXPERIMENTAL_light_client_proof", dict(request, light_client_head=head)), "INTERNAL_ERROR")
    for label, (method, response, cause) in answers.items():
        if cause is None:
            assert response["result"] == {}, label
        else:
            assert response["error"]["cause"]["name"] == cause, (label, response)
        error, unknown = schema_problems(method, response)
        assert error is None, (label, error)
        assert unknown - LEGACY_ERROR_FIELDS == set(), label


def test_near_jsonrpc_clients_typed_calls_work(network):
    """The typed client itself (not only its models) reads the node: status, protocol config."""
    from near_jsonrpc_client import NearClientSync
    from near_jsonrpc_models import RpcProtocolConfigRequest

    client = NearClientSync(rpc_urls=network.rpc_url)
    status = client.status()
    assert status.chain_id and status.version.commit
    config = client.experimental_protocol_config(params=RpcProtocolConfigRequest({"finality": "final"}))
    assert int(config.runtime_config.storage_amount_per_byte.root) == 10**19
