"""The Borsh codec (`localnet.borsh`): round trips, agreement with py-near's encoder, and strictness."""
from __future__ import annotations

import hashlib

import base58
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey
from py_near import transactions as pn_tx
from py_near_primitives import DelegateAction as PnDelegateAction
from py_near_primitives import SignedDelegateAction as PnSignedDelegateAction
from py_near_primitives import Transaction as PnTransaction
from py_near_primitives import TransferAction as PnTransferAction

from localnet.primitives import (
    AccessKey,
    AddKey,
    CreateAccount,
    DelegateAction,
    DeleteAccount,
    DeleteKey,
    DeployContract,
    FullAccess,
    FunctionCall,
    FunctionCallPermission,
    SignedDelegate,
    SignedTransaction,
    Stake,
    Transaction,
    Transfer,
)
from localnet import borsh
from localnet.borsh import BorshError, UnsupportedActionError

# ---------------------------------------------------------------------------
# Strategies for NEAR values (only valid ones: decoding validates account ids)

u64 = st.integers(0, 2**64 - 1)
u128 = st.integers(0, 2**128 - 1)
_label = st.from_regex(r"[a-z0-9]{1,4}([_-][a-z0-9]{1,4}){0,2}", fullmatch=True)
account_ids = st.lists(_label, min_size=1, max_size=4).map(".".join).filter(lambda a: 2 <= len(a) <= 64)
public_keys = st.one_of(
    st.binary(min_size=32, max_size=32).map(lambda k: b"\x00" + k),
    st.binary(min_size=64, max_size=64).map(lambda k: b"\x01" + k),
)
signatures = st.one_of(
    st.binary(min_size=64, max_size=64).map(lambda s: b"\x00" + s),
    st.binary(min_size=65, max_size=65).map(lambda s: b"\x01" + s),
)
permissions = st.one_of(
    st.just(FullAccess()),
    st.builds(
        FunctionCallPermission,
        st.none() | u128,
        account_ids,
        st.lists(st.text(max_size=12), max_size=3).map(tuple),
    ),
)
access_keys = st.builds(AccessKey, u64, permissions)
simple_actions = st.one_of(
    st.just(CreateAccount()),
    st.builds(DeployContract, st.binary(max_size=64)),
    st.builds(FunctionCall, st.text(max_size=16), st.binary(max_size=32), u64, u128),
    st.builds(Transfer, u128),
    st.builds(Stake, u128, public_keys),
    st.builds(AddKey, public_keys, access_keys),
    st.builds(DeleteKey, public_keys),
    st.builds(DeleteAccount, account_ids),
)
delegate_actions = st.builds(
    DelegateAction,
    account_ids,
    account_ids,
    st.lists(simple_actions, max_size=3).map(tuple),
    u64,
    u64,
    public_keys,
)
actions = st.one_of(simple_actions, st.builds(SignedDelegate, delegate_actions, signatures))
transactions = st.builds(
    Transaction,
    account_ids,
    public_keys,
    u64,
    account_ids,
    st.binary(min_size=32, max_size=32),
    st.lists(actions, max_size=4).map(tuple),
    st.none() | u64,  # None: a V0 transaction, else V1 with this priority fee
)

codec_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@codec_settings
@given(transactions)
def test_transaction_round_trips(transaction):
    assert borsh.decode_transaction(borsh.encode_transaction(transaction)) == transaction


@codec_settings
@given(transactions, signatures)
def test_signed_transaction_round_trips_and_hashes_the_unsigned_bytes(transaction, signature):
    unsigned = borsh.encode_transaction(transaction)
    signed_bytes = unsigned + signature
    decoded = borsh.decode_signed_transaction(signed_bytes)
    assert decoded.transaction == transaction
    assert decoded.signature == signature
    assert decoded.hash == hashlib.sha256(unsigned).digest()
    assert decoded.size == len(signed_bytes)
    assert borsh.encode_signed_transaction(decoded) == signed_bytes


@codec_settings
@given(actions)
def test_action_round_trips(action):
    assert borsh.decode_action(borsh.encode_action(action)) == action


@codec_settings
@given(access_keys)
def test_access_key_round_trips(access_key):
    assert borsh.decode_access_key(borsh.encode_access_key(access_key)) == access_key


