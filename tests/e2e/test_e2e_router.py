"""A guard's life as an integrator lives it, through FastAuth's JwtGuardRouter.

Each test deploys its own guard with `guardctl deploy --create`, registers it
in the session's router under its issuer's exact `iss`, administers it with
guardctl, and checks the outcome the way FastAuth sees it: a `router.verify`
transaction returning `[true, sub, issuer]` or `[false, "", ""]`. The guard's
own answer (`[bool, sub | reason]`) and gas are read from the guard's receipt
inside that transaction.
"""
from __future__ import annotations

import time

import pytest
from tests.e2e.e2e_support import SIGN_PAYLOAD, SIGN_PAYLOAD_HEX, TGAS, deploy_guard


def accepted(deployment, verdict, sub="alice"):
    router_answer, guard_answer = verdict
    assert guard_answer == [True, sub], guard_answer
    assert router_answer == [True, sub, deployment.issuer], router_answer


def rejected(verdict, reason):
    router_answer, guard_answer = verdict
    assert router_answer == [False, "", ""], router_answer
    assert guard_answer == [False, reason], guard_answer


# --------------------------------------------------------------------------- set-up


def test_deploy_register_verify_with_the_console_script(guardctl, near, root, router, relayer, wasm, idp_keys):
    """The first hour of an integrator: every step is the installed `guardctl` script."""
    deployment = deploy_guard(guardctl, near, root, router, relayer, wasm, idp_keys, subprocess_=True)
    shown = guardctl.ok("router", "show", "--router", router, "--issuer", deployment.issuer, "--json",
                        subprocess_=True).json()
    assert shown == {"router": router, "owner": root.account_id, "guard_name": deployment.issuer,
                     "guard": deployment.guard, "guard_id": f"jwt#{deployment.issuer}"}

    token = deployment.token("k1", sub="alice")
    outcome = deployment.verify(token)
    assert outcome.value == [True, "alice", deployment.issuer]
    assert outcome.value_of(deployment.guard) == [True, "alice"]
    guard_gas = outcome.gas_of(deployment.guard)
    # The guard must fit inside the ~70 Tgas FastAuth's chain leaves it.
    assert 1 * TGAS < guard_gas < 70 * TGAS, outcome.gas_table()
    print(f"\nrouter.verify receipts:\n{outcome.gas_table()}")

    # The guard's own dry run agrees, as a free view.
    run = guardctl.run("--guard", deployment.guard, "verify", "--token", token, "--payload", SIGN_PAYLOAD_HEX,
                       subprocess_=True)
    assert run.returncode == 0 and run.stdout.startswith("ACCEPTED: sub=alice"), run.stdout + run.stderr


def test_router_refuses_what_the_guard_refuses(deployment):
    token = deployment.token("k1")
    rejected(deployment.verdict(token, payload=SIGN_PAYLOAD + b"!"), "fatxn mismatch")
    # A token from another issuer routed to this guard's name.
    rejected(deployment.verdict(deployment.token("k1", issuer="https://elsewhere.example/")), "Issuer mismatch")
    # A key the guard does not trust: its kid names no stored key, so k1 is tried and fails.
    rejected(deployment.verdict(deployment.token("k2")), "Invalid signature")
    accepted(deployment, deployment.verdict(token))


# --------------------------------------------------------------------------- key rotation


def test_rotation_add_new_key_then_remove_old(deployment):
    old_token = deployment.token("k1", sub="alice")
    new_token = deployment.token("k2", sub="bob")
    rejected(deployment.verdict(new_token), "Invalid signature")

    deployment.as_owner("keys", "add", deployment.keys["k2"]["jwks_json"])
    assert deployment.keys_on_chain() == ["k1", "k2"]
    accepted(deployment, deployment.verdict(old_token), "alice")
    accepted(deployment, deployment.verdict(new_token), "bob")

    deployment.as_owner("keys", "remove", "k1")
    assert deployment.keys_on_chain() == ["k2"]
    # The kid names no stored key any more, so the guard tries k2: the signature does not match.
    rejected(deployment.verdict(old_token), "Invalid signature")
    accepted(deployment, deployment.verdict(new_token), "bob")
    # A freshly minted old-key token fails too: it is the key that is gone, not the token.
    rejected(deployment.verdict(deployment.token("k1")), "Invalid signature")


