"""Signed transactions: fees, signatures, nonces, block hashes, balance checks, outcome shape."""
from __future__ import annotations

import base64

import pytest

from localnet.chain import ChainError, InvalidTransaction
from localnet.primitives import NEAR, TERA, FunctionCall, Transfer
from localnet.rpc import views

from .conftest import ROOT_KEY, balance, create_account, key_for, sign

TRANSFER_SEND_AND_RECEIPT_FEES = 108_059_500_000 + 115_123_062_500  # receipt creation + transfer
GAS_PRICE = 100_000_000


def invalid_tx_error(excinfo) -> object:
    payload = excinfo.value.payload
    return payload["TxExecutionError"]["InvalidTxError"]


def test_transfer_burns_nearcores_fees_at_conversion_and_at_execution(chain):
    create_account(chain, "bob.test.near", balance=NEAR)
    sender_before, receiver_before = balance(chain, "test.near"), balance(chain, "bob.test.near")

    outcome = chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "bob.test.near", [Transfer(5 * NEAR)]))

    tx_outcome = outcome["transaction_outcome"]["outcome"]
    assert tx_outcome["gas_burnt"] == 223_182_562_500 == TRANSFER_SEND_AND_RECEIPT_FEES
    assert tx_outcome["tokens_burnt"] == str(223_182_562_500 * GAS_PRICE)
    [receipt] = outcome["receipts_outcome"]  # exact prepaid gas: no refund receipt
    assert receipt["outcome"]["gas_burnt"] == 223_182_562_500
    total_gas = tx_outcome["gas_burnt"] + receipt["outcome"]["gas_burnt"]
    assert total_gas == 446_365_125_000
    assert balance(chain, "test.near") == sender_before - 5 * NEAR - total_gas * GAS_PRICE
    assert balance(chain, "bob.test.near") == receiver_before + 5 * NEAR


def test_outcome_has_the_shape_clients_parse(chain):
    create_account(chain, "bob.test.near")
    outcome = chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "bob.test.near", [Transfer(1)]))

    assert set(outcome) == {"final_execution_status", "status", "transaction", "transaction_outcome", "receipts_outcome"}
    assert outcome["status"] == {"SuccessValue": ""}
    assert set(outcome["transaction"]) >= {"signer_id", "public_key", "nonce", "receiver_id", "actions", "signature", "hash"}
    assert outcome["transaction"]["actions"] == [{"Transfer": {"deposit": "1"}}]
    tx_outcome = outcome["transaction_outcome"]
    receipt_id = tx_outcome["outcome"]["receipt_ids"][0]
    assert tx_outcome["outcome"]["status"] == {"SuccessReceiptId": receipt_id}
    assert tx_outcome["outcome"]["executor_id"] == "test.near"
    assert tx_outcome["outcome"]["metadata"] == {"version": 1, "gas_profile": None}
    receipt = outcome["receipts_outcome"][0]
    assert receipt["id"] == receipt_id
    assert receipt["outcome"]["executor_id"] == "bob.test.near"
    assert receipt["outcome"]["metadata"] == {"version": 3, "gas_profile": []}  # no code ran
    assert set(receipt) == {"proof", "block_hash", "id", "outcome"}
    # The receipt runs in a later block than the transaction's conversion.
    assert views.block(chain, receipt["block_hash"])["header"]["height"] == views.block(chain, tx_outcome["block_hash"])["header"]["height"] + 1


def test_transaction_to_self_runs_its_receipt_in_the_same_block(chain):
    outcome = chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(1)]))
    assert outcome["receipts_outcome"][0]["block_hash"] == outcome["transaction_outcome"]["block_hash"]


def test_bad_signature_is_refused(chain):
    signed = sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(1)])
    forged = type(signed)(signed.transaction, signed.signature[:-1] + bytes([signed.signature[-1] ^ 1]), signed.hash, signed.size)
    with pytest.raises(InvalidTransaction) as excinfo:
        chain.submit_transaction(forged)
    assert invalid_tx_error(excinfo) == "InvalidSignature"


def test_signature_by_another_key_is_refused(chain):
    signed = sign(chain, key_for("someone"), "test.near", "test.near", [Transfer(1)], nonce=1)
    # Signed by a key the account does not have: the key is looked up, not the signature.
    with pytest.raises(InvalidTransaction) as excinfo:
        chain.submit_transaction(signed)
    assert invalid_tx_error(excinfo) == {
        "InvalidAccessKeyError": {
            "AccessKeyNotFound": {"account_id": "test.near", "public_key": key_for("someone").public_key_text}
        }
    }


def test_nonce_must_increase(chain):
    chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(1)], nonce=5))
    assert chain.view_access_key("test.near", ROOT_KEY.public_key_text)["nonce"] == 5
    for stale in (5, 4):
        with pytest.raises(InvalidTransaction) as excinfo:
            chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(2)], nonce=stale))
        assert invalid_tx_error(excinfo) == {"InvalidNonce": {"tx_nonce": stale, "ak_nonce": 5}}
    chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(3)], nonce=6))


def test_nonce_must_stay_below_height_times_a_million(chain):
    next_height = chain.height + 1
    upper_bound = next_height * 1_000_000
    with pytest.raises(InvalidTransaction) as excinfo:
        chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(1)], nonce=upper_bound))
    assert invalid_tx_error(excinfo) == {"NonceTooLarge": {"tx_nonce": upper_bound, "upper_bound": upper_bound}}
    chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(1)], nonce=upper_bound - 1))


def test_added_key_starts_at_previous_height_times_a_million(chain):
    create_account(chain, "bob.test.near")
    added_at = chain.height  # the receipt adding the key ran in the latest block
    assert chain.view_access_key("bob.test.near", key_for("bob.test.near").public_key_text)["nonce"] == (added_at - 1) * 1_000_000


