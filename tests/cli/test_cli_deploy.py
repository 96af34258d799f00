"""guardctl build / deploy / upgrade / info against a real node."""
from __future__ import annotations

import hashlib
import json
import shutil
import stat
import subprocess

import base58

from tests.cli.cli_support import GUARDCTL, REPO_ROOT, unique_name, with_custom_section
from guardctl.credentials import generate_identity, save_identity

ISSUER = "https://idp.example/"


def code_hash(wasm: bytes) -> str:
    return base58.b58encode(hashlib.sha256(wasm).digest()).decode()


def test_build_reuses_the_cached_wasm(guardctl, guard_wasm, tmp_path):
    out = tmp_path / "guard.wasm"
    result = guardctl.ok("build", "--out", str(out), "--json", network=False).json()
    assert result["cached"] is True  # guard_wasm built the same sources already
    assert out.read_bytes() == guard_wasm.read_bytes()
    assert result["code_hash"] == code_hash(guard_wasm.read_bytes())


def build_with_rules(guardctl, tmp_path, rules_text):
    """`guardctl build` of a copy of the guard whose custom_rules.py is `rules_text`, expected to fail."""
    contract = tmp_path / "contract"
    shutil.copytree(REPO_ROOT / "contract", contract,
                    ignore=shutil.ignore_patterns("build", "__pycache__", "runtime", "*.md"))
    (contract / "custom_rules.py").write_text(rules_text)
    run = guardctl.fails("build", "--contract", str(contract / "guard.py"), "--out", str(tmp_path / "g.wasm"),
                         network=False)
    assert not (tmp_path / "g.wasm").exists()
    return run


def test_build_refuses_a_custom_rule_that_imports_what_the_runtime_lacks(guardctl, tmp_path):
    run = build_with_rules(guardctl, tmp_path, "import re\n" + (REPO_ROOT / "contract" / "custom_rules.py").read_text())
    assert run.stderr_lines == [
        "guardctl: error: build failed: contract/custom_rules.py:1 imports 're', which the contract's runtime leaves "
        "out (it has binascii, json, near, sys, ubinascii and the contract's own modules; see builtin-modules and "
        "cflags in contract/pyproject.toml): on chain that import would fail every call that reaches it"]


def test_build_refuses_a_custom_rule_that_calls_a_near_function_the_runtime_leaves_out(guardctl, tmp_path):
    run = build_with_rules(guardctl, tmp_path, "import near\n\n\ndef check_custom_rules(claims, sign_payload, "
                           "predecessor):\n    return None if near.keccak256(b\"x\") else \"no\"\n")
    assert run.stderr_lines == [
        "guardctl: error: build failed: contract/custom_rules.py:5 uses near.keccak256, which the contract's "
        "runtime leaves out (see cflags and near-functions in contract/pyproject.toml): on chain it would fail "
        "every call that reaches it"]


def test_deploy_create_sets_up_an_initialised_guard(guardctl, root, owner, guard_wasm, test_keys, credentials_dir):
    guard = f"{unique_name('guard')}.{root.account_id}"
    run = guardctl.ok("--account", root.account_id, "--guard", guard, "--progress", "--json",
                      "deploy", "--create", "--initial-balance", "6", "--owner", owner.account_id,
                      "--keys", test_keys["rsa1"]["jwks_json"], "--keys", test_keys["ed1"]["public_pem"],
                      "--kid", "ed1", "--audience", "my-app", "--issuer", "https://idp.example/",
                      "--wasm", str(guard_wasm))
    result = run.json()
    assert result["owner"] == owner.account_id
    assert result["code_hash"] == code_hash(guard_wasm.read_bytes())
    assert [key["kid"] for key in result["keys"]] == ["rsa1", "ed1"]
    assert result["settings"] == {"audience": "my-app", "issuers": ["https://idp.example/"]}
    assert result["transactions"]["create"]["gas_burnt"] > 0
    assert result["transactions"]["deploy"]["gas_burnt"] > 0
    assert result["gas_burnt"] == sum(tx["gas_burnt"] for tx in result["transactions"].values())
    # Progress goes to stderr, the result alone to stdout.
    assert any("deploying" in line for line in run.stderr_lines)
    key_file = credentials_dir / guardctl.network_name / f"{guard}.json"
    assert json.loads(key_file.read_text())["account_id"] == guard
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    info = guardctl.ok("--guard", guard, "info", "--json").json()
    assert info["owner"] == owner.account_id and info["paused"] is False
    assert [key["state"] for key in info["keys"]] == ["active", "active"]
    shown = guardctl.ok("--guard", guard, "info").stdout
    assert f"owner           {owner.account_id}" in shown


