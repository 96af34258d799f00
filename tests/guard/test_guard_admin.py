"""Owner-side methods of the compiled guard: access control, key rules, ownership,
pause, upgrade, and the NEP-297 events they log (README, "Methods")."""
from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest

from localnet.primitives import AccessKey, AddKey, CreateAccount, DeployContract, FullAccess, Transfer
from tests.buildfixtures import build_guard_variant
from devkit.guard_chain import (
    ALICE,
    BOB,
    EVENT_STANDARD,
    EVENT_VERSION,
    GUARD,
    GUARD_DIR,
    OWNER,
    STRANGER,
    SUB,
    claims,
    ed25519_key,
    eddsa_public,
    key_for,
    matrix_public_keys,
    reasons,
    router_args,
    rs256_public,
    rsa_key,
    sample_sign_payload,
    sign_token,
)

ONLY_OWNER = "Only the owner can call this method"
ONLY_SELF = "Only the guard account itself can call this method"
ALREADY_INITIALIZED = "The guard is already initialized"
NOT_PROPOSED = "Only the proposed owner can accept ownership"
PAYLOAD = sample_sign_payload()
TGAS = 10**12
# The contract's state version, read from its source (guard.py imports `near`).
STATE_VERSION = int(re.search(r"^STATE_VERSION = (\d+)$", (GUARD_DIR / "guard.py").read_text(), re.M).group(1))


def new_key(index=1, **extra):
    return rs256_public(rsa_key(2048, index), **extra)


def assert_panicked(env, result, message):
    """The call failed with a guest panic carrying `message` (not a trap, not out of gas)."""
    assert not result.succeeded, result.status
    text = env.failure_message(result)
    assert text.startswith("Smart contract panicked: "), text
    assert message in text, text
    assert not env.events(result)


def assert_event(env, result, event, data=None):
    """Exactly one NEP-297 event, `EVENT_JSON:{standard, version, event, data: [ {...} ]}`."""
    event_logs = [log for log in result.logs if log.startswith("EVENT_JSON:")]
    assert len(event_logs) == 1, result.logs
    parsed = json.loads(event_logs[0][len("EVENT_JSON:"):])
    assert set(parsed) == {"standard", "version", "event", "data"}
    assert parsed["standard"] == EVENT_STANDARD and parsed["version"] == EVENT_VERSION
    assert parsed["event"] == event
    assert isinstance(parsed["data"], list) and len(parsed["data"]) == 1 and isinstance(parsed["data"][0], dict)
    if data is not None:
        assert parsed["data"][0] == data
    return parsed["data"][0]


# ----------------------------------------------------------------------------- every admin method, called by someone else


def _admin_calls(wasm):
    """(method, args) for every state-changing method, each of which would change state for the owner."""
    return [
        ("set_public_keys", {"public_keys": [new_key()]}),
        ("add_public_key", {"public_key": new_key(kid="new")}),
        ("remove_public_key", {"kid": "rs2048"}),
        ("set_settings", {"audience": "https://app.example"}),
        ("propose_owner", {"new_owner": STRANGER}),
        ("pause", None),
        ("unpause", None),
        ("update_contract", wasm),
    ]


@pytest.mark.parametrize("paused", [False, True], ids=["running", "paused"])
@pytest.mark.parametrize("caller", [STRANGER, ALICE, GUARD])
def test_admin_methods_refuse_everyone_but_the_owner(env, wasm, caller, paused):
    if paused:
        env.ok(OWNER, "pause")
    for method, args in _admin_calls(wasm):
        before = env.state()
        result = env.call(caller, method, args)
        assert_panicked(env, result, ONLY_OWNER)
        assert env.state() == before, method


def test_accept_owner_by_an_account_that_was_not_proposed(env):
    env.ok(OWNER, "propose_owner", {"new_owner": BOB})
    for caller in (STRANGER, OWNER, GUARD, ALICE):
        before = env.state()
        assert_panicked(env, env.call(caller, "accept_owner"), NOT_PROPOSED)
        assert env.state() == before
    assert env.view("owner") == OWNER and env.view("proposed_owner") == BOB


def test_accept_owner_without_any_proposal(env):
    before = env.state()
    assert_panicked(env, env.call(STRANGER, "accept_owner"), NOT_PROPOSED)
    assert_panicked(env, env.call(OWNER, "accept_owner"), NOT_PROPOSED)
    assert env.state() == before


