"""Differential tests of MicroPython's integers, on the built Wasm, against CPython.

The guard's RS256 check is `pow(s, 65537, n)` plus int.from_bytes / to_bytes;
runtime patch 05 replaces that `pow` for odd moduli by Montgomery
multiplication (contract/runtime/README.md). Every integer operation the guard
and its shell use is checked here on the patched runtime, as NEAR runs it
(tests/contracts/int_probe), with thousands of random operands and the edge
values: 0, 1, n-1, n, all-ones, leading zero bytes, host u64/u128 values.
Every case runs twice: on the runtime built with the port's defaults, and
built with the guard's own cflags (its lean build, contract/pyproject.toml).
"""
from __future__ import annotations

import binascii
import random

import pytest

from tests.buildfixtures import GUARD_DIR
from tests.toolchain.conftest import TGAS, call, instructions, returned_text

SEED = 20240611
CASES_RUN = {"count": 0}


@pytest.fixture(scope="module", params=["port-defaults", "guard-cflags"])
def probe(request, contract_builder) -> bytes:
    """int_probe on the runtime as test contracts get it, and as the guard gets it:
    with the guard's own cflags (contract/pyproject.toml, its lean build), so the
    integers tested are the ones the guard computes with."""
    cflags_of = GUARD_DIR if request.param == "guard-cflags" else None
    with open(contract_builder("int_probe", cflags_of=cflags_of), "rb") as handle:
        return handle.read()


def _h(value: int) -> str:
    return format(value, "x") if value >= 0 else "-" + format(-value, "x")


