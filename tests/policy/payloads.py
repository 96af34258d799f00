"""Borsh payloads for the policy tests, built by encoders independent of the guard's decoder.

* py-near's transaction builder (`py_near_primitives`, nearcore's own Rust types
  behind pyo3): V0 transactions with ed25519 keys, every action kind of
  protocol 78 including the global-contract ones, and DelegateActions.
* localnet's Borsh codec (`localnet/borsh.py`): V1 transactions (priority fee)
  and secp256k1 keys and signatures, which py-near's builder cannot make.

Each builder returns (bytes, expected) where `expected` is what
`guard_core.txdecode.decode_payload` must return: the dict shapes documented in
txdecode.py, with public keys as key-type byte + key.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Optional

import py_near_primitives as pn

from localnet import borsh
from localnet import primitives as lp

REPO = Path(__file__).resolve().parents[2]
CONTRACT_DIR = REPO / "contract"

NEP461_PREFIX = (2**30 + 366).to_bytes(4, "little")
AUTH0_VECTOR = Path(__file__).resolve().parents[1] / "vectors" / "auth0-rs256.json"
TERA = 10**12
NEAR = 10**24


def ed_key(seed: int | str = 0) -> bytes:
    """32 bytes of an ed25519 public key (any 32 bytes are fine for Borsh)."""
    return hashlib.sha256(f"ed {seed}".encode()).digest()


def secp_key(seed: int | str = 0) -> bytes:
    return hashlib.sha512(f"secp {seed}".encode()).digest()


def block_hash(seed: int | str = 0) -> bytes:
    return hashlib.sha256(f"block {seed}".encode()).digest()


# --------------------------------------------------------------------------- py-near actions


class Act:
    """One action: its py-near object, its localnet object (when localnet has the kind), and the expectation."""

    def __init__(self, near_py, expected: dict, local=None):
        self.pn = near_py
        self.expected = expected
        self.local = local


def create_account() -> Act:
    return Act(pn.CreateAccountAction(), {"kind": "CreateAccount"}, lp.CreateAccount())


def deploy_contract(code: bytes = b"\0asm\1\0\0\0") -> Act:
    return Act(pn.DeployContractAction(code), {"kind": "DeployContract", "code": code}, lp.DeployContract(code))


def function_call(method: str = "ft_transfer", args: bytes = b'{"receiver_id":"bob.near","amount":"1"}',
                  gas: int = 30 * TERA, deposit: int = 1) -> Act:
    return Act(pn.FunctionCallAction(method, args, gas, deposit),
               {"kind": "FunctionCall", "method_name": method, "args": args, "gas": gas, "deposit": deposit},
               lp.FunctionCall(method, args, gas, deposit))


def transfer(amount: int = NEAR) -> Act:
    return Act(pn.TransferAction(amount), {"kind": "Transfer", "deposit": amount}, lp.Transfer(amount))


def stake(amount: int = 10 * NEAR, key: bytes = ed_key("stake")) -> Act:
    return Act(pn.StakeAction(amount, key), {"kind": "Stake", "stake": amount, "public_key": b"\0" + key},
               lp.Stake(amount, b"\0" + key))


def add_full_access_key(key: bytes = ed_key("fak"), nonce: int = 0) -> Act:
    return Act(pn.AddKeyAction(key, pn.AccessKey(nonce, pn.AccessKeyPermissionFieldless.FullAccess)),
               {"kind": "AddKey", "public_key": b"\0" + key,
                "access_key": {"nonce": nonce, "permission": "FullAccess"}},
               lp.AddKey(b"\0" + key, lp.AccessKey(nonce, lp.FullAccess())))


def add_function_call_key(key: bytes = ed_key("fck"), receiver: str = "wrap.near",
                          methods: tuple[str, ...] = ("near_deposit", "ft_transfer"),
                          allowance: Optional[int] = 250 * 10**21, nonce: int = 0) -> Act:
    permission = pn.FunctionCallPermission(receiver, list(methods), allowance)
    return Act(pn.AddKeyAction(key, pn.AccessKey(nonce, permission)),
               {"kind": "AddKey", "public_key": b"\0" + key,
                "access_key": {"nonce": nonce, "permission": {
                    "allowance": allowance, "receiver_id": receiver, "method_names": list(methods)}}},
               lp.AddKey(b"\0" + key, lp.AccessKey(nonce, lp.FunctionCallPermission(allowance, receiver, tuple(methods)))))


def delete_key(key: bytes = ed_key("old")) -> Act:
    return Act(pn.DeleteKeyAction(key), {"kind": "DeleteKey", "public_key": b"\0" + key}, lp.DeleteKey(b"\0" + key))


def delete_account(beneficiary: str = "carol.near") -> Act:
    return Act(pn.DeleteAccountAction(beneficiary), {"kind": "DeleteAccount", "beneficiary_id": beneficiary},
               lp.DeleteAccount(beneficiary))


def deploy_global_contract(code: bytes = b"\0asm global", by_account: bool = False) -> Act:
    action = (pn.DeployGlobalContractAction.from_account_id(code) if by_account
              else pn.DeployGlobalContractAction.from_code_hash(code))
    return Act(action, {"kind": "DeployGlobalContract", "code": code,
                        "deploy_mode": "AccountId" if by_account else "CodeHash"})


def use_global_contract_by_hash(code_hash: bytes = hashlib.sha256(b"global").digest()) -> Act:
    return Act(pn.UseGlobalContractAction.from_code_hash(code_hash),
               {"kind": "UseGlobalContract", "contract_identifier": {"CodeHash": code_hash}})


def use_global_contract_by_account(account_id: str = "global.near") -> Act:
    return Act(pn.UseGlobalContractAction.from_account_id(account_id),
               {"kind": "UseGlobalContract", "contract_identifier": {"AccountId": account_id}})


def delegate_dict(sender: str, receiver: str, actions: list[Act], nonce: int, max_block_height: int,
                  key: bytes, key_prefix: bytes = b"\0") -> dict:
    return {"type": "DelegateAction", "sender_id": sender, "receiver_id": receiver,
            "actions": [a.expected for a in actions], "nonce": nonce, "max_block_height": max_block_height,
            "public_key": key_prefix + key}


def signed_delegate(sender: str = "alice.near", receiver: str = "wrap.near", actions: Optional[list[Act]] = None,
                    nonce: int = 9, max_block_height: int = 1000, key: bytes = ed_key("delegate"),
                    signature: bytes = bytes(range(64))) -> Act:
    actions = actions if actions is not None else [function_call()]
    inner = pn.DelegateAction(sender, receiver, [a.pn for a in actions], nonce, max_block_height, key)
    local = None
    if all(a.local is not None for a in actions):
        local = lp.SignedDelegate(lp.DelegateAction(sender, receiver, tuple(a.local for a in actions), nonce,
                                                    max_block_height, b"\0" + key), b"\0" + signature)
    return Act(pn.SignedDelegateAction(delegate_action=inner, signature=signature),
               {"kind": "Delegate",
                "delegate_action": delegate_dict(sender, receiver, actions, nonce, max_block_height, key),
                "signature": b"\0" + signature}, local)


def all_kinds() -> list[Act]:
    """One action of every kind (AddKey with both permissions, both global-contract identifiers)."""
    return [create_account(), deploy_contract(), function_call(), transfer(), stake(), add_full_access_key(),
            add_function_call_key(), add_function_call_key(allowance=None, methods=()), delete_key(),
            delete_account(), signed_delegate(), deploy_global_contract(), deploy_global_contract(by_account=True),
            use_global_contract_by_hash(), use_global_contract_by_account()]


# --------------------------------------------------------------------------- payloads


def transaction_v0(actions: list[Act], *, signer: str = "alice.near", receiver: str = "wrap.near",
                   nonce: int = 7, key: bytes = ed_key("signer"), block: bytes = block_hash()) -> tuple[bytes, dict]:
    """py-near's Borsh of a V0 transaction, and the expected decoding."""
    tx = pn.Transaction(signer, key, nonce, receiver, block, [a.pn for a in actions])
    expected = {"type": "Transaction", "version": 0, "signer_id": signer, "public_key": b"\0" + key,
                "nonce": nonce, "receiver_id": receiver, "block_hash": block,
                "actions": [a.expected for a in actions]}
    return bytes(tx.serialize()), expected


