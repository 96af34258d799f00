"""guardctl token (test tokens) and verify (the guard's verdict as a dry run)."""
from __future__ import annotations

import jwt

from tests.cli.cli_support import unique_name

ISSUER = "https://idp.example/"
PAYLOAD = "0a0b0c0d"


def mint(guardctl, key: dict, *extra: str, payload: str = PAYLOAD) -> str:
    return guardctl.ok("token", "--key", key["private_pem"], "--issuer", ISSUER, "--sub", "alice",
                       "--kid", key["kid"], "--payload", payload, *extra, network=False).stdout.strip()


def test_token_carries_the_payload_as_fatxn(guardctl, test_keys, tmp_path):
    payload_file = tmp_path / "tx.bin"
    payload_file.write_bytes(bytes([0, 1, 2, 255]))
    result = guardctl.ok("token", "--key", test_keys["rsa1"]["private_pem"], "--issuer", ISSUER, "--sub", "bob",
                         "--payload", f"@{payload_file}", "--aud", "app", "--exp-in", "60",
                         "--claim", "scope=\"sign\"", "--json", network=False).json()
    header = jwt.get_unverified_header(result["token"])
    assert header["alg"] == "RS256"
    claims = jwt.decode(result["token"], options={"verify_signature": False})
    assert claims["fatxn"] == [0, 1, 2, 255]
    assert claims["exp"] - claims["iat"] == 60
    assert claims["aud"] == "app" and claims["scope"] == "sign" and claims["sub"] == "bob"
    ed_token = mint(guardctl, test_keys["ed1"])
    assert jwt.get_unverified_header(ed_token) == {"alg": "EdDSA", "kid": "ed1", "typ": "JWT"}


def test_verify_accepts_a_valid_token(guardctl, guard, test_keys):
    token = mint(guardctl, test_keys["rsa1"])
    run = guardctl.ok("--guard", guard, "verify", "--token", token, "--payload", PAYLOAD)
    assert run.stdout.startswith("ACCEPTED: sub=alice")
    assert "does not report gas for views" in run.stdout
    result = guardctl.ok("--guard", guard, "verify", "--token", token, "--payload", PAYLOAD, "--json").json()
    assert result["accepted"] is True and result["sub"] == "alice" and result["mode"] == "view"
    assert result["arguments"]["issuer"] == ISSUER


def test_verify_with_guard_id_and_eddsa_token_from_a_file(guardctl, guard, test_keys, tmp_path):
    token_file = tmp_path / "token.jwt"
    token_file.write_text(mint(guardctl, test_keys["ed1"]) + "\n")
    result = guardctl.ok("--guard", guard, "verify", "--token", f"@{token_file}", "--payload", PAYLOAD,
                         "--guard-id", f"jwt#{ISSUER}", "--json").json()
    assert result["accepted"] is True and result["arguments"]["guard_id"] == f"jwt#{ISSUER}"


def test_verify_reports_rejections_with_exit_code_3(guardctl, guard, test_keys):
    token = mint(guardctl, test_keys["rsa1"])
    run = guardctl.raw("--guard", guard, "verify", "--token", token, "--payload", "ffff")
    assert run.returncode == 3 and run.stderr == ""
    assert run.stdout.startswith("REJECTED: ") and "fatxn" in run.stdout
    expired = mint(guardctl, test_keys["rsa1"], "--exp-in", "-60")
    run = guardctl.raw("--guard", guard, "verify", "--token", expired, "--payload", PAYLOAD, "--json")
    assert run.returncode == 3 and run.json()["accepted"] is False
    wrong_issuer = guardctl.raw("--guard", guard, "verify", "--token", token, "--payload", PAYLOAD,
                                "--issuer", "https://other.example/", "--json")
    assert wrong_issuer.returncode == 3


def test_verify_of_a_paused_guard_fails(guardctl, guard, owner, test_keys):
    token = mint(guardctl, test_keys["rsa1"])
    guardctl.ok("--account", owner.account_id, "--guard", guard, "pause")
    run = guardctl.raw("--guard", guard, "verify", "--token", token, "--payload", PAYLOAD, "--json")
    assert run.returncode == 3 and run.json()["reason"] == "Guard is paused"
    guardctl.ok("--account", owner.account_id, "--guard", guard, "unpause")
    guardctl.ok("--guard", guard, "verify", "--token", token, "--payload", PAYLOAD)


def test_verify_as_a_transaction_reports_gas(guardctl, guard, owner, test_keys):
    token = mint(guardctl, test_keys["rsa1"])
    result = guardctl.ok("--account", owner.account_id, "--guard", guard, "verify", "--token", token,
                         "--payload", PAYLOAD, "--as-transaction", "--json").json()
    assert result["accepted"] is True and result["mode"] == "transaction"
    assert result["gas_burnt"] > 0
    assert result["arguments"]["predecessor"] == owner.account_id
    text = guardctl.ok("--account", owner.account_id, "--guard", guard, "verify", "--token", token,
                       "--payload", PAYLOAD, "--as-transaction").stdout
    assert "gas burnt" in text


