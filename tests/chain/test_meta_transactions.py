"""NEP-366 delegate actions: a relayer submits actions the sender signed."""
from __future__ import annotations

from localnet import borsh
from localnet.primitives import NEAR, DelegateAction, SignedDelegate, Transfer

from .conftest import ROOT_KEY, balance, create_account, sign


def delegate(chain, key, sender_id, receiver_id, actions, *, nonce=None, max_block_height=None, signer=None):
    if nonce is None:
        nonce = chain.view_access_key(sender_id, key.public_key_text)["nonce"] + 1
    action = DelegateAction(
        sender_id, receiver_id, tuple(actions), nonce,
        chain.height + 100 if max_block_height is None else max_block_height, key.public_key,
    )
    return SignedDelegate(action, (signer or key).sign(borsh.delegate_action_hash(action)))


def test_relayer_runs_the_senders_actions_and_pays_for_them(chain):
    alice = create_account(chain, "alice.test.near")
    create_account(chain, "bob.test.near")
    alice_before, bob_before, relayer_before = (balance(chain, a) for a in ("alice.test.near", "bob.test.near", "test.near"))
    signed_delegate = delegate(chain, alice, "alice.test.near", "bob.test.near", [Transfer(NEAR)])

    outcome = chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "alice.test.near", [signed_delegate]))

    assert outcome["status"] == {"SuccessValue": ""}
    executors = [r["outcome"]["executor_id"] for r in outcome["receipts_outcome"]]
    assert executors[:2] == ["alice.test.near", "bob.test.near"]
    assert balance(chain, "bob.test.near") == bob_before + NEAR
    assert balance(chain, "alice.test.near") == alice_before  # the relayer paid deposit and gas
    burnt = int(outcome["transaction_outcome"]["outcome"]["tokens_burnt"]) + sum(
        int(r["outcome"]["tokens_burnt"]) for r in outcome["receipts_outcome"]
    )
    assert balance(chain, "test.near") == relayer_before - NEAR - burnt
    assert chain.view_access_key("alice.test.near", alice.public_key_text)["nonce"] == signed_delegate.delegate_action.nonce
    assert outcome["transaction"]["actions"][0]["Delegate"]["delegate_action"]["sender_id"] == "alice.test.near"


def test_delegate_signed_by_another_key_is_rejected(chain):
    alice = create_account(chain, "alice.test.near")
    create_account(chain, "bob.test.near")
    forged = delegate(chain, alice, "alice.test.near", "bob.test.near", [Transfer(NEAR)], signer=ROOT_KEY)
    outcome = chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "alice.test.near", [forged]))
    assert outcome["status"] == {"Failure": {"ActionError": {"index": 0, "kind": "DelegateActionInvalidSignature"}}}


def test_delegate_checks_expiry_and_nonce(chain):
    alice = create_account(chain, "alice.test.near")
    create_account(chain, "bob.test.near")
    expired = delegate(chain, alice, "alice.test.near", "bob.test.near", [Transfer(1)], max_block_height=1)
    outcome = chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "alice.test.near", [expired]))
    assert outcome["status"]["Failure"]["ActionError"]["kind"] == "DelegateActionExpired"

    ak_nonce = chain.view_access_key("alice.test.near", alice.public_key_text)["nonce"]
    stale = delegate(chain, alice, "alice.test.near", "bob.test.near", [Transfer(1)], nonce=ak_nonce)
    outcome = chain.submit_transaction(sign(chain, ROOT_KEY, "test.near", "alice.test.near", [stale]))
    assert outcome["status"]["Failure"]["ActionError"]["kind"] == {
        "DelegateActionInvalidNonce": {"delegate_nonce": ak_nonce, "ak_nonce": ak_nonce}
    }