@pytest.mark.parametrize("caller", [STRANGER, OWNER])
def test_migrate_is_private(env, caller):
    before = env.state()
    assert_panicked(env, env.call(caller, "migrate"), ONLY_SELF)
    assert env.state() == before


@pytest.mark.parametrize("caller", [STRANGER, OWNER, GUARD])
def test_init_runs_only_once(env, caller):
    before = env.state()
    result = env.call(caller, "init", {"owner": caller, "public_keys": [new_key()]})
    assert_panicked(env, result, ALREADY_INITIALIZED)
    assert env.state() == before


def test_owner_check_uses_the_predecessor_not_the_signer(env, contract_builder):
    """The owner signing a transaction to another contract that then calls the guard is not the owner."""
    relay = "relay.test.near"
    env.chain.execute("test.near", relay, [
        CreateAccount(), Transfer(10 * 10**24), AddKey(key_for(relay).public_key, AccessKey(0, FullAccess())),
        DeployContract(contract_builder("caller").read_bytes())]).raise_on_failure()
    before = env.state()
    result = env.call(OWNER, "forward", {"target": GUARD, "method": "pause", "args": "{}"}, receiver=relay)
    failures = json.dumps(result.receipt_failures)
    assert ONLY_OWNER in failures
    assert env.state() == before

    # A contract owner works through the contract, whoever signed.
    env.ok(OWNER, "propose_owner", {"new_owner": relay})
    env.ok(relay, "accept_owner")
    result = env.call(STRANGER, "forward", {"target": GUARD, "method": "pause", "args": "{}"}, receiver=relay)
    assert result.succeeded and not result.receipt_failures, result.status
    assert env.view("is_paused") is True

    # verify answers cross-contract calls too (what the router does).
    token = sign_token(ed25519_key(), claims(env.now_s, PAYLOAD), kid="ed")
    env.ok(relay, "unpause")  # a direct call by the relay account itself: its own key
    result = env.call(STRANGER, "forward", {"target": GUARD, "method": "verify",
                                            "args": json.dumps(router_args(token, PAYLOAD))}, receiver=relay)
    assert result.succeeded and result.return_value == [True, SUB]


# ----------------------------------------------------------------------------- key rules


def _bad_key_sets():
    good = new_key()
    n = good["n"]
    return [
        ("n-255-bytes", [dict(good, n=n[1:])], reasons.KEY_BAD_MODULUS_SIZE),
        ("n-257-bytes", [dict(good, n=[1] + n)], reasons.KEY_BAD_MODULUS_SIZE),
        ("n-1024-bit", [dict(good, n=n[:128])], reasons.KEY_BAD_MODULUS_SIZE),
        ("n-even", [dict(good, n=n[:-1] + [n[-1] & 0xFE])], reasons.KEY_EVEN_MODULUS),
        ("n-leading-zero", [dict(good, n=[0] + n[1:])], reasons.KEY_MODULUS_LEADING_ZERO),
        ("n-not-bytes", [dict(good, n=[256] + n[1:])], reasons.KEY_BAD_MODULUS_SIZE),
        ("n-missing", [{"e": [1, 0, 1]}], reasons.KEY_BAD_MODULUS_SIZE),
        ("e-3", [dict(good, e=[3])], reasons.KEY_BAD_EXPONENT),
        ("e-65537-padded", [dict(good, e=[0, 1, 0, 1])], reasons.KEY_BAD_EXPONENT),
        ("e-missing", [{"n": n}], reasons.KEY_BAD_EXPONENT),
        ("duplicate-kid", [new_key(1, kid="a"), new_key(2, kid="a")], reasons.KEYS_DUPLICATE_KID),
        ("duplicate-kid-across-algs", [new_key(1, kid="a"), eddsa_public(ed25519_key(), kid="a")], reasons.KEYS_DUPLICATE_KID),
        ("17-keys", [new_key(i % 8, kid=f"k{i}") for i in range(17)], reasons.KEYS_TOO_MANY),
        ("kid-129-chars", [new_key(kid="k" * 129)], reasons.KEY_BAD_KID),
        ("kid-empty", [new_key(kid="")], reasons.KEY_BAD_KID),
        ("kid-not-a-string", [new_key(kid=5)], reasons.KEY_BAD_KID),
        ("unknown-field", [dict(good, use="sig")], reasons.KEY_UNKNOWN_FIELD),
        ("alg-rs512", [dict(good, alg="RS512")], reasons.KEY_UNSUPPORTED_ALG),
        ("ed25519-31-bytes", [{"alg": "EdDSA", "x": [1] * 31}], reasons.KEY_BAD_ED25519),
        ("ed25519-with-n", [dict(eddsa_public(ed25519_key()), n=n)], reasons.KEY_UNKNOWN_FIELD),
        ("window-empty", [new_key(not_before=10, not_after=10)], reasons.KEY_EMPTY_WINDOW),
        ("window-negative", [new_key(not_before=-1)], reasons.KEY_BAD_WINDOW_TYPE),
        ("window-float", [new_key(not_after=1.5)], reasons.KEY_BAD_WINDOW_TYPE),
        ("key-not-object", ["abc"], reasons.KEY_NOT_AN_OBJECT),
        ("empty-set", [], reasons.KEYS_EMPTY),
        ("not-a-list", {"n": n, "e": [1, 0, 1]}, reasons.KEYS_NOT_A_LIST),
        ("null", None, reasons.KEYS_NOT_A_LIST),
    ]


