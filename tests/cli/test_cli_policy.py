"""guardctl policy show | set FILE | clear | claim-mode on|off, and claim / unclaim, on a real node."""
from __future__ import annotations

import hashlib
import json

import pytest

from tests.cli.cli_support import unique_name
from localnet import borsh
from localnet.primitives import FunctionCall, Transaction, Transfer

ISSUER = "https://idp.example/"
NEAR = 10**24
TGAS = 10**12

POLICY_TOML = """
receivers = ["wrap.near", "*.pool.near"]
actions = ["FunctionCall", "Transfer"]
max_deposit_per_action = "1 NEAR"
max_deposit_total = "1.5 NEAR"
max_gas = "100 Tgas"
signer_claim = "near_account"

[methods]
"wrap.near" = ["near_deposit", "ft_transfer"]
"*.pool.near" = ["deposit_and_stake"]
"""

NORMALISED = {
    "receivers": ["wrap.near", "*.pool.near"],
    "actions": ["FunctionCall", "Transfer"],
    "methods": {"wrap.near": ["near_deposit", "ft_transfer"], "*.pool.near": ["deposit_and_stake"]},
    "max_deposit_per_action": str(NEAR),
    "max_deposit_total": str(3 * NEAR // 2),
    "max_gas": str(100 * TGAS),
    "signer_claim": "near_account",
}


def payload_hex(receiver: str, *actions) -> str:
    tx = Transaction(signer_id="alice.near", public_key=bytes(33), nonce=1, receiver_id=receiver,
                     block_hash=bytes(32), actions=tuple(actions))
    return borsh.encode_transaction(tx).hex()


def mint(guardctl, key: dict, payload: str, *extra: str) -> str:
    return guardctl.ok("token", "--key", key["private_pem"], "--issuer", ISSUER, "--sub", "alice",
                       "--kid", key["kid"], "--payload", payload, *extra, network=False).stdout.strip()


def show(guardctl, guard) -> dict:
    return guardctl.ok("--guard", guard, "policy", "show", "--json").json()


def test_policy_show_set_from_toml_and_clear(guardctl, guard, owner, tmp_path):
    assert show(guardctl, guard) == {"guard": guard, "policy": None, "claim_mode": False}
    assert "policy: none" in guardctl.ok("--guard", guard, "policy", "show").stdout

    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(POLICY_TOML)
    run = guardctl.ok("--account", owner.account_id, "--guard", guard, "policy", "set", str(policy_file))
    assert "policy set from" in run.stdout and "max gas per call: 100.00 Tgas" in run.stdout
    assert "max deposit per action: 1 NEAR" in run.stdout
    assert show(guardctl, guard)["policy"] == NORMALISED

    cleared = guardctl.ok("--account", owner.account_id, "--guard", guard, "policy", "clear", "--json").json()
    assert cleared["policy"] is None
    again = guardctl.ok("--account", owner.account_id, "--guard", guard, "policy", "clear", "--json").json()
    assert again["changed"] is False


def test_policy_set_from_json_and_from_show_output(guardctl, guard, owner, tmp_path):
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps({"receivers": ["wrap.near"], "max_gas": 30 * TGAS}))
    guardctl.ok("--account", owner.account_id, "--guard", guard, "policy", "set", str(policy_file))
    shown = show(guardctl, guard)
    assert shown["policy"] == {"receivers": ["wrap.near"], "max_gas": str(30 * TGAS)}
    # `policy show --json` output is a valid input (a backup / restore round trip)
    backup = tmp_path / "backup.json"
    backup.write_text(json.dumps(shown))
    guardctl.ok("--account", owner.account_id, "--guard", guard, "policy", "clear")
    guardctl.ok("--account", owner.account_id, "--guard", guard, "policy", "set", str(backup))
    assert show(guardctl, guard)["policy"] == shown["policy"]


@pytest.mark.parametrize("content,suffix,message", [
    ('{"recievers": ["wrap.near"]}', ".json", "Invalid policy: unknown field recievers"),
    ('{"receivers": []}', ".json", "receivers must be a list of 1 to 32"),
    ('receivers = "wrap.near"', ".toml", "receivers must be a list"),
    ('{"max_deposit_total": "lots NEAR"}', ".json", "max_deposit_total: not a NEAR amount"),
    ('{"max_gas": "1.5e3x Tgas"}', ".json", "not a gas amount"),
    ('{"policy": null}', ".json", "use 'guardctl policy clear'"),
    ("[1, 2]", ".json", "a policy is a JSON object"),
    ("not json {", ".json", "is not valid JSON"),
    ("= broken", ".toml", "is not valid TOML"),
])
def test_policy_set_refuses_bad_files_before_sending(guardctl, guard, owner, tmp_path, content, suffix, message):
    policy_file = tmp_path / f"policy{suffix}"
    policy_file.write_text(content)
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "policy", "set", str(policy_file))
    assert message in run.stderr
    assert show(guardctl, guard)["policy"] is None


def test_only_the_owner_sets_the_policy_or_claim_mode(guardctl, guard, make_account, tmp_path):
    stranger = make_account("stranger", 2)
    policy_file = tmp_path / "policy.json"
    policy_file.write_text('{"receivers": ["wrap.near"]}')
    run = guardctl.fails("--account", stranger.account_id, "--guard", guard, "policy", "set", str(policy_file))
    assert "is not the owner" in run.stderr
    run = guardctl.fails("--account", stranger.account_id, "--guard", guard, "policy", "claim-mode", "on")
    assert "is not the owner" in run.stderr


