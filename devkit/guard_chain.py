"""The compiled guard on an in-process localnet: deployment, calls, state and tokens.

Plain Python (no pytest), shared by the Wasm-level guard tests (tests/guard),
the benchmark (bench/) and the FastAuth/router port harness (tests/ports):

    wasm = build_guard().read_bytes()
    env = GuardChain(wasm, public_keys=[rs256_public(rsa_key(2048), kid="k1")])
    token = sign_token(rsa_key(2048), claims(env.now_s, payload), kid="k1")
    env.verify_view(router_args(token, payload))          # -> [True, SUB]
    result = env.call(ALICE, "verify", router_args(token, payload))
    env.method_gas(result)                                # gas of the guard's receipt

Keys are deterministic (seeded), so tokens, signatures and therefore gas
figures are the same on every run and every machine.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import random
from pathlib import Path
from typing import Any, Iterable, Optional

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

# guard_core (pure Python) names the reasons and limits the Wasm must honour.
from guard_core import claims as core_claims, reasons  # noqa: F401  (reasons re-exported for the tests)
from guardjwk import b64url_encode as b64url
from localnet import borsh
from localnet.chain import Chain, ContractError, KeyPair, TxResult
from localnet.chain.config import STORAGE_AMOUNT_PER_BYTE
from localnet.primitives import (
    NEAR,
    TERA,
    AccessKey,
    AddKey,
    CreateAccount,
    DeployContract,
    FullAccess,
    FunctionCall,
    Transaction,
    Transfer,
)
from nearwasm.build import build_contract, find_entry

REPO = Path(__file__).resolve().parents[1]
GUARD_DIR = REPO / "contract"
GUARD_WASM = REPO / "build" / "guard.wasm"
KEY_CACHE = REPO / ".cache" / "guard-tests" / "keys"


ROOT = "test.near"
GUARD = "guard.test.near"
OWNER = "owner.test.near"
STRANGER = "stranger.test.near"
ALICE = "alice.test.near"
BOB = "bob.test.near"

ISSUER = "https://login.example.com/"
GUARD_ID = "jwt#" + ISSUER
SUB = "google-oauth2|1234567890"
# Chain time (unix seconds) of the genesis block; a deployed GuardChain is a
# few blocks (seconds) later.
GENESIS_S = 1_750_000_000

GUARD_BALANCE = 10 * NEAR
ACCOUNT_BALANCE = 100 * NEAR
STORAGE_BYTE_COST = STORAGE_AMOUNT_PER_BYTE  # yocto per byte of state (code included), the node's price
NEAR_YOCTO = NEAR
# guard.py answers `verify` arguments longer than this with "Arguments too large",
# before parsing them.
MAX_VERIFY_ARGS_BYTES = 32768
ARGUMENTS_TOO_LARGE = reasons.ARGUMENTS_TOO_LARGE
INVALID_ARGUMENTS = reasons.INVALID_ARGUMENTS

EVENT_PREFIX = "EVENT_JSON:"
EVENT_STANDARD = "jwt_guard"
EVENT_VERSION = "1.0.0"


# ----------------------------------------------------------------------------- build


def build_guard(output: Path = GUARD_WASM) -> Path:
    """contract/guard.py compiled with the patched runtime (cached by source hash)."""
    return build_contract(find_entry(GUARD_DIR), output).path


# ----------------------------------------------------------------------------- small helpers


def key_for(account_id: str) -> KeyPair:
    """A deterministic full-access key pair per account."""
    return KeyPair(hashlib.sha256(account_id.encode()).digest())


def encode_args(args: Any) -> bytes:
    """Call arguments as bytes: bytes as given, None as empty, anything else as JSON.

    Non-ASCII text travels as raw UTF-8, as serde_json (the router, FastAuth)
    and JSON.stringify (near-api-js) send it; only a string that UTF-8 cannot
    carry (a lone surrogate) falls back to \\u escapes.
    """
    if args is None:
        return b""
    if isinstance(args, (bytes, bytearray)):
        return bytes(args)
    try:
        return json.dumps(args, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(args).encode("ascii")


def function_call(method: str, args: Any = None, *, gas: int = 100 * TERA, deposit: int = 0) -> FunctionCall:
    """A FunctionCall action; `args` is JSON-encoded unless it is already bytes (see encode_args)."""
    return FunctionCall(method, encode_args(args), gas, deposit)


def sample_sign_payload(receiver_id: str = "wrap.near", nonce: int = 7, *, size: Optional[int] = None) -> bytes:
    """A Borsh NEAR Transaction, the kind of `fatxn` FastAuth signs (a 1-yocto function call).

    With `size`, the call's JSON argument is padded so the whole payload is exactly `size` bytes.
    """
    def encode(args: bytes) -> bytes:
        tx = Transaction(
            signer_id="alice.near",
            public_key=bytes([0]) + bytes(range(32)),
            nonce=nonce,
            receiver_id=receiver_id,
            block_hash=hashlib.sha256(b"block").digest(),
            actions=(FunctionCall("ft_transfer", args, 30 * TERA, 1),),
        )
        return borsh.encode_transaction(tx)

    base = encode(b'{"memo":""}')
    if size is None:
        return base
    padding_size = size - len(base)
    if padding_size < 0:
        raise ValueError(f"a sample payload is at least {len(base)} bytes")
    return encode(b'{"memo":"' + b"x" * padding_size + b'"}')


# ----------------------------------------------------------------------------- deterministic keys

_SMALL_PRIMES = [p for p in range(3, 20000, 2) if all(p % q for q in range(3, int(p**0.5) + 1, 2))]
_PRIMORIAL = math.prod(_SMALL_PRIMES)


def _probable_prime(candidate: int, rng: random.Random, rounds: int = 32) -> bool:
    if math.gcd(candidate, _PRIMORIAL) != 1:
        return False
    d, s = candidate - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(rounds):
        x = pow(rng.randrange(2, candidate - 2), d, candidate)
        if x in (1, candidate - 1):
            continue
        for _ in range(s - 1):
            x = x * x % candidate
            if x == candidate - 1:
                break
        else:
            return False
    return True


def _seeded_prime(bits: int, rng: random.Random) -> int:
    while True:
        # Top two bits set: p * q has exactly 2 * bits bits.
        candidate = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if candidate % 65537 != 1 and _probable_prime(candidate, rng):
            return candidate


def _generate_rsa_key(bits: int, index: int) -> rsa.RSAPrivateKey:
    rng = random.Random(f"guard-tests rsa {bits} {index}")
    e = 65537
    while True:
        p, q = _seeded_prime(bits // 2, rng), _seeded_prime(bits // 2, rng)
        if p != q:
            break
    n = p * q
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(e, n),
    )
    return numbers.private_key()


@functools.lru_cache(maxsize=None)
def rsa_key(bits: int = 2048, index: int = 0) -> rsa.RSAPrivateKey:
    """A deterministic RSA key (seeded by bits and index), cached in .cache/ as PEM."""
    path = KEY_CACHE / f"rsa-{bits}-{index}.pem"
    if path.exists():
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    key = _generate_rsa_key(bits, index)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{random.getrandbits(32)}.tmp")
    temporary.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    temporary.replace(path)
    return key


@functools.lru_cache(maxsize=None)
def ed25519_key(index: int = 0) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"guard-tests ed25519 {index}".encode()).digest())


def modulus_bytes(private_key: rsa.RSAPrivateKey) -> bytes:
    return private_key.public_key().public_numbers().n.to_bytes(private_key.key_size // 8, "big")


def rs256_public(private_key: rsa.RSAPrivateKey, **extra) -> dict:
    """The guard's JSON form of an RS256 public key (`get_public_keys` shape)."""
    key = {"n": list(modulus_bytes(private_key)), "e": [1, 0, 1]}
    key.update(extra)
    return key