BAD_KEY_SETS = [pytest.param(keys, reason, id=name) for name, keys, reason in _bad_key_sets()]


@pytest.mark.parametrize("keys, reason", BAD_KEY_SETS)
def test_set_public_keys_refuses_invalid_keys(env, keys, reason):
    before = env.state()
    assert_panicked(env, env.call(OWNER, "set_public_keys", {"public_keys": keys}), reason)
    assert env.state() == before


@pytest.mark.parametrize("keys, reason", [p for p in BAD_KEY_SETS if isinstance(p.values[0], list) and len(p.values[0]) == 1])
def test_add_public_key_refuses_invalid_keys(env, keys, reason):
    before = env.state()
    assert_panicked(env, env.call(OWNER, "add_public_key", {"public_key": keys[0]}), reason)
    assert env.state() == before


@pytest.mark.parametrize("keys, reason", BAD_KEY_SETS)
def test_init_refuses_invalid_keys_and_nothing_is_deployed(bare, keys, reason):
    result = bare.deploy(keys)
    assert_panicked(bare, result, reason)
    state = bare.state()
    assert state["storage"] == {} and state["code_hash"] == "11111111111111111111111111111111"


def test_add_public_key_respects_the_whole_set_rules(env):
    before = env.state()
    assert_panicked(env, env.call(OWNER, "add_public_key", {"public_key": new_key(kid="rs2048")}),
                    reasons.KEYS_DUPLICATE_KID)
    assert env.state() == before
    for i in range(16 - len(matrix_public_keys())):
        env.ok(OWNER, "add_public_key", {"public_key": new_key(i % 8, kid=f"extra{i}")})
    assert len(env.view("get_public_keys")) == 16
    before = env.state()
    assert_panicked(env, env.call(OWNER, "add_public_key", {"public_key": new_key(kid="seventeenth")}),
                    reasons.KEYS_TOO_MANY)
    assert env.state() == before


def test_kid_of_128_characters_and_16_keys_are_accepted(env):
    keys = [new_key(i % 8, kid=("k%03d" % i) * 32) for i in range(16)]
    assert all(len(key["kid"]) == 128 for key in keys)
    result = env.ok(OWNER, "set_public_keys", {"public_keys": keys})
    assert env.view("get_public_keys") == keys
    assert_event(env, result, "public_keys_set", {"kids": [key["kid"] for key in keys]})


def test_admin_calls_with_malformed_arguments_panic_with_a_message(env):
    for method, raw in [("set_public_keys", b"not json"), ("set_public_keys", b"[]"),
                        ("set_public_keys", b'{"public_keys": [], "extra": 1}'), ("pause", b'{"x": 1}'),
                        ("propose_owner", b'{"new_owner": 5}'), ("propose_owner", b'{"new_owner": "a"}'),
                        ("set_settings", b'{"audience": ""}'), ("set_settings", b'{"issuers": []}'),
                        ("set_settings", b'{"issuers": "https://x/"}'), ("remove_public_key", b"{}"),
                        ("set_public_keys", b"\xff"), ("set_public_keys", b"{" * 3000 + b"}" * 3000)]:
        before = env.state()
        result = env.call(OWNER, method, raw)
        assert not result.succeeded
        text = env.failure_message(result)
        assert text.startswith("Smart contract panicked: "), (method, raw, text)
        assert env.state() == before


# ----------------------------------------------------------------------------- key rotation


