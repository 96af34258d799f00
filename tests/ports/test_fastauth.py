"""The FastAuth port (upstream contracts/fa/src/lib.rs at 38dc894) -> router port or the
guard registered directly -> real guard -> MPC mock, on the in-process localnet.
Each test names the upstream lines it holds; tests/ports/README.md's parity table
points here."""
from __future__ import annotations

import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from localnet.primitives import NEAR, TERA

from .harness import (
    DIRECT,
    FASTAUTH,
    GUARD,
    GUARD_ID,
    ISSUER,
    MPC,
    OWNER,
    RELAYER,
    ROUTER,
    SCRIPTED_PREFIX,
    STRANGER,
    SUB,
    USER,
    build,
    failure_text,
    format_gas_table,
    sample_sign_payload,
)

PAYLOAD = sample_sign_payload()
PATH = GUARD_ID + "#" + SUB  # "jwt#https://login.example.com/#google-oauth2|1234567890"
DIRECT_ID = DIRECT + "#" + ISSUER
SOURCE = "fa/src/lib.rs"


def rust_panic(line: int, message: str) -> str:
    return json.dumps(f"panicked at {SOURCE}:{line}:9:\n{message}")[1:-1]


def mpc_requests(result):
    prefix = "mock-mpc sign "
    return [json.loads(log[len(prefix):]) for log in result.logs if log.startswith(prefix)]


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def scripted_sign(world, answer, *, deposit=10**22):
    """FastAuth.sign through the scripted guard, which answers `answer` (a JSON value)."""
    return world.sign(compact(answer), PAYLOAD, guard_id=SCRIPTED_PREFIX + "#x", deposit=deposit)


# --------------------------------------------------------------------------- sign through the router


def test_sign_through_the_router_reaches_the_guard_and_the_mpc(world):
    """lib.rs:427-452, 560-587, 596-613: the whole chain with 300 Tgas."""
    result = world.sign(world.token(PAYLOAD), PAYLOAD, gas=300 * TERA)
    rows = world.recorder.describe(result)
    print("\nFastAuth.sign -> router, 300 Tgas:\n" + format_gas_table(rows))
    assert result.succeeded and not result.receipt_failures, failure_text(result)

    calls = [(r["executor_id"], r["method"]) for r in rows if r["method"]]
    assert calls == [
        (FASTAUTH, "sign"),
        (ROUTER, "verify"),
        (GUARD, "verify"),
        (ROUTER, "on_verify_callback"),
        (FASTAUTH, "on_verify_sign_callback"),
        (MPC, "sign"),
        (FASTAUTH, "on_sign_callback"),
    ]
    response = result.return_value
    assert response["scheme"] == "Secp256k1" and response["recovery_id"] == 0
    [request] = mpc_requests(result)
    assert request == {"payload": list(hashlib.sha256(PAYLOAD).digest()), "path": PATH, "key_version": 0}
    assert any(log.startswith('MPC signing successful: Ecdsa(EcdsaSignResponse { scheme: "Secp256k1", big_r: '
                              'AffinePoint { affine_point: "02') for log in result.logs), result.logs

    guard = world.recorder.receipt(result, GUARD, "verify")
    assert json.loads(guard["args"][0])["issuer"] == ISSUER
    # With 300 Tgas attached to FastAuth.sign, a guard sees roughly 70 Tgas (README, "Caps and the gas ceiling").
    assert 65 * TERA <= guard["prepaid_gas"] <= 75 * TERA
    assert guard["gas_burnt"] < guard["prepaid_gas"]


def test_sign_passes_guard_id_and_its_caller_and_the_callback_gets_the_variant_name(world):
    """lib.rs:447-451: verify(guard_id, verify_payload, sign_payload, predecessor) and
    on_verify_sign_callback(guard_id, sign_payload, attached_deposit, algorithm, caller);
    the algorithm travels as serde's variant name."""
    token = world.token(PAYLOAD)
    result = world.sign(token, PAYLOAD, signer=USER, algorithm="EdDSA", deposit=7)
    router = world.recorder.receipt(result, ROUTER, "verify")
    assert router["args"][0] == compact(
        {"guard_id": GUARD_ID, "verify_payload": token, "sign_payload": list(PAYLOAD), "predecessor": USER}).encode()
    assert router["prepaid_gas"] > 140 * TERA  # half of what sign left
    callback = world.recorder.receipt(result, FASTAUTH, "on_verify_sign_callback")
    assert json.loads(callback["args"][0]) == {"guard_id": GUARD_ID, "sign_payload": list(PAYLOAD),
                                               "attached_deposit": "7", "algorithm": "Eddsa", "caller": USER}


