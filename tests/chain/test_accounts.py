"""Accounts: creation rules, implicit accounts, keys, deletion, storage staking."""
from __future__ import annotations

import pytest

from localnet.chain import ChainError, InvalidTransaction
from localnet.primitives import (
    NEAR,
    AccessKey,
    AddKey,
    CreateAccount,
    DeleteAccount,
    DeleteKey,
    DeployContract,
    FullAccess,
    FunctionCallPermission,
    Transfer,
)

from .conftest import balance, create_account, key_for, sign

GAS_PRICE = 100_000_000


def action_error(result) -> dict:
    return result.failure["ActionError"]


def test_parent_creates_sub_account_with_key_and_balance(chain):
    key = create_account(chain, "alice.test.near", balance=3 * NEAR)
    view = chain.view_account("alice.test.near")
    assert view["amount"] == str(3 * NEAR)
    assert view["storage_usage"] == 182  # 100 for the account + 82 for one full-access ed25519 key
    assert view["code_hash"] == "11111111111111111111111111111111"
    assert chain.view_access_key_list("alice.test.near")["keys"][0]["public_key"] == key.public_key_text


def test_only_the_parent_creates_a_sub_account(chain):
    create_account(chain, "alice.test.near")
    result = chain.execute("alice.test.near", "bob.test.near", [CreateAccount(), Transfer(NEAR)])
    assert action_error(result) == {
        "index": 0,
        "kind": {"CreateAccountNotAllowed": {"account_id": "bob.test.near", "predecessor_id": "alice.test.near"}},
    }
    with pytest.raises(ChainError) as excinfo:
        chain.view_account("bob.test.near")
    assert excinfo.value.cause_name == "UNKNOWN_ACCOUNT"

    result = chain.execute("test.near", "x.alice.test.near", [CreateAccount()])
    assert action_error(result)["kind"] == {
        "CreateAccountNotAllowed": {"account_id": "x.alice.test.near", "predecessor_id": "test.near"}
    }
    assert chain.execute("alice.test.near", "x.alice.test.near", [CreateAccount()]).succeeded


def test_failed_creation_refunds_the_deposit_to_the_creator(chain):
    create_account(chain, "alice.test.near")
    before = balance(chain, "alice.test.near")
    result = chain.execute("alice.test.near", "bob.test.near", [CreateAccount(), Transfer(NEAR)])
    assert not result.succeeded
    # Only gas is gone: the attached NEAR came back in a refund receipt.
    assert balance(chain, "alice.test.near") == before - result.tokens_burnt


def test_top_level_accounts_belong_to_the_registrar(chain):
    result = chain.execute("test.near", "carol", [CreateAccount()])
    assert action_error(result)["kind"] == {
        "CreateAccountOnlyByRegistrar": {
            "account_id": "carol",
            "registrar_account_id": "registrar",
            "predecessor_id": "test.near",
        }
    }


def test_existing_account_cannot_be_created_again(chain):
    create_account(chain, "alice.test.near")
    result = chain.execute("test.near", "alice.test.near", [CreateAccount()])
    assert action_error(result)["kind"] == {"AccountAlreadyExists": {"account_id": "alice.test.near"}}


def test_transfer_to_an_implicit_id_creates_the_account_for_its_key(chain):
    owner = key_for("implicit owner")
    implicit_id = owner.public_key[1:].hex()
    result = chain.execute("test.near", implicit_id, [Transfer(2 * NEAR)])
    assert result.succeeded
    # The transfer paid for creating the account and its key as well.
    assert result.transaction_gas_burnt == 108_059_500_000 + 115_123_062_500 + 3_850_000_000_000 + 101_765_125_000
    view = chain.view_account(implicit_id)
    assert view["amount"] == str(2 * NEAR) and view["storage_usage"] == 182
    key = chain.view_access_key(implicit_id, owner.public_key_text)
    assert key["permission"] == "FullAccess"

    # The owner of the key can now spend from it.
    chain.submit_transaction(sign(chain, owner, implicit_id, "test.near", [Transfer(NEAR)]))
    assert balance(chain, implicit_id) < NEAR


def test_implicit_ids_cannot_be_created_with_create_account(chain):
    implicit_id = key_for("x").public_key[1:].hex()
    result = chain.execute("test.near", implicit_id, [CreateAccount()])
    assert action_error(result)["kind"] == {"OnlyImplicitAccountCreationAllowed": {"account_id": implicit_id}}


def test_add_and_delete_keys_track_storage(chain):
    create_account(chain, "alice.test.near")
    extra, limited = key_for("extra"), key_for("limited")
    permission = FunctionCallPermission(NEAR, "x.test.near", ("a", "b"))
    result = chain.execute(
        "alice.test.near",
        "alice.test.near",
        [AddKey(extra.public_key, AccessKey(0, FullAccess())), AddKey(limited.public_key, AccessKey(0, permission))],
    )
    assert result.succeeded
    # 82 bytes for a full-access key; 128 for this function-call key (33 key + 55 Borsh + 40).
    assert chain.view_account("alice.test.near")["storage_usage"] == 182 + 82 + 128
    listed = {k["public_key"]: k["access_key"]["permission"] for k in chain.view_access_key_list("alice.test.near")["keys"]}
    assert listed[limited.public_key_text] == {
        "FunctionCall": {"allowance": str(NEAR), "receiver_id": "x.test.near", "method_names": ["a", "b"]}
    }
    assert listed[extra.public_key_text] == "FullAccess"

    assert chain.execute("alice.test.near", "alice.test.near", [DeleteKey(limited.public_key)]).succeeded
    assert chain.view_account("alice.test.near")["storage_usage"] == 182 + 82
    with pytest.raises(ChainError) as excinfo:
        chain.view_access_key("alice.test.near", limited.public_key_text)
    assert excinfo.value.cause_name == "UNKNOWN_ACCESS_KEY"


