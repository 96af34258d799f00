"""The JwtGuardRouter port (upstream contracts/jwt-guard-router/src/lib.rs at 38dc894)
with the real guard behind it, on the in-process localnet. Each test names the
upstream lines it holds; tests/ports/README.md's parity table points here."""
from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from localnet.chain import ContractError
from localnet.primitives import NEAR, TERA

from .harness import (
    ADD_GUARD_DEPOSIT,
    GUARD,
    ISSUER,
    OWNER,
    RELAY,
    ROUTER,
    SCRIPTED,
    STRANGER,
    SUB,
    USER,
    build,
    failure_text,
    format_gas_table,
    sample_sign_payload,
)

PAYLOAD = sample_sign_payload()
SOURCE = "jwt-guard-router/src/lib.rs"


def rust_panic(line: int, message: str) -> str:
    """near-sdk's panic hook text for an assert! at lib.rs:line, as the node reports it (JSON-escaped)."""
    return json.dumps(f"panicked at {SOURCE}:{line}:9:\n{message}")[1:-1]


def borsh_string(text: str) -> bytes:
    return len(text.encode()).to_bytes(4, "little") + text.encode()


def add_guard(world, name: str, *, account: str = GUARD, signer: str = OWNER, deposit: int = ADD_GUARD_DEPOSIT):
    return world.call(signer, ROUTER, "add_guard", {"guard_name": name, "guard_account": account}, deposit=deposit)


# --------------------------------------------------------------------------- verify (lib.rs:197-241)


def test_valid_token_returns_true_sub_and_guard_name(world):
    """lib.rs:236-237: (true, sub, guard_name)."""
    result = world.router_verify(world.token(PAYLOAD), PAYLOAD)
    assert result.succeeded, failure_text(result)
    assert result.return_value == [True, SUB, ISSUER]
    assert result.value == json.dumps([True, SUB, ISSUER], separators=(",", ":")).encode()
    assert not result.receipt_failures


def test_router_calls_the_guard_with_the_router_argument_set(world):
    """lib.rs:218-220 + external_contract.rs:6: verify(issuer, jwt, sign_payload, predecessor), compact JSON."""
    token = world.token(PAYLOAD)
    result = world.router_verify(token, PAYLOAD, predecessor=STRANGER)
    guard_receipt = world.recorder.receipt(result, GUARD, "verify")
    assert guard_receipt["args"][0] == json.dumps(
        {"issuer": ISSUER, "jwt": token, "sign_payload": list(PAYLOAD), "predecessor": STRANGER},
        separators=(",", ":")).encode()
    assert world.chain.view(GUARD, "verify", json.loads(guard_receipt["args"][0])) == [True, SUB]
    callback = world.recorder.receipt(result, ROUTER, "on_verify_callback")
    assert json.loads(callback["args"][0]) == {"guard_name": ISSUER}


def test_router_attaches_no_static_gas(world):
    """near-sdk's ext() defaults: 0 static gas, weight 1 — guard and callback split the leftover evenly."""
    result = world.router_verify(world.token(PAYLOAD), PAYLOAD, gas=300 * TERA)
    guard = world.recorder.receipt(result, GUARD, "verify")
    callback = world.recorder.receipt(result, ROUTER, "on_verify_callback")
    print("\nrouter.verify with 300 Tgas:\n" + format_gas_table(world.recorder.describe(result)))
    assert abs(guard["prepaid_gas"] - callback["prepaid_gas"]) <= 1
    assert guard["prepaid_gas"] > 140 * TERA
    assert guard["gas_burnt"] < guard["prepaid_gas"]