@pytest.mark.parametrize("algorithm, variant", [("ecdsa", "Ecdsa"), ("eddsa", "Eddsa"), ("ECDSA", "Ecdsa")])
def test_sign_request_v2_algorithms_parsed_case_insensitively(world, algorithm, variant):
    """lib.rs:27-34 (to_lowercase), 505-549: SignRequestV2 {path, payload_v2, domain_id}."""
    result = world.sign(world.token(PAYLOAD), PAYLOAD, algorithm=algorithm)
    assert result.succeeded, failure_text(result)
    [request] = mpc_requests(result)
    assert request == {"path": PATH, "payload_v2": {variant: hashlib.sha256(PAYLOAD).hexdigest()}, "domain_id": 1}
    if variant == "Eddsa":
        assert result.return_value["scheme"] == "Ed25519" and len(result.return_value["signature"]) == 64
    else:
        assert result.return_value["scheme"] == "Secp256k1"


def test_algorithm_is_required(world):
    """lib.rs:428: `algorithm: String`, no default."""
    result = world.sign(world.token(PAYLOAD), PAYLOAD, algorithm=None)
    assert "Failed to deserialize input from JSON. Error: `missing field `algorithm`" in failure_text(result)


def test_unknown_algorithm_panics_with_upstream_text(world):
    """lib.rs:32, 434-437."""
    result = world.sign(world.token(PAYLOAD), PAYLOAD, algorithm="rsa")
    assert ("Smart contract panicked: Unsupported algorithm: rsa. Supported algorithms are: secp256k1, ecdsa, eddsa"
            in failure_text(result))


def test_the_deposit_goes_to_the_mpc_and_is_refunded_after_a_signature_too(world):
    """lib.rs:482-484 (MPC call with the deposit) and lib.rs:609-610 (refund on success): the
    caller gets the deposit back and FastAuth pays it, out of its own balance, to the MPC."""
    deposit = NEAR // 10
    user_before, fastauth_before, mpc_before = world.balance(USER), world.balance(FASTAUTH), world.balance(MPC)
    result = world.sign(world.token(PAYLOAD), PAYLOAD, deposit=deposit)
    assert result.succeeded and not result.receipt_failures, failure_text(result)
    assert world.recorder.receipt(result, MPC, "sign")["deposit"] == deposit
    assert world.balance(USER) == user_before - result.tokens_burnt
    assert world.balance(MPC) >= mpc_before + deposit
    # FastAuth earns a share of its receipts' gas (well under 0.01 NEAR), nothing more.
    assert fastauth_before - deposit < world.balance(FASTAUTH) < fastauth_before - deposit + NEAR // 100