def test_policy_decides_verify(guardctl, guard, owner, test_keys, tmp_path):
    policy_file = tmp_path / "policy.json"
    policy_file.write_text('{"receivers": ["wrap.near"], "max_deposit_total": "1 NEAR"}')
    guardctl.ok("--account", owner.account_id, "--guard", guard, "policy", "set", str(policy_file))
    for receiver, deposit, expected in (("wrap.near", NEAR, None), ("evil.near", 1, "Policy: receiver not allowed"),
                                        ("wrap.near", NEAR + 1, "Policy: total deposit too high")):
        payload = payload_hex(receiver, Transfer(deposit))
        token = mint(guardctl, test_keys["ed1"], payload)
        run = guardctl.raw("--guard", guard, "verify", "--token", token, "--payload", payload, "--json")
        if expected is None:
            assert run.returncode == 0 and run.json()["accepted"] is True
        else:
            assert run.returncode == 3 and run.json()["reason"] == expected, run.stdout


def test_claim_mode_claim_and_unclaim(guardctl, guard, owner, make_account, test_keys, tmp_path):
    user = make_account("user", 5)
    other = make_account("other", 5)
    payload = payload_hex("wrap.near", FunctionCall("ft_transfer", b"{}", 30 * TGAS, 1))
    token = mint(guardctl, test_keys["ed1"], payload)
    token_file = tmp_path / "token.jwt"
    token_file.write_text(token)

    on = guardctl.ok("--account", owner.account_id, "--guard", guard, "policy", "claim-mode", "on", "--json").json()
    assert on["claim_mode"] is True
    assert "claim mode: on" in guardctl.ok("--guard", guard, "policy", "show").stdout

    def verify(predecessor):
        return guardctl.raw("--account", predecessor, "--guard", guard, "verify", "--token", token,
                            "--payload", payload, "--predecessor", predecessor, "--json")

    run = verify(user.account_id)
    assert run.returncode == 3 and run.json()["reason"] == "Claim mode: no claim for predecessor"

    claimed = guardctl.ok("--account", user.account_id, "--guard", guard, "claim", "--token", f"@{token_file}",
                          "--json").json()
    assert claimed["jwt_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert int(claimed["storage_deposit"]) == 2 * (2 + len(user.account_id) + 32 + 40) * 10**19
    again = guardctl.ok("--account", user.account_id, "--guard", guard, "claim", "--token", token, "--json").json()
    assert again["changed"] is False

    assert verify(user.account_id).returncode == 0
    run = verify(other.account_id)
    assert run.returncode == 3 and run.json()["reason"] == "Claim mode: no claim for predecessor"
    run = guardctl.fails("--account", other.account_id, "--guard", guard, "claim", "--token", token)
    assert "already claimed by another account" in run.stderr

    unclaimed = guardctl.ok("--account", user.account_id, "--guard", guard, "unclaim", "--json").json()
    assert int(unclaimed["refund"]) == int(claimed["storage_deposit"]) + 1
    run = guardctl.fails("--account", user.account_id, "--guard", guard, "unclaim")
    assert "has no claim" in run.stderr
    assert verify(user.account_id).returncode == 3

    off = guardctl.ok("--account", owner.account_id, "--guard", guard, "policy", "claim-mode", "off", "--json").json()
    assert off["claim_mode"] is False
    assert verify(other.account_id).returncode == 0


def test_claim_warns_when_claim_mode_is_off(guardctl, guard, make_account, test_keys):
    user = make_account("user", 5)
    token = mint(guardctl, test_keys["ed1"], "00")
    run = guardctl.ok("--account", user.account_id, "--guard", guard, "claim", "--token", token)
    assert "claim mode is off" in run.stdout


def test_deploy_with_a_policy_and_claim_mode(guardctl, root, owner, guard_wasm, test_keys, tmp_path):
    """`deploy --policy FILE --claim-mode`: init sets both, so the guard never runs without them."""
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(POLICY_TOML)
    guard = f"{unique_name('guard')}.{root.account_id}"
    run = guardctl.ok("--account", root.account_id, "--guard", guard, "--json", "deploy", "--create",
                      "--owner", owner.account_id, "--keys", test_keys["rsa1"]["jwks_json"],
                      "--policy", str(policy_file), "--claim-mode", "--wasm", str(guard_wasm))
    result = run.json()
    assert result["policy"] == NORMALISED and result["claim_mode"] is True
    assert show(guardctl, guard) == {"guard": guard, "policy": NORMALISED, "claim_mode": True}


def test_deploy_refuses_an_invalid_policy_before_any_transaction(guardctl, root, owner, guard_wasm, test_keys,
                                                                 tmp_path):
    policy_file = tmp_path / "policy.json"
    policy_file.write_text('{"receivers": "wrap.near"}')
    guard = f"{unique_name('guard')}.{root.account_id}"
    run = guardctl.fails("--account", root.account_id, "--guard", guard, "deploy", "--create",
                         "--owner", owner.account_id, "--keys", test_keys["rsa1"]["jwks_json"],
                         "--policy", str(policy_file), "--wasm", str(guard_wasm))
    assert run.stderr.startswith("guardctl: error: ") and "policy.json" in run.stderr
    assert "Traceback" not in run.stderr
    assert guardctl.fails("--guard", guard, "info").returncode != 0  # the account was never created