def test_v1_transaction_is_tagged_and_carries_its_priority_fee():
    v0 = Transaction("alice.near", b"\x00" + bytes(32), 1, "bob.near", bytes(32), (Transfer(1),), None)
    v1 = Transaction("alice.near", b"\x00" + bytes(32), 1, "bob.near", bytes(32), (Transfer(1),), 7)
    v0_bytes, v1_bytes = borsh.encode_transaction(v0), borsh.encode_transaction(v1)
    assert v1_bytes == b"\x01" + v0_bytes + (7).to_bytes(8, "little")
    assert borsh.decode_transaction(v1_bytes).priority_fee == 7
    assert borsh.transaction_hash(v0) != borsh.transaction_hash(v1)


# ---------------------------------------------------------------------------
# py-near's own (Rust) encoder as an independent implementation


@pytest.fixture(scope="module")
def signer():
    key = SigningKey(bytes(range(32)))
    return bytes(key) + bytes(key.verify_key), b"\x00" + bytes(key.verify_key)


def test_decodes_every_action_py_near_builds(signer):
    secret, public_key = signer
    other_key = bytes(range(100, 132))
    py_near_actions = [
        pn_tx.create_create_account_action(),
        pn_tx.create_deploy_contract_action(b"\x00asm\x01\x00\x00\x00"),
        pn_tx.create_function_call_action("set_greeting", b'{"text":"hi"}', 30 * 10**12, 10**21),
        pn_tx.create_transfer_action(10**33 - 1),
        pn_tx.create_staking_action(10**24, other_key),
        pn_tx.create_full_access_key_action(other_key),
        pn_tx.create_function_call_access_key_action(other_key, 25 * 10**22, "guard.test.near", ["verify", "sign"]),
        pn_tx.create_delete_access_key_action(other_key),
    ]
    block_hash = bytes(range(32, 64))
    encoded = pn_tx.sign_and_serialize_transaction(
        "sender.test.near", secret, "receiver.test.near", 42, py_near_actions, block_hash
    )
    raw = __import__("base64").b64decode(encoded)

    signed = borsh.decode_signed_transaction(raw)

    other_pk = b"\x00" + other_key
    assert signed.transaction == Transaction(
        "sender.test.near",
        public_key,
        42,
        "receiver.test.near",
        block_hash,
        (
            CreateAccount(),
            DeployContract(b"\x00asm\x01\x00\x00\x00"),
            FunctionCall("set_greeting", b'{"text":"hi"}', 30 * 10**12, 10**21),
            Transfer(10**33 - 1),
            Stake(10**24, other_pk),
            AddKey(other_pk, AccessKey(0, FullAccess())),
            AddKey(
                other_pk,
                AccessKey(0, FunctionCallPermission(25 * 10**22, "guard.test.near", ("verify", "sign"))),
            ),
            DeleteKey(other_pk),
        ),
        None,
    )
    expected_hash = pn_tx.calc_trx_hash(
        "sender.test.near", secret, "receiver.test.near", 42, py_near_actions, block_hash
    )
    assert base58.b58encode(signed.hash).decode() == expected_hash
    assert borsh.encode_signed_transaction(signed) == raw
    assert SigningKey(secret[:32]).verify_key.verify(signed.hash, signed.signature[1:]) == signed.hash


def test_delegate_action_matches_py_near_bytes_and_nep461_hash(signer):
    secret, public_key = signer
    py_near_delegate = PnDelegateAction(
        "relayed.near", "contract.near", [PnTransferAction(5)], 3, 1000, public_key[1:]
    )
    ours = DelegateAction("relayed.near", "contract.near", (Transfer(5),), 3, 1000, public_key)

    assert borsh.encode_delegate_action(ours) == bytes(py_near_delegate.serialize())
    assert borsh.decode_delegate_action(bytes(py_near_delegate.serialize())) == ours
    assert borsh.delegate_action_hash(ours) == bytes(py_near_delegate.get_nep461_hash())

    signature = SigningKey(secret[:32]).sign(borsh.delegate_action_hash(ours)).signature
    unsigned = PnTransaction(
        "relayer.near",
        public_key[1:],
        9,
        "relayed.near",
        bytes(32),
        [PnSignedDelegateAction(delegate_action=py_near_delegate, signature=signature)],
    )
    decoded = borsh.decode_transaction(bytes(unsigned.serialize()))
    assert decoded.actions == (SignedDelegate(ours, b"\x00" + signature),)


