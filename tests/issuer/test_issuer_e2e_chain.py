"""The issuer and the guard together, on the session's NEAR node (tests/conftest.py `network`: the embedded
localnet by default), with the real compiled guard and the JwtGuardRouter port.

Each test runs an issuer (the real ASGI app on uvicorn, on 127.0.0.1) and deploys its own guard with
`guardctl deploy --keys <issuer>/.well-known/jwks.json`, registered in the router under the issuer's URL:

- a user logs in, asks for a token for a transfer built with py-near's transaction builder, and the token
  verifies through router.verify into the guard: [true, sub, issuer];
- with the same policy on both sides, a transaction outside it is refused by the service, and a hand-made
  token for it (signed with the issuer's own key) is refused by the guard, with the same reason;
- the rotation drill: issuer keys rotate / guardctl keys add / switch / retire / guardctl keys remove;
- the emergency drill: a leaked key, guardctl pause, issuer keys revoke, a new key, unpause.

The issuer's clock is aligned with the chain's (which other tests fast-forward); the drills move both.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import time

import base58
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from py_near_primitives import Transaction, TransferAction

from nearwasm.build import build_contract
from issuer.app import create_app
from issuer.cli import main as issuer_main
from issuer.clock import Clock
from issuer.service import IssuerService
from issuer.signing_keys import _aad
from issuer.storage import signing_keys
from tests.issuer.issuer_support import MASTER_SECRET, NEAR, PASSWORD, TGAS, LiveServer, b64, fast_settings, free_port
from devkit.ports import built_port
from tests.e2e.e2e_support import Guardctl, Near, unique

REPO_ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]

POLICY = {"receivers": ["*.test.near"], "actions": ["Transfer"], "max_deposit_per_action": str(5 * NEAR),
          "signer_claim": "near_account_id"}


# --------------------------------------------------------------------------- the chain side


@pytest.fixture(scope="module")
def chain(network, network_name, tmp_path_factory):
    credentials = tmp_path_factory.mktemp("issuer-e2e-credentials")
    near = Near(network, network_name, credentials)
    guardctl = Guardctl(network.rpc_url, network_name, credentials, tmp_path_factory.mktemp("issuer-e2e-cwd"))
    guard_wasm = build_contract(REPO_ROOT / "contract" / "guard.py", REPO_ROOT / "build" / "guard.wasm").path
    router = f"{unique('router')}.{near.root.account_id}"
    guardctl.ok("--account", near.root.account_id, "router", "deploy", "--create", "--router", router,
                "--owner", near.root.account_id, "--wasm", built_port("jwt_guard_router"))
    relayer = near.create_account("relayer", 50)
    user_account = near.create_account("alice", 5)
    return {"near": near, "guardctl": guardctl, "guard_wasm": guard_wasm, "router": router, "relayer": relayer,
            "network": network, "user_account": user_account}


def chain_clock_offset(near: Near) -> int:
    """How far the chain's clock runs ahead of the wall clock (fast-forwards by other tests move it)."""
    return max(0, near.block_time() - int(time.time()))