def test_scheduled_rotation_switches_keys_at_the_set_time(deployment, near):
    at = near.block_time() + 30
    result = deployment.as_owner("keys", "schedule", "--add-key", deployment.keys["k2"]["jwks_json"],
                                 "--at", at, "--retire", "k1", "--json").json()
    states = {row["kid"]: row["state"] for row in result["summary"]}
    assert states == {"k1": "active", "k2": "scheduled"}
    # Tokens outlive the hand-over, so only the keys' windows decide.
    old_token = deployment.token("k1", sub="alice", exp_in=3600)
    new_token = deployment.token("k2", sub="bob", exp_in=3600)

    accepted(deployment, deployment.verdict(old_token), "alice")
    rejected(deployment.verdict(new_token), "No valid key")

    assert near.advance_past(at) > at
    rejected(deployment.verdict(old_token), "No valid key")
    accepted(deployment, deployment.verdict(new_token), "bob")
    listed = deployment.as_owner("keys", "list", "--json").json()
    assert {row["kid"]: row["state"] for row in listed["summary"]} == {"k1": "retired", "k2": "active"}


def test_non_owner_cannot_rotate(deployment, near, guardctl):
    stranger = near.create_account("stranger", 5)
    run = guardctl.fails("--account", stranger.account_id, "--guard", deployment.guard, "keys", "add",
                         deployment.keys["k2"]["jwks_json"])
    assert f"{stranger.account_id} is not the owner of {deployment.guard}" in run.stderr
    # Past the CLI's own check, the contract refuses it too.
    k2 = guardctl.ok("--guard", deployment.guard, "keys", "list", "--json").json()["keys"][0] | {"kid": "k2"}
    outcome = near.call(stranger, deployment.guard, "add_public_key", {"public_key": k2}, gas=30 * TGAS)
    assert not outcome.succeeded
    assert "Only the owner can call this method" in outcome.failure_text
    outcome = near.call(stranger, deployment.guard, "set_public_keys", {"public_keys": [k2]}, gas=30 * TGAS)
    assert "Only the owner can call this method" in outcome.failure_text
    assert deployment.keys_on_chain() == ["k1"]
    accepted(deployment, deployment.verdict(deployment.token("k1")))


# --------------------------------------------------------------------------- administration


def test_pause_stops_every_verify_until_unpause(deployment):
    token = deployment.token("k1")
    accepted(deployment, deployment.verdict(token))
    deployment.as_owner("pause")
    assert deployment.near.view(deployment.guard, "is_paused") is True
    rejected(deployment.verdict(token), "Guard is paused")
    deployment.as_owner("unpause")
    accepted(deployment, deployment.verdict(token))


def test_ownership_transfer_hands_over_rotation_rights(deployment, near, guardctl):
    old_owner = deployment.owner
    new_owner = near.create_account("newowner", 5)
    deployment.as_owner("owner", "propose", new_owner.account_id)
    # Proposing changes nothing yet: the old owner still rules.
    assert near.view(deployment.guard, "owner") == old_owner.account_id
    guardctl.ok("--account", new_owner.account_id, "--guard", deployment.guard, "owner", "accept")
    assert near.view(deployment.guard, "owner") == new_owner.account_id

    run = guardctl.fails("--account", old_owner.account_id, "--guard", deployment.guard, "keys", "add",
                         deployment.keys["k2"]["jwks_json"])
    assert "is not the owner" in run.stderr
    outcome = near.call(old_owner, deployment.guard, "pause", {}, gas=30 * TGAS)
    assert "Only the owner can call this method" in outcome.failure_text

    guardctl.ok("--account", new_owner.account_id, "--guard", deployment.guard, "keys", "add",
                deployment.keys["k2"]["jwks_json"])
    accepted(deployment, deployment.verdict(deployment.token("k2", sub="carol")), "carol")