@pytest.mark.parametrize(
    "build, name",
    [
        (lambda: pn_tx.create_deploy_global_contract_action(b"\x00asm"), "DeployGlobalContract"),
        (lambda: pn_tx.create_use_global_contract_action_by_account_id("global.near"), "UseGlobalContract"),
        (lambda: pn_tx.create_use_global_contract_action_by_code_hash(bytes(32)), "UseGlobalContract"),
    ],
)
def test_global_contract_actions_are_refused_by_name(signer, build, name):
    unsigned = PnTransaction("a.near", signer[1][1:], 1, "a.near", bytes(32), [build()])
    with pytest.raises(UnsupportedActionError, match=name):
        borsh.decode_transaction(bytes(unsigned.serialize()))


# ---------------------------------------------------------------------------
# Strictness: malformed input is a BorshError, never anything else


def _sample_signed_transaction() -> bytes:
    transaction = Transaction(
        "alice.near",
        b"\x00" + bytes(range(32)),
        5,
        "bob.near",
        bytes(32),
        (FunctionCall("go", b"{}", 10**13, 0), AddKey(b"\x00" + bytes(32), AccessKey(0, FullAccess()))),
        None,
    )
    return borsh.encode_transaction(transaction) + b"\x00" + bytes(64)


def test_every_truncation_is_rejected():
    raw = _sample_signed_transaction()
    for length in range(len(raw)):
        with pytest.raises(BorshError):
            borsh.decode_signed_transaction(raw[:length])


def test_trailing_bytes_are_rejected():
    with pytest.raises(BorshError, match="trailing"):
        borsh.decode_signed_transaction(_sample_signed_transaction() + b"\x00")


def _transfer_tx(signer_id: bytes = b"alice.near", key_type: int = 0, action_tag: int = 3) -> bytes:
    return (
        len(signer_id).to_bytes(4, "little")
        + signer_id
        + bytes([key_type])
        + bytes(32)
        + (1).to_bytes(8, "little")
        + (8).to_bytes(4, "little")
        + b"bob.near"
        + bytes(32)
        + (1).to_bytes(4, "little")
        + bytes([action_tag])
        + (1).to_bytes(16, "little")
    )


@pytest.mark.parametrize(
    "raw, message",
    [
        (_transfer_tx(action_tag=11), "unknown action tag 11"),
        (_transfer_tx(key_type=7), "unknown public key type 7"),
        (_transfer_tx(signer_id=b"al\xffce.near"), "invalid UTF-8"),
        (_transfer_tx(signer_id=b"Alice.near"), "invalid account id"),
        (_transfer_tx() + b"\x05" + bytes(64), "unknown signature type 5"),
    ],
)
def test_bad_tags_encodings_and_ids_are_named(raw, message):
    decode = borsh.decode_transaction if message != "unknown signature type 5" else borsh.decode_signed_transaction
    with pytest.raises(BorshError, match=message):
        decode(raw)


def test_huge_vector_length_fails_fast():
    raw = bytearray(_transfer_tx())
    actions_count_at = 4 + 10 + 33 + 8 + 4 + 8 + 32
    raw[actions_count_at : actions_count_at + 4] = (2**32 - 1).to_bytes(4, "little")
    with pytest.raises(BorshError, match="cannot fit"):
        borsh.decode_transaction(bytes(raw))


def test_nested_delegate_is_rejected():
    inner = DelegateAction("a.near", "b.near", (), 1, 1, b"\x00" + bytes(32))
    encoded_inner = borsh.encode_action(SignedDelegate(inner, b"\x00" + bytes(64)))
    outer = (
        borsh.encode_delegate_action(DelegateAction("a.near", "b.near", (), 1, 1, b"\x00" + bytes(32)))
    )
    # Splice the inner delegate into the outer one's action list (count 0 -> 1).
    count_at = 4 + 6 + 4 + 6
    forged = outer[:count_at] + (1).to_bytes(4, "little") + encoded_inner + outer[count_at + 4 :]
    with pytest.raises(BorshError, match="delegate action cannot contain"):
        borsh.decode_delegate_action(forged)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_escape_as_other_exceptions(raw):
    try:
        borsh.decode_signed_transaction(raw)
    except BorshError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_corrupted_valid_transactions_decode_or_fail_cleanly(data):
    raw = bytearray(_sample_signed_transaction())
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    try:
        decoded = borsh.decode_signed_transaction(bytes(raw))
    except BorshError:
        return
    assert isinstance(decoded, SignedTransaction)
    assert borsh.encode_signed_transaction(decoded) == bytes(raw)


def test_encoder_refuses_out_of_range_values():
    with pytest.raises(BorshError):
        borsh.encode_action(Transfer(2**128))
    with pytest.raises(BorshError):
        borsh.encode_action(DeleteKey(b"\x00" + bytes(31)))

