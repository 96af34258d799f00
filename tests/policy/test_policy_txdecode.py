"""guard_core.txdecode under CPython, against Borsh from independent encoders.

py-near's builder (nearcore's Rust types) and localnet's codec produce the
bytes; the decoder must give back exactly what was encoded, and refuse -- not
crash on -- anything truncated, extended or corrupted.
"""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.policy import payloads as P
from tests.policy.payloads import NEAR, TERA, Act

from guard_core import txdecode


def decode(data: bytes):
    return txdecode.decode_payload(data)


def assert_decodes(data: bytes, expected: dict):
    payload, error = decode(data)
    assert error is None, error
    assert payload == expected


# ----------------------------------------------------------------------------- the Auth0 vector


def test_auth0_vector_sign_payload_is_a_v0_transfer_with_a_secp256k1_key():
    payload, error = decode(P.auth0_sign_payload())
    assert error is None
    assert payload["type"] == "Transaction" and payload["version"] == 0
    assert payload["signer_id"] == "fa-guillem.testnet"
    assert payload["receiver_id"] == "bosisthenear.testnet"
    assert payload["public_key"][0] == 1 and len(payload["public_key"]) == 65
    assert payload["actions"] == [{"kind": "Transfer", "deposit": 10}]


def test_auth0_vector_round_trips_through_localnet_borsh():
    from localnet import borsh

    raw = P.auth0_sign_payload()
    payload, _ = decode(raw)
    decoded = borsh.decode_transaction(raw)
    assert decoded.signer_id == payload["signer_id"]
    assert decoded.receiver_id == payload["receiver_id"]
    assert decoded.nonce == payload["nonce"]
    assert decoded.public_key == payload["public_key"]
    assert decoded.block_hash == payload["block_hash"]
    assert borsh.encode_transaction(decoded) == raw


# ----------------------------------------------------------------------------- every action kind


@pytest.mark.parametrize("index", range(len(P.all_kinds())), ids=[a.expected["kind"] for a in P.all_kinds()])
def test_each_action_kind_decodes_in_a_py_near_transaction(index):
    action = P.all_kinds()[index]
    assert_decodes(*P.transaction_v0([action]))


def test_every_action_kind_in_one_transaction():
    data, expected = P.transaction_v0(P.all_kinds())
    assert_decodes(data, expected)
    kinds = {a["kind"] for a in expected["actions"]}
    assert kinds == set(txdecode.ACTION_KINDS)


def test_transaction_without_actions():
    assert_decodes(*P.transaction_v0([]))


def test_extreme_amounts_and_gas():
    actions = [P.transfer(2**128 - 1), P.transfer(0), P.function_call(gas=2**64 - 1, deposit=2**128 - 1),
               P.stake(2**128 - 1), P.add_function_call_key(allowance=2**128 - 1)]
    assert_decodes(*P.transaction_v0(actions, nonce=2**64 - 1))


def test_non_ascii_method_names_and_empty_args():
    assert_decodes(*P.transaction_v0([P.function_call(method="transférer_😀", args=b"")]))


def test_longest_and_implicit_account_ids():
    implicit = "a" * 64
    eth = "0x" + "ab" * 20
    assert_decodes(*P.transaction_v0([P.delete_account(eth)], signer=implicit, receiver="x" * 64))


def test_delegate_action_with_nep461_prefix():
    assert_decodes(*P.delegate_payload([P.function_call(), P.transfer(5)]))


def test_delegate_action_with_every_non_delegate_kind():
    actions = [a for a in P.all_kinds() if a.expected["kind"] != "Delegate"]
    assert_decodes(*P.delegate_payload(actions))


def test_delegate_action_without_prefix_is_refused():
    data, _ = P.delegate_payload([P.transfer()])
    assert decode(data[4:])[0] is None