def test_key_errors(chain):
    alice = create_account(chain, "alice.test.near")
    create_account(chain, "bob.test.near")
    result = chain.execute("alice.test.near", "alice.test.near", [AddKey(alice.public_key, AccessKey(0, FullAccess()))])
    assert action_error(result)["kind"] == {
        "AddKeyAlreadyExists": {"account_id": "alice.test.near", "public_key": alice.public_key_text}
    }
    stranger = key_for("stranger")
    result = chain.execute("alice.test.near", "alice.test.near", [DeleteKey(stranger.public_key)])
    assert action_error(result)["kind"] == {
        "DeleteKeyDoesNotExist": {"account_id": "alice.test.near", "public_key": stranger.public_key_text}
    }
    result = chain.execute("alice.test.near", "bob.test.near", [AddKey(stranger.public_key, AccessKey(0, FullAccess()))])
    assert action_error(result)["kind"] == {
        "ActorNoPermission": {"account_id": "bob.test.near", "actor_id": "alice.test.near"}
    }


def test_actions_of_a_failed_receipt_all_roll_back(chain):
    create_account(chain, "alice.test.near")
    added = key_for("added")
    result = chain.execute(
        "alice.test.near",
        "alice.test.near",
        [AddKey(added.public_key, AccessKey(0, FullAccess())), DeleteKey(key_for("missing").public_key)],
    )
    assert action_error(result)["index"] == 1
    with pytest.raises(ChainError):
        chain.view_access_key("alice.test.near", added.public_key_text)


def test_delete_account_pays_the_beneficiary(chain):
    key = create_account(chain, "bob.test.near", balance=4 * NEAR)
    root_before, bob_before = balance(chain, "test.near"), balance(chain, "bob.test.near")
    outcome = chain.submit_transaction(sign(chain, key, "bob.test.near", "bob.test.near", [DeleteAccount("test.near")]))
    assert outcome["status"] == {"SuccessValue": ""}
    gas = outcome["transaction_outcome"]["outcome"]["gas_burnt"] + sum(
        r["outcome"]["gas_burnt"] for r in outcome["receipts_outcome"]
    )
    assert balance(chain, "test.near") == root_before + bob_before - gas * GAS_PRICE
    with pytest.raises(ChainError) as excinfo:
        chain.view_account("bob.test.near")
    assert excinfo.value.info == {
        "requested_account_id": "bob.test.near",
        "block_height": chain.height,
        "block_hash": chain.head.hash_text,
    }
    with pytest.raises(ChainError):  # its keys went with it
        chain.view_access_key_list("bob.test.near")


def test_only_the_account_itself_deletes_it(chain):
    create_account(chain, "bob.test.near")
    result = chain.execute("test.near", "bob.test.near", [DeleteAccount("test.near")])
    assert action_error(result)["kind"] == {"ActorNoPermission": {"account_id": "bob.test.near", "actor_id": "test.near"}}


def test_delete_must_be_the_last_action(chain):
    with pytest.raises(InvalidTransaction) as excinfo:
        chain.execute("test.near", "test.near", [DeleteAccount("x.test.near"), Transfer(1)])
    assert excinfo.value.payload == {"TxExecutionError": {"InvalidTxError": {"ActionsValidation": "DeleteActionMustBeFinal"}}}


def test_storage_beyond_the_balance_fails_with_lack_balance_for_state(chain):
    key = create_account(chain, "small.test.near", balance=10**21)  # covers 100 bytes
    code = bytes(2000)
    outcome = chain.submit_transaction(sign(chain, key, "small.test.near", "small.test.near", [DeployContract(code)]))
    available = balance(chain, "small.test.near")
    required = (182 + 2000) * 10**19
    assert outcome["status"] == {
        "Failure": {
            "ActionError": {
                "index": None,
                "kind": {"LackBalanceForState": {"account_id": "small.test.near", "amount": str(required - available)}},
            }
        }
    }
    view = chain.view_account("small.test.near")
    assert view["storage_usage"] == 182 and view["code_hash"] == "11111111111111111111111111111111"


def test_small_accounts_need_no_balance_for_storage(chain):
    # NEP-448: up to 770 bytes are free, so an empty account with a key can hold nothing.
    assert chain.execute("test.near", "zero.test.near", [
        CreateAccount(), AddKey(key_for("zero").public_key, AccessKey(0, FullAccess()))
    ]).succeeded
    assert chain.view_account("zero.test.near")["amount"] == "0"


def test_transaction_leaving_too_little_for_storage_is_refused(chain):
    key = key_for("big")
    storage_usage = 1000
    chain.patch_state([
        {"Account": {"account_id": "big.test.near", "account": {
            "amount": str(storage_usage * 10**19 + NEAR), "locked": "0",
            "code_hash": "11111111111111111111111111111111", "storage_usage": storage_usage}}},
        {"AccessKey": {"account_id": "big.test.near", "public_key": key.public_key_text,
                       "access_key": {"nonce": 0, "permission": "FullAccess"}}},
    ])
    with pytest.raises(InvalidTransaction) as excinfo:
        chain.submit_transaction(sign(chain, key, "big.test.near", "test.near", [Transfer(NEAR)]))
    error = excinfo.value.payload["TxExecutionError"]["InvalidTxError"]
    cost = NEAR + 2 * (108_059_500_000 + 115_123_062_500) * GAS_PRICE
    assert error == {"LackBalanceForState": {"signer_id": "big.test.near", "amount": str(cost - NEAR)}}