def test_set_add_remove_keys_and_their_events(env):
    keys = [new_key(1, kid="one"), eddsa_public(ed25519_key(1), kid="two")]
    result = env.ok(OWNER, "set_public_keys", {"public_keys": keys})
    assert_event(env, result, "public_keys_set", {"kids": ["one", "two"]})
    assert env.view("get_public_keys") == keys

    result = env.ok(OWNER, "add_public_key", {"public_key": new_key(2)})  # no kid
    assert_event(env, result, "public_key_added", {"kid": None, "kids": ["one", "two", None]})
    assert env.view("get_public_keys") == keys + [new_key(2)]

    result = env.ok(OWNER, "remove_public_key", {"kid": "one"})
    assert_event(env, result, "public_key_removed", {"kid": "one", "kids": ["two", None]})
    assert env.view("get_public_keys") == [keys[1], new_key(2)]

    before = env.state()
    assert_panicked(env, env.call(OWNER, "remove_public_key", {"kid": "one"}), 'No key with kid "one"')
    assert_panicked(env, env.call(OWNER, "remove_public_key", {"kid": None}), "No key with kid")
    assert env.state() == before

    # Tokens follow the key set at once.
    token = sign_token(rsa_key(2048, 1), claims(env.now_s, PAYLOAD), kid="one")
    assert env.verify_view(router_args(token, PAYLOAD)) == [False, reasons.INVALID_SIGNATURE]
    token = sign_token(rsa_key(2048, 2), claims(env.now_s, PAYLOAD))
    assert env.verify_view(router_args(token, PAYLOAD)) == [True, SUB]


def test_removing_the_last_key_is_refused(env):
    env.ok(OWNER, "set_public_keys", {"public_keys": [new_key(kid="only")]})
    before = env.state()
    assert_panicked(env, env.call(OWNER, "remove_public_key", {"kid": "only"}), "Refusing to remove the last key")
    assert env.state() == before


def test_removing_the_last_valid_key_is_refused_while_a_retired_key_remains(env):
    """A retired key plus one valid key: the valid one cannot go, the retired one can."""
    now = env.now_s
    retired = new_key(1, kid="retired", not_before=now - 3600, not_after=now - 60)
    env.ok(OWNER, "set_public_keys", {"public_keys": [retired, new_key(2, kid="valid")]})
    before = env.state()
    result = env.call(OWNER, "remove_public_key", {"kid": "valid"})
    assert_panicked(env, result, "Refusing the key change: no key would be valid now (block time ")
    assert "or later: the guard would reject every token" in env.failure_message(result)
    assert env.state() == before
    token = sign_token(rsa_key(2048, 2), claims(env.now_s, PAYLOAD), kid="valid")
    assert env.verify_view(router_args(token, PAYLOAD)) == [True, SUB]
    env.ok(OWNER, "remove_public_key", {"kid": "retired"})
    assert [key["kid"] for key in env.view("get_public_keys")] == ["valid"]


def test_set_and_add_refuse_key_sets_that_leave_a_gap(env):
    now = env.now_s
    before = env.state()
    # Nothing valid now: only a retired key, or only a key that starts later.
    for public_keys in ([new_key(1, kid="retired", not_after=now - 60)],
                        [new_key(1, kid="later", not_before=now + 3600)]):
        result = env.call(OWNER, "set_public_keys", {"public_keys": public_keys})
        assert_panicked(env, result, "Refusing the key change: no key would be valid now (block time ")
    # A scheduled hand-over that leaves an hour without a key.
    hand_over = [new_key(1, kid="old", not_after=now + 3600), new_key(2, kid="new", not_before=now + 7200)]
    result = env.call(OWNER, "set_public_keys", {"public_keys": hand_over})
    assert_panicked(env, result, f"no key would be valid from {now + 3600} until {now + 7200}: "
                                 "the guard would reject every token in between")
    assert env.state() == before
    # The same hand-over at one instant is accepted; adding a key that starts
    # after the last one ends opens a gap and is refused.
    env.ok(OWNER, "set_public_keys", {"public_keys": [new_key(1, kid="old", not_after=now + 3600),
                                                      new_key(2, kid="new", not_before=now + 3600,
                                                              not_after=now + 7200)]})
    before = env.state()
    result = env.call(OWNER, "add_public_key", {"public_key": new_key(3, kid="newest", not_before=now + 7300)})
    assert_panicked(env, result, f"no key would be valid from {now + 7200} until {now + 7300}")
    assert env.state() == before
    env.ok(OWNER, "add_public_key", {"public_key": new_key(3, kid="newest", not_before=now + 7200)})