def test_delegate_action_inside_a_delegate_action_is_refused():
    data, _ = P.delegate_payload([P.transfer()])
    # Splice a Delegate action (tag 8) into a delegate action's action list by hand:
    # py-near refuses to build one, as nearcore does.
    inner, _ = P.delegate_payload([P.transfer()])
    nested_action = bytes([8]) + inner[4:] + b"\0" + bytes(64)
    sender_len = int.from_bytes(data[4:8], "little")
    at = 8 + sender_len
    receiver_len = int.from_bytes(data[at:at + 4], "little")
    at += 4 + receiver_len
    count = int.from_bytes(data[at:at + 4], "little")
    patched = data[:at] + (count + 1).to_bytes(4, "little") + nested_action + data[at + 4:]
    payload, error = decode(patched)
    assert payload is None and error == "nested delegate action"


def test_signed_delegate_inside_a_transaction():
    action = P.signed_delegate(actions=[P.function_call(), P.transfer(3), P.add_full_access_key()])
    assert_decodes(*P.transaction_v0([action], receiver="alice.near"))


# ----------------------------------------------------------------------------- V1, secp256k1 (localnet's codec)


def test_v1_transaction_with_priority_fee():
    assert_decodes(*P.local_transaction([P.function_call(), P.transfer()], priority_fee=12345))


def test_v1_transaction_with_maximum_priority_fee_and_no_actions():
    assert_decodes(*P.local_transaction([], priority_fee=2**64 - 1))


def test_secp256k1_signer_key_and_action_keys():
    secp = b"\1" + P.secp_key()
    actions = [P.Act(None, {"kind": "AddKey", "public_key": secp, "access_key": {"nonce": 3, "permission": "FullAccess"}},
                     P.lp.AddKey(secp, P.lp.AccessKey(3, P.lp.FullAccess()))),
               P.Act(None, {"kind": "DeleteKey", "public_key": secp}, P.lp.DeleteKey(secp)),
               P.Act(None, {"kind": "Stake", "stake": 7, "public_key": secp}, P.lp.Stake(7, secp))]
    assert_decodes(*P.local_transaction(actions, public_key=secp))
    assert_decodes(*P.local_transaction(actions, public_key=secp, priority_fee=1))


def test_secp256k1_delegate_signature():
    inner = P.lp.DelegateAction("alice.near", "wrap.near", (P.lp.Transfer(1),), 1, 2, b"\1" + P.secp_key("d"))
    signature = b"\1" + bytes(range(65))
    action = P.Act(None, {"kind": "Delegate", "delegate_action": {
        "type": "DelegateAction", "sender_id": "alice.near", "receiver_id": "wrap.near",
        "actions": [{"kind": "Transfer", "deposit": 1}], "nonce": 1, "max_block_height": 2,
        "public_key": b"\1" + P.secp_key("d")}, "signature": signature}, P.lp.SignedDelegate(inner, signature))
    assert_decodes(*P.local_transaction([action], receiver="alice.near"))


def test_v1_with_every_kind_localnet_knows():
    actions = [a for a in P.all_kinds() if a.local is not None]
    assert_decodes(*P.local_transaction(actions, priority_fee=99))


def test_global_contract_actions_in_a_v1_transaction():
    """py-near has no V1; a V1 transaction is 0x01 + the V0 fields + priority_fee (nearcore's layout)."""
    actions = [P.deploy_global_contract(), P.use_global_contract_by_account()]
    v0, expected = P.transaction_v0(actions)
    expected = dict(expected, version=1, priority_fee=5)
    assert_decodes(b"\1" + v0 + (5).to_bytes(8, "little"), expected)


def test_py_near_and_localnet_encoders_agree():
    actions = [a for a in P.all_kinds() if a.local is not None]
    assert P.transaction_v0(actions)[0] == P.local_transaction(actions)[0]


# ----------------------------------------------------------------------------- refusals


def _valid_samples() -> list[bytes]:
    return [
        P.auth0_sign_payload(),
        P.transaction_v0(P.all_kinds())[0],
        P.transaction_v0([P.function_call()])[0],
        P.delegate_payload([P.function_call(), P.transfer()])[0],
        P.local_transaction([P.transfer()], priority_fee=3)[0],
        P.local_transaction([P.stake()], public_key=b"\1" + P.secp_key())[0],
    ]


@pytest.mark.parametrize("sample", range(len(_valid_samples())))
def test_every_proper_prefix_is_refused(sample):
    data = _valid_samples()[sample]
    assert decode(data)[0] is not None
    for size in range(len(data)):
        payload, error = decode(data[:size])
        assert payload is None and error, size


