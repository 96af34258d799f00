"""Bad input and failures: always exactly one `guardctl: error: …` line, a non-zero exit, no traceback.

Each case runs the installed console script as a subprocess, as a user would.
"""
from __future__ import annotations

import socket

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.cli.cli_support import unique_name


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_usage_errors_are_one_line_with_exit_code_2(guardctl):
    for args in ([], ["keys"], ["deploy"], ["frobnicate"], ["--network", "moonnet", "info"]):
        run = guardctl.fails(*args, network=False)
        assert run.returncode == 2, args


def test_missing_key_file(guardctl, guard, owner):
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "keys", "add", "/no/such/key.pem")
    assert "does not exist" in run.stderr


def test_missing_signer_key_file(guardctl, guard):
    run = guardctl.fails("--key-file", "/no/such/credentials.json", "--guard", guard, "pause")
    assert "/no/such/credentials.json does not exist" in run.stderr


@pytest.mark.parametrize("content", [
    b"-----BEGIN PUBLIC KEY-----\nAAAAnotakey\n-----END PUBLIC KEY-----\n",
    b"hello, I am not a key\n",
    b'{"kty": "RSA", "n": 12}',
    b"{not json",
])
def test_malformed_key_input(guardctl, guard, owner, tmp_path, content):
    path = tmp_path / "bad.pem"
    path.write_bytes(content)
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "keys", "add", str(path))
    assert str(path) in run.stderr


def test_private_key_given_as_public_key(guardctl, guard, owner, test_keys):
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "keys", "add",
                         test_keys["rsa1"]["private_pem"])
    assert "PRIVATE key" in run.stderr


def test_key_the_guard_would_refuse_is_refused_offline(guardctl, guard, owner, tmp_path):
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    path = tmp_path / "rsa1024.pem"
    path.write_bytes(small.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "keys", "add", str(path))
    assert "not acceptable to the guard" in run.stderr
    assert "(2048, 3072 or 4096 bits; this key's is 1024 bits)" in run.stderr


def test_jwks_url_that_fails(guardctl, guard, owner, http_folder):
    _, base_url = http_folder
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "keys", "add", f"{base_url}/missing.json")
    assert "HTTP 404" in run.stderr
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "keys", "add",
                         f"http://127.0.0.1:{free_port()}/jwks.json")
    assert "cannot fetch" in run.stderr


def test_unknown_signer_account(guardctl, guard, owner):
    secret = owner.secret_key  # a real key, for an account that does not exist
    run = guardctl.fails("--account", f"{unique_name('ghost')}.{owner.account_id}", "--guard", guard, "pause",
                         env={"GUARDCTL_PRIVATE_KEY": secret})
    assert "does not exist" in run.stderr


def test_unknown_guard_account(guardctl, root):
    run = guardctl.fails("--guard", f"{unique_name('ghost')}.{root.account_id}", "keys", "list")
    assert "does not exist" in run.stderr


def test_account_without_a_stored_key(guardctl, guard):
    run = guardctl.fails("--account", "nobody-has-this.near", "--guard", guard, "pause")
    assert "no key for nobody-has-this.near" in run.stderr


def test_invalid_account_id(guardctl):
    run = guardctl.fails("--guard", "Not An Account!", "keys", "list")
    assert "not a valid NEAR account id" in run.stderr


def test_wrong_network(guardctl, guard):
    # The RPC serves a local chain while the user asked for testnet: refuse to act.
    run = guardctl.fails("--network", "testnet", "--rpc", guardctl.rpc_url, "--guard", guard, "keys", "list",
                         network=False)
    assert "not testnet" in run.stderr
    run = guardctl.fails("--network", "moonnet", "--guard", guard, "keys", "list", network=False)
    assert "invalid choice: 'moonnet'" in run.stderr


def test_non_owner_call(guardctl, guard, make_account):
    stranger = make_account("stranger", 2)
    for args in (["pause"], ["settings", "set", "--audience", "x"], ["owner", "propose", stranger.account_id]):
        run = guardctl.fails("--account", stranger.account_id, "--guard", guard, *args)
        assert "is not the owner" in run.stderr, args