def test_init_refuses_keys_of_which_none_is_valid_now(bare):
    result = bare.deploy([new_key(kid="later", not_before=4_000_000_000)])
    assert_panicked(bare, result, "Refusing the key change: no key would be valid now")
    assert bare.state()["storage"] == {}


def test_set_public_keys_replaces_the_set_atomically(env):
    old_token = sign_token(rsa_key(2048), claims(env.now_s, PAYLOAD), kid="rs2048")
    env.ok(OWNER, "set_public_keys", {"public_keys": [new_key(3, kid="rs2048")]})
    assert env.verify_view(router_args(old_token, PAYLOAD)) == [False, reasons.INVALID_SIGNATURE]
    # A refused set leaves the previous one entirely in place.
    env.call(OWNER, "set_public_keys", {"public_keys": [new_key(4, kid="x"), new_key(5, kid="x")]})
    assert env.view("get_public_keys") == [new_key(3, kid="rs2048")]


# ----------------------------------------------------------------------------- get_public_keys and owner shapes


def test_get_public_keys_returns_exactly_the_keys(env):
    assert env.view("get_public_keys") == matrix_public_keys()
    keys = [
        new_key(1),  # the Rust guards' shape: n and e only
        new_key(2, alg="RS256"),
        new_key(3, kid="k3", not_before=1, not_after=2**62),
        eddsa_public(ed25519_key(2)),
        eddsa_public(ed25519_key(3), kid="ed3", not_after=4_000_000_000),
    ]
    env.ok(OWNER, "set_public_keys", {"public_keys": keys})
    returned = env.view("get_public_keys")
    assert returned == keys
    assert [sorted(key) for key in returned] == [
        ["e", "n"], ["alg", "e", "n"], ["e", "kid", "n", "not_after", "not_before"],
        ["alg", "x"], ["alg", "kid", "not_after", "x"],
    ]
    for key in returned:
        for field in ("n", "e", "x"):
            if field in key:
                assert isinstance(key[field], list) and all(type(b) is int and 0 <= b <= 255 for b in key[field])
    # Valid JSON as bytes, raw.
    assert json.loads(env.raw_view("get_public_keys")) == keys


def test_owner_returns_a_json_string(env):
    raw = env.raw_view("owner")
    assert raw == b'"' + OWNER.encode() + b'"'
    assert env.raw_view("proposed_owner") == b"null"
    assert env.raw_view("is_paused") == b"false"
    assert json.loads(env.raw_view("get_settings")) == {}


def test_views_work_as_transactions_too(env):
    for method, expected in [("owner", OWNER), ("get_public_keys", matrix_public_keys()), ("is_paused", False)]:
        result = env.ok(STRANGER, method)
        assert result.return_value == expected


# ----------------------------------------------------------------------------- ownership


def test_two_step_ownership_transfer(env):
    result = env.ok(OWNER, "propose_owner", {"new_owner": BOB})
    assert_event(env, result, "owner_proposed", {"owner": OWNER, "proposed_owner": BOB})
    assert env.view("owner") == OWNER and env.view("proposed_owner") == BOB
    # Until accepted, the old owner is in charge and the proposed one is not.
    assert_panicked(env, env.call(BOB, "pause"), ONLY_OWNER)
    result = env.ok(BOB, "accept_owner")
    assert_event(env, result, "owner_changed", {"previous_owner": OWNER, "owner": BOB})
    assert env.view("owner") == BOB and env.view("proposed_owner") is None
    assert_panicked(env, env.call(OWNER, "pause"), ONLY_OWNER)
    env.ok(BOB, "pause")
    # Accepting twice does not work.
    assert_panicked(env, env.call(BOB, "accept_owner"), NOT_PROPOSED)


def test_a_superseded_proposal_cannot_be_accepted(env):
    env.ok(OWNER, "propose_owner", {"new_owner": ALICE})
    env.ok(OWNER, "propose_owner", {"new_owner": BOB})
    before = env.state()
    assert_panicked(env, env.call(ALICE, "accept_owner"), NOT_PROPOSED)
    assert env.state() == before
    env.ok(BOB, "accept_owner")
    assert env.view("owner") == BOB