def delegate_payload(actions: list[Act], *, sender: str = "alice.near", receiver: str = "wrap.near",
                     nonce: int = 11, max_block_height: int = 5000, key: bytes = ed_key("sender")) -> tuple[bytes, dict]:
    """NEP-461 prefix + py-near's Borsh of a DelegateAction, and the expected decoding."""
    inner = pn.DelegateAction(sender, receiver, [a.pn for a in actions], nonce, max_block_height, key)
    return NEP461_PREFIX + bytes(inner.serialize()), delegate_dict(sender, receiver, actions, nonce,
                                                                     max_block_height, key)


def local_transaction(actions: list[Act], *, signer: str = "alice.near", receiver: str = "wrap.near",
                      nonce: int = 7, public_key: bytes = b"\0" + ed_key("signer"), block: bytes = block_hash(),
                      priority_fee: Optional[int] = None) -> tuple[bytes, dict]:
    """localnet's Borsh of a transaction (V1 when priority_fee is given), and the expected decoding."""
    tx = lp.Transaction(signer_id=signer, public_key=public_key, nonce=nonce, receiver_id=receiver,
                        block_hash=block, actions=tuple(a.local for a in actions), priority_fee=priority_fee)
    expected = {"type": "Transaction", "version": 0 if priority_fee is None else 1, "signer_id": signer,
                "public_key": public_key, "nonce": nonce, "receiver_id": receiver, "block_hash": block,
                "actions": [a.expected for a in actions]}
    if priority_fee is not None:
        expected["priority_fee"] = priority_fee
    return borsh.encode_transaction(tx), expected


def auth0_vector() -> dict:
    return json.loads(AUTH0_VECTOR.read_text())


def auth0_sign_payload() -> bytes:
    return bytes(auth0_vector()["sign_payload"])