def eddsa_public(private_key: ed25519.Ed25519PrivateKey, **extra) -> dict:
    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key = {"alg": "EdDSA", "x": list(raw)}
    key.update(extra)
    return key


# The test guard's "matrix" key set: one key per supported algorithm and RSA size.
MATRIX_KIDS = ("rs2048", "rs3072", "rs4096", "ed")


def matrix_private_key(kid: str):
    return {"rs2048": lambda: rsa_key(2048), "rs3072": lambda: rsa_key(3072),
            "rs4096": lambda: rsa_key(4096), "ed": ed25519_key}[kid]()


def matrix_public_keys() -> list[dict]:
    return [
        rs256_public(rsa_key(2048), kid="rs2048"),
        rs256_public(rsa_key(3072), kid="rs3072"),
        rs256_public(rsa_key(4096), kid="rs4096"),
        eddsa_public(ed25519_key(), kid="ed"),
    ]


# ----------------------------------------------------------------------------- tokens


def claims(now_s: int, sign_payload: Iterable[int], **overrides) -> dict:
    """Valid claims at `now_s` for `sign_payload`; name=None drops a claim."""
    result = {
        "iss": ISSUER,
        "sub": SUB,
        "iat": now_s - 10,
        "exp": now_s + 3600,
        "fatxn": list(sign_payload),
    }
    for name, value in overrides.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def _json_bytes(part: dict | bytes) -> bytes:
    return part if isinstance(part, bytes) else json.dumps(part, separators=(",", ":")).encode()