class Issuer:
    """An issuer on uvicorn (in this process), its service, its CLI, and the guard that trusts it."""

    def __init__(self, chain, tmp_path, **sections):
        self.chain = chain
        self.near: Near = chain["near"]
        self.guardctl: Guardctl = chain["guardctl"]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.db_url = f"sqlite:///{tmp_path / 'issuer.db'}"
        self.clock = Clock(chain_clock_offset(self.near))
        # The guard this issuer serves: `guardctl deploy` binds its audience to this
        # account id, and the issuer puts it in `aud` by default.
        self.guard = f"{unique('guard')}.{self.near.root.account_id}"
        self.settings = fast_settings(self.db_url, issuer={"url": self.url, "guard_account": self.guard}, **sections)
        self.service = IssuerService(self.settings, clock=self.clock, secret=MASTER_SECRET, initialise=True)
        self.server = LiveServer(create_app(service=self.service), port=self.port)
        self.owner = None

    # -- the issuer's own CLI, in this process, against the same database

    def cli(self, *args, ok=True):
        env = {"ISSUER_MASTER_SECRET": MASTER_SECRET.decode(), "ISSUER__DATABASE__URL": self.db_url,
               "ISSUER__ISSUER__URL": self.url, "ISSUER__KEYS__SCRYPT_N": "1024",
               "ISSUER__TESTING__CLOCK_OFFSET_SECONDS": str(self.clock.offset)}
        saved = dict(os.environ)
        os.environ.pop("ISSUER_CONFIG", None)
        os.environ.update(env)
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = issuer_main(["--json", *map(str, args)])
        finally:
            os.environ.clear()
            os.environ.update(saved)
        if ok:
            assert code == 0, err.getvalue()
            return json.loads(out.getvalue()) if out.getvalue().strip().startswith("{") else out.getvalue()
        return code, out.getvalue(), err.getvalue()

    # -- the guard

    def deploy_guard(self):
        near, root = self.near, self.near.root
        self.owner = near.create_account("owner", 20)
        self.guardctl.ok("--account", root.account_id, "--guard", self.guard, "deploy", "--create",
                         "--owner", self.owner.account_id, "--keys", self.settings.jwks_url,
                         "--wasm", self.chain["guard_wasm"])
        self.guardctl.ok("--account", root.account_id, "--guard", self.guard, "register",
                         "--router", self.chain["router"], "--issuer", self.url)
        return self

    def as_owner(self, *args):
        return self.guardctl.ok("--account", self.owner.account_id, "--guard", self.guard, *args)

    def guard_kids(self) -> list:
        return [key.get("kid") for key in self.near.view(self.guard, "get_public_keys")]

    def verify(self, token: str, payload: bytes):
        """router.verify as FastAuth calls it: (router's answer, the guard's own answer)."""
        relayer = self.chain["relayer"]
        outcome = self.near.call(relayer, self.chain["router"], "verify", {
            "guard_id": f"jwt#{self.url}", "verify_payload": token, "sign_payload": list(payload),
            "predecessor": relayer.account_id}, gas=300 * TGAS)
        assert outcome.succeeded, outcome.failure_text
        return outcome.value, outcome.value_of(self.guard)

    # -- clocks

    def advance_both_clocks_past(self, unix_s: int) -> None:
        """Fast-forward the chain past `unix_s` (issuer time) and move the issuer's clock as far."""
        chain_now = self.near.advance_past(unix_s)
        self.clock.advance(max(0, chain_now - self.clock.now()))

    # -- tokens

    def login(self, username="alice") -> str:
        response = httpx.post(self.url + "v1/auth/login", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def request_token(self, access_token: str, tx: bytes) -> httpx.Response:
        return httpx.post(self.url + "v1/tokens", json={"transaction_base64": b64(tx)},
                          headers={"Authorization": f"Bearer {access_token}"})

    def private_key(self, kid: str):
        """The private key of `kid` as an attacker who stole the database AND the master secret would have it."""
        with self.service.store.read() as conn:
            row = conn.execute(signing_keys.select().where(signing_keys.c.kid == kid)).first()
        der = self.service.keys.box.open(row.private_blob, kid.encode(), _aad(kid, row.alg))
        return serialization.load_der_private_key(der, password=None)

    def hand_made_token(self, kid: str, tx: bytes, sub: str = "mallory", **extra) -> str:
        now = self.clock.now()
        # The attacker copies what real tokens carry, the guard's own account as `aud` included.
        claims = {"iss": self.url, "sub": sub, "aud": self.guard, "iat": now, "nbf": now - 30, "exp": now + 300,
                  "jti": "forged", "fatxn": list(tx), **extra}
        return jwt.encode(claims, self.private_key(kid), algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def issuer(chain, tmp_path):
    made = []

    def make(**sections) -> Issuer:
        folder = tmp_path / f"issuer{len(made)}"
        folder.mkdir()
        instance = Issuer(chain, folder, **sections)
        made.append(instance)
        instance.server.__enter__()
        info = instance.service.keys.generate(kid="k1")
        instance.service.keys.activate(info.kid)
        instance.service.accounts.add_user("alice", PASSWORD, subject="alice-sub",
                                           near_account=chain["user_account"].account_id)
        return instance

    yield make
    for instance in made:
        instance.server.__exit__()
        instance.service.close()


def py_near_transfer(chain, receiver: str, amount: int, signer=None) -> bytes:
    """A transfer from the user's real account, built with py-near's transaction builder at the current block."""
    user = signer or chain["user_account"]
    block_hash = base58.b58decode(chain["network"].rpc("block", {"finality": "final"})["result"]["header"]["hash"])
    public_key = base58.b58decode(user.public_key.split(":", 1)[1])
    return bytes(Transaction(user.account_id, public_key, int(time.time() * 1000), receiver, block_hash,
                             [TransferAction(amount)]).serialize())


# --------------------------------------------------------------------------- the tests


def test_a_user_token_verifies_through_the_router_into_the_guard(chain, issuer):
    iss = issuer().deploy_guard()
    assert iss.guard_kids() == ["k1"]  # guardctl read the issuer's JWKS over HTTP
    access = iss.login()
    tx = py_near_transfer(chain, chain["relayer"].account_id, NEAR)
    response = iss.request_token(access, tx)
    assert response.status_code == 200, response.text
    body = response.json()
    router_answer, guard_answer = iss.verify(body["token"], tx)
    assert router_answer == [True, "alice-sub", iss.url]
    assert guard_answer == [True, "alice-sub"]
    # The token is for these bytes only.
    other = py_near_transfer(chain, chain["relayer"].account_id, 2 * NEAR)
    assert iss.verify(body["token"], other) == ([False, "", ""], [False, "fatxn mismatch"])
    # The audit log has the issue, with NEAR's transaction hash.
    (record,) = iss.service.audit.tail(event="token_issued")
    assert record["tx_sha256"] == body["transaction_sha256"] and record["kid"] == "k1"
    assert base58.b58encode(bytes.fromhex(record["tx_sha256"])).decode() == body["transaction_hash"]


def test_policy_is_enforced_by_the_service_and_by_the_guard(chain, issuer):
    iss = issuer(policy=POLICY).deploy_guard()
    outcome = iss.near.call(iss.owner, iss.guard, "set_policy", {"policy": POLICY}, gas=30 * TGAS)
    assert outcome.succeeded, outcome.failure_text
    from issuer.authorization import validated_policy
    assert iss.near.view(iss.guard, "get_policy") == validated_policy(POLICY)
    access = iss.login()

    inside = py_near_transfer(chain, chain["relayer"].account_id, NEAR)
    response = iss.request_token(access, inside)
    assert response.status_code == 200, response.text
    assert iss.verify(response.json()["token"], inside)[0] == [True, "alice-sub", iss.url]

    # The token names the user's bound account; the policy's signer_claim ties it to the transaction's signer.
    from tests.issuer.issuer_support import decode_unverified
    user = chain["user_account"].account_id
    assert decode_unverified(response.json()["token"])[1]["near_account_id"] == user

    someone_else = chain["relayer"]
    signed_by_other = py_near_transfer(chain, chain["relayer"].account_id, NEAR, signer=someone_else)
    for outside, reason in ((py_near_transfer(chain, "evil.near", NEAR), "Policy: receiver not allowed"),
                            (py_near_transfer(chain, chain["relayer"].account_id, 6 * NEAR),
                             "Policy: deposit per action too high"),
                            (signed_by_other, "Policy: signer does not match the token")):
        refused = iss.request_token(access, outside)
        assert refused.status_code == 403 and refused.json() == {"error": "policy_violation", "message": reason}
        # Forced through with a hand-made token signed by the issuer's own key: the guard refuses it too,
        # for the same reason.
        forged = iss.hand_made_token("k1", outside, sub="alice-sub", near_account_id=user)
        assert iss.verify(forged, outside) == ([False, "", ""], [False, reason])
    # The same hand-made construction is accepted for a transaction inside the policy (the forgery is sound).
    assert iss.verify(iss.hand_made_token("k1", inside, near_account_id=user), inside)[1] == [True, "mallory"]


def test_rotation_drill(chain, issuer):
    iss = issuer().deploy_guard()
    access = iss.login()
    tx = py_near_transfer(chain, chain["relayer"].account_id, NEAR)
    before = iss.request_token(access, tx).json()
    assert before["kid"] == "k1"

    # 1. Generate the next key: published in the JWKS, not signing yet.
    step = iss.cli("keys", "rotate", "--guard", iss.guard)
    assert step["step"] == "generated"
    k2 = step["kid"]
    assert [k["kid"] for k in httpx.get(iss.settings.jwks_url).json()["keys"]] == ["k1", k2]
    assert iss.request_token(access, tx).json()["kid"] == "k1"

    # 2. The issuer will not switch while the guard does not know the key.
    code, _, err = iss.cli("keys", "rotate", "--guard", iss.guard, "--rpc", chain["network"].rpc_url, ok=False)
    assert code == 1 and f"does not hold key {k2}" in err and "guardctl --guard" in err

    # 3. The owner adds it on-chain, from the issuer's JWKS URL (the command the issuer printed).
    iss.as_owner("keys", "add", iss.settings.jwks_url, "--kid", k2)
    assert iss.guard_kids() == ["k1", k2]
    iss.near.wait_until_final()  # the issuer checks the guard at `final`

    # 4. Switch signing; k1 starts retiring.
    step = iss.cli("keys", "rotate", "--guard", iss.guard, "--rpc", chain["network"].rpc_url)
    assert step["step"] == "activated" and step["kid"] == k2 and step["previous"]["kid"] == "k1"
    retire_after = step["previous"]["retire_after"]
    after = iss.request_token(access, tx).json()
    assert after["kid"] == k2
    assert iss.verify(after["token"], tx)[0] == [True, "alice-sub", iss.url]
    # Tokens k1 signed before the switch still verify while they live.
    assert iss.verify(before["token"], tx)[0] == [True, "alice-sub", iss.url]
    assert iss.cli("keys", "rotate")["step"] == "waiting"

    # 5. After the longest token lifetime (+ leeway and grace), k1 retires and leaves the JWKS …
    iss.advance_both_clocks_past(retire_after)
    step = iss.cli("keys", "rotate", "--guard", iss.guard)
    assert step["step"] == "retired" and step["kids"] == ["k1"]
    assert step["next"] == [f"guardctl --guard {iss.guard} keys remove k1"]
    assert [k["kid"] for k in httpx.get(iss.settings.jwks_url).json()["keys"]] == [k2]

    # 6. … and the owner removes it on-chain.
    iss.as_owner("keys", "remove", "k1")
    assert iss.guard_kids() == [k2]
    fresh_tx = py_near_transfer(chain, chain["relayer"].account_id, NEAR)
    assert iss.verify(iss.hand_made_token("k1", fresh_tx), fresh_tx) == ([False, "", ""], [False, "Invalid signature"])
    current = iss.request_token(access, fresh_tx).json()
    assert current["kid"] == k2
    assert iss.verify(current["token"], fresh_tx)[0] == [True, "alice-sub", iss.url]
    events = [row["event"] for row in iss.service.audit.tail(limit=100) if row["auth_method"] == "cli"]
    assert events == ["key_generated", "key_activated", "key_retired"]


def test_emergency_drill(chain, issuer):
    iss = issuer().deploy_guard()
    access = iss.login()
    tx = py_near_transfer(chain, chain["relayer"].account_id, NEAR)
    assert iss.verify(iss.request_token(access, tx).json()["token"], tx)[0][0] is True

    # The key leaks: an attacker signs whatever they like, and the guard believes it.
    loot = py_near_transfer(chain, "attacker.test.near", 3 * NEAR)
    stolen = iss.hand_made_token("k1", loot, sub="alice-sub")
    assert iss.verify(stolen, loot)[0] == [True, "alice-sub", iss.url]

    # 1. Stop the bleeding on-chain: pause the guard (every verify fails).
    iss.as_owner("pause")
    assert iss.verify(stolen, loot) == ([False, "", ""], [False, "Guard is paused"])

    # 2. Revoke the key in the issuer: it stops signing and leaves the JWKS at once.
    revoked = iss.cli("keys", "revoke", "k1", "--reason", "leaked", "--guard", iss.guard)
    assert revoked["was"] == "active" and revoked["key"]["state"] == "revoked"
    assert f"guardctl --guard {iss.guard} keys remove k1" in revoked["next"]
    refused = iss.request_token(access, tx)
    assert refused.status_code == 503 and refused.json()["error"] == "no_signing_key"
    assert httpx.get(iss.settings.jwks_url).json() == {"keys": []}

    # 3. A new key: generated, put on the guard, the leaked one removed, then unpause and switch.
    k2 = iss.cli("keys", "generate", "--kid", "k2")["key"]["kid"]
    iss.as_owner("keys", "add", iss.settings.jwks_url, "--kid", k2)
    iss.as_owner("keys", "remove", "k1")
    assert iss.guard_kids() == [k2]
    iss.near.wait_until_final()  # the issuer checks the guard at `final`
    code, _, err = iss.cli("keys", "activate", k2, "--guard", iss.guard, "--rpc", chain["network"].rpc_url, ok=False)
    assert code == 1 and "is paused" in err  # the check sees the guard is still paused…
    assert f"run: guardctl --guard {iss.guard} unpause" in err and "keys add" not in err  # …and says so
    iss.as_owner("unpause")
    iss.near.wait_until_final()
    activated = iss.cli("keys", "activate", k2, "--guard", iss.guard, "--rpc", chain["network"].rpc_url)
    assert activated["kid"] == k2 and activated["previous"] is None

    # The stolen key is worthless now; users get tokens again.
    assert iss.verify(stolen, loot) == ([False, "", ""], [False, "Invalid signature"])
    fresh = iss.request_token(access, tx).json()
    assert fresh["kid"] == k2
    assert iss.verify(fresh["token"], tx)[0] == [True, "alice-sub", iss.url]
    assert [row["event"] for row in iss.service.audit.tail(limit=100) if row["auth_method"] == "cli"] == \
        ["key_revoked", "key_generated", "key_activated"]
