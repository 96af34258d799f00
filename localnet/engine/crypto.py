"""Hashes and signature checks the host functions need beyond hashlib.

Keccak (the pre-standard padding Ethereum and NEAR use, not SHA-3) and
secp256k1 public-key recovery are written out here because neither the
standard library nor `cryptography` offers them.
"""
from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

_MASK64 = (1 << 64) - 1
_ROUND_CONSTANTS = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)
# Rotation offsets indexed [x][y] of the 5x5 lane state.
_ROTATIONS = (
    (0, 36, 3, 41, 18),
    (1, 44, 10, 45, 2),
    (62, 6, 43, 15, 61),
    (28, 55, 25, 21, 56),
    (27, 20, 39, 8, 14),
)


def _rotl(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (64 - shift))) & _MASK64 if shift else value


def _keccak_f(lanes: list[list[int]]) -> None:
    for rc in _ROUND_CONSTANTS:
        c = [lanes[x][0] ^ lanes[x][1] ^ lanes[x][2] ^ lanes[x][3] ^ lanes[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rotl(c[(x + 1) % 5], 1) for x in range(5)]
        for x in range(5):
            for y in range(5):
                lanes[x][y] ^= d[x]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rotl(lanes[x][y], _ROTATIONS[x][y])
        for x in range(5):
            for y in range(5):
                lanes[x][y] = b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y])
        lanes[0][0] ^= rc


def _keccak(data: bytes, rate: int, digest_size: int, domain_suffix: int = 0x01) -> bytes:
    """Keccak sponge; suffix 0x01 is original Keccak, 0x06 would give SHA-3."""
    padded = bytearray(data)
    padded.append(domain_suffix)
    padded.extend(b"\x00" * ((-len(padded)) % rate))
    padded[-1] |= 0x80
    lanes = [[0] * 5 for _ in range(5)]
    for offset in range(0, len(padded), rate):
        block = padded[offset : offset + rate]
        for i in range(rate // 8):
            lanes[i % 5][i // 5] ^= int.from_bytes(block[8 * i : 8 * i + 8], "little")
        _keccak_f(lanes)
    out = b"".join(lanes[i % 5][i // 5].to_bytes(8, "little") for i in range(rate // 8))
    return out[:digest_size]


def keccak256(data: bytes) -> bytes:
    return _keccak(data, 136, 32)


def keccak512(data: bytes) -> bytes:
    return _keccak(data, 72, 64)


def ripemd160(data: bytes) -> bytes:
    return hashlib.new("ripemd160", data).digest()


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def ed25519_verify(signature: bytes, message: bytes, public_key: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


# secp256k1: y^2 = x^3 + 7 over F_p, group order n, generator G.
_P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_G = (
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)


def _point_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    (x1, y1), (x2, y2) = a, b
    if x1 == x2:
        if (y1 + y2) % _P == 0:
            return None
        slope = 3 * x1 * x1 * pow(2 * y1, -1, _P) % _P
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, _P) % _P
    x3 = (slope * slope - x1 - x2) % _P
    return x3, (slope * (x1 - x3) - y1) % _P


def _point_mul(k: int, point):
    result = None
    while k:
        if k & 1:
            result = _point_add(result, point)
        point = _point_add(point, point)
        k >>= 1
    return result


def secp256k1_signature_values_ok(signature: bytes, reject_upper_s: bool) -> bool:
    """nearcore's `check_signature_values`: r, s in range, low s when asked."""
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    s_ok = s < _N // 2 + 1 if reject_upper_s else s < _N
    return 1 <= r < _N and 1 <= s and s_ok


def secp256k1_recover(message_hash: bytes, signature: bytes, recovery_id: int) -> bytes | None:
    """The signer's 64-byte uncompressed key (x || y), or None when recovery fails."""
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    x = r + (recovery_id >> 1) * _N
    if x >= _P:
        return None
    alpha = (pow(x, 3, _P) + 7) % _P
    y = pow(alpha, (_P + 1) // 4, _P)
    if y * y % _P != alpha:
        return None
    if y % 2 != recovery_id & 1:
        y = _P - y
    z = int.from_bytes(message_hash, "big") % _N
    r_inverse = pow(r, -1, _N)
    q = _point_add(_point_mul(s * r_inverse % _N, (x, y)), _point_mul((-z * r_inverse) % _N, _G))
    if q is None:
        return None
    return q[0].to_bytes(32, "big") + q[1].to_bytes(32, "big")