def sign_token(private_key, payload: dict | bytes, *, kid: Optional[str] = None, header: dict | bytes | None = None) -> str:
    """A compact JWS signed with `private_key` (RS256 for RSA, EdDSA for Ed25519).

    The header defaults to `{"alg", "typ", "kid"?}` for the key's algorithm;
    a given `header` is used as is (the signature still follows the key type).
    """
    is_rsa = isinstance(private_key, rsa.RSAPrivateKey)
    if header is None:
        header = {"alg": "RS256" if is_rsa else "EdDSA", "typ": "JWT"}
        if kid is not None:
            header["kid"] = kid
    signing_input = (b64url(_json_bytes(header)) + "." + b64url(_json_bytes(payload))).encode()
    if is_rsa:
        signature = private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    else:
        signature = private_key.sign(signing_input)
    return signing_input.decode() + "." + b64url(signature)


def token_of_length(length: int, private_key, payload: dict, *, kid: Optional[str] = None, pad_claim: str = "pad") -> str:
    """A correctly signed token of exactly `length` characters (a padding claim is added;
    the header's `typ` grows by a character or two when base64 cannot hit the length otherwise)."""
    alg = "RS256" if isinstance(private_key, rsa.RSAPrivateKey) else "EdDSA"
    for typ in ("JWT", "JWTx", "JWTxy"):
        header = {"alg": alg, "typ": typ}
        if kid is not None:
            header["kid"] = kid
        base = len(sign_token(private_key, dict(payload, **{pad_claim: ""}), header=header))
        estimate = (length - base) * 3 // 4
        for pad in range(max(0, estimate - 4), estimate + 5):
            token = sign_token(private_key, dict(payload, **{pad_claim: "x" * pad}), header=header)
            if len(token) == length:
                return token
    raise ValueError(f"no token of length {length}")


def router_args(token: Any, sign_payload: Any, *, issuer: Any = ISSUER, predecessor: Any = ALICE) -> dict:
    """What JwtGuardRouter.verify sends to a guard."""
    return {"issuer": issuer, "jwt": token, "sign_payload": _listed(sign_payload), "predecessor": predecessor}


def fastauth_args(token: Any, sign_payload: Any, *, guard_id: Any = GUARD_ID, predecessor: Any = ALICE) -> dict:
    """What FastAuth sends to a guard registered directly in it."""
    return {"guard_id": guard_id, "verify_payload": token, "sign_payload": _listed(sign_payload), "predecessor": predecessor}


def expected_answer(args: Any, verdict: list) -> list:
    """The guard's answer to `args` for the verdict [ok, sub_or_reason].

    FastAuth reads a 3-tuple from `sign` (the router's shape), so FastAuth's
    argument set (an object without `jwt`) gets a third element: the guard name
    (the issuer `guard_id` names) when ok, "" otherwise. The
    router's set gets two, and so does input refused before it is parsed
    (too large, or not an object).
    """
    ok, detail = verdict
    if not isinstance(args, dict) or not args or "jwt" in args or detail == ARGUMENTS_TOO_LARGE:
        return [ok, detail]
    return [ok, detail, core_claims.issuer_from_guard_id(args.get("guard_id")) if ok else ""]


def _listed(value: Any) -> Any:
    return list(value) if isinstance(value, (bytes, bytearray)) else value


# ----------------------------------------------------------------------------- the chain


