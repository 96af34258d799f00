"""guardctl keys list | add | remove | set | schedule, from PEM, JWK, JWKS file and JWKS URL."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from datetime import datetime, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from guardjwk import b64url_encode, guard_key_thumbprint


def kids(listing: dict) -> list:
    return [key.get("kid") for key in listing["keys"]]


def listing(guardctl, guard) -> dict:
    return guardctl.ok("--guard", guard, "keys", "list", "--json").json()


def test_list_shows_keys_as_stored_with_their_state(guardctl, guard, test_keys):
    result = listing(guardctl, guard)
    assert kids(result) == ["rsa1", "ed1"]
    rsa1, ed1 = result["keys"]
    assert rsa1["e"] == [1, 0, 1] and len(rsa1["n"]) == 256
    assert ed1["alg"] == "EdDSA" and len(ed1["x"]) == 32
    assert [(s["alg"], s["bits"], s["state"]) for s in result["summary"]] == [("RS256", 2048, "active"),
                                                                               ("EdDSA", 256, "active")]
    text = guardctl.ok("--guard", guard, "keys", "list").stdout
    assert "rsa1" in text and "EdDSA" in text and "active" in text


def test_list_as_jwks_matches_the_keygen_jwks(guardctl, guard, test_keys):
    jwks = json.loads(guardctl.ok("--guard", guard, "keys", "list", "--jwks").stdout)
    published = json.loads(open(test_keys["rsa1"]["jwks_json"]).read())["keys"][0]
    assert jwks["keys"][0]["n"] == published["n"] and jwks["keys"][0]["kid"] == "rsa1"


def test_add_from_pem_with_kid(guardctl, guard, owner, test_keys):
    run = guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "add",
                      test_keys["rsa3"]["public_pem"], "--kid", "pem3072", "--json")
    result = run.json()
    assert kids(result) == ["rsa1", "ed1", "pem3072"]
    assert len(result["keys"][-1]["n"]) == 384
    assert result["gas_burnt"] > 0


def test_add_from_a_single_jwk_keeps_its_kid_and_alg(guardctl, guard, owner, test_keys, tmp_path):
    jwk = json.loads(open(test_keys["rsa2"]["jwks_json"]).read())["keys"][0]
    assert jwk["alg"] == "RS256"
    path = tmp_path / "one.jwk"
    path.write_text(json.dumps(jwk))
    result = guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "add", str(path), "--json").json()
    assert result["keys"][-1]["kid"] == "rsa2" and result["keys"][-1]["alg"] == "RS256"


def test_add_refuses_a_jwk_whose_alg_the_guard_cannot_use(guardctl, guard, owner, test_keys, tmp_path):
    jwk = json.loads(open(test_keys["rsa2"]["jwks_json"]).read())["keys"][0]
    jwk["alg"] = "PS256"
    path = tmp_path / "ps256.jwk"
    path.write_text(json.dumps(jwk))
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "keys", "add", str(path))
    assert "PS256" in run.stderr


def test_add_with_a_validity_window(guardctl, guard, owner, test_keys):
    result = guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "add",
                         test_keys["rsa2"]["jwks_json"], "--not-before", "2100-01-01T00:00:00Z", "--json").json()
    added = result["keys"][-1]
    assert added["not_before"] == int(datetime(2100, 1, 1, tzinfo=timezone.utc).timestamp())
    assert result["summary"][-1]["state"] == "scheduled"


def test_add_from_jwks_url_picks_the_kid(guardctl, guard, owner, test_keys, http_folder):
    folder, base_url = http_folder
    keys = [json.loads(open(test_keys[kid]["jwks_json"]).read())["keys"][0] for kid in ("rsa2", "rsa3")]
    (folder / "jwks.json").write_text(json.dumps({"keys": keys}))
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "keys", "add", f"{base_url}/jwks.json")
    assert "choose one with --kid" in run.stderr
    result = guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "add", f"{base_url}/jwks.json",
                         "--kid", "rsa3", "--json").json()
    assert kids(result) == ["rsa1", "ed1", "rsa3"]


def test_set_from_a_jwks_url_replaces_the_set_and_skips_unusable_keys(guardctl, guard, owner, test_keys, http_folder):
    folder, base_url = http_folder
    usable = [json.loads(open(test_keys[kid]["jwks_json"]).read())["keys"][0] for kid in ("rsa2", "ed1")]
    # IdPs' JWKS sometimes also list keys the guard cannot use (ES256 here).
    ec_public = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    es256 = {"kty": "EC", "crv": "P-256", "alg": "ES256", "kid": "ec1",
             "x": b64url_encode(ec_public.x.to_bytes(32, "big")), "y": b64url_encode(ec_public.y.to_bytes(32, "big"))}
    (folder / "jwks.json").write_text(json.dumps({"keys": [usable[0], es256, usable[1]]}))
    run = guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "set", f"{base_url}/jwks.json",
                      "--json")
    assert kids(run.json()) == ["rsa2", "ed1"]
    assert len(run.stderr_lines) == 1 and "skipping key ec1" in run.stderr


def test_set_from_a_jwks_file_and_a_pem(guardctl, guard, owner, test_keys):
    result = guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "set",
                         test_keys["rsa2"]["jwks_json"], test_keys["rsa3"]["public_pem"], "--kid", "third",
                         "--json").json()
    assert kids(result) == ["rsa2", "third"]


def test_set_round_trips_the_json_of_keys_list(guardctl, guard, owner, test_keys, tmp_path):
    saved = tmp_path / "keys.json"
    saved.write_text(guardctl.ok("--guard", guard, "keys", "list", "--json").stdout)
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "set", test_keys["rsa2"]["jwks_json"])
    assert kids(listing(guardctl, guard)) == ["rsa2"]
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "set", str(saved))
    assert listing(guardctl, guard)["keys"] == json.loads(saved.read_text())["keys"]


def ed25519_pem_whose_thumbprint_starts_with_a_dash(path) -> str:
    """A kid-less Ed25519 public key PEM whose RFC 7638 thumbprint starts with '-'
    (about one key in 64 has one); the first such key of a fixed seed sequence."""
    for seed in range(100_000):
        private = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"dash %d" % seed).digest())
        public = private.public_key()
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        print_ = guard_key_thumbprint({"alg": "EdDSA", "x": list(raw)})
        if print_.startswith("-"):
            path.write_bytes(public.public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo))
            return print_
    raise AssertionError("no seed gave a thumbprint starting with '-'")


def test_remove_by_kid_and_by_thumbprint(guardctl, guard, owner, test_keys, tmp_path):
    # A kid-less key (the Rust guards' shape) can only be named by thumbprint,
    # and this one's thumbprint starts with '-', which must not read as an option.
    pem = tmp_path / "dash.public.pem"
    dash_thumbprint = ed25519_pem_whose_thumbprint_starts_with_a_dash(pem)
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "add", str(pem))
    before = listing(guardctl, guard)
    kidless = before["summary"][-1]
    assert kidless["kid"] is None and kidless["thumbprint"] == dash_thumbprint
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "remove", dash_thumbprint[:12], "--json")
    assert kids(listing(guardctl, guard)) == ["rsa1", "ed1"]
    # A kid starting with '-', given to --kid as a separate word, then removed by it.
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "add", str(pem), "--kid", "-dash")
    assert kids(listing(guardctl, guard)) == ["rsa1", "ed1", "-dash"]
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "remove", "-dash")
    assert kids(listing(guardctl, guard)) == ["rsa1", "ed1"]
    # The same through --kid VALUE and --kid=VALUE.
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "add", str(pem), "--kid=--json")
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "remove", "--kid=--json")
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "add", str(pem))
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "remove", "--kid", dash_thumbprint)
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "remove", "ed1")
    assert kids(listing(guardctl, guard)) == ["rsa1"]


def test_schedule_retires_a_key_whose_kid_starts_with_a_dash(guardctl, guard, owner, test_keys, tmp_path):
    pem = tmp_path / "dash.public.pem"
    ed25519_pem_whose_thumbprint_starts_with_a_dash(pem)
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "add", str(pem), "--kid", "-old")
    result = guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "schedule",
                         "--add-key", test_keys["rsa2"]["jwks_json"], "--at", "+1h", "--retire", "-old",
                         "--json").json()
    by_kid = {key["kid"]: key for key in result["keys"]}
    assert by_kid["-old"]["not_after"] == by_kid["rsa2"]["not_before"]


def test_removing_the_last_valid_key_is_refused_while_a_retired_key_remains(guardctl, guard, owner, test_keys):
    chain_time = listing(guardctl, guard)["chain_time"]
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "add", test_keys["rsa2"]["jwks_json"],
                "--not-before", str(chain_time - 3600), "--not-after", str(chain_time - 60))
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "remove", "ed1")
    before = listing(guardctl, guard)
    assert [summary["state"] for summary in before["summary"]] == ["active", "retired"]
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "keys", "remove", "rsa1")
    assert "refusing to remove key rsa1: no key would be valid now" in run.stderr
    assert "the guard would reject every token" in run.stderr
    assert len(run.stderr_lines) == 1
    assert listing(guardctl, guard)["keys"] == before["keys"]
    # A successor valid for the next hour lets rsa1 go; a key that starts an
    # hour after that would leave a gap, and is refused before anything is sent.
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "add", test_keys["rsa3"]["jwks_json"],
                "--not-after", "+1h")
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "remove", "rsa1")
    before = listing(guardctl, guard)
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "keys", "add", test_keys["ed1"]["jwks_json"],
                         "--not-before", "+2h")
    assert "refusing to add the key from" in run.stderr and "no key would be valid from " in run.stderr
    assert "the guard would reject every token in between" in run.stderr
    assert listing(guardctl, guard)["keys"] == before["keys"]


def test_removing_the_last_key_is_refused_by_the_guard(guardctl, guard, owner):
    guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "remove", "ed1")
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "keys", "remove", "rsa1")
    assert "Smart contract panicked: Refusing to remove the last key" in run.stderr
    assert kids(listing(guardctl, guard)) == ["rsa1"]


def test_schedule_rotates_at_one_instant(guardctl, guard, owner, test_keys):
    at = int(time.time()) + 7200
    result = guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "schedule",
                         "--add-key", test_keys["rsa2"]["jwks_json"], "--at", str(at), "--retire", "rsa1",
                         "--json").json()
    by_kid = {key["kid"]: key for key in result["keys"]}
    assert by_kid["rsa1"]["not_after"] == at
    assert by_kid["rsa2"]["not_before"] == at
    assert "not_after" not in by_kid["ed1"]
    states = {summary["kid"]: summary["state"] for summary in result["summary"]}
    assert states == {"rsa1": "active", "ed1": "active", "rsa2": "scheduled"}
    assert result["transaction"]["gas_burnt"] > 0


def test_schedule_accepts_iso_and_relative_times_and_refuses_the_past(guardctl, guard, owner, test_keys):
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "keys", "schedule",
                         "--add-key", test_keys["rsa2"]["jwks_json"], "--at", "2001-01-01T00:00:00Z")
    assert "not in the future" in run.stderr
    result = guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "schedule",
                         "--add-key", test_keys["rsa2"]["jwks_json"], "--at", "+2h", "--json").json()
    starts = result["keys"][-1]["not_before"]
    assert abs(starts - (result["chain_time"] + 7200)) <= 30
    guardctl.fails("--account", owner.account_id, "--guard", guard, "keys", "schedule",
                   "--add-key", test_keys["rsa3"]["jwks_json"], "--at", "next tuesday")


def test_keys_from_a_certificate_pem(guardctl, guard, owner, tmp_path):
    # Some IdPs publish X.509 certificates rather than bare keys.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
                   .sign(key, hashes.SHA256()))
    path = tmp_path / "idp.crt"
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    result = guardctl.ok("--account", owner.account_id, "--guard", guard, "keys", "add", str(path), "--kid", "cert",
                         "--json").json()
    expected_n = key.public_key().public_numbers().n.to_bytes(256, "big")
    assert result["keys"][-1]["n"] == list(expected_n)


def test_json_output_keeps_byte_lists_on_one_line(guardctl, guard):
    text = guardctl.ok("--guard", guard, "keys", "list", "--json").stdout
    n_lines = [line for line in text.splitlines() if line.lstrip().startswith('"n": [')]
    assert len(n_lines) == 1 and n_lines[0].rstrip(",").endswith("]")
    assert len(text.splitlines()) < 60
    assert json.loads(text)["keys"][0]["e"] == [1, 0, 1]