@pytest.mark.parametrize("case", ["wrong key", "other fatxn", "expired", "other issuer", "garbage"])
def test_bad_token_returns_false_empty_empty_and_drops_the_reason(world, case):
    """lib.rs:238-239: (false, "", "") — the guard's reason never reaches the caller."""
    if case == "wrong key":
        token = world.token(PAYLOAD, key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    elif case == "other fatxn":
        token = world.token(sample_sign_payload(nonce=8))
    elif case == "expired":
        token = world.token(PAYLOAD, lifetime_s=-10)
    elif case == "other issuer":
        token = world.token(PAYLOAD, extra={"iss": "https://evil.example.com/"})
    else:
        token = "not.a.jwt"
    result = world.router_verify(token, PAYLOAD)
    assert result.succeeded, failure_text(result)
    assert result.return_value == [False, "", ""]
    guard_receipt = world.recorder.receipt(result, GUARD, "verify")
    assert "SuccessValue" in guard_receipt["status"]  # the guard answered [false, reason]


def test_token_for_another_guard_name_is_rejected_by_the_guard(world):
    """The router passes its guard name as `issuer`; a token whose iss differs is refused by the guard."""
    assert add_guard(world, "https://other.example.com/").succeeded
    result = world.router_verify(world.token(PAYLOAD), PAYLOAD, guard_id="jwt#https://other.example.com/")
    assert result.return_value == [False, "", ""]


def test_a_failing_guard_call_makes_the_callback_panic(world):
    """lib.rs:231-232: Err(PromiseError::Failed) -> panic "Error verifying JWT: Failed"."""
    assert add_guard(world, "broken", account=STRANGER).succeeded  # no contract there
    result = world.router_verify(world.token(PAYLOAD), PAYLOAD, guard_id="jwt#broken")
    assert not result.succeeded
    assert "Error verifying JWT: Failed" in failure_text(result)


@pytest.mark.parametrize("guard_id", [ISSUER, "auth0#" + ISSUER, "jwt#a#b", "jwt"])
def test_guard_id_must_be_jwt_hash_name(world, guard_id):
    """lib.rs:197-205: exactly two '#'-parts, the first "jwt"; an assert! (panic hook text)."""
    result = world.router_verify(world.token(PAYLOAD), PAYLOAD, guard_id=guard_id)
    assert not result.succeeded
    assert rust_panic(199, "Invalid guard name format. Expected 'jwt#GUARD_NAME'") in failure_text(result)


def test_unknown_guard_name_panics(world):
    """lib.rs:159-163: env::panic_str, no location."""
    result = world.router_verify(world.token(PAYLOAD), PAYLOAD, guard_id="jwt#nobody")
    assert "Smart contract panicked: Guard with name 'nobody' does not exist" in failure_text(result)


def test_missing_predecessor_fails_to_deserialize(world):
    """lib.rs:214 + near-sdk's argument parsing: serde_json's missing-field text."""
    args = {"guard_id": "jwt#" + ISSUER, "verify_payload": "x", "sign_payload": [1, 2, 3]}
    result = world.call(USER, ROUTER, "verify", args)
    column = len(json.dumps(args))
    assert (f"Failed to deserialize input from JSON. Error: `missing field `predecessor` at line 1 column {column}`"
            in failure_text(result))


def test_verify_takes_and_keeps_a_deposit_but_the_callback_refuses_one(world):
    """lib.rs:214 `verify(&self, ...)`: near-sdk treats a `&self` method as a view and checks no
    deposit, so one attached stays with the router (the guard call carries none); the
    `&mut self` callback (lib.rs:230) refuses a deposit."""
    before = world.balance(ROUTER)
    result = world.call(USER, ROUTER, "verify", {"guard_id": "jwt#" + ISSUER, "verify_payload": world.token(PAYLOAD),
                                                 "sign_payload": list(PAYLOAD), "predecessor": USER}, deposit=NEAR)
    assert result.return_value == [True, SUB, ISSUER]
    assert world.recorder.receipt(result, GUARD, "verify")["deposit"] == 0
    assert world.balance(ROUTER) >= before + NEAR
    refused = world.call(USER, ROUTER, "on_verify_callback", {"guard_name": ISSUER}, deposit=1)
    assert "Method on_verify_callback doesn't accept deposit" in failure_text(refused)


def test_on_verify_callback_is_public_and_aborts_without_a_promise_result(world):
    """lib.rs:230 has no #[private]: anyone may call it; near-sdk's read of promise
    result 0 then aborts in the host (no promise result to read)."""
    result = world.call(STRANGER, ROUTER, "on_verify_callback", {"guard_name": ISSUER})
    assert not result.succeeded
    text = failure_text(result)
    assert "is private" not in text
    assert "Accessed invalid promise result index: 0" in text  # nearcore's InvalidPromiseResultIndex


# --------------------------------------------------------------------------- registry and owner (lib.rs:100-183)


def test_registry_views(world):
    assert world.chain.view(ROUTER, "owner") == OWNER
    assert world.chain.view(ROUTER, "get_guard", {"guard_name": ISSUER}) == GUARD
    # Rust views return JSON: an account id comes back quoted.
    assert world.chain.call_function(ROUTER, "owner", b"{}")["result"] == list(b'"owner.test.near"')
    with pytest.raises(ContractError, match="Guard with name 'nope' does not exist"):
        world.chain.view(ROUTER, "get_guard", {"guard_name": "nope"})


def test_state_is_borsh_as_near_sdk_writes_it(world):
    """lib.rs:22-28, 15: STATE = borsh(LookupMap prefix "g") + borsh(owner); each guard under
    "g" + borsh(name) holds borsh(account)."""
    stored = {base64.b64decode(item["key"]): base64.b64decode(item["value"])
              for item in world.chain.view_state(ROUTER)["values"]}
    assert stored[b"STATE"] == b"\x01\x00\x00\x00g" + borsh_string(OWNER)
    assert stored[b"g" + borsh_string(ISSUER)] == borsh_string(GUARD)


def test_non_owner_cannot_add_a_guard_and_the_text_is_assert_eq(world):
    """lib.rs:101-103: assert_eq!(predecessor, owner, ...) — Rust's full assertion text."""
    result = add_guard(world, "mine", account=STRANGER, signer=STRANGER)
    expected = ("assertion `left == right` failed: Only the owner can call this function\n"
                f'  left: AccountId("{STRANGER}")\n right: AccountId("{OWNER}")')
    assert rust_panic(102, expected) in failure_text(result)


def test_owner_check_is_the_predecessor_not_the_signer(world):
    """lib.rs:102 (since the 2025-08-19 audit fix): the owner signing a call that reaches the
    router through another contract is refused; the predecessor is that contract."""
    result = world.relayed(OWNER, ROUTER, "add_guard", {"guard_name": "via-relay", "guard_account": GUARD},
                           deposit=ADD_GUARD_DEPOSIT)
    report = result.return_value
    assert report["results"][0]["status"] == 2
    assert any(f'left: AccountId(\\"{RELAY}\\")' in json.dumps(f) for f in result.receipt_failures)
    with pytest.raises(ContractError):
        world.chain.view(ROUTER, "get_guard", {"guard_name": "via-relay"})


def test_guard_name_with_hash_is_refused(world):
    """lib.rs:133."""
    assert rust_panic(133, "Guard name cannot contain '#' character") in failure_text(add_guard(world, "a#b"))


def test_guard_name_limit_is_2043_bytes_in_practice(world):
    """lib.rs:134 allows 2048 bytes, but near-sdk's LookupMap key is "g" + u32 length + name
    (lib.rs:15, store::LookupMap with the Identity hasher), and NEAR refuses storage keys over
    2048 bytes: names of 2044-2048 bytes abort in the host; over 2048 the contract's own check."""
    longest = "x" * 2043
    assert add_guard(world, longest).succeeded
    assert world.chain.view(ROUTER, "get_guard", {"guard_name": longest}) == GUARD
    too_long_for_storage = add_guard(world, "y" * 2044)
    assert not too_long_for_storage.succeeded
    assert "The length of a storage key 2049 exceeds the limit 2048" in failure_text(too_long_for_storage)
    assert rust_panic(134, "Guard name is too long") in failure_text(add_guard(world, "z" * 2049))


def test_insufficient_deposit_is_refused_and_the_exact_deposit_is_enough(world):
    """lib.rs:136-141: 10^19 × (2048 + 64) + 1 NEAR = 1.02112 NEAR, printed by near-token's
    Display, which rounds UP to two decimals: "1.03 NEAR"."""
    assert ADD_GUARD_DEPOSIT == 21_120_000_000_000_000_000_000 + NEAR
    before = world.balance(OWNER)
    short = add_guard(world, "g2", deposit=ADD_GUARD_DEPOSIT - 1)
    assert rust_panic(137, "Insufficient deposit. Required: 1.03 NEAR") in failure_text(short)
    assert world.balance(OWNER) == before - short.tokens_burnt  # a failed call's deposit comes back

    router_before = world.balance(ROUTER)
    exact = add_guard(world, "g2")
    assert exact.succeeded
    # The router keeps the deposit (it also earns a share of the gas its code burnt).
    assert world.balance(ROUTER) >= router_before + ADD_GUARD_DEPOSIT


def test_duplicate_guard_is_refused(world):
    """lib.rs:143-147."""
    result = add_guard(world, ISSUER, account=STRANGER)
    assert rust_panic(143, f"Guard with name {ISSUER} already exists") in failure_text(result)


def test_remove_guard_is_owner_only_and_unroutes(world):
    """lib.rs:173-183."""
    refused = world.call(STRANGER, ROUTER, "remove_guard", {"guard_name": ISSUER})
    assert "Only the owner can call this function" in failure_text(refused)
    world.ok(OWNER, ROUTER, "remove_guard", {"guard_name": ISSUER})
    result = world.router_verify(world.token(PAYLOAD), PAYLOAD)
    assert f"Guard with name '{ISSUER}' does not exist" in failure_text(result)
    again = world.call(OWNER, ROUTER, "remove_guard", {"guard_name": ISSUER})
    assert rust_panic(176, f"Guard with name {ISSUER} does not exist") in failure_text(again)


def test_change_owner(world):
    """lib.rs:117-120."""
    assert "Only the owner" in failure_text(world.call(STRANGER, ROUTER, "change_owner", {"new_owner": STRANGER}))
    world.ok(OWNER, ROUTER, "change_owner", {"new_owner": STRANGER})
    assert world.chain.view(ROUTER, "owner") == STRANGER


def test_init_is_private_and_once(world):
    """lib.rs:48-55: #[init] #[private]; near-sdk's init-once text."""
    assert "Method init is private" in failure_text(world.call(STRANGER, ROUTER, "init", {"owner": STRANGER}))
    assert "The contract has already been initialized" in failure_text(
        world.call(ROUTER, ROUTER, "init", {"owner": STRANGER}))


def test_update_contract_is_owner_only_and_migrates_keeping_state(world):
    """lib.rs:62-98: owner; deploys the input and calls migrate (10 Tgas), which keeps guards and owner."""
    world.upgrade_with_own_code(ROUTER, "router")
    assert world.chain.view(ROUTER, "owner") == OWNER
    assert world.chain.view(ROUTER, "get_guard", {"guard_name": ISSUER}) == GUARD


def test_an_uninitialised_router_is_owned_by_its_own_account(world):
    """lib.rs:32-38 `impl Default`: before init, owner() is the router's account."""
    fresh = "fresh-router.test.near"
    world.create_account(fresh, NEAR * 5, build("router"))
    assert world.chain.view(fresh, "owner") == fresh


def test_a_guard_answering_three_elements_makes_the_callback_panic(world):
    """lib.rs:230 reads the guard's answer as (bool, String): serde_json refuses a third element
    ("trailing characters" at its first byte). The scripted guard answers its `jwt` verbatim."""
    assert add_guard(world, "scripted", account=SCRIPTED).succeeded
    answer = '[true,"alice","extra"]'
    result = world.router_verify(answer, PAYLOAD, guard_id="jwt#scripted")
    column = answer.index('"extra"') + 1
    assert (f"Failed to deserialize callback using JSON. Error: `trailing characters at line 1 column {column}`"
            in failure_text(result))
    short = world.router_verify('[true]', PAYLOAD, guard_id="jwt#scripted")
    assert "invalid length 1, expected a tuple of size 2 at line 1 column 6" in failure_text(short)