def test_deploy_prints_gas_in_text_mode(guardctl, root, owner, guard_wasm, test_keys):
    guard = f"{unique_name('guard')}.{root.account_id}"
    out = guardctl.ok("--account", root.account_id, "--guard", guard, "deploy", "--create",
                      "--owner", owner.account_id, "--keys", test_keys["rsa1"]["public_pem"], "--kid", "k",
                      "--wasm", str(guard_wasm)).stdout
    assert f"deployed guard {guard}" in out
    assert "deploy: gas burnt" in out and "Tgas" in out
    assert "total gas burnt" in out


def test_deploy_binds_the_audience_to_the_guard_by_default(guardctl, root, owner, guard_wasm, test_keys):
    """Secure by default (upstream auth0-guard b9c1fbc requires aud = its account): a guard
    deployed with defaults refuses a token minted for another account and accepts its own."""
    guard = f"{unique_name('guard')}.{root.account_id}"
    result = guardctl.ok("--account", root.account_id, "--guard", guard, "deploy", "--create",
                         "--owner", owner.account_id, "--keys", test_keys["rsa1"]["jwks_json"],
                         "--wasm", str(guard_wasm), "--json").json()
    assert result["settings"] == {"audience": guard}

    def verdict(*aud: str) -> dict:
        token = guardctl.ok("--guard", guard, "token", "--key", test_keys["rsa1"]["private_pem"], "--kid", "rsa1",
                            "--issuer", ISSUER, "--sub", "alice", "--payload", "0a0b", *aud,
                            network=False).stdout.strip()
        return guardctl.raw("--guard", guard, "verify", "--token", token, "--payload", "0a0b", "--issuer", ISSUER,
                            "--json").json()

    assert verdict()["accepted"] is True  # `guardctl token --guard G` puts aud=G
    other = verdict("--aud", f"other.{root.account_id}")
    assert other["accepted"] is False and other["reason"] == "Audience mismatch"
    assert verdict("--aud", "")["reason"] == "Audience mismatch"  # no aud at all
    assert "risk:" not in guardctl.ok("--guard", guard, "settings", "show").stdout


def test_deploy_no_audience_says_what_it_allows(guardctl, root, owner, guard_wasm, test_keys):
    guard = f"{unique_name('guard')}.{root.account_id}"
    run = guardctl.ok("--account", root.account_id, "--guard", guard, "deploy", "--create",
                      "--owner", owner.account_id, "--keys", test_keys["rsa1"]["jwks_json"], "--no-audience",
                      "--wasm", str(guard_wasm), "--json")
    assert run.json()["settings"] == {}
    [warning] = [line for line in run.stderr_lines if "warning" in line]
    assert warning.startswith("guardctl: warning: --no-audience: this guard will not check aud, so it accepts any "
                              "token its keys verify, including tokens the issuer minted for another guard")
    shown = guardctl.ok("--guard", guard, "settings", "show").stdout.splitlines()
    assert shown[-1] == (f"risk: without an audience this guard accepts tokens minted for any other guard or app "
                         f"that trusts the same keys; bind it with 'guardctl settings set --audience {guard}' once "
                         f"the issuer puts aud={guard} in its tokens")
    both = guardctl.fails("--account", root.account_id, "--guard", f"x{guard}", "deploy", "--create", "--owner",
                          owner.account_id, "--keys", test_keys["rsa1"]["jwks_json"], "--no-audience",
                          "--audience", "a", "--wasm", str(guard_wasm))
    assert both.stderr.strip() == "guardctl: error: --audience and --no-audience contradict each other; give one"


def test_deploy_to_an_existing_account_signs_as_the_guard(guardctl, make_account, owner, guard_wasm, test_keys):
    account = make_account("plain", 8)
    guardctl.ok("--guard", account.account_id, "deploy", "--owner", owner.account_id,
                "--keys", test_keys["rsa2"]["jwks_json"], "--wasm", str(guard_wasm))
    assert guardctl.ok("--guard", account.account_id, "owner", "show", "--json").json()["owner"] == owner.account_id
    # A second deploy would re-initialise: refused before any transaction.
    run = guardctl.fails("--guard", account.account_id, "deploy", "--owner", owner.account_id,
                         "--keys", test_keys["rsa2"]["jwks_json"], "--wasm", str(guard_wasm))
    assert "already runs an initialised guard" in run.stderr


