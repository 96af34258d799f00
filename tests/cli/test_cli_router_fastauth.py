"""guardctl router deploy / router show / fastauth deploy, with the router and FastAuth test ports' Wasm.

The happy paths with --create run in tests/e2e (where the deployed contracts
are then used); these cover deploying to existing accounts and the refusals.
"""
from __future__ import annotations

import pytest
from tests.cli.cli_support import unique_name

from devkit.ports import built_port


@pytest.fixture(scope="module")
def fastauth_wasm():
    return built_port("fastauth")


def test_router_deploy_to_an_existing_account_then_refuses_to_redeploy(guardctl, make_account, root, router_wasm):
    account = make_account("router", 10)
    result = guardctl.ok("--account", root.account_id, "router", "deploy", "--router", account.account_id,
                         "--owner", root.account_id, "--wasm", str(router_wasm), "--json").json()
    assert result["owner"] == root.account_id and result["key_file"] is None
    assert set(result["transactions"]) == {"deploy"} and result["gas_burnt"] > 0
    shown = guardctl.ok("router", "show", "--router", account.account_id, "--json").json()
    assert shown == {"router": account.account_id, "owner": root.account_id}

    run = guardctl.fails("--account", root.account_id, "router", "deploy", "--router", account.account_id,
                         "--owner", root.account_id, "--wasm", str(router_wasm))
    assert "already runs an initialised contract (owner" in run.stderr


def test_router_deploy_refusals(guardctl, root, router_wasm, tmp_path):
    not_wasm = tmp_path / "router.wasm"
    not_wasm.write_text("hello")
    run = guardctl.fails("--account", root.account_id, "router", "deploy", "--create", "--router",
                         f"{unique_name('r')}.{root.account_id}", "--owner", root.account_id, "--wasm", str(not_wasm))
    assert "is not a Wasm module" in run.stderr
    run = guardctl.fails("--account", root.account_id, "router", "deploy", "--create", "--router", "elsewhere.near",
                         "--owner", root.account_id, "--wasm", str(router_wasm))
    assert f"can only create its own sub-accounts (*.{root.account_id})" in run.stderr
    run = guardctl.fails("--account", root.account_id, "router", "deploy", "--router",
                         f"{unique_name('r')}.{root.account_id}", "--initial-balance", "5",
                         "--owner", root.account_id, "--wasm", str(router_wasm))
    assert "--initial-balance only applies with --create" in run.stderr
    run = guardctl.fails("router", "show", "--router", f"{unique_name('nobody')}.{root.account_id}")
    assert "does not exist" in run.stderr


def test_router_show_finds_a_registered_guard(guardctl, guard, router, root):
    guardctl.ok("--account", root.account_id, "--guard", guard, "register", "--router", router,
                "--issuer", "https://show.example/")
    shown = guardctl.ok("router", "show", "--router", router, "--issuer", "https://show.example/", "--json").json()
    assert shown["guard"] == guard and shown["guard_id"] == "jwt#https://show.example/"
    text = guardctl.ok("router", "show", "--router", router, "--issuer", "https://other.example/").stdout
    assert "'https://other.example/' → (not registered)" in text


def test_fastauth_deploy_to_an_existing_account(guardctl, make_account, root, router, fastauth_wasm, network):
    account = make_account("fastauth", 10)
    mpc = f"signer.{root.account_id}"
    result = guardctl.ok("--account", root.account_id, "fastauth", "deploy", "--fastauth", account.account_id,
                         "--owner", root.account_id, "--router", router, "--route", f"direct={root.account_id}",
                         "--mpc", mpc, "--wasm", str(fastauth_wasm), "--json").json()
    # FastAuth owned itself for set_mpc_address, then handed over to --owner in the same transaction.
    assert result["owner"] == root.account_id and result["pauser"] == root.account_id
    assert result["mpc_address"] == mpc
    assert result["guards"] == {"jwt": router, "direct": root.account_id}
    text = guardctl.ok("--account", root.account_id, "router", "show", "--router", router).stdout
    assert f"owner  {root.account_id}" in text


def test_fastauth_deploy_refusals(guardctl, root, router, fastauth_wasm):
    for route, message in (("nonsense", "expected PREFIX=ACCOUNT"), ("a#b=x.near", "refuses '#'"),
                           ("jwt=x.near", "given twice")):
        run = guardctl.fails("--account", root.account_id, "fastauth", "deploy", "--create",
                             "--fastauth", f"{unique_name('fa')}.{root.account_id}", "--owner", root.account_id,
                             "--router", router, "--route", route, "--wasm", str(fastauth_wasm))
        assert message in run.stderr, (route, run.stderr)
