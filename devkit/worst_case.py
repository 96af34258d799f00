"""The most expensive `verify` inputs we know how to build, within the guard's caps.

Plain Python (no pytest), shared by tests/guard/test_worst_case_gas.py, which
asserts the ceilings, and by the benchmark's "worst-case verify" row.

Each axis grows one kind of work that could be super-linear in MicroPython
(strings and dict keys, with equal or distinct hashes; nesting; escapes; long
numbers; long lists; many `.` or `=`; long kids; many keys in the key set;
the largest policy) until it meets a cap: the 7,168-byte token, the 32 KB
argument limit, or a bound the guard checks before parsing. Forged inputs
(an all-zero or random signature) are what anyone can send; genuine ones are
signed with the guard's key, for what an issuer could mint.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import random
import string
from dataclasses import dataclass
from typing import Callable

from devkit.guard_chain import (
    ALICE,
    ISSUER,
    GuardChain,
    b64url,
    claims,
    ed25519_key,
    eddsa_public,
    rs256_public,
    rsa_key,
    sample_sign_payload,
    sign_token,
    token_of_length,
)
from guard_core import policy_spec
from guard_core.claims import MAX_PAYLOAD_STRINGS
from guard_core.txdecode import MAX_ACTIONS
from localnet import borsh
from localnet.primitives import Transaction, Transfer

MAX_TOKEN = 7168
MAX_ARGS = 32768
KID = "k1"


@dataclass
class Case:
    """One input: `args` are the raw bytes of a verify call."""

    axis: str
    name: str
    args: bytes


def _args(token: str, sign_payload, *, extra: bytes = b"") -> bytes:
    return (
        b'{"issuer":' + json.dumps(ISSUER).encode() + b',"jwt":"' + token.encode() + b'","sign_payload":'
        + json.dumps(list(sign_payload), separators=(",", ":")).encode()
        + b',"predecessor":"' + ALICE.encode() + b'"' + extra + b"}"
    )


def forged(header: bytes, payload: bytes = b'{"sub":"x"}', signature: bytes = bytes(256)) -> str:
    return b64url(header) + "." + b64url(payload) + "." + b64url(signature)


def _largest(fits: Callable[[int], bool], high: int) -> int:
    """The largest n in [0, high] with fits(n), for a `fits` that holds up to some n and then never."""
    low = 0
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _fill_header(make: Callable[[int], bytes], payload: bytes = b'{"sub":"x"}') -> bytes:
    """The largest make(n) whose forged token still fits the token cap."""
    return make(_largest(lambda n: len(forged(make(n), payload)) <= MAX_TOKEN, MAX_TOKEN))


def _names(count: int, *, same_hash: bool, bits: int = 16) -> list[str]:
    """`count` distinct names; with same_hash, names whose MicroPython string
    hash (djb2 with xor, kept to `bits` bits) is one value.

    The low bits of djb2's state depend only on the low bits before each step,
    so two blocks that lead to the same state can be swapped in any name made
    of such blocks: k pairs of colliding 2-letter blocks give 2**k colliding
    names, found with a few thousand hash evaluations.
    """
    alphabet = string.ascii_letters
    if not same_hash:
        pool = ("".join(p) for n in (2, 3, 4) for p in itertools.product(alphabet, repeat=n))
        return list(itertools.islice(pool, count))
    mask = (1 << bits) - 1
    blocks, state = [], 5381 & mask
    while (1 << len(blocks)) < count:
        seen = {}
        for pair in itertools.product(alphabet, repeat=2):
            block = "".join(pair)
            after = state
            for char in block.encode():
                after = ((after * 33) ^ char) & mask
            if after in seen:
                blocks.append((seen[after], block))
                state = after
                break
            seen[after] = block
    names = ["".join(choice) for choice in itertools.product(*blocks)]
    return names[:count]


def header_cases() -> list[Case]:
    payload = list(sample_sign_payload())
    cases = []

    def add(name: str, header: bytes):
        cases.append(Case("forged header", name, _args(forged(header), payload)))

    alg = b'"alg":"RS256","kid":"a"'
    for same in (False, True):
        label = "same hash" if same else "distinct hashes"
        add(f"many keys, {label}", _fill_header(
            lambda n, same=same: b"{" + b"".join(b'"%s":0,' % k.encode() for k in _names(n, same_hash=same)) + alg + b"}"))
        add(f"many keys, lenient JSON, {label}", _fill_header(
            lambda n, same=same: b"{" + b"".join(b'"%s" 0 ' % k.encode() for k in _names(n, same_hash=same)) + alg + b"}"))
    add("many strings in a list", _fill_header(lambda n: b'{"x":[' + b'"",' * n + b"0]," + alg + b"}"))
    add("nesting", _fill_header(lambda n: b'{"x":' + b"[" * n + b"]" * n + b"," + alg + b"}"))
    add("\\u escapes", _fill_header(lambda n: b'{"x":"' + b"\\u00e9" * n + b'",' + alg + b"}"))
    add("long numbers", _fill_header(lambda n: b'{"x":[' + b",".join([b"9" * 64] * max(n, 1)) + b"]," + alg + b"}"))
    add("floats", _fill_header(lambda n: b'{"x":[' + b",".join([b"1.5e-300"] * max(n, 1)) + b"]," + alg + b"}"))
    add("long list of ints", _fill_header(lambda n: b'{"x":[' + b"0," * n + b"0]," + alg + b"}"))
    add("long kid", _fill_header(lambda n: b'{"alg":"RS256","kid":"' + b"a" * n + b'"}'))
    add("non-ASCII string", _fill_header(lambda n: b'{"x":"' + "é".encode() * n + b'",' + alg + b"}"))
    # Shape: many '.' or '=' refused before decoding.
    cases.append(Case("forged header", "many dots", _args("a." * (MAX_TOKEN // 2), payload)))
    cases.append(Case("forged header", "many equals", _args("a.b." + "=" * (MAX_TOKEN - 4), payload)))
    return cases


def argument_cases() -> list[Case]:
    """Arguments anyone can send straight to the guard, within 32 KB."""
    token = forged(b'{"alg":"RS256","kid":"k1"}')
    cases = []

    def add(name: str, raw: bytes):
        assert len(raw) <= MAX_ARGS, (name, len(raw))
        cases.append(Case("arguments", name, raw))

    def fill(make: Callable[[int], bytes]) -> bytes:
        return make(_largest(lambda n: len(make(n)) <= MAX_ARGS, MAX_ARGS))

    for same in (False, True):
        label = "same hash" if same else "distinct hashes"
        add(f"many extra keys, {label}", fill(
            lambda n, same=same: _args(token, [1], extra=b"".join(b',"%s":0' % k.encode() for k in _names(n, same_hash=same)))))
    add("long sign_payload of zeros", fill(lambda n: _args(token, [0] * n)))
    add("long sign_payload of 255s", fill(lambda n: _args(token, [255] * n)))
    add("sign_payload of floats", fill(lambda n: _args(token, [1], extra=b',"sign_payload":[' + b"1.5," * n + b"1]")))
    add("sign_payload of long numbers", fill(lambda n: _args(token, [1], extra=b',"x":[' + b",".join([b"9" * 64] * max(n, 1)) + b"]")))
    add("nesting", fill(lambda n: _args(token, [1], extra=b',"x":' + b"[" * n + b"]" * n)))
    add("\\u escapes", fill(lambda n: _args(token, [1], extra=b',"x":"' + b"\\u00e9" * n + b'"')))
    add("non-ASCII string", fill(lambda n: _args(token, [1], extra=b',"x":"' + "é".encode() * n + b'"')))
    add("whitespace", fill(lambda n: b" " * n + _args(token, [1]) + b" " * n))
    return cases


def genuine_cases(now_s: int) -> list[Case]:
    """Tokens signed with the guard's key: what a (careless or hostile) issuer could mint."""
    key = rsa_key(2048)
    payload = list(sample_sign_payload())
    cases = []

    def add(name: str, make: Callable[[int], tuple[dict, list]]):
        """make(n) -> (extra claims, sign_payload); the largest n that fits the token cap."""
        def token(n: int) -> str:
            extra, sign_payload = make(n)
            return sign_token(key, dict(claims(now_s, sign_payload), **extra), kid=KID)

        largest = _largest(lambda n: len(token(n)) <= MAX_TOKEN, MAX_TOKEN)
        cases.append(Case("genuine token", name, _args(token(largest), make(largest)[1])))

    # The payload holds at most claims.MAX_PAYLOAD_STRINGS strings; claims() has 7 (5 names, iss, sub).
    room = MAX_PAYLOAD_STRINGS - 7
    add("many claims", lambda n: ({k: 0 for k in _names(min(n, room), same_hash=False)}, payload))
    add("many claims, same hash", lambda n: ({k: 0 for k in _names(min(n, room), same_hash=True)}, payload))
    add("many strings", lambda n: ({"x": [""] * min(n, room)}, payload))
    add("long list of ints", lambda n: ({"x": [0] * n}, payload))
    add("nesting", lambda n: ({"x": json.loads("[" * min(n, 15) + "]" * min(n, 15))}, payload))
    add("non-ASCII claim", lambda n: ({"x": "é" * n}, payload))
    add("largest fatxn", lambda n: ({}, [0] * n))
    return cases


