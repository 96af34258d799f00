"""guardctl register / unregister against the JwtGuardRouter test port."""
from __future__ import annotations

import base64
import json

from tests.cli.cli_support import NEAR, deploy_contract

ISSUER = "https://login.example.com/"


def test_register_and_unregister(guardctl, guard, router, root, network):
    result = guardctl.ok("--account", root.account_id, "--guard", guard, "register", "--router", router,
                         "--issuer", ISSUER, "--json").json()
    assert result["guard_id"] == f"jwt#{ISSUER}"
    assert int(result["deposit"]) == 10**19 * (2048 + 64) + NEAR
    assert result["gas_burnt"] > 0
    # The router now maps the issuer's exact iss to the guard.
    args = base64.b64encode(json.dumps({"guard_name": ISSUER}).encode()).decode()
    call = network.rpc("query", {"request_type": "call_function", "finality": "optimistic", "account_id": router,
                                 "method_name": "get_guard", "args_base64": args})
    assert json.loads(bytes(call["result"]["result"])) == guard

    again = guardctl.ok("--account", root.account_id, "--guard", guard, "register", "--router", router,
                        "--issuer", ISSUER, "--json").json()
    assert again["already_registered"] is True

    removed = guardctl.ok("--account", root.account_id, "--guard", guard, "unregister", "--router", router,
                          "--issuer", ISSUER, "--json").json()
    assert removed["removed_guard"] == guard
    run = guardctl.fails("--account", root.account_id, "--guard", guard, "unregister", "--router", router,
                         "--issuer", ISSUER)
    assert "has no guard named" in run.stderr


def test_register_refuses_a_name_taken_by_another_guard(guardctl, guard, router, root, owner, guard_wasm, test_keys):
    guardctl.ok("--account", root.account_id, "--guard", guard, "register", "--router", router, "--issuer", ISSUER)
    other = f"other{guard}"
    guardctl.ok("--account", root.account_id, "--guard", other, "deploy", "--create", "--owner", owner.account_id,
                "--keys", test_keys["rsa1"]["jwks_json"], "--wasm", str(guard_wasm))
    run = guardctl.fails("--account", root.account_id, "--guard", other, "register", "--router", router,
                         "--issuer", ISSUER)
    assert f"already registered to {guard}" in run.stderr


def test_register_checks_the_signer_can_afford_the_deposit(guardctl, guard, network, make_account, router_wasm):
    poor = make_account("poor", 0.5)
    account = make_account("router", 10)
    deploy_contract(network.rpc_url, account, router_wasm.read_bytes(), {"owner": poor.account_id})
    run = guardctl.fails("--account", poor.account_id, "--guard", guard, "register", "--router", account.account_id,
                         "--issuer", ISSUER)
    assert "cannot afford registering" in run.stderr and "1.02112 NEAR" in run.stderr


def test_register_refuses_names_the_router_refuses(guardctl, guard, router, root):
    run = guardctl.fails("--account", root.account_id, "--guard", guard, "register", "--router", router,
                         "--issuer", "https://a.example/#frag")
    assert "'#'" in run.stderr


def test_register_enforces_the_2043_byte_name_limit(guardctl, guard, router, root):
    """The router checks 2048 bytes, but its storage key ("g" + u32 length + name) must fit NEAR's 2048."""
    name = "https://idp.example/" + "x" * (2044 - len("https://idp.example/"))
    run = guardctl.fails("--account", root.account_id, "--guard", guard, "register", "--router", router,
                         "--issuer", name)
    assert run.stderr.strip() == (f"guardctl: error: issuer is 2044 bytes; a router guard name can be at most 2043 "
                                  "bytes (its storage key adds 5 to NEAR's 2048-byte limit)")


def test_a_non_owner_gets_one_line_and_sends_nothing(guardctl, guard, router, root, make_account, network):
    """add_guard is the router owner's only (upstream lib.rs:102, 132): guardctl reads owner()
    first and names the owner and the alternatives instead of sending a failing transaction."""
    stranger = make_account("stranger", 5)
    before = network.rpc("query", {"request_type": "view_account", "finality": "optimistic",
                                   "account_id": stranger.account_id})
    run = guardctl.fails("--account", stranger.account_id, "--guard", guard, "register", "--router", router,
                         "--issuer", ISSUER)
    lines = run.stderr.strip().splitlines()
    assert lines == [
        f"guardctl: error: only {router}'s owner {root.account_id} can add guards, not {stranger.account_id}; "
        f"ask {root.account_id} to register {guard} as {ISSUER!r}, deploy your own router with "
        "'guardctl router deploy', or have FastAuth's owner register the guard directly (FastAuth add_guard)"]
    after = network.rpc("query", {"request_type": "view_account", "finality": "optimistic",
                                  "account_id": stranger.account_id})
    assert after["result"]["amount"] == before["result"]["amount"]  # no transaction, no gas