def test_proposing_a_typo_does_not_lock_the_guard(env):
    env.ok(OWNER, "propose_owner", {"new_owner": "nobody-typo.near"})
    env.ok(OWNER, "propose_owner", {"new_owner": BOB})  # the owner can still fix it
    env.ok(BOB, "accept_owner")
    assert env.view("owner") == BOB


def test_accept_owner_takes_no_arguments(env):
    env.ok(OWNER, "propose_owner", {"new_owner": BOB})
    assert_panicked(env, env.call(BOB, "accept_owner", {"new_owner": STRANGER}), "unexpected argument")


# ----------------------------------------------------------------------------- pause, settings events


def test_pause_and_unpause_events(env):
    result = env.ok(OWNER, "pause")
    assert_event(env, result, "paused", {"by": OWNER})
    result = env.ok(OWNER, "pause")  # idempotent
    assert_event(env, result, "paused", {"by": OWNER})
    result = env.ok(OWNER, "unpause")
    assert_event(env, result, "unpaused", {"by": OWNER})
    assert env.view("is_paused") is False


def test_admin_works_while_paused(env):
    env.ok(OWNER, "pause")
    env.ok(OWNER, "set_public_keys", {"public_keys": [new_key(kid="new")]})
    env.ok(OWNER, "propose_owner", {"new_owner": BOB})
    env.ok(BOB, "accept_owner")
    env.ok(BOB, "unpause")


def test_set_settings_event(env):
    result = env.ok(OWNER, "set_settings", {"audience": "https://app.example", "issuers": ["https://a/", "https://b/"]})
    assert_event(env, result, "settings_set", {"audience": "https://app.example", "issuers": ["https://a/", "https://b/"]})
    result = env.ok(OWNER, "set_settings", {})
    assert_event(env, result, "settings_set", {})


def test_init_event_and_state(bare):
    keys = [new_key(kid="a"), eddsa_public(ed25519_key())]
    result = bare.deploy(keys, audience="https://app.example")
    assert result.succeeded, result.status
    assert_event(bare, result, "init", {"owner": OWNER, "kids": ["a", None], "settings": {"audience": "https://app.example"}})
    storage = bare.state()["storage"]
    assert set(storage) == {b"owner", b"keys", b"settings", b"version", b"vstate"}
    # verify's one record: the key set with key bytes as hex strings, and the settings
    stored = json.loads(storage[b"keys"])
    verify_state = json.loads(storage[b"vstate"])
    assert verify_state["settings"] == {"audience": "https://app.example"}
    assert set(verify_state) == {"keys", "settings"}  # no authz, not paused
    compact = verify_state["keys"]
    assert [key.get("kid") for key in compact] == ["a", None]
    assert bytes.fromhex(compact[0]["n"]) == bytes(stored[0]["n"]) and compact[0]["e"] == [1, 0, 1]
    assert bytes.fromhex(compact[1]["x"]) == bytes(stored[1]["x"]) and compact[1]["alg"] == "EdDSA"
    assert json.loads(storage[b"version"]) == STATE_VERSION


def test_init_only_by_the_guard_account_itself(bare, wasm):
    """Deploying first and initialising later, from another account, is refused."""
    bare.create_account(GUARD, 10 * 10**24)
    bare.chain.execute(GUARD, GUARD, [DeployContract(wasm)]).raise_on_failure()
    result = bare.call(STRANGER, "init", {"owner": STRANGER, "public_keys": [new_key()]})
    assert_panicked(bare, result, ONLY_SELF)
    assert bare.state()["storage"] == {}
    # Before init, owner-only methods fail cleanly and verify still answers.
    assert_panicked(bare, bare.call(STRANGER, "pause"), "not initialized")
    token = sign_token(rsa_key(2048), claims(bare.now_s, PAYLOAD))
    assert bare.verify_view(router_args(token, PAYLOAD)) == [False, reasons.NO_VALID_KEY]
    assert bare.view("get_public_keys") == [] and bare.view("owner") is None


ACCOUNT_IDS = [
    # valid
    "ab", "a1", "near", "alice.near", "alice.test.near", "a-b_c.d", "0x" + "ab" * 20, "f" * 64, "x" * 64,
    "some_account-1.sub.near", "1.2",
    # not valid
    "", "a", "x" * 65, "Alice.near", "alice near", "alice..near", ".alice", "alice.", "-alice", "alice_",
    "a-.b", "a._b", "a__b", "ali#ce", "alice@near", "alicé.near", "alice\x00", "ALICE", "a\u0663",
]


