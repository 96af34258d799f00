"""guardctl register / unregister against the JwtGuardRouter test port."""
from __future__ import annotations

import base64
import json

from cli_support import NEAR

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


def test_register_checks_the_signer_can_afford_the_deposit(guardctl, guard, router, make_account):
    poor = make_account("poor", 0.5)
    run = guardctl.fails("--account", poor.account_id, "--guard", guard, "register", "--router", router,
                         "--issuer", ISSUER)
    assert "cannot afford registering" in run.stderr and "1.02112 NEAR" in run.stderr


def test_register_refuses_names_the_router_refuses(guardctl, guard, router, root):
    run = guardctl.fails("--account", root.account_id, "--guard", guard, "register", "--router", router,
                         "--issuer", "https://a.example/#frag")
    assert "'#'" in run.stderr


def test_register_passes_on_the_routers_own_refusal(guardctl, guard, router, make_account):
    # The router port only lets its owner add guards; guardctl reports the panic.
    stranger = make_account("stranger", 5)
    run = guardctl.fails("--account", stranger.account_id, "--guard", guard, "register", "--router", router,
                         "--issuer", ISSUER)
    assert "Smart contract panicked" in run.stderr