def test_deploy_refuses_a_balance_that_cannot_pay_for_storage(guardctl, root, owner, guard_wasm, test_keys):
    guard = f"{unique_name('guard')}.{root.account_id}"
    run = guardctl.fails("--account", root.account_id, "--guard", guard, "deploy", "--create",
                         "--initial-balance", "0.5", "--owner", owner.account_id,
                         "--keys", test_keys["rsa1"]["jwks_json"], "--wasm", str(guard_wasm))
    assert "cannot pay for the guard's storage" in run.stderr


def test_deploy_refuses_creating_an_account_outside_the_signers_namespace(guardctl, root, owner, guard_wasm, test_keys):
    run = guardctl.fails("--account", root.account_id, "--guard", "elsewhere.near", "deploy", "--create",
                         "--owner", owner.account_id, "--keys", test_keys["rsa1"]["jwks_json"],
                         "--wasm", str(guard_wasm))
    assert "can only create its own sub-accounts" in run.stderr


def test_upgrade_replaces_the_code_and_keeps_the_state(guardctl, guard, owner, guard_wasm, tmp_path):
    new_wasm = with_custom_section(guard_wasm.read_bytes(), "guardctl-test", b"upgrade")
    path = tmp_path / "new.wasm"
    path.write_bytes(new_wasm)
    before = guardctl.ok("--guard", guard, "keys", "list", "--json").json()["keys"]
    result = guardctl.ok("--account", owner.account_id, "--guard", guard, "upgrade", "--wasm", str(path),
                         "--json").json()
    assert result["old_code_hash"] == code_hash(guard_wasm.read_bytes())
    assert result["new_code_hash"] == code_hash(new_wasm)
    assert result["gas_burnt"] > 0
    assert guardctl.ok("--guard", guard, "info", "--json").json()["code_hash"] == code_hash(new_wasm)
    assert guardctl.ok("--guard", guard, "keys", "list", "--json").json()["keys"] == before
    assert result["owner"] == owner.account_id


def test_upgrade_refuses_code_that_cannot_verify_and_changes_nothing(guardctl, guard, owner, guard_wasm,
                                                                    broken_guard_wasm, router_wasm, plain_wasm):
    before = guardctl.ok("--guard", guard, "info", "--json").json()
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "upgrade", "--wasm", str(broken_guard_wasm))
    assert run.stderr_lines == [
        f"guardctl: error: refusing to upgrade {guard}: tried on the embedded engine first, verify of a valid test "
        'token answered [false, "Verification error"] (an exception in the guard, e.g. a custom rule failing on '
        "chain); nothing was sent (--skip-preflight sends it untried)"]
    # Not a guard at all: update_contract deploys it and the router's own `migrate` (upstream's,
    # which the port follows) succeeds, but it has no get_public_keys.
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "upgrade", "--wasm", str(router_wasm))
    assert run.stderr_lines == [
        f"guardctl: error: refusing to upgrade {guard}: tried on the embedded engine first, get_public_keys failed: "
        "MethodResolveError(MethodNotFound); nothing was sent (--skip-preflight sends it untried)"]
    after = guardctl.ok("--guard", guard, "info", "--json").json()
    assert after["code_hash"] == before["code_hash"] == code_hash(guard_wasm.read_bytes())
    assert after == before
    # Sent untried, code without a migrate method is refused by the chain, which says what that means.
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "upgrade", "--wasm", str(plain_wasm),
                         "--skip-preflight")
    assert "MethodResolveError(MethodNotFound)" in run.stderr and "it is not a guard" in run.stderr
    assert f"{guard} still runs its old code" in run.stderr and len(run.stderr_lines) == 1
    assert guardctl.ok("--guard", guard, "info", "--json").json()["code_hash"] == before["code_hash"]


def test_deploy_refuses_code_that_cannot_verify(guardctl, root, owner, broken_guard_wasm, test_keys):
    guard = f"{unique_name('guard')}.{root.account_id}"
    run = guardctl.fails("--account", root.account_id, "--guard", guard, "deploy", "--create",
                         "--owner", owner.account_id, "--keys", test_keys["rsa1"]["jwks_json"],
                         "--wasm", str(broken_guard_wasm))
    assert "refusing to deploy to" in run.stderr and '[false, "Verification error"]' in run.stderr
    assert f"guard {guard} does not exist" in guardctl.fails("--guard", guard, "info").stderr  # not even created


