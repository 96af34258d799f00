"""Views: the exact shapes the RPC returns, and NEAR's errors for what does not exist."""
from __future__ import annotations

import base64

import pytest

from localnet.chain import ChainError
from localnet.primitives import NEAR
from localnet.rpc import views

from .conftest import ROOT_KEY, create_account, key_for


def test_view_account_shape(chain):
    view = chain.view_account("test.near")
    assert view == {
        "amount": str(10**33),
        "locked": "0",
        "code_hash": "11111111111111111111111111111111",
        "storage_usage": 182,
        "storage_paid_at": 0,
        "block_height": 0,
        "block_hash": chain.head.hash_text,
    }


def test_view_access_key_has_exactly_the_fields_py_near_builds_from(chain):
    view = chain.view_access_key("test.near", ROOT_KEY.public_key_text)
    assert view == {"nonce": 0, "permission": "FullAccess", "block_height": 0, "block_hash": chain.head.hash_text}


def test_unknown_account_error_carries_nears_info(chain):
    with pytest.raises(ChainError) as excinfo:
        chain.view_account("nobody.test.near")
    error = excinfo.value
    assert error.cause_name == "UNKNOWN_ACCOUNT"
    assert error.info == {"requested_account_id": "nobody.test.near", "block_height": 0, "block_hash": chain.head.hash_text}
    assert error.data == "account nobody.test.near does not exist while viewing"


def test_unknown_access_key(chain):
    other = key_for("other")
    with pytest.raises(ChainError) as excinfo:
        chain.view_access_key("test.near", other.public_key_text)
    assert excinfo.value.cause_name == "UNKNOWN_ACCESS_KEY"
    assert excinfo.value.info["public_key"] == other.public_key_text


def test_view_access_key_list(chain):
    key = create_account(chain, "alice.test.near")
    assert chain.view_access_key_list("alice.test.near")["keys"] == [
        {"public_key": key.public_key_text, "access_key": {"nonce": (chain.height - 1) * 10**6, "permission": "FullAccess"}}
    ]


def test_code_less_account_has_no_contract_code(chain):
    create_account(chain, "alice.test.near")
    with pytest.raises(ChainError) as excinfo:
        chain.view_code("alice.test.near")
    assert excinfo.value.cause_name == "NO_CONTRACT_CODE"
    assert excinfo.value.info["contract_account_id"] == "alice.test.near"
    # A view call answers as nearcore does: a result with the compilation error, not an RPC error.
    answer = chain.call_function("alice.test.near", "m", b"")
    assert answer["error"] == ('wasm execution failed with error: '
                               'CompilationError(CodeDoesNotExist { account_id: "alice.test.near" })')
    assert answer["logs"] == [] and answer["block_height"] == chain.height


def test_view_state_and_view_code(chain):
    chain.patch_state([
        {"Account": {"account_id": "data.test.near", "account": {"amount": str(NEAR), "locked": "0", "storage_usage": 500}}},
        {"Contract": {"account_id": "data.test.near", "code": base64.b64encode(b"\0asm").decode()}},
        {"Data": {"account_id": "data.test.near", "data_key": base64.b64encode(b"a1").decode(), "value": base64.b64encode(b"x").decode()}},
        {"Data": {"account_id": "data.test.near", "data_key": base64.b64encode(b"b1").decode(), "value": base64.b64encode(b"y").decode()}},
    ])
    state = chain.view_state("data.test.near", b"a")
    assert state["values"] == [{"key": base64.b64encode(b"a1").decode(), "value": base64.b64encode(b"x").decode()}]
    assert len(chain.view_state("data.test.near", b"")["values"]) == 2
    code = chain.view_code("data.test.near")
    assert base64.b64decode(code["code_base64"]) == b"\0asm"
    assert chain.view_account("data.test.near")["code_hash"] == code["hash"]


def test_gas_price_is_fixed(chain):
    assert views.gas_price(chain) == {"gas_price": "100000000"}


def test_patched_account_and_key_can_sign(chain):
    from localnet.primitives import Transfer

    from .conftest import key_for, sign

    key = key_for("patched")
    chain.patch_state([
        {"Account": {"account_id": "patched.test.near", "account": {
            "amount": str(5 * NEAR), "locked": "0", "code_hash": "11111111111111111111111111111111", "storage_usage": 182}}},
        {"AccessKey": {"account_id": "patched.test.near", "public_key": key.public_key_text,
                       "access_key": {"nonce": 7, "permission": "FullAccess"}}},
    ])
    assert chain.view_access_key("patched.test.near", key.public_key_text)["nonce"] == 7
    outcome = chain.submit_transaction(sign(chain, key, "patched.test.near", "test.near", [Transfer(NEAR)]))
    assert outcome["status"] == {"SuccessValue": ""}
    assert outcome["transaction"]["nonce"] == 8