@pytest.mark.parametrize("sample", range(len(_valid_samples())))
def test_trailing_bytes_are_refused(sample):
    data = _valid_samples()[sample]
    for extra in (b"\0", b"\1", bytes(16)):
        assert decode(data + extra) == (None, "trailing bytes")


@pytest.mark.parametrize("value", [None, "", [1, 2], bytearray(b"\0\0\0\0"), 5, "abcd"])
def test_non_bytes_are_refused(value):
    assert decode(value) == (None, "expected bytes")


@pytest.mark.parametrize("data,error", [
    (b"", "truncated"),
    (b"\2\0\0", "truncated"),
    (b"\3\1\0\0abc", "not a transaction or delegate action"),  # V1 tag must be 1
])
def test_small_garbage(data, error):
    assert decode(data) == (None, error)


def _patch_first(data: bytes, old: bytes, new: bytes) -> bytes:
    at = data.index(old)
    return data[:at] + new + data[at + len(old):]


def test_unknown_action_tags_are_refused():
    data, _ = P.transaction_v0([P.transfer(5)])
    at = len(data) - 17  # the Transfer tag
    assert data[at] == 3
    for tag in (11, 12, 13, 200, 255):
        assert decode(data[:at] + bytes([tag]) + data[at + 1:]) == (None, "unknown action tag")


def test_unknown_key_type_is_refused():
    data, _ = P.transaction_v0([])
    at = 4 + len("alice.near")
    assert data[at] == 0
    assert decode(data[:at] + b"\2" + data[at + 1:]) == (None, "unknown key type")


def test_invalid_account_ids_are_refused():
    for bad in ("Alice.near", "a", "alice..near", ".alice", "alice.", "alice-.near", "al ice", "x" * 65, "é.near"):
        raw = bad.encode()
        data = len(raw).to_bytes(4, "little") + raw + P.transaction_v0([])[0][4 + len("alice.near"):]
        assert decode(data) == (None, "invalid account id"), bad


def test_invalid_utf8_method_name_is_refused():
    data, _ = P.transaction_v0([P.function_call(method="abcd")])
    bad = _patch_first(data, b"abcd", b"ab\xff\xfe")
    assert decode(bad) == (None, "invalid UTF-8")


def test_invalid_option_and_permission_and_deploy_mode_tags():
    data, _ = P.transaction_v0([P.add_function_call_key(allowance=None, receiver="wrap.near", methods=())])
    # AccessKey: nonce u64, permission tag 0, option tag 0, receiver...
    at = data.rindex(b"\x09\0\0\0wrap.near") - 1  # option tag
    assert data[at] == 0 and data[at - 1] == 0
    assert decode(data[:at] + b"\2" + data[at + 1:]) == (None, "invalid option tag")
    assert decode(data[:at - 1] + b"\2" + data[at:]) == (None, "unknown access key permission")
    data, _ = P.transaction_v0([P.deploy_global_contract(code=b"xyz")])
    assert data[-1] == 0
    assert decode(data[:-1] + b"\2") == (None, "unknown global contract deploy mode")
    data, _ = P.transaction_v0([P.use_global_contract_by_hash()])
    at = len(data) - 33
    assert data[at] == 0
    assert decode(data[:at] + b"\2" + data[at + 1:]) == (None, "unknown global contract identifier")


def test_huge_counts_and_lengths_are_refused_without_work():
    data, _ = P.transaction_v0([P.transfer()])
    at = len(data) - 17 - 4  # the actions count
    assert int.from_bytes(data[at:at + 4], "little") == 1
    assert decode(data[:at] + b"\xff\xff\xff\xff" + data[at + 4:]) == (None, "truncated")
    data, _ = P.transaction_v0([P.deploy_contract(b"abc")])
    assert decode(_patch_first(data, b"\3\0\0\0abc", b"\xff\xff\xff\xffabc")) == (None, "truncated")


# ----------------------------------------------------------------------------- properties

