"""TEST PORT of the verification path of Peersyst/fast-auth's `custom-issuer-guard` at
38dc894 — `contracts/jwt-guards/custom-issuer-guard/src/lib.rs` (verify, verify_custom_claims)
on top of `contracts/jwt-guards/base-jwt-guard` (core.rs, jwt/codec.rs, rsa/rs256.rs,
utils/mod.rs) — in plain Python, for checking that tokens from `issuer/` pass Option 2's
on-chain guard. Nothing is copied; each step names the upstream line it follows.

What upstream does that this guard does not: the JOSE header is never read (no `alg`,
no `kid`: every stored key is tried with RS256 math), a signature shorter than the
modulus is accepted when its integer verifies, `aud` is ignored, and the custom claims
(`fatxn`) are checked before the time and issuer.
"""
from __future__ import annotations

import base64
import hashlib
import json
import string

MAX_JWT_SIZE = 7168  # core.rs:5
PRECISION_BYTES = 2048 // 8  # rs256.rs PRECISION: BoxedUint::from_be_slice(.., 2048)
DIGEST_INFO_SHA256 = bytes.fromhex("3031300d060960864801650304020105000420")  # rs256.rs PREFIX
_URL_SAFE = set(string.ascii_letters + string.digits + "-_")


class GuardPanic(Exception):
    """The Rust code panics here (the router then sees a failed guard call)."""


def assert_valid_public_key(n: bytes, e: bytes) -> None:
    """utils/mod.rs assert_valid_public_key: n exactly 256 bytes and odd, e = 65537."""
    if len(n) != 256:
        raise GuardPanic("invalid n component length")
    if not n[-1] & 1:
        raise GuardPanic("modulus must be odd")
    if e != b"\x01\x00\x01":
        raise GuardPanic("invalid e component")


def decode_jwt(jwt: str) -> tuple[str, str, str]:
    """codec.rs decode_jwt: splitn(3, '.'); a third part containing '.' makes all empty."""
    parts = jwt.split(".", 2)
    if len(parts) != 3 or "." in parts[2]:
        return "", "", ""
    return parts[0], parts[1], parts[2]


def decode_base64_bytes(text: str) -> bytes:
    """codec.rs decode_base64_bytes: base64's URL_SAFE_NO_PAD (no '=', no stray trailing
    bits); anything else decodes to empty bytes."""
    if not set(text) <= _URL_SAFE or len(text) % 4 == 1:
        return b""
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode() != text:
        return b""
    return data


def verify_signature_from_components(payload: str, signature: bytes, n: bytes, e: bytes) -> bool:
    """rs256.rs verify_signature_from_components."""
    if len(signature) > PRECISION_BYTES or len(n) > PRECISION_BYTES or len(e) > PRECISION_BYTES:
        raise GuardPanic("Failed to create BoxedUint")  # the .expect(...)s
    digest = hashlib.sha256(payload.encode()).digest()
    s, modulus, exponent = (int.from_bytes(value, "big") for value in (signature, n, e))
    if s >= modulus:  # "only require signature < n": a short signature is fine
        return False
    k = (modulus.bit_length() + 7) // 8
    em = pow(s, exponent, modulus).to_bytes(k, "big")
    t_len = len(DIGEST_INFO_SHA256) + len(digest)
    if k < t_len + 11:
        return False
    ps_len = k - t_len - 3
    return (em[0] == 0 and em[1] == 1 and ps_len >= 8 and em[2:2 + ps_len] == b"\xff" * ps_len
            and em[2 + ps_len] == 0 and em[3 + ps_len:3 + ps_len + len(DIGEST_INFO_SHA256)] == DIGEST_INFO_SHA256
            and em[k - len(digest):] == digest)


def _serde_object(data: bytes):
    """A JSON object as serde_json reads a struct (duplicate fields are an error), or None."""
    def pairs(items):
        keys = [key for key, _ in items]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate field")
        return dict(items)
    try:
        value = json.loads(data, object_pairs_hook=pairs)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _is_u64(value) -> bool:
    return type(value) is int and 0 <= value < 2**64


def verify(issuer: str, jwt: str, sign_payload: list[int], public_keys: list[tuple[bytes, bytes]],
           now_s: int) -> tuple[bool, str]:
    """custom-issuer-guard lib.rs:209-211 verify -> core.rs:111-123 internal_verify."""
    if len(jwt.encode()) > MAX_JWT_SIZE:  # core.rs:113
        return False, "JWT token exceeds maximum size limit"
    header, payload, signature = decode_jwt(jwt)  # core.rs:41-59 verify_token
    signature_bytes = decode_base64_bytes(signature)
    if not any(verify_signature_from_components(f"{header}.{payload}", signature_bytes, n, e)
               for n, e in public_keys):
        return False, ""  # core.rs:118-119: no reason at all
    payload_bytes = decode_base64_bytes(payload)  # core.rs:72-99 verify_claims
    claims = _serde_object(payload_bytes)
    if (claims is None or type(claims.get("sub")) is not str or type(claims.get("iss")) is not str
            or not _is_u64(claims.get("exp")) or not (claims.get("nbf") is None or _is_u64(claims["nbf"]))):
        return False, "serde_json error (Claims)"  # upstream returns serde's own message
    fatxn = claims.get("fatxn")  # custom-issuer-guard lib.rs:237-250 verify_custom_claims
    if not isinstance(fatxn, list) or not all(type(b) is int and 0 <= b <= 255 for b in fatxn):
        return False, "serde_json error (CustomClaims)"
    if fatxn != list(sign_payload):
        return False, "Transaction payload mismatch"
    if claims["exp"] <= now_s:  # core.rs:86-95
        return False, "Token expired"
    if (claims.get("nbf") or 0) > now_s:
        return False, "Token not yet valid"
    if claims["iss"] != issuer:
        return False, "Invalid issuer"
    return True, claims["sub"]