def random_cases(seed: int = 20261202, count: int = 12) -> list[Case]:
    """Random bytes in each segment: a seeded sweep, for what the axes above miss."""
    rng = random.Random(seed)
    payload = list(sample_sign_payload())
    cases = []
    for index in range(count):
        size = rng.choice((100, 1000, 5000))
        header = bytes(rng.choice(b'{}[]",:0123456789abc\\u ') for _ in range(size))
        cases.append(Case("random", f"header #{index}", _args(forged(b"{" + header + b"}"), payload)))
    return cases


def max_policy() -> dict:
    """The largest policy set_policy accepts (guard_core.policy_spec's limits): 32
    receiver patterns, 16 method entries of 8 names (128 in all), names as long
    as MAX_POLICY_BYTES allows, every other rule set. Transfers and calls to
    the last receiver pattern pass it."""
    def build(name_chars: int) -> dict:
        return {
            "receivers": [f"*.r{i:02d}.near" for i in range(policy_spec.MAX_PATTERNS - 1)] + ["wrap.near"],
            "actions": ["FunctionCall", "Transfer"],
            "methods": {
                (f"*.m{entry:02d}.near" if entry else "wrap.near"): [
                    f"{entry:02d}{index:02d}".ljust(name_chars, "x") for index in range(8)
                ]
                for entry in range(policy_spec.MAX_METHOD_ENTRIES)
            },
            "max_deposit_per_action": str(10**24),
            "max_deposit_total": str(10**26),
            "max_gas": str(300 * 10**12),
            "signer_claim": "near_account_id",
        }

    chars = 4
    while len(json.dumps(build(chars + 1))) <= policy_spec.MAX_POLICY_BYTES:
        chars += 1
    return build(chars)