ACCOUNT = st.one_of(
    st.sampled_from(["alice.near", "wrap.near", "a1", "x" * 64, "0x" + "ab" * 20, "pool-1.poolv1.near"]),
    st.from_regex(r"[a-z0-9]{2,8}([-_][a-z0-9]{1,4})?(\.[a-z0-9]{2,8}){0,2}", fullmatch=True),
)
U64 = st.integers(0, 2**64 - 1)
U128 = st.integers(0, 2**128 - 1)
KEY = st.binary(min_size=32, max_size=32)
METHOD = st.text(st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=12)


@st.composite
def simple_action(draw) -> Act:
    kind = draw(st.sampled_from(["create", "deploy", "call", "transfer", "stake", "fak", "fck", "delkey",
                                 "delacc", "dgc", "ugch", "ugca"]))
    if kind == "create":
        return P.create_account()
    if kind == "deploy":
        return P.deploy_contract(draw(st.binary(max_size=40)))
    if kind == "call":
        return P.function_call(draw(METHOD), draw(st.binary(max_size=40)), draw(U64), draw(U128))
    if kind == "transfer":
        return P.transfer(draw(U128))
    if kind == "stake":
        return P.stake(draw(U128), draw(KEY))
    if kind == "fak":
        return P.add_full_access_key(draw(KEY), draw(U64))
    if kind == "fck":
        return P.add_function_call_key(draw(KEY), draw(ACCOUNT), tuple(draw(st.lists(METHOD, max_size=3))),
                                       draw(st.none() | U128), draw(U64))
    if kind == "delkey":
        return P.delete_key(draw(KEY))
    if kind == "delacc":
        return P.delete_account(draw(ACCOUNT))
    if kind == "dgc":
        return P.deploy_global_contract(draw(st.binary(max_size=40)), draw(st.booleans()))
    if kind == "ugch":
        return P.use_global_contract_by_hash(draw(KEY))
    return P.use_global_contract_by_account(draw(ACCOUNT))


@st.composite
def any_action(draw) -> Act:
    if draw(st.integers(0, 7)) == 0:
        return P.signed_delegate(draw(ACCOUNT), draw(ACCOUNT), draw(st.lists(simple_action(), max_size=3)),
                                 draw(U64), draw(U64), draw(KEY), draw(st.binary(min_size=64, max_size=64)))
    return draw(simple_action())


@st.composite
def payload(draw) -> tuple[bytes, dict]:
    if draw(st.booleans()):
        return P.transaction_v0(draw(st.lists(any_action(), max_size=5)), signer=draw(ACCOUNT),
                                receiver=draw(ACCOUNT), nonce=draw(U64), key=draw(KEY),
                                block=draw(st.binary(min_size=32, max_size=32)))
    return P.delegate_payload(draw(st.lists(simple_action(), max_size=5)), sender=draw(ACCOUNT),
                              receiver=draw(ACCOUNT), nonce=draw(U64), max_block_height=draw(U64), key=draw(KEY))


PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(payload())
def test_property_decodes_what_py_near_encodes(case):
    data, expected = case
    assert_decodes(data, expected)


@PROPERTY_SETTINGS
@given(payload(), st.data())
def test_property_truncation_is_refused(case, data):
    raw, _ = case
    size = data.draw(st.integers(0, len(raw) - 1))
    payload_, error = decode(raw[:size])
    assert payload_ is None and error


@PROPERTY_SETTINGS
@given(payload(), st.data())
def test_property_corruption_never_crashes(case, data):
    raw, _ = case
    corrupted = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        corrupted[at] = data.draw(st.integers(0, 255))
    result = decode(bytes(corrupted))
    assert isinstance(result, tuple) and len(result) == 2
    payload_, error = result
    assert (payload_ is None) != (error is None)
    if payload_ is not None:
        assert payload_["type"] in ("Transaction", "DelegateAction")


@PROPERTY_SETTINGS
@given(st.binary(max_size=300))
def test_property_random_bytes_never_crash(raw):
    payload_, error = decode(raw)
    assert (payload_ is None) != (error is None)


def test_random_splices_never_crash():
    rng = random.Random(1)
    samples = _valid_samples()
    for _ in range(3000):
        a, b = rng.choice(samples), rng.choice(samples)
        i, j = rng.randrange(len(a)), rng.randrange(len(b))
        payload_, error = decode(a[:i] + b[j:])
        assert (payload_ is None) != (error is None)