def test_deploy_lock_leaves_no_full_access_key_and_the_owner_can_still_upgrade(guardctl, root, owner, guard_wasm,
                                                                             test_keys, tmp_path):
    guard = f"{unique_name('guard')}.{root.account_id}"
    result = guardctl.ok("--account", root.account_id, "--guard", guard, "deploy", "--create", "--lock",
                         "--owner", owner.account_id, "--keys", test_keys["rsa1"]["jwks_json"],
                         "--wasm", str(guard_wasm), "--json").json()
    assert result["full_access_keys"] == [] and result["key_file"] is None
    info = guardctl.ok("--guard", guard, "info", "--json")
    assert info.json()["locked"] is True and info.json()["access_keys"] == []
    assert "warning" not in info.stderr
    assert "no full-access key" in guardctl.ok("--guard", guard, "info").stdout
    new_wasm = tmp_path / "new.wasm"
    new_wasm.write_bytes(with_custom_section(guard_wasm.read_bytes(), "guardctl-test", b"locked"))
    guardctl.ok("--account", owner.account_id, "--guard", guard, "upgrade", "--wasm", str(new_wasm))
    assert guardctl.ok("--guard", guard, "info", "--json").json()["code_hash"] == code_hash(new_wasm.read_bytes())


def test_info_warns_about_full_access_keys_and_lock_deletes_them(guardctl, guard, owner, credentials_dir):
    info = guardctl.ok("--guard", guard, "info", "--json")
    assert info.json()["locked"] is False and len(info.json()["full_access_keys"]) == 1
    assert "full-access key(s): whoever holds one can deploy any code" in info.stderr
    assert "NOT locked" in guardctl.ok("--guard", guard, "info").stdout
    key_file = credentials_dir / guardctl.network_name / f"{guard}.json"
    locked = guardctl.ok("--guard", guard, "--key-file", str(key_file), "lock", "--json").json()
    assert locked["changed"] is True and locked["deleted_keys"] == info.json()["full_access_keys"]
    assert guardctl.ok("--guard", guard, "info", "--json").json()["locked"] is True
    again = guardctl.ok("--guard", guard, "lock")
    assert "nothing to do" in again.stdout


def test_lock_is_refused_for_a_guard_that_owns_itself(guardctl, root, test_keys, guard_wasm):
    guard = f"{unique_name('guard')}.{root.account_id}"
    run = guardctl.fails("--account", root.account_id, "--guard", guard, "deploy", "--create", "--lock",
                         "--owner", guard, "--keys", test_keys["rsa1"]["jwks_json"], "--wasm", str(guard_wasm))
    assert f"cannot lock {guard}: it owns itself" in run.stderr


def test_upgrade_refuses_a_file_that_is_not_wasm(guardctl, guard, owner, tmp_path):
    path = tmp_path / "not.wasm"
    path.write_bytes(b"hello")
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "upgrade", "--wasm", str(path))
    assert "not a Wasm module" in run.stderr


def test_config_file_supplies_defaults(guardctl, guard, owner, tmp_path):
    (tmp_path / "guardctl.toml").write_text(
        f'network = "{guardctl.network_name}"\nrpc = "{guardctl.rpc_url}"\nguard = "{guard}"\n'
        f'account = "{owner.account_id}"\n')
    completed = subprocess.run([*GUARDCTL, "owner", "show", "--json"], capture_output=True, text=True,
                               cwd=tmp_path, env=guardctl.environment(), timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["owner"] == owner.account_id


def test_deploy_create_reuses_a_stored_key_whose_account_was_never_created(guardctl, root, owner, guard_wasm,
                                                                           test_keys, network):
    guard = f"{unique_name('guard')}.{root.account_id}"
    stored = generate_identity(guard)
    save_identity(stored, guardctl.network_name, {"NEAR_CREDENTIALS_DIR": str(guardctl.credentials_dir)})
    guardctl.ok("--account", root.account_id, "--guard", guard, "deploy", "--create", "--owner", owner.account_id,
                "--keys", test_keys["rsa1"]["jwks_json"], "--wasm", str(guard_wasm))
    keys = network.rpc("query", {"request_type": "view_access_key_list", "finality": "optimistic",
                                 "account_id": guard})["result"]["keys"]
    assert [key["public_key"] for key in keys] == [stored.public_key]