def _expected(fields: list) -> str:
    op = fields[0]
    if op == "pow":
        return hex(pow(*fields[1:]))
    if op == "mul":
        return hex(fields[1] * fields[2])
    if op == "add":
        return hex(fields[1] + fields[2])
    if op == "sub":
        return hex(fields[1] - fields[2])
    if op == "divmod":
        a, b = fields[1:]
        return " ".join(hex(v) for v in (*divmod(a, b), a // b, a % b))
    if op == "cmp":
        a, b = fields[1:]
        return "".join("1" if f else "0" for f in (a < b, a <= b, a == b, a != b, a > b, a >= b))
    if op == "fb":
        data = fields[1]
        return hex(int.from_bytes(data, "big")) + " " + hex(int.from_bytes(data, "little"))
    if op == "tb":
        a, size = fields[1:]
        return a.to_bytes(size, "big").hex() + " " + a.to_bytes(size, "little").hex()
    if op == "dec":
        return str(fields[1]) + " 1"
    if op == "shr":
        a, n = fields[1:]
        return " ".join(hex(v) for v in (a >> n, a << n, a & 0xFFFFFFFF))
    if op == "rsa":
        signature, modulus = fields[1:]
        s, n = int.from_bytes(signature, "big"), int.from_bytes(modulus, "big")
        valid = (len(modulus) % 4 == 0 and 0 < len(modulus) <= 1024 and len(signature) == len(modulus)
                 and n & 1 and modulus[:4] != b"\0\0\0\0" and s < n)
        return pow(s, 65537, n).to_bytes(len(modulus), "big").hex() if valid else "none"
    if op == "b64":
        data = fields[1]
        decoded = _micropython_a2b_base64(data)
        return ("error" if decoded is None else decoded.hex()) + " " + binascii.b2a_base64(data, newline=False).hex()
    raise AssertionError(op)


def _micropython_a2b_base64(data: bytes):
    """MicroPython's a2b_base64 (extmod/modbinascii.c), which is laxer than CPython's:
    characters outside the alphabet are skipped, and padding ends the input once the
    bits add up. None where it raises ValueError("incorrect padding")."""
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    out = bytearray()
    shift = nbits = 0
    hadpad = False
    for byte in data:
        if byte == ord("="):
            if nbits == 2 or (nbits == 4 and hadpad):
                nbits = 0
                break
            hadpad = True
        sextet = alphabet.find(bytes([byte]))
        if sextet == -1:
            continue
        hadpad = False
        shift = ((shift << 6) | sextet) & 0xFFFFFFFF
        nbits += 6
        if nbits >= 8:
            nbits -= 8
            out.append((shift >> nbits) & 0xFF)
    return None if nbits else bytes(out)


def _line(fields: list) -> str:
    op = fields[0]
    if op == "fb":
        return "fb " + (fields[1].hex() or "")
    if op in ("tb", "shr"):
        return f"{op} {_h(fields[1])} {fields[2]}"
    if op == "rsa":
        signature, modulus = fields[1:]
        return f"rsa {signature.hex()} {modulus.hex()}"
    if op == "b64":
        return "b64 " + fields[1].hex()
    return " ".join([op] + [_h(v) for v in fields[1:]])


def run_batch(probe: bytes, cases: list[list]) -> int:
    """Runs `cases` in one call; asserts every answer; returns the instructions used."""
    outcome = call(probe, "run", "\n".join(_line(c) for c in cases).encode(), prepaid_gas=300 * TGAS)
    answers = returned_text(outcome).split("\n")
    assert len(answers) == len(cases)
    for case, answer in zip(cases, answers):
        assert answer == _expected(case), (_line(case)[:200], answer[:200])
    CASES_RUN["count"] += len(cases)
    return instructions(outcome)


def _odd(rng: random.Random, bits: int, *, top: bool = True) -> int:
    value = rng.getrandbits(bits) | 1
    if top:
        value |= 1 << (bits - 1)
    return value


def _chunks(cases: list, size: int):
    for start in range(0, len(cases), size):
        yield cases[start:start + size]


@pytest.mark.parametrize("bits", [2048, 3072, 4096])
def test_rsa_public_pow_matches_cpython(probe, bits):
    """pow(s, 65537, n) as RS256 does it: random odd moduli of the key sizes, random s < n."""
    rng = random.Random(SEED + bits)
    cases = []
    for _ in range({2048: 120, 3072: 40, 4096: 40}[bits]):
        n = _odd(rng, bits)
        cases.append(["pow", rng.randrange(n), 65537, n])
    n = (1 << bits) - 1  # all ones
    for base in (0, 1, 2, n - 1, n - 2, n, n + 1, 1 << (bits - 1), (1 << (bits - 8)) - 1):
        cases.append(["pow", base, 65537, n])
    n = _odd(rng, bits)
    for base in (1, n - 1, n, 3 * n + 5, (1 << (2 * bits)) + 7, 0xFF):
        cases.append(["pow", base, 65537, n])
        cases.append(["pow", base, 3, n])
    for batch in _chunks(cases, 25 if bits == 2048 else 8):
        run_batch(probe, batch)


def _batches_by_work(cases: list, budget: int = 20_000_000):
    """Batches of pow cases whose rough cost, in ~8-instruction units (limb products:
    exponent bits x limbs^2, plus the probe's quadratic hex parsing and formatting),
    keeps each call well inside 300 Tgas."""
    batch, work = [], 0
    for case in cases:
        bits = case[3].bit_length() if case[0] == "pow" else 8 * len(case[2])
        exponent_bits = case[2].bit_length() if case[0] == "pow" else 17
        cost = (exponent_bits + 2) * (bits // 28 + 1) ** 2 + bits * bits // 16
        if batch and work + cost > budget:
            yield batch
            batch, work = [], 0
        batch.append(case)
        work += cost
    if batch:
        yield batch


def test_pow_random_moduli_512_to_4096_bits(probe):
    """Patch 05's product-scanning Montgomery arithmetic (28-bit limbs) on 300 random odd
    moduli of every size from 512 to 4096 bits and on both sides of 28-bit limb
    boundaries: exponents 3, 65537 and random ones, bases 0, 1, 2, n - 1, random below n,
    between n and 4n, and up to n^2."""
    rng = random.Random(SEED + 8)
    moduli = [_odd(rng, rng.randint(512, 4096)) for _ in range(300)]
    for limbs in (19, 37, 73, 74, 110, 146, 147):
        for bits in (28 * limbs - 1, 28 * limbs, 28 * limbs + 1):
            moduli.append(_odd(rng, bits))
    moduli += [(1 << 4096) - 1, (1 << 4095) + 1, (1 << 2048) - 1, (1 << 2047) + 1, (1 << 28 * 74) - 1]
    cases = []
    for n in moduli:
        exponent = rng.choice([3, 65537, 65537, rng.getrandbits(rng.randint(2, 128)) | 1])
        base = rng.choice([0, 1, 2, n - 1, rng.randrange(n), rng.randrange(n), rng.randrange(n, 4 * n),
                           rng.randrange(n * n)])
        cases.append(["pow", base, exponent, n])
        if exponent != 65537:
            cases.append(["pow", rng.randrange(n), 65537, n])
    assert len(cases) > 400
    for batch in _batches_by_work(cases):
        run_batch(probe, batch)


def test_rsa_public_pow_random_lengths_match_cpython(probe):
    """near.rsa_public_pow over 150 random odd moduli of 64 to 512 bytes (every multiple
    of 4), with random signatures, 0, 1, n - 1 and n (None)."""
    rng = random.Random(SEED + 9)
    cases = []
    for _ in range(150):
        size = 4 * rng.randint(16, 128)
        n = _odd(rng, 8 * size - rng.choice([0, 0, 1, 7, 8, 27]))
        modulus = n.to_bytes(size, "big")
        for s in (rng.randrange(n), rng.choice([0, 1, n - 1, n, rng.randrange(n)])):
            cases.append(["rsa", s.to_bytes(size, "big"), modulus])
    for batch in _batches_by_work(cases):
        run_batch(probe, batch)


def test_pow_over_small_and_odd_sized_moduli(probe):
    """Every modulus size from 2 to 600 bits, random exponents (small, 65537, full size)."""
    rng = random.Random(SEED)
    cases = []
    for bits in range(2, 601):
        for _ in range(3):
            n = _odd(rng, bits) if bits > 1 else 3
            if n == 1:
                n = 3
            exponent = rng.choice([1, 2, 3, 17, 65537, rng.getrandbits(rng.randint(1, bits)) | 1])
            base = rng.randrange(1, max(2, n * rng.choice([1, 1, 1, 3])))
            cases.append(["pow", base, exponent, n])
    for batch in _chunks(cases, 60):
        run_batch(probe, batch)


def test_pow_edge_values(probe):
    rng = random.Random(SEED + 1)
    cases = []
    for n in (3, 5, 7, 0xFFFF, 0x10001, 0xFFFFFFFF, (1 << 32) + 1, (1 << 64) - 1, (1 << 64) + 1,
              (1 << 521) - 1, (1 << 1024) - 1, _odd(rng, 33), _odd(rng, 65), _odd(rng, 1023)):
        for base in (1, 2, n - 1, n, n + 1, 2 * n - 1, (1 << 16) - 1, (1 << 32) - 1, (1 << 32), 1 << 64):
            for exponent in (1, 2, 3, 65537, (1 << 16) - 1, (1 << 32) + 1):
                cases.append(["pow", base, exponent, n])
    # Moduli the Montgomery path does not take (even, 1) keep the old algorithm.
    for n in (1, 2, 4, 6, 1 << 64, (1 << 2048) - 2, _odd(rng, 512) + 1):
        for base in (1, 3, n - 1 if n > 1 else 5, rng.getrandbits(600) + 1):
            cases.append(["pow", base, 65537, n])
            cases.append(["pow", base, 2, n])
    # Negative bases take the old path too; Python's result is in [0, n).
    for base in (-1, -2, -(1 << 100) - 3):
        cases.append(["pow", base, 5, _odd(rng, 256)])
    for batch in _chunks(cases, 200):
        run_batch(probe, batch)


def test_arithmetic_and_comparisons_match_cpython(probe):
    """*, +, -, divmod, //, %, comparisons, shifts on random 1..4096-bit operands."""
    rng = random.Random(SEED + 2)
    cases = []
    for _ in range(1500):
        a = rng.getrandbits(rng.choice([8, 31, 32, 33, 63, 64, 65, 128, 1024, 2048, 4096]))
        b = rng.getrandbits(rng.choice([8, 31, 32, 33, 63, 64, 65, 128, 1024, 2048])) or 1
        op = rng.choice(["mul", "add", "sub", "divmod", "cmp", "cmp", "shr"])
        if op == "shr":
            cases.append(["shr", a, rng.randrange(0, 80)])
        else:
            cases.append([op, a, b])
    for a, b in ((0, 1), (1, 1), ((1 << 64) - 1, (1 << 64) - 1), (1 << 63, (1 << 63) - 1),
                 ((1 << 30) - 1, 1 << 30), ((1 << 31) - 1, 1 << 31), (-5, 3), (5, -3), (-(1 << 70), 7)):
        for op in ("mul", "add", "sub", "divmod", "cmp"):
            cases.append([op, a, b])
    for batch in _chunks(cases, 60):
        run_batch(probe, batch)


def test_bytes_conversions_and_text_round_trips(probe):
    """int.from_bytes / to_bytes (big and little), str() and int(hex, 16) round trips."""
    rng = random.Random(SEED + 3)
    cases = []
    for size in list(range(0, 40)) + [63, 64, 65, 127, 128, 255, 256, 257, 383, 384, 511, 512]:
        for _ in range(4):
            data = rng.randbytes(size)
            cases.append(["fb", data])
            cases.append(["fb", b"\x00" * rng.randint(1, 3) + data])  # leading zero bytes
            value = int.from_bytes(data, "big")
            cases.append(["tb", value, size + rng.randint(0, 2)])
            cases.append(["dec", value])
        cases.append(["fb", b"\xff" * size])
        cases.append(["fb", b"\x00" * size])
        if size:
            cases.append(["tb", (1 << (8 * size)) - 1, size])
    for value in (0, 1, (1 << 30) - 1, 1 << 30, (1 << 31) - 1, 1 << 31, (1 << 63) - 1, 1 << 63, (1 << 64) - 1,
                  (1 << 128) - 1, 10**19, 10**24 * 5, 1_700_000_000_000_000_000):
        cases.append(["dec", value])
        cases.append(["tb", value, 16])
    for batch in _chunks(cases, 20):
        run_batch(probe, batch)


@pytest.mark.parametrize("timestamp, deposit", [
    (1_700_000_000_000_000_000, 1),
    ((1 << 64) - 1, (1 << 128) - 1),
    ((1 << 62) + 12345, 10**24),
    (1_000_000_000, 0),
    ((1 << 30) - 1, (1 << 64) + 3),
    (1 << 30, 10**19 * 1234),
])
def test_host_u64_and_u128_values(probe, timestamp, deposit):
    """block_timestamp (u64) and attached_deposit (u128) come through intact and compare right."""
    probes = [0, 1, timestamp - 1, timestamp, timestamp + 1, timestamp // 10**9, timestamp // 10**9 + 1,
              deposit - 1, deposit, deposit + 1, (1 << 63) - 1, 1 << 64, 2**127]
    outcome = call(probe, "host_values", "\n".join(str(p) for p in probes).encode(),
                   block_timestamp=timestamp, attached_deposit=deposit)
    lines = returned_text(outcome).split("\n")
    seconds = timestamp // 10**9
    assert lines[:11] == [str(timestamp), hex(timestamp), str(seconds), str(timestamp % 10**9), str(deposit),
                          hex(deposit), str(deposit - 1), str(deposit * 2), str(deposit // 10**19),
                          "1" if deposit >= 1 else "0", "1" if deposit == 1 else "0"]
    for value, line in zip(probes, lines[13:]):
        flags = (timestamp < value, timestamp == value, timestamp > value, seconds < value, seconds == value,
                 seconds >= value, deposit < value, deposit == value, deposit > value)
        assert line == "".join("1" if f else "0" for f in flags), value
    assert len(lines) == 13 + len(probes)


def test_rs256_pow_cost(probe):
    """The point of patch 05: a 2048-bit pow(s, 65537, n) -- with the probe's hex parsing and
    formatting of its 2048-bit operands, ~3.3M of it -- costs ~5.0M instructions (9.2M with
    32-bit limbs and operand scanning; the stock pow alone was ~34M)."""
    rng = random.Random(SEED + 4)
    n = _odd(rng, 2048)
    empty = instructions(call(probe, "run", b"add 1 1"))
    used = run_batch(probe, [["pow", rng.randrange(n), 65537, n]]) - empty
    assert used < 6_000_000, used


@pytest.mark.parametrize("bits", [2048, 3072, 4096])
def test_rsa_public_pow_from_bytes_matches_cpython(probe, bits):
    """near.rsa_public_pow (patch 14): signature^65537 mod n from and to bytes against
    CPython's pow, including s = 0, 1, n - 1, and s >= n (None); moduli just over a
    limb boundary and just under a power of two stress the long division that enters
    the Montgomery form."""
    rng = random.Random(SEED + bits + 1)
    size = bits // 8
    moduli = [_odd(rng, bits) for _ in range(4)]
    moduli += [(1 << (bits - 1)) + 1, (1 << bits) - 1, (1 << (bits - 1)) | (rng.getrandbits(64) | 1)]
    cases = []
    for n in moduli:
        modulus = n.to_bytes(size, "big")
        for s in (rng.randrange(n), rng.randrange(n), 0, 1, 2, n - 1, n, n + 1, (1 << bits) - 1):
            if s < 1 << bits:  # n + 1 does not fit when n is all ones
                cases.append(["rsa", s.to_bytes(size, "big"), modulus])
    for chunk in _chunks(cases, 24):
        run_batch(probe, chunk)


def test_rsa_public_pow_refuses_what_it_cannot_compute(probe):
    """Moduli that are even, not a multiple of 4 bytes long or with a zero top limb,
    and a signature of another length: None, never a wrong answer; a zero top byte
    with a non-zero top limb still computes."""
    rng = random.Random(SEED + 7)
    n = _odd(rng, 2048)
    modulus = n.to_bytes(256, "big")
    s = rng.randrange(n).to_bytes(256, "big")
    small = _odd(rng, 2040).to_bytes(256, "big")  # top byte zero, top limb not
    tiny = _odd(rng, 2016).to_bytes(256, "big")  # top limb zero
    cases = [
        ["rsa", s, (n - 1).to_bytes(256, "big")],  # even
        ["rsa", s[:255], modulus[:255]],  # 255 bytes
        ["rsa", s[:255], modulus],  # lengths differ
        ["rsa", b"\0" * 256, tiny],
        ["rsa", b"\0" * 255 + b"\x02", small],
        ["rsa", s, modulus],
    ]
    run_batch(probe, cases)


def test_base64_matches_the_stock_runtime_and_cpython(probe):
    """binascii's base64 (through runtime patch 17's tables in the guard's build):
    a2b_base64 as the stock runtime decodes (every byte value, padding in every
    position, foreign characters), b2a_base64 as CPython encodes."""
    rng = random.Random(SEED + 17)
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    cases = [["b64", bytes(range(256))], ["b64", b""], ["b64", bytes(range(255, -1, -1))]]
    for value in range(256):
        cases.append(["b64", bytes([value]) * 4])
        cases.append(["b64", b"QU" + bytes([value]) + b"="])
    for size in range(0, 40):
        text = bytes(rng.choice(alphabet) for _ in range(size))
        cases.append(["b64", text])
        cases.append(["b64", text + b"="])
        cases.append(["b64", text + b"=="])
        cases.append(["b64", text[: size // 2] + b"=" + text[size // 2:]])
        cases.append(["b64", bytes(rng.randrange(256) for _ in range(size))])
    for _ in range(40):
        cases.append(["b64", bytes(rng.choice(alphabet + b"=-_ \n.") for _ in range(rng.randrange(1, 200)))])
    for chunk in _chunks(cases, 100):
        run_batch(probe, chunk)