def test_verify_honours_the_audience_setting(guardctl, guard, owner, test_keys):
    guardctl.ok("--account", owner.account_id, "--guard", guard, "settings", "set", "--audience", "app-1")
    without_aud = mint(guardctl, test_keys["rsa1"])
    assert guardctl.raw("--guard", guard, "verify", "--token", without_aud, "--payload", PAYLOAD).returncode == 3
    with_aud = mint(guardctl, test_keys["rsa1"], "--aud", "app-1")
    guardctl.ok("--guard", guard, "verify", "--token", with_aud, "--payload", PAYLOAD)


def test_a_rotated_in_key_signs_once_added(guardctl, guard, owner, test_keys):
    token = mint(guardctl, test_keys["rsa2"])
    assert guardctl.raw("--guard", guard, "verify", "--token", token, "--payload", PAYLOAD).returncode == 3
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "add", test_keys["rsa2"]["jwks_json"])
    guardctl.ok("--guard", guard, "verify", "--token", token, "--payload", PAYLOAD)


def test_keygen_refuses_to_overwrite(guardctl, tmp_path):
    prefix = str(tmp_path / unique_name("k"))
    guardctl.ok("keygen", "--out", prefix, "--ed25519", network=False)
    run = guardctl.fails("keygen", "--out", prefix, "--ed25519", network=False)
    assert "--force" in run.stderr
    guardctl.ok("keygen", "--out", prefix, "--force", network=False)


def test_tx_builds_the_borsh_bytes_the_guard_decodes(guardctl, owner, tmp_path):
    out = tmp_path / "tx.bin"
    # Offline: every field given.
    result = guardctl.ok("tx", "--signer", "alice.near", "--receiver", "wrap.near", "--call", "ft_transfer",
                         "--args", '{"receiver_id": "bob.near", "amount": "5"}', "--deposit", "1yocto",
                         "--public-key", "ed25519:11111111111111111111111111111111", "--nonce", "7",
                         "--block-hash", "11111111111111111111111111111111", "--out", str(out), "--json",
                         network=False).json()
    from localnet import borsh
    from localnet.primitives import FunctionCall, Transaction

    expected = borsh.encode_transaction(Transaction(
        "alice.near", bytes(33), 7, "wrap.near", bytes(32),
        (FunctionCall("ft_transfer", b'{"receiver_id":"bob.near","amount":"5"}', 30 * 10**12, 1),)))
    assert out.read_bytes() == expected and result["hex"] == expected.hex() and result["size"] == len(expected)
    assert result["transaction"]["actions"] == [{"kind": "FunctionCall", "method_name": "ft_transfer",
                                                 "args": '{"receiver_id":"bob.near","amount":"5"}',
                                                 "gas": 30 * 10**12, "deposit": 1}]
    # Online: the signer's key, next nonce and a recent block come from the network.
    text = guardctl.ok("--account", owner.account_id, "tx", "--signer", owner.account_id, "--receiver", "bob.near",
                       "--transfer", "1.5", "--out", str(out)).stdout
    assert f"Transaction V0: {owner.account_id} → bob.near" in text and "Transfer 1.5 NEAR" in text
    run = guardctl.fails("tx", "--signer", "alice.near", "--receiver", "wrap.near", "--call", "m", "--args", "{oops",
                         "--out", str(out), network=False)
    assert run.stderr_lines[0].startswith("guardctl: error: --args is not JSON")


def test_verify_via_router_as_fastauth_calls_it(guardctl, guard, router, root, test_keys, tmp_path):
    guardctl.ok("--account", root.account_id, "--guard", guard, "register", "--router", router, "--issuer", ISSUER)
    payload = tmp_path / "tx.bin"
    guardctl.ok("tx", "--signer", "alice.near", "--receiver", "wrap.near", "--call", "ft_transfer",
                "--public-key", "ed25519:11111111111111111111111111111111", "--nonce", "1",
                "--block-hash", "11111111111111111111111111111111", "--out", str(payload), network=False)
    token = guardctl.ok("token", "--key", test_keys["rsa1"]["private_pem"], "--issuer", ISSUER, "--sub", "alice",
                        "--kid", "rsa1", "--payload", f"@{payload}", network=False).stdout.strip()
    run = guardctl.ok("--account", root.account_id, "verify", "--via-router", router, "--token", token,
                      "--payload", f"@{payload}")
    assert run.stdout.startswith(f"ACCEPTED by {router}: sub=alice")
    result = guardctl.ok("--account", root.account_id, "verify", "--via-router", router, "--token", token,
                         "--payload", f"@{payload}", "--json").json()
    assert result["guard"] == guard and result["router_answer"] == [True, "alice", ISSUER]
    assert result["gas_burnt"] > 0
    # Rejected: the router drops the guard's reason, so guardctl asks the guard for it.
    run = guardctl.raw("--account", root.account_id, "verify", "--via-router", router, "--token", token,
                       "--payload", "00")
    assert run.returncode == 3
    assert run.stdout.startswith(f"REJECTED by {router}: the router reports no reason; {guard} says: fatxn mismatch")