def test_rpc_down(guardctl, guard, owner):
    down = f"http://127.0.0.1:{free_port()}"
    for args in (["keys", "list"], ["--account", owner.account_id, "pause"]):
        run = guardctl.fails("--network", "localnet", "--rpc", down, "--guard", guard, *args, network=False)
        assert f"cannot reach the NEAR RPC at {down}" in run.stderr


def test_bad_payload_and_token(guardctl, guard, test_keys):
    run = guardctl.fails("--guard", guard, "verify", "--token", "a.b.c", "--payload", "xyz")
    assert "--payload" in run.stderr
    run = guardctl.fails("--guard", guard, "verify", "--token", "@/no/such/token", "--payload", "00")
    assert "--token" in run.stderr
    run = guardctl.fails("token", "--key", "/no/such/key.pem", "--issuer", "i", "--sub", "s", "--payload", "00",
                         network=False)
    assert "does not exist" in run.stderr


def test_bad_config_file(guardctl, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("network = [unterminated")
    run = guardctl.fails("--config", str(bad), "keys", "list", network=False)
    assert "not valid TOML" in run.stderr


def test_debug_mode_shows_the_traceback(guardctl):
    run = guardctl.raw("--guard", "Not An Account!", "keys", "list", env={"GUARDCTL_DEBUG": "1"})
    assert run.returncode == 1 and "Traceback" in run.stderr
    assert run.stderr.rstrip().splitlines()[-1].startswith("guardctl: error: ")


def test_help_for_every_command(guardctl):
    for command in (["build"], ["deploy"], ["upgrade"], ["register"], ["unregister"], ["info"], ["keys", "list"],
                    ["keys", "add"], ["keys", "remove"], ["keys", "set"], ["keys", "schedule"], ["owner", "show"],
                    ["owner", "propose"], ["owner", "accept"], ["pause"], ["unpause"], ["settings", "show"],
                    ["settings", "set"], ["verify"], ["token"], ["keygen"]):
        run = guardctl.raw(*command, "--help", network=False)
        assert run.returncode == 0 and run.stdout.startswith("usage: guardctl"), command
    assert "DEVELOPMENT HELPER" in guardctl.raw("token", "--help", network=False).stdout


def test_key_that_is_not_the_accounts(guardctl, guard, owner, make_account):
    other = make_account("other", 1)
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "pause",
                         env={"GUARDCTL_PRIVATE_KEY": other.secret_key})
    assert f"is not an access key of {owner.account_id}" in run.stderr


def test_plain_http_jwks_urls_are_refused_except_on_this_machine(guardctl, guard, owner):
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "keys", "add",
                         "http://idp.example/.well-known/jwks.json")
    assert run.stderr_lines == [
        "guardctl: error: refusing the plain-HTTP URL http://idp.example/.well-known/jwks.json: anyone on the way "
        "could swap the keys the guard will trust; use https:// (or download the JWKS and give the file)"]


def test_a_forgotten_at_sign_is_pointed_out(guardctl, guard, test_keys, tmp_path):
    token = guardctl.ok("token", "--key", test_keys["rsa1"]["private_pem"], "--issuer", "https://i/", "--sub", "s",
                        "--payload", "00", network=False).stdout.strip()
    (tmp_path / "token.jwt").write_text(token)
    (tmp_path / "tx.bin").write_bytes(b"\x00")
    run = guardctl.fails("--guard", guard, "verify", "--token", str(tmp_path / "token.jwt"), "--payload", "00")
    assert "is not a JWT" in run.stderr and f"write @{tmp_path / 'token.jwt'}" in run.stderr
    assert "iss" not in run.stderr
    run = guardctl.fails("--guard", guard, "verify", "--token", token, "--payload", str(tmp_path / "tx.bin"))
    assert f"write @{tmp_path / 'tx.bin'}" in run.stderr


def test_repeating_a_settings_change_sends_nothing(guardctl, guard, owner):
    run = guardctl.ok("--account", owner.account_id, "--guard", guard, "settings", "set", "--clear-audience", "--json")
    assert run.json()["changed"] is False and "transaction" not in run.json()


def test_a_bad_policy_amount_is_named(guardctl, guard, owner, tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text('max_deposit_total = -5\n')
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "policy", "set", str(path))
    assert "the file has max_deposit_total = -5" in run.stderr