@pytest.mark.parametrize("owner", ACCOUNT_IDS + [None, 5, ["alice.near"]], ids=repr)
def test_init_requires_an_owner_account_id(bare, owner):
    from localnet.primitives import is_valid_account_id

    result = bare.deploy([new_key()], owner=owner)
    if isinstance(owner, str) and is_valid_account_id(owner) and owner.isascii():
        assert result.succeeded, result.status
        assert bare.view("owner") == owner
    else:
        assert_panicked(bare, result, "owner must be an account id")


@pytest.mark.parametrize("new_owner", ACCOUNT_IDS + [None, 5], ids=repr)
def test_propose_owner_requires_an_account_id(env, new_owner):
    from localnet.primitives import is_valid_account_id

    before = env.state()
    result = env.call(OWNER, "propose_owner", {"new_owner": new_owner})
    if isinstance(new_owner, str) and is_valid_account_id(new_owner) and new_owner.isascii():
        assert result.succeeded, result.status
        assert env.view("proposed_owner") == new_owner
    else:
        assert_panicked(env, result, "new_owner must be an account id")
        assert env.state() == before


def test_init_refuses_unknown_arguments(bare):
    result = bare.deploy(None, init_args={"owner": OWNER, "public_keys": [new_key()], "admin": STRANGER})
    assert_panicked(bare, result, "unexpected argument")


# ----------------------------------------------------------------------------- update_contract and migrate


def _storage_without_version(env):
    return {key: value for key, value in env.state()["storage"].items() if key != b"version"}


def test_update_contract_with_the_same_wasm_keeps_state_and_runs_migrate(env, wasm):
    env.ok(OWNER, "set_settings", {"audience": "https://app.example"})
    env.ok(OWNER, "propose_owner", {"new_owner": BOB})
    before = env.state()
    result = env.call(OWNER, "update_contract", wasm, gas=300 * TGAS)
    assert result.succeeded and not result.receipt_failures, (result.status, result.receipt_failures)
    events = env.events(result)
    assert [event["event"] for event in events] == ["contract_update_requested", "contract_migrated"]
    assert events[0]["data"] == [{"code_size": len(wasm), "code_hash": hashlib.sha256(wasm).hexdigest()}]
    assert events[1]["data"] == [{"from_version": STATE_VERSION, "to_version": STATE_VERSION}]
    assert result.return_value == STATE_VERSION  # migrate's value, through promise_return
    assert env.state() == before


@pytest.fixture(scope="session")
def wasm_v2(tmp_path_factory):
    """The guard with the next STATE_VERSION: the same sources with one constant changed."""
    def next_state_version(folder):
        source = (folder / "guard.py").read_text()
        patched, count = re.subn(rf"^STATE_VERSION = {STATE_VERSION}$", f"STATE_VERSION = {STATE_VERSION + 1}",
                                 source, flags=re.M)
        assert count == 1, f"contract/guard.py no longer defines STATE_VERSION = {STATE_VERSION}"
        (folder / "guard.py").write_text(patched)

    output = tmp_path_factory.mktemp("wasm-v2") / "guard.wasm"
    return build_guard_variant("next-state-version", next_state_version, output).read_bytes()


def test_update_contract_to_a_new_build_keeps_keys_and_owner_and_migrates(env, wasm, wasm_v2):
    assert wasm_v2 != wasm
    env.ok(OWNER, "set_settings", {"audience": "https://app.example"})
    token = sign_token(rsa_key(2048), claims(env.now_s, PAYLOAD, aud="https://app.example"), kid="rs2048")
    before = env.state()
    result = env.call(OWNER, "update_contract", wasm_v2, gas=300 * TGAS)
    assert result.succeeded and not result.receipt_failures, (result.status, result.receipt_failures)
    update, migrate = env.events(result)
    assert update["event"] == "contract_update_requested" and update["data"][0]["code_hash"] == hashlib.sha256(wasm_v2).hexdigest()
    assert migrate["event"] == "contract_migrated" and migrate["data"] == [
        {"from_version": STATE_VERSION, "to_version": STATE_VERSION + 1}]
    after = env.state()
    assert after["code_hash"] != before["code_hash"]
    assert base64.b64decode(env.chain.view_code(GUARD)["code_base64"]) == wasm_v2
    assert _storage_without_version(env) == {k: v for k, v in before["storage"].items() if k != b"version"}
    assert json.loads(after["storage"][b"version"]) == STATE_VERSION + 1
    assert env.view("owner") == OWNER
    assert env.view("get_public_keys") == matrix_public_keys()
    assert env.verify_view(router_args(token, PAYLOAD)) == [True, SUB]
    # And back again: the v1 code migrates "down" to its own version.
    result = env.call(OWNER, "update_contract", wasm, gas=300 * TGAS)
    assert env.events(result)[1]["data"] == [{"from_version": STATE_VERSION + 1, "to_version": STATE_VERSION}]