def test_unknown_or_stale_block_hash_expires(chain):
    with pytest.raises(InvalidTransaction) as excinfo:
        chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(1)], block_hash=bytes(32)))
    assert invalid_tx_error(excinfo) == "Expired"

    old_hash = chain.head.hash
    chain.fast_forward(100)
    chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(1)], block_hash=old_hash))
    # That transaction added blocks of its own: the old hash is now more than 100 blocks back.
    with pytest.raises(InvalidTransaction) as excinfo:
        chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(2)], block_hash=old_hash))
    assert invalid_tx_error(excinfo) == "Expired"


def test_signer_must_exist(chain):
    signed = sign(chain, ROOT_KEY, "ghost.test.near", "test.near", [Transfer(1)], nonce=1)
    with pytest.raises(InvalidTransaction) as excinfo:
        chain.submit_transaction(signed)
    assert invalid_tx_error(excinfo) == {"SignerDoesNotExist": {"signer_id": "ghost.test.near"}}


def test_balance_must_cover_deposits_and_all_prepaid_gas(chain):
    key = create_account(chain, "poor.test.near", balance=NEAR)
    before = balance(chain, "poor.test.near")
    signed = sign(chain, key, "poor.test.near", "test.near", [Transfer(before)])
    with pytest.raises(InvalidTransaction) as excinfo:
        chain.submit_transaction(signed)
    cost = before + TRANSFER_SEND_AND_RECEIPT_FEES * 2 * GAS_PRICE
    assert invalid_tx_error(excinfo) == {
        "NotEnoughBalance": {"signer_id": "poor.test.near", "balance": str(before), "cost": str(cost)}
    }
    assert balance(chain, "poor.test.near") == before  # nothing was charged


def test_prepaid_gas_is_capped_at_300_tgas(chain):
    too_much = FunctionCall("m", b"", 301 * TERA, 0)
    with pytest.raises(InvalidTransaction) as excinfo:
        chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "test.near", [too_much]))
    assert invalid_tx_error(excinfo) == {
        "ActionsValidation": {"TotalPrepaidGasExceeded": {"total_prepaid_gas": 301 * TERA, "limit": 300 * TERA}}
    }


def test_function_call_needs_gas(chain):
    with pytest.raises(InvalidTransaction) as excinfo:
        chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "test.near", [FunctionCall("m", b"", 0, 0)]))
    assert invalid_tx_error(excinfo) == {"ActionsValidation": "FunctionCallZeroAttachedGas"}


def test_refused_transaction_changes_nothing(chain):
    height, nonce = chain.height, chain.view_access_key("test.near", ROOT_KEY.public_key_text)["nonce"]
    with pytest.raises(InvalidTransaction):
        chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(10**36)]))
    assert chain.height == height
    assert chain.view_access_key("test.near", ROOT_KEY.public_key_text)["nonce"] == nonce


def test_resubmitting_returns_the_recorded_outcome(chain):
    signed = sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(1)])
    first = chain.submit_transaction(signed)
    height = chain.height
    assert chain.submit_transaction(signed) == first
    assert chain.height == height


def test_tx_status_finds_the_outcome_by_hash(chain):
    signed = sign(chain, ROOT_KEY, "test.near", "test.near", [Transfer(1)])
    outcome = chain.submit_transaction(signed)
    assert chain.tx_status(outcome["transaction"]["hash"], "test.near") == outcome
    with pytest.raises(ChainError) as excinfo:
        chain.tx_status("11111111111111111111111111111111", "test.near")
    assert excinfo.value.cause_name == "UNKNOWN_TRANSACTION"


def test_failure_status_names_the_failing_action(chain):
    outcome = chain.submit_transaction(
        sign(chain, ROOT_KEY, "test.near", "nobody.test.near", [Transfer(NEAR)])
    )
    assert outcome["status"] == {
        "Failure": {"ActionError": {"index": 0, "kind": {"AccountDoesNotExist": {"account_id": "nobody.test.near"}}}}
    }
    # The deposit came back in a refund receipt (from `system`, burning nothing).
    refunds = [r for r in outcome["receipts_outcome"] if r["outcome"]["executor_id"] == "test.near"]
    assert len(refunds) == 1 and refunds[0]["outcome"]["gas_burnt"] == 0
    assert base64.b64decode(refunds[0]["outcome"]["status"]["SuccessValue"]) == b""


def test_recent_block_hash_stays_valid_for_100_seconds_of_chain_time_under_load():
    # Wall-clock mode makes many blocks per second; a client reusing one block hash
    # for less than 100 s (py-near does for 50 s) must not see it expire.
    from localnet.chain import Chain

    with Chain(root_public_key=ROOT_KEY.public_key) as c:
        create_account(c, "bob.test.near")
        reused = c.head.hash
        nonce = c.view_access_key("test.near", ROOT_KEY.public_key_text)["nonce"]
        for _ in range(60):  # two blocks each: conversion, then the receipt at bob
            nonce += 1
            c.submit_transaction(sign(c, ROOT_KEY, "test.near", "bob.test.near", [Transfer(1)], nonce=nonce, block_hash=reused))
        assert c.height - views.block(c, reused)["header"]["height"] > 100
        # Once 100 seconds of chain time have passed as well, the hash has expired.
        c.fast_forward(100)
        with pytest.raises(InvalidTransaction) as excinfo:
            c.submit_transaction(sign(c, ROOT_KEY, "test.near", "bob.test.near", [Transfer(1)], nonce=nonce + 1, block_hash=reused))
        assert invalid_tx_error(excinfo) == "Expired"