class GuardChain:
    """A deterministic in-process chain with the guard deployed and initialised.

    Accounts: test.near (root), the guard, its owner, a stranger, alice, bob.
    Deployment follows the only safe pattern for a private `init`: the guard
    account is created by test.near, then deploys and initialises itself in
    one transaction, so nobody can initialise it in between.
    """

    def __init__(self, wasm: bytes, *, public_keys: Optional[list] = None, owner: str = OWNER,
                 genesis_s: int = GENESIS_S, init_extra: Optional[dict] = None,
                 accounts: Iterable[str] = (OWNER, STRANGER, ALICE, BOB)):
        self.wasm = wasm
        self.chain = Chain(genesis_time_ns=genesis_s * 10**9, root_public_key=key_for(ROOT).public_key)
        for account_id in accounts:
            self.create_account(account_id, ACCOUNT_BALANCE)
        self.init_result: Optional[TxResult] = None
        if public_keys is not None:
            self.init_result = self.deploy(public_keys, owner=owner, **(init_extra or {}))
            assert self.init_result.succeeded, (self.init_result.status, self.init_result.logs)

    # -- setup

    def create_account(self, account_id: str, balance: int = ACCOUNT_BALANCE) -> TxResult:
        result = self.chain.execute(ROOT, account_id, [
            CreateAccount(), Transfer(balance), AddKey(key_for(account_id).public_key, AccessKey(0, FullAccess()))])
        assert result.succeeded, (account_id, result.status)
        return result

    def deploy(self, public_keys: Any, *, owner: Any = OWNER, account_id: str = GUARD,
               wasm: Optional[bytes] = None, init_args: Optional[dict | bytes] = None, **config) -> TxResult:
        """Create `account_id` and run [DeployContract, init] signed by it; the init result."""
        self.create_account(account_id, GUARD_BALANCE)
        if init_args is None:
            init_args = {"owner": owner, "public_keys": public_keys, **config}
        return self.chain.execute(account_id, account_id, [
            DeployContract(self.wasm if wasm is None else wasm),
            function_call("init", init_args, gas=300 * TERA),
        ])

    # -- time

    @property
    def now_s(self) -> int:
        """The head block's time in whole seconds (what a view sees)."""
        return self.chain.block_timestamp // 10**9

    def advance_to(self, seconds: int) -> None:
        """Produce empty blocks until the head block's time is `seconds` (not before now)."""
        delta = seconds - self.now_s
        if delta < 0:
            raise ValueError(f"the chain is already at {self.now_s}, past {seconds}")
        self.chain.fast_forward(delta)

    def snapshot(self):
        return self.chain.snapshot()

    def restore(self, snapshot) -> None:
        self.chain.restore(snapshot)

    # -- calls

    def call(self, signer: str, method: str, args: dict | list | bytes | None = None, *,
             receiver: str = GUARD, gas: int = 300 * TERA, deposit: int = 0) -> TxResult:
        return self.chain.execute(signer, receiver, [function_call(method, args, gas=gas, deposit=deposit)])

    def ok(self, signer: str, method: str, args: dict | list | bytes | None = None, **kwargs) -> TxResult:
        result = self.call(signer, method, args, **kwargs)
        assert result.succeeded and not result.receipt_failures, (method, result.status, result.logs)
        return result

    def view(self, method: str, args: dict | list | bytes | None = None, *, account_id: str = GUARD) -> Any:
        """The decoded return value of a view call (ContractError when it fails)."""
        return self.chain.view(account_id, method, encode_args(args))

    def raw_view(self, method: str, args: bytes = b"", *, account_id: str = GUARD) -> bytes:
        """The exact bytes a view returns (ContractError when it fails)."""
        answer = self.chain.call_function(account_id, method, bytes(args))
        if "error" in answer:
            raise ContractError(answer["error"], answer.get("logs", []))
        return bytes(answer["result"])

    def verify_view(self, args: dict | bytes) -> Any:
        return self.view("verify", args)

    def verify_tx(self, args: dict | bytes, *, signer: str = ALICE) -> tuple[Any, int]:
        """verify as a transaction: (returned value, gas burnt by the guard's receipt)."""
        result = self.call(signer, "verify", args)
        assert result.succeeded and not result.receipt_failures, (result.status, result.logs)
        return result.return_value, self.method_gas(result)

    # -- outcomes

    @staticmethod
    def method_receipt(result: TxResult) -> dict:
        """The outcome of the receipt that executed the transaction's function call."""
        receipt_id = result.outcome_dict()["transaction_outcome"]["outcome"]["receipt_ids"][0]
        for receipt in result.receipts:
            if receipt["id"] == receipt_id:
                return receipt["outcome"]
        raise AssertionError(f"receipt {receipt_id} not in the outcome")

    @classmethod
    def method_gas(cls, result: TxResult) -> int:
        """gas_burnt of the receipt that ran the method: contract loading, Wasm and host costs,
        and the function call's execution fee (not the transaction's send fee)."""
        return cls.method_receipt(result)["gas_burnt"]

    @staticmethod
    def failure_message(result: TxResult) -> str:
        """The ExecutionError text of a failed function call ('' when it succeeded)."""
        failure = result.failure
        if failure is None:
            return ""
        try:
            return failure["ActionError"]["kind"]["FunctionCallError"]["ExecutionError"]
        except (KeyError, TypeError):
            return json.dumps(failure)

    @staticmethod
    def events(result: TxResult) -> list[dict]:
        """Every NEP-297 event logged by the transaction, parsed."""
        return [json.loads(log[len(EVENT_PREFIX):]) for log in result.logs if log.startswith(EVENT_PREFIX)]

    # -- state

    def state(self, account_id: str = GUARD) -> dict:
        """The account's storage (key -> value bytes), code hash and storage usage."""
        values = {
            base64.b64decode(item["key"]): base64.b64decode(item["value"])
            for item in self.chain.view_state(account_id)["values"]
        }
        account = self.chain.view_account(account_id)
        return {"storage": values, "code_hash": account["code_hash"], "storage_usage": account["storage_usage"]}

    def stored_json(self, key: str, account_id: str = GUARD) -> Any:
        raw = self.state(account_id)["storage"].get(key.encode())
        return None if raw is None else json.loads(raw)