def many_action_transaction(count: int, policy_rules: dict) -> bytes:
    """A Borsh transaction of `count` 1-yocto transfers to the policy's last
    receiver: the most actions per byte, each one checked by the policy."""
    return borsh.encode_transaction(Transaction(
        signer_id=ALICE, public_key=bytes(33), nonce=1, receiver_id=policy_rules["receivers"][-1],
        block_hash=hashlib.sha256(b"block").digest(), actions=tuple(Transfer(1) for _ in range(count))))


@dataclass
class Setup:
    """A guard configuration to measure under: key set and policy."""

    name: str
    keys: list
    policy: dict | None = None


def key_set_cases(now_s: int) -> list[tuple[Setup, Case]]:
    """Kid-less genuine tokens against the most costly key sets the guard
    still tries (guard_core.keys.MAX_UNPINNED_RS256_WORK), the right key last,
    and against the most keys of any kind."""
    payload = list(sample_sign_payload())
    result = []

    def add(name: str, keys: list, signer, sign_payload=payload, claim_extra=None):
        token = sign_token(signer, dict(claims(now_s, sign_payload), **(claim_extra or {})))
        result.append((Setup(name, keys), Case("key set", name, _args(token, sign_payload))))

    three = [rs256_public(rsa_key(2048, i), kid=f"r{i}") for i in range(3)]
    add("3 x RS256-2048, no kid", three, rsa_key(2048, 2))
    add("1 x RS256-3072, no kid", [rs256_public(rsa_key(3072), kid="mid")], rsa_key(3072))
    add("1 x RS256-4096, no kid", [rs256_public(rsa_key(4096), kid="big")], rsa_key(4096))
    eddsa = [eddsa_public(ed25519_key(i), kid=f"e{i}") for i in range(16)]
    add("16 x EdDSA, no kid", eddsa, ed25519_key(15))
    # Beyond the work cap: refused before any exponentiation.
    four = [rs256_public(rsa_key(2048, i), kid=f"r{i}") for i in range(4)]
    add("4 x RS256-2048, no kid (refused)", four, rsa_key(2048, 3))
    add("RS256-3072 + RS256-2048, no kid (refused)",
        [rs256_public(rsa_key(2048, 0), kid="r0"), rs256_public(rsa_key(3072), kid="mid")], rsa_key(3072))
    big = [rs256_public(rsa_key(4096, i), kid=f"b{i}") for i in range(4)]
    add("4 x RS256-4096, no kid (refused)", big, rsa_key(4096, 3))
    return result


def combined_case(now_s: int, *, bits: int = 2048) -> tuple[Setup, Case]:
    """Every axis at once: the maximum policy, the costliest kid-less key set
    of `bits`-bit keys (three 2048-bit keys, or one larger key; the right key
    last), and a 7,168-byte genuine token whose fatxn is a transaction of as
    many actions as nearcore allows (txdecode.MAX_ACTIONS), all checked."""

    rules = max_policy()
    count = 3 if bits == 2048 else 1
    keys = [rs256_public(rsa_key(bits, i), kid=f"r{i}") for i in range(count)]
    transaction = list(many_action_transaction(MAX_ACTIONS, rules))
    token = token_of_length(MAX_TOKEN, rsa_key(bits, count - 1), dict(claims(now_s, transaction), near_account_id=ALICE))
    name = f"max policy, {count} x RS256-{bits} no kid, 100 actions, 7,168-byte token"
    return Setup(name, keys, rules), Case("combined", name, _args(token, transaction))


def all_cases(now_s: int) -> list[Case]:
    """Cases measured against the default guard (guard_chain)."""
    return header_cases() + argument_cases() + genuine_cases(now_s) + random_cases()


def guard_chain(wasm: bytes) -> GuardChain:
    return GuardChain(wasm, public_keys=[rs256_public(rsa_key(2048), kid=KID)])
