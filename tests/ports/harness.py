"""The FastAuth call chain on an in-process localnet: FastAuth port -> router port -> REAL guard -> mock MPC.

Plain Python (no pytest), so benchmarks can reuse it:

    world = World.create()          # builds (cached) and deploys everything
    token = world.issuer.token(sign_payload)
    result = world.sign(token, sign_payload)
    world.recorder.prepaid(result, "guard.test.near")

The guard is `contract/guard.py` built by `nearwasm.build` with the patched
runtime; the router, FastAuth and the MPC mock are the test contracts under
devkit/ports/ (the caller and the scripted guard: tests/contracts/).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric import rsa

from devkit.ports import port_entry
from nearwasm.build import build_contract
from localnet.chain import Chain
from localnet.primitives import (
    NEAR,
    TERA,
    AccessKey,
    AddKey,
    CreateAccount,
    DeployContract,
    FullAccess,
    FunctionCall,
    Transfer,
)
# Shared with the guard's own Wasm tests and the benchmark.
from devkit.guard_chain import STORAGE_BYTE_COST, function_call, key_for, sample_sign_payload  # noqa: F401  (re-exported)

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = {
    "router": port_entry("jwt_guard_router"),
    "fastauth": port_entry("fastauth"),
    "mpc": port_entry("mpc_mock"),
    "guard": REPO / "contract" / "guard.py",
    "relay": REPO / "tests" / "contracts" / "caller" / "contract.py",
    "scripted": REPO / "tests" / "contracts" / "scripted_guard" / "scripted_guard.py",
}
BUILD_DIR = REPO / ".cache" / "ports"

ROOT = "test.near"
OWNER = "owner.test.near"
ROUTER = "router.test.near"
GUARD = "guard.test.near"
FASTAUTH = "fastauth.test.near"
MPC = "mpc.test.near"
USER = "user.test.near"  # calls FastAuth.sign (a relayer, in production)
RELAYER = "relayer.test.near"  # an account that calls FastAuth.sign for users
RELAY = "relay.test.near"  # a contract forwarding a call (tests/contracts/caller): predecessor != signer
STRANGER = "stranger.test.near"
# FastAuth's prefix for the guard registered in it directly (no router).
DIRECT = "direct"
SCRIPTED = "scripted.test.near"  # answers whatever its verify_payload says (tests/contracts/scripted_guard)
SCRIPTED_PREFIX = "scripted"

ISSUER = "https://login.example.com/"
GUARD_ID = "jwt#" + ISSUER
SUB = "google-oauth2|1234567890"
GENESIS_TIME_NS = 1_750_000_000 * 10**9

# Router.add_guard (lib.rs:136): env::storage_byte_cost() * (2048 + 64) + 1 NEAR
ADD_GUARD_DEPOSIT = STORAGE_BYTE_COST * (2048 + 64) + NEAR

CONTRACT_BALANCE = 50 * NEAR


def build(name: str) -> bytes:
    """The Wasm of one contract (cached by source hash by the builder)."""
    output = BUILD_DIR / f"{name}.wasm"
    build_contract(CONTRACTS[name], output)
    return output.read_bytes()


# ----------------------------------------------------------------------------- tokens


@dataclass
class Issuer:
    """An RS256 identity provider: its key pair and the tokens it mints."""

    iss: str = ISSUER
    kid: str = "key-1"
    private_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def public_key_json(self) -> dict:
        numbers = self.private_key.public_key().public_numbers()
        n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        return {"n": list(n), "e": [1, 0, 1], "kid": self.kid}

    def token(self, sign_payload: bytes, *, now_s: int, sub: str = SUB, lifetime_s: int = 3600,
              extra: Optional[dict] = None, key: Optional[rsa.RSAPrivateKey] = None) -> str:
        claims = {
            "iss": self.iss,
            "sub": sub,
            "iat": now_s,
            "exp": now_s + lifetime_s,
            "fatxn": list(sign_payload),
        }
        claims.update(extra or {})
        return pyjwt.encode(claims, key or self.private_key, algorithm="RS256", headers={"kid": self.kid})


# ----------------------------------------------------------------------------- receipts


class ReceiptRecorder:
    """Each receipt of a result with the gas it was given as well as the gas it burnt.

    NEAR's outcomes report the gas a receipt burnt, not the gas it was given;
    nearcore shows that only in the receipt itself (EXPERIMENTAL_tx_status),
    which the in-process chain exposes as `TxResult.executed_receipts`.
    """

    def __init__(self, chain: Chain):
        self.chain = chain

    @staticmethod
    def _calls_by_id(result) -> dict[str, dict]:
        by_id = {}
        for executed in result.executed_receipts:
            calls = executed["function_calls"]
            if calls:
                by_id[executed["receipt_id"]] = {
                    "methods": [c["method_name"] for c in calls],
                    "prepaid_gas": executed["prepaid_gas"],
                    "args": [c["args"] for c in calls],
                    "deposit": sum(c["deposit"] for c in calls),
                }
        return by_id

    def describe(self, result) -> list[dict]:
        """Every receipt of `result` with its executor, method, burnt and (when known) prepaid gas."""
        rows = []
        by_id = self._calls_by_id(result)
        for receipt in result.receipts:
            outcome = receipt["outcome"]
            known = by_id.get(receipt["id"], {})
            rows.append({
                "executor_id": outcome["executor_id"],
                "method": ",".join(known.get("methods", [])) or None,
                "gas_burnt": outcome["gas_burnt"],
                "prepaid_gas": known.get("prepaid_gas"),
                "args": known.get("args", []),
                "deposit": known.get("deposit"),
                "status": outcome["status"],
                "logs": outcome["logs"],
            })
        return rows

    def receipt(self, result, executor_id: str, method: str) -> dict:
        matches = [r for r in self.describe(result) if r["executor_id"] == executor_id and r["method"] == method]
        assert len(matches) == 1, (executor_id, method, self.describe(result))
        return matches[0]


def format_gas_table(rows: list[dict]) -> str:
    lines = []
    for row in rows:
        prepaid = "-" if row["prepaid_gas"] is None else f"{row['prepaid_gas'] / TERA:7.2f}"
        lines.append(f"{row['executor_id']:<22} {row['method'] or '(refund)':<26} "
                     f"burnt {row['gas_burnt'] / TERA:7.3f} Tgas  prepaid {prepaid} Tgas")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the world


class World:
    """A chain with the FastAuth port, the router port, the real guard and the MPC mock, wired up."""

    def __init__(self, chain: Chain, issuer: Issuer, recorder: ReceiptRecorder):
        self.chain = chain
        self.issuer = issuer
        self.recorder = recorder

    @classmethod
    def create(cls, issuer: Optional[Issuer] = None) -> "World":
        wasm = {name: build(name) for name in CONTRACTS}
        chain = Chain(genesis_time_ns=GENESIS_TIME_NS, root_public_key=key_for(ROOT).public_key)
        world = cls(chain, issuer or Issuer(), ReceiptRecorder(chain))
        for account_id, code in ((ROUTER, wasm["router"]), (GUARD, wasm["guard"]),
                                 (FASTAUTH, wasm["fastauth"]), (MPC, wasm["mpc"]), (RELAY, wasm["relay"]),
                                 (SCRIPTED, wasm["scripted"])):
            world.create_account(account_id, CONTRACT_BALANCE, code)
        for account_id in (OWNER, USER, RELAYER, STRANGER):
            world.create_account(account_id, 100 * NEAR)

        world.ok(ROUTER, ROUTER, "init", {"owner": OWNER})
        world.ok(GUARD, GUARD, "init", {"owner": OWNER, "public_keys": [world.issuer.public_key_json()]})
        world.ok(OWNER, ROUTER, "add_guard", {"guard_name": ISSUER, "guard_account": GUARD},
                 deposit=ADD_GUARD_DEPOSIT)
        # The router under "jwt", the same guard registered directly under DIRECT.
        guards = {"jwt": ROUTER, DIRECT: GUARD, SCRIPTED_PREFIX: SCRIPTED}
        world.ok(FASTAUTH, FASTAUTH, "init", {"init_guards": guards, "owner": OWNER, "pauser": OWNER})
        world.ok(OWNER, FASTAUTH, "set_mpc_address", {"mpc_address": MPC})
        return world

    # -- plumbing

    def create_account(self, account_id: str, balance: int, code: Optional[bytes] = None) -> None:
        actions = [CreateAccount(), Transfer(balance),
                   AddKey(key_for(account_id).public_key, AccessKey(0, FullAccess()))]
        if code is not None:
            actions.append(DeployContract(code))
        result = self.chain.execute(ROOT, account_id, actions)
        assert result.succeeded, (account_id, result.status)

    def call(self, signer: str, receiver: str, method: str, args: dict | None = None, *,
             gas: int = 100 * TERA, deposit: int = 0):
        return self.chain.execute(signer, receiver, [function_call(method, args, gas=gas, deposit=deposit)])

    def ok(self, signer: str, receiver: str, method: str, args: dict | None = None, **kwargs):
        result = self.call(signer, receiver, method, args, **kwargs)
        assert result.succeeded and not result.receipt_failures, (method, result.status, result.logs)
        return result

    def balance(self, account_id: str) -> int:
        return int(self.chain.view_account(account_id)["amount"])

    def now_s(self) -> int:
        return self.chain.block_timestamp // 10**9

    def token(self, sign_payload: bytes, **kwargs) -> str:
        return self.issuer.token(sign_payload, now_s=self.now_s(), **kwargs)

    # -- the two entry points the guard meets

    def router_verify(self, token: str, sign_payload: bytes, *, guard_id: str = GUARD_ID,
                      predecessor: str = USER, signer: str = USER, gas: int = 300 * TERA):
        return self.call(signer, ROUTER, "verify", {
            "guard_id": guard_id, "verify_payload": token,
            "sign_payload": list(sign_payload), "predecessor": predecessor,
        }, gas=gas)

    def sign(self, token: str, sign_payload: bytes, *, guard_id: str = GUARD_ID, algorithm: Optional[str] = "secp256k1",
             signer: str = USER, gas: int = 300 * TERA, deposit: int = 1):
        """FastAuth.sign; `algorithm=None` leaves out the (required) argument."""
        args = {"guard_id": guard_id, "verify_payload": token, "sign_payload": list(sign_payload)}
        if algorithm is not None:
            args["algorithm"] = algorithm
        return self.call(signer, FASTAUTH, "sign", args, gas=gas, deposit=deposit)

    def upgrade_with_own_code(self, account_id: str, name: str) -> None:
        """`update_contract` with the contract's own Wasm: refused for a stranger, done by the
        owner, whose migrate logs as upstream's does (router lib.rs:62-98, fa lib.rs:215-257)."""
        code = build(name)
        refused = self.chain.execute(STRANGER, account_id, [FunctionCall("update_contract", code, 100 * TERA, 0)])
        assert "Only the owner can call this function" in failure_text(refused)
        done = self.chain.execute(OWNER, account_id, [FunctionCall("update_contract", code, 100 * TERA, 0)])
        assert done.succeeded and not done.receipt_failures, failure_text(done)
        assert done.logs[-2:] == ["migrate", "state exists: migrating state"]

    def relayed(self, signer: str, receiver: str, method: str, args: dict, *, deposit: int = 0,
                gas: int = 300 * TERA):
        """`signer` calls `receiver.method` through the RELAY contract: the signer is `signer`,
        the predecessor RELAY (how a DAO, multisig or proxy account calls)."""
        relay_args = {"target": receiver, "method": method, "args": json.dumps(args), "deposit": str(deposit)}
        return self.call(signer, RELAY, "call", relay_args, gas=gas, deposit=deposit)


def failure_text(result) -> str:
    """The panic message (or error) of a failed transaction or receipt, as one string."""
    return json.dumps(result.status) + json.dumps(result.receipt_failures)