def test_upgrade_keeps_keys_settings_and_registration(deployment, near, wasm, tmp_path):
    deployment.as_owner("keys", "add", deployment.keys["ed1"]["jwks_json"])
    deployment.as_owner("settings", "set", "--issuer", deployment.issuer)
    keys_before = near.view(deployment.guard, "get_public_keys")
    settings_before = near.view(deployment.guard, "get_settings")
    old_hash = near.code_hash(deployment.guard)

    # The same guard plus a custom section: new code hash, same behaviour.
    new_wasm = tmp_path / "guard-v2.wasm"
    new_wasm.write_bytes(_with_custom_section(wasm["guard"].read_bytes(), "e2e-upgrade", b"v2"))
    result = deployment.as_owner("upgrade", "--wasm", new_wasm, "--json").json()
    assert result["old_code_hash"] == old_hash != result["new_code_hash"] == near.code_hash(deployment.guard)

    assert near.view(deployment.guard, "get_public_keys") == keys_before
    assert near.view(deployment.guard, "get_settings") == settings_before
    assert near.view(deployment.guard, "owner") == deployment.owner.account_id
    accepted(deployment, deployment.verdict(deployment.token("k1", sub="alice")), "alice")
    accepted(deployment, deployment.verdict(deployment.token("ed1", sub="dave")), "dave")


def test_token_expires_with_chain_time(deployment, near):
    token = deployment.token("k1", exp_in=20)
    accepted(deployment, deployment.verdict(token))
    expiry = near.block_time() + 20
    near.advance_past(expiry)
    rejected(deployment.verdict(token), "Token expired")
    # A token minted now, at the new chain time, is fine.
    accepted(deployment, deployment.verdict(deployment.token("k1")))


def test_a_token_stamped_by_the_wall_clock_verifies_on_an_idle_node(deployment):
    """An issuer stamps `nbf` with its own clock; blocks keep coming while nobody transacts, so the
    guard's clock (the block time) keeps up with the wall and the token is valid at once."""
    time.sleep(4)  # nobody sends anything
    now = int(time.time())
    key = deployment.keys["k1"]
    token = deployment.guardctl.ok(
        "token", "--key", key["private_pem"], "--kid", "k1", "--issuer", deployment.issuer, "--sub", "alice",
        "--payload", SIGN_PAYLOAD_HEX, "--iat", now, "--nbf", now - 2, "--exp-in", 10**8,
        "--aud", deployment.guard, network=False).stdout.strip()  # deploy binds the audience to the guard
    # A view (guardctl verify's dry run) reads the head block's time, which no transaction has just moved.
    answer = deployment.near.view(deployment.guard, "verify", {
        "issuer": deployment.issuer, "jwt": token, "sign_payload": list(SIGN_PAYLOAD),
        "predecessor": deployment.relayer.account_id})
    assert answer == [True, "alice"]
    accepted(deployment, deployment.verdict(token))


def test_unregister_removes_the_route(deployment, root, guardctl):
    token = deployment.token("k1")
    accepted(deployment, deployment.verdict(token))
    guardctl.ok("--account", root.account_id, "unregister", "--router", deployment.router,
                "--issuer", deployment.issuer)
    outcome = deployment.near.call(deployment.relayer, deployment.router, "verify", {
        "guard_id": deployment.guard_id, "verify_payload": token, "sign_payload": list(SIGN_PAYLOAD),
        "predecessor": deployment.relayer.account_id})
    assert not outcome.succeeded and "does not exist" in outcome.failure_text


@pytest.mark.parametrize("kid", ["k1", "ed1"])
def test_both_algorithms_verify_through_the_router(deployment, kid):
    if kid != "k1":
        deployment.as_owner("keys", "add", deployment.keys[kid]["jwks_json"])
    outcome = deployment.verify(deployment.token(kid, sub=f"user-{kid}"))
    assert outcome.value == [True, f"user-{kid}", deployment.issuer]
    print(f"\n{kid}: guard burnt {outcome.gas_of(deployment.guard) / TGAS:.2f} Tgas inside router.verify")


def _with_custom_section(wasm: bytes, name: str, payload: bytes) -> bytes:
    def leb128(value: int) -> bytes:
        out = bytearray()
        while True:
            byte, value = value & 0x7F, value >> 7
            out.append(byte | (0x80 if value else 0))
            if not value:
                return bytes(out)
    body = leb128(len(name.encode())) + name.encode() + payload
    return wasm + b"\x00" + leb128(len(body)) + body