@pytest.mark.parametrize("case", ["wrong key", "other fatxn", "expired", "hash in sub"])
def test_rejected_token_signs_nothing_and_refunds_the_deposit(world, case):
    """lib.rs:568-572: "Guard verification rejected", Promise::new(caller).transfer(deposit) returned."""
    if case == "wrong key":
        token = world.token(PAYLOAD, key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    elif case == "other fatxn":
        token = world.token(sample_sign_payload(nonce=99))
    elif case == "expired":
        token = world.token(PAYLOAD, lifetime_s=-1)
    else:
        token = world.token(PAYLOAD, sub="evil#sub")  # the guard refuses it before FastAuth's "Invalid sub"
    before = world.balance(USER)
    result = world.sign(token, PAYLOAD, deposit=10**22)
    assert result.succeeded and not result.receipt_failures, failure_text(result)
    assert result.value == b""
    assert "Guard verification rejected" in result.logs
    assert not mpc_requests(result)
    assert world.balance(USER) == before - result.tokens_burnt  # the 0.01 NEAR came back


def test_a_rejection_without_deposit_still_makes_a_zero_transfer(world):
    """lib.rs:570-571: the refund promise is made whatever the amount."""
    result = world.sign(world.token(PAYLOAD, lifetime_s=-1), PAYLOAD, deposit=0)
    assert result.succeeded and result.value == b""
    assert any(r["method"] is None and r["executor_id"] == USER for r in world.recorder.describe(result))


def test_unknown_guard_prefix_panics(world):
    """lib.rs:440-445."""
    result = world.sign(world.token(PAYLOAD), PAYLOAD, guard_id="firebase#" + ISSUER)
    assert f"Cannot verify: Guard with ID 'firebase#{ISSUER}' does not exist" in failure_text(result)


@pytest.mark.parametrize("guard_id, message", [("", "Guard ID cannot be empty"),
                                               ("#x", "Guard ID must be in format 'guard' or 'prefix#suffix'")])
def test_guard_id_prefix_rules(world, guard_id, message):
    """lib.rs:328-337."""
    assert message in failure_text(world.sign(world.token(PAYLOAD), PAYLOAD, guard_id=guard_id))


def test_router_format_error_surfaces_as_a_failed_guard_call(world):
    """guard_id "jwt" routes to the router, which panics on the format: lib.rs:562-565 logs and refunds."""
    result = world.sign(world.token(PAYLOAD), PAYLOAD, guard_id="jwt")
    assert "Guard verification failed" in result.logs
    assert result.value == b""
    assert any("Invalid guard name format" in json.dumps(f) for f in result.receipt_failures)


def test_mpc_failure_is_logged_refunded_and_answers_null(world):
    """lib.rs:599-603: "MPC signing failed", refund, None."""
    world.ok(OWNER, FASTAUTH, "set_mpc_address", {"mpc_address": STRANGER})  # no contract: the call fails
    before = world.balance(USER)
    result = world.sign(world.token(PAYLOAD), PAYLOAD, deposit=10**22)
    assert result.succeeded, failure_text(result)
    assert "MPC signing failed" in result.logs
    assert result.value == b"null"
    assert world.balance(USER) == before - result.tokens_burnt


# --------------------------------------------------------------------------- direct registration


def test_sign_through_the_guard_registered_directly(world):
    """FastAuth -> guard (no router): the guard gets FastAuth's argument set and answers
    [true, sub, guard name] — the 3-tuple lib.rs:561 reads — so the MPC signs."""
    token = world.token(PAYLOAD)
    result = world.sign(token, PAYLOAD, guard_id=DIRECT_ID, gas=300 * TERA)
    print("\nFastAuth.sign -> guard directly, 300 Tgas:\n" + format_gas_table(world.recorder.describe(result)))
    assert result.succeeded and not result.receipt_failures, failure_text(result)
    guard = world.recorder.receipt(result, GUARD, "verify")
    assert json.loads(guard["args"][0]) == {
        "guard_id": DIRECT_ID, "verify_payload": token, "sign_payload": list(PAYLOAD), "predecessor": USER}
    assert world.chain.view(GUARD, "verify", json.loads(guard["args"][0])) == [True, SUB, ISSUER]
    [request] = mpc_requests(result)
    assert request["path"] == DIRECT_ID + "#" + SUB
    assert result.return_value["scheme"] == "Secp256k1"


def test_direct_rejection_keeps_the_reason_for_the_log_reader_and_refunds(world):
    result = world.sign(world.token(PAYLOAD, lifetime_s=-1), PAYLOAD, guard_id=DIRECT_ID, deposit=10**22)
    assert result.succeeded and result.value == b""
    assert "Guard verification rejected" in result.logs


def test_a_two_element_answer_makes_sign_panic_and_keeps_the_deposit(world):
    """lib.rs:561: serde_json refuses [true, sub] for (bool, String, String). The callback
    panics: no signature, no refund — the deposit stays with FastAuth. This is what a guard
    answering the router's shape to FastAuth gets."""
    answer = [True, "alice"]
    before = world.balance(USER)
    result = scripted_sign(world, answer)
    text = failure_text(result)
    column = len(compact(answer))
    assert (f"Failed to deserialize callback using JSON. Error: `invalid length 2, expected a tuple of size 3 "
            f"at line 1 column {column}`") in text
    assert not mpc_requests(result)
    assert world.balance(USER) == before - result.tokens_burnt - 10**22  # not refunded


@pytest.mark.parametrize("sub", ["a#b", "x" * 257])
def test_invalid_sub_from_a_guard_panics(world, sub):
    """lib.rs:459-461, 574: assert!(verify_sub) — '#' or over 256 bytes."""
    result = scripted_sign(world, [True, sub, "x"])
    assert rust_panic(574, "Invalid sub") in failure_text(result)


# --------------------------------------------------------------------------- FastAuth.verify: the upstream bug


@pytest.mark.parametrize("guard_id", [GUARD_ID, DIRECT_ID], ids=["router", "direct"])
def test_fastauth_verify_panics_on_a_three_element_answer(world, guard_id):
    """lib.rs:402 reads (bool, String); the router (lib.rs:230) and this guard's answer to
    FastAuth's argument set are 3 elements, so FastAuth.verify panics in both modes."""
    token = world.token(PAYLOAD)
    result = world.call(USER, FASTAUTH, "verify", {"guard_id": guard_id, "verify_payload": token,
                                                   "sign_payload": list(PAYLOAD)}, gas=300 * TERA)
    assert not result.succeeded
    # serde_json's column: 1-based position of the third element's first byte, in the answer's own bytes.
    if guard_id == GUARD_ID:
        answer = compact([True, SUB, ISSUER]).encode()  # serde_json writes the router's answer compactly
    else:
        answer = bytes(world.chain.call_function(GUARD, "verify", json.dumps({
            "guard_id": guard_id, "verify_payload": token, "sign_payload": list(PAYLOAD),
            "predecessor": USER}).encode())["result"])
    column = answer.index(b'"' + ISSUER.encode()) + 1
    assert f"Failed to deserialize callback using JSON. Error: `trailing characters at line 1 column {column}`" \
        in failure_text(result)


def test_fastauth_verify_works_with_a_two_element_answer(world):
    """lib.rs:401-413 with the answer it was written for."""
    # `verify(&self)` is a view to near-sdk: a deposit is not refused (it stays with FastAuth).
    result = world.call(USER, FASTAUTH, "verify", {"guard_id": SCRIPTED_PREFIX + "#x",
                                                   "verify_payload": compact([True, "alice"]), "sign_payload": []},
                        deposit=1)
    assert result.return_value == [True, "alice"]
    rejected = world.call(USER, FASTAUTH, "verify", {"guard_id": SCRIPTED_PREFIX + "#x",
                                                     "verify_payload": compact([False, "why"]), "sign_payload": []})
    assert rejected.return_value == [False, "why"] and "Guard verification rejected" in rejected.logs


# --------------------------------------------------------------------------- administration


def test_guard_registry(world):
    """lib.rs:288-318: add replaces silently, '#' refused, remove of an unknown id is no error."""
    assert world.chain.view(FASTAUTH, "get_guard", {"guard_id": "jwt"}) == ROUTER
    refused = world.call(OWNER, FASTAUTH, "add_guard", {"guard_id": "jwt#x", "guard_address": GUARD})
    assert rust_panic(304, "Guard ID cannot contain '#'") in failure_text(refused)
    stranger = world.call(STRANGER, FASTAUTH, "add_guard", {"guard_id": "mine", "guard_address": STRANGER})
    assert rust_panic(73, "Only the owner can call this function") in failure_text(stranger)
    world.ok(OWNER, FASTAUTH, "add_guard", {"guard_id": DIRECT, "guard_address": ROUTER})
    assert world.chain.view(FASTAUTH, "get_guard", {"guard_id": DIRECT}) == ROUTER
    assert "Removing guard: nothing" in world.ok(OWNER, FASTAUTH, "remove_guard", {"guard_id": "nothing"}).logs
    world.ok(OWNER, FASTAUTH, "remove_guard", {"guard_id": "jwt"})
    result = world.sign(world.token(PAYLOAD), PAYLOAD)
    assert f"Cannot verify: Guard with ID '{GUARD_ID}' does not exist" in failure_text(result)


def test_owner_is_the_predecessor_and_the_pauser_the_signer(world):
    """lib.rs:73 (owner: predecessor) vs lib.rs:125 (pauser: SIGNER): the pauser signing a call
    that reaches FastAuth through another contract can still pause; the owner cannot unpause that way."""
    paused = world.relayed(OWNER, FASTAUTH, "pause", {})
    assert paused.return_value["results"][0]["status"] == 1
    assert world.chain.view(FASTAUTH, "paused") is True
    unpause = world.relayed(OWNER, FASTAUTH, "unpause", {})
    assert unpause.return_value["results"][0]["status"] == 2
    assert world.chain.view(FASTAUTH, "paused") is True
    world.ok(OWNER, FASTAUTH, "unpause")
    assert world.chain.view(FASTAUTH, "paused") is False


def test_pause_stops_sign_and_views(world):
    """lib.rs:98-101, 131-133: paused -> "Contract is paused" (assert!), `paused` itself still answers."""
    assert rust_panic(125, "Only the pauser can call this function") in failure_text(
        world.call(STRANGER, FASTAUTH, "pause"))
    world.ok(OWNER, FASTAUTH, "pause")
    assert world.chain.view(FASTAUTH, "paused") is True
    assert rust_panic(132, "Contract is paused") in failure_text(world.sign(world.token(PAYLOAD), PAYLOAD))
    world.ok(OWNER, FASTAUTH, "unpause")
    assert world.sign(world.token(PAYLOAD), PAYLOAD).succeeded


def test_mpc_settings_version_and_private_callbacks(world):
    """lib.rs:9-14, 175-277, 620-623; near-sdk's #[private] text for the three callbacks."""
    assert world.chain.view(FASTAUTH, "mpc_address") == MPC
    assert world.chain.view(FASTAUTH, "mpc_key_version") == 0
    assert world.chain.view(FASTAUTH, "mpc_domain_id") == 1
    assert world.chain.view(FASTAUTH, "version") == "1.0.0"
    logs = world.ok(OWNER, FASTAUTH, "set_mpc_key_version", {"mpc_key_version": 3}).logs
    assert logs == ["Setting MPC key version to 3"]
    result = world.sign(world.token(PAYLOAD), PAYLOAD)
    assert mpc_requests(result)[0]["key_version"] == 3
    for method in ("on_verify_callback", "on_verify_sign_callback", "on_sign_callback"):
        assert f"Method {method} is private" in failure_text(world.call(STRANGER, FASTAUTH, method, {}))


def test_init_is_private_and_near_sdk_answers_before_the_body(world):
    """lib.rs:150-155: near-sdk's init-once check runs before the body's own check."""
    assert "Method init is private" in failure_text(
        world.call(STRANGER, FASTAUTH, "init", {"init_guards": {}, "owner": STRANGER, "pauser": STRANGER}))
    again = world.call(FASTAUTH, FASTAUTH, "init", {"init_guards": {}, "owner": STRANGER, "pauser": STRANGER})
    assert "The contract has already been initialized" in failure_text(again)
    assert "Contract is already initialized" not in failure_text(again)


@pytest.mark.parametrize("size", [500, 1000])
def test_sign_with_a_large_transaction(world, size):
    """Real FastAuth transactions are often a few hundred bytes; the guard must still fit in ~70 Tgas."""
    payload = sample_sign_payload(size=size)
    token = world.token(payload)
    result = world.sign(token, payload, gas=300 * TERA)
    rows = world.recorder.describe(result)
    print(f"\nFastAuth.sign, {size}-byte sign_payload, {len(token)}-char token:\n" + format_gas_table(rows))
    assert result.succeeded and not result.receipt_failures, failure_text(result)
    assert mpc_requests(result)[0]["path"] == PATH
    guard = world.recorder.receipt(result, GUARD, "verify")
    assert guard["gas_burnt"] < guard["prepaid_gas"]


def test_an_uninitialised_fastauth_defaults_to_its_own_account(world):
    """lib.rs:51-63 `impl Default`: owner, MPC address and pauser are the contract's account."""
    fresh = "fresh-fastauth.test.near"
    world.create_account(fresh, NEAR * 5, build("fastauth"))
    assert world.chain.view(fresh, "owner") == fresh
    assert world.chain.view(fresh, "mpc_address") == fresh
    assert world.chain.view(fresh, "version") == "1.0.0"


def test_change_owner_set_pauser_and_the_exported_only_pauser(world):
    """lib.rs:89-93, 116-119, and lib.rs:124: `pub fn only_pauser` is exported as a method."""
    world.ok(OWNER, FASTAUTH, "set_pauser", {"pauser": STRANGER})
    assert world.call(STRANGER, FASTAUTH, "only_pauser").succeeded
    assert rust_panic(125, "Only the pauser can call this function") in failure_text(
        world.call(OWNER, FASTAUTH, "only_pauser"))
    world.ok(STRANGER, FASTAUTH, "pause")
    assert rust_panic(132, "Contract is paused") in failure_text(
        world.call(OWNER, FASTAUTH, "change_owner", {"new_owner": STRANGER}))
    world.ok(OWNER, FASTAUTH, "unpause")
    world.ok(OWNER, FASTAUTH, "change_owner", {"new_owner": STRANGER})
    assert world.chain.view(FASTAUTH, "owner") == STRANGER
    assert rust_panic(73, "Only the owner can call this function") in failure_text(
        world.call(OWNER, FASTAUTH, "set_mpc_domain_id", {"mpc_domain_id": 5}))


def test_execute_is_an_owner_function_call(world):
    """lib.rs:379-390: any call with `gas` Tgas and no deposit, returned as the result."""
    refused = world.call(STRANGER, FASTAUTH, "execute", {"contract_address": ROUTER, "method_name": "owner",
                                                         "args": "{}", "gas": 5})
    assert rust_panic(73, "Only the owner can call this function") in failure_text(refused)
    done = world.ok(OWNER, FASTAUTH, "execute", {"contract_address": ROUTER, "method_name": "owner",
                                                 "args": "{}", "gas": 5})
    assert done.return_value == OWNER
    assert world.recorder.receipt(done, ROUTER, "owner")["prepaid_gas"] == 5 * TERA


def test_update_contract_is_owner_only_and_migrates_keeping_state(world):
    """lib.rs:215-257."""
    world.upgrade_with_own_code(FASTAUTH, "fastauth")
    assert world.chain.view(FASTAUTH, "get_guard", {"guard_id": "jwt"}) == ROUTER


# --------------------------------------------------------------------------- claim mode behind a relayer


@pytest.mark.parametrize("guard_id", [GUARD_ID, DIRECT_ID], ids=["router", "direct"])
def test_claim_mode_binds_the_caller_of_sign_so_a_relayer_is_refused(world, guard_id):
    """FastAuth passes env::predecessor_account_id() of `sign` as `predecessor` (lib.rs:448),
    and the router passes it on. With claim mode on, a token claimed by the user is refused
    when a relayer calls `sign` (the guard sees the relayer) and accepted when the user does."""
    world.ok(OWNER, GUARD, "set_claim_mode", {"enabled": True})
    token = world.token(PAYLOAD)
    world.ok(USER, GUARD, "claim", {"jwt_hash": hashlib.sha256(token.encode()).hexdigest()}, deposit=NEAR // 100)

    relayed = world.sign(token, PAYLOAD, guard_id=guard_id, signer=RELAYER, deposit=10**22)
    assert relayed.succeeded and relayed.value == b"", failure_text(relayed)
    assert "Guard verification rejected" in relayed.logs and not mpc_requests(relayed)
    guard = world.recorder.receipt(relayed, GUARD, "verify")
    assert json.loads(guard["args"][0])["predecessor"] == RELAYER
    assert world.chain.view(GUARD, "verify", json.loads(guard["args"][0]))[:2] == [
        False, "Claim mode: no claim for predecessor"]

    own = world.sign(token, PAYLOAD, guard_id=guard_id, signer=USER)
    assert own.succeeded and not own.receipt_failures, failure_text(own)
    assert mpc_requests(own)[0]["path"] == guard_id + "#" + SUB