def test_update_contract_with_broken_code_fails_and_keeps_the_old_code(env):
    before = env.state()
    result = env.call(OWNER, "update_contract", b"\x00asm\x01\x00\x00\x00garbage", gas=300 * TGAS)
    assert result.receipt_failures or not result.succeeded
    assert env.state() == before
    assert env.view("owner") == OWNER


def test_update_contract_needs_code(env):
    before = env.state()
    assert_panicked(env, env.call(OWNER, "update_contract", b""), "Wasm")
    assert env.state() == before


# ----------------------------------------------------------------------------- vstate: verify's one record


def _expected_verify_state(env):
    """vstate as it must be: derived from what the views report."""
    from guard_core.keys import compact_key

    expected = {"keys": [compact_key(key) for key in env.view("get_public_keys")]}
    if env.view("get_settings"):
        expected["settings"] = env.view("get_settings")
    authz = {}
    if env.view("get_policy") is not None:
        authz["policy"] = env.view("get_policy")
    if env.view("get_claim_mode"):
        authz["claim_mode"] = True
    if authz:
        expected["authz"] = authz
    if env.view("is_paused"):
        expected["paused"] = True
    return expected


def test_every_admin_change_rewrites_the_verify_state(env):
    policy = {"receivers": ["wrap.near"], "actions": ["FunctionCall"]}
    steps = [
        ("set_settings", {"audience": "https://app.example", "issuers": ["https://a/"]}),
        ("pause", None),
        ("add_public_key", {"public_key": new_key(index=2, kid="extra")}),
        ("set_policy", {"policy": policy}),
        ("set_claim_mode", {"enabled": True}),
        ("unpause", None),
        ("remove_public_key", {"kid": "extra"}),
        ("set_policy", {"policy": None}),
        ("set_claim_mode", {"enabled": False}),
        ("set_settings", {}),
        ("set_public_keys", {"public_keys": [new_key(index=3, kid="only")]}),
    ]
    for method, args in steps:
        env.ok(OWNER, method, args)
        state = json.loads(env.state()["storage"][b"vstate"])
        assert state == _expected_verify_state(env), method


def test_verify_answers_from_the_sources_without_a_vstate_and_migrate_writes_it(env, wasm):
    """State version 1 had no vstate (a `vkeys` key list instead): until `migrate`
    runs, verify assembles the same record from the separate ones."""
    from guard_core.keys import compact_key

    env.ok(OWNER, "set_settings", {"audience": "https://app.example"})
    legacy_keys = json.dumps([compact_key(key) for key in env.view("get_public_keys")]).encode()
    env.chain.patch_state([
        {"Data": {"account_id": GUARD, "data_key": base64.b64encode(b"vstate").decode(),
                  "value": base64.b64encode(b"null").decode()}},
        {"Data": {"account_id": GUARD, "data_key": base64.b64encode(b"vkeys").decode(),
                  "value": base64.b64encode(legacy_keys).decode()}},
    ])
    token = sign_token(rsa_key(2048), claims(env.now_s, PAYLOAD, aud="https://app.example"), kid="rs2048")
    assert env.verify_view(router_args(token, PAYLOAD)) == [True, SUB]
    other_audience = sign_token(rsa_key(2048), claims(env.now_s, PAYLOAD, aud="https://other/"), kid="rs2048")
    assert env.verify_view(router_args(other_audience, PAYLOAD)) == [False, reasons.AUDIENCE_MISMATCH]
    result = env.call(OWNER, "update_contract", wasm, gas=300 * TGAS)
    assert result.succeeded and not result.receipt_failures, (result.status, result.receipt_failures)
    storage = env.state()["storage"]
    assert b"vkeys" not in storage
    assert json.loads(storage[b"vstate"]) == _expected_verify_state(env)
    assert env.verify_view(router_args(token, PAYLOAD)) == [True, SUB]
