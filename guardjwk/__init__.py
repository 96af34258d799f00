"""The guard's public keys on the host side: JWK (RFC 7517) ↔ the guard's key shape, the RFC 7638
thumbprint, and base64url without padding. guardctl and the issuer both use it.

The guard stores a key as `{"n": [bytes], "e": [bytes], "alg"?: "RS256", "kid"?}` for RSA and
`{"alg": "EdDSA", "x": [32 bytes], "kid"?}` for Ed25519 (bytes as lists of ints, as its JSON
views show them); what it accepts is decided by `guard_core.keys`, not here.
"""
from __future__ import annotations

import base64
import hashlib
import json

from guard_core.keys import key_algorithm

RSA_EXPONENT = 65537


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text, what: str = "value") -> bytes:
    """The bytes of a base64url string, padded or not; ValueError naming `what` otherwise."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"{what} must be a base64url string")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise ValueError(f"{what} is not valid base64url") from None


def int_bytes(value: int) -> bytes:
    """A non-negative integer as big-endian bytes, without leading zeros (JWK's n and e)."""
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def guard_key_from_jwk(jwk: dict) -> dict:
    """One JWK → the guard's key shape (kid, and alg when the JWK names it, carried over).
    ValueError for a key the guard cannot take (not a signing key, another type, curve or exponent)."""
    kty = jwk.get("kty")
    alg = jwk.get("alg")
    if jwk.get("use") not in (None, "sig"):
        raise ValueError(f"use={jwk.get('use')!r} (not a signing key)")
    if kty == "RSA":
        if alg not in (None, "RS256"):
            raise ValueError(f"alg {alg} is not supported (RSA keys must be RS256)")
        n = int.from_bytes(b64url_decode(jwk.get("n"), "n"), "big")
        e = int.from_bytes(b64url_decode(jwk.get("e"), "e"), "big")
        if e != RSA_EXPONENT:
            raise ValueError(f"RSA exponent {e} is not supported (the guard accepts 65537 only)")
        key = {"n": list(int_bytes(n)), "e": list(int_bytes(e))}
        if alg == "RS256":
            key["alg"] = "RS256"
    elif kty == "OKP":
        if jwk.get("crv") != "Ed25519":
            raise ValueError(f"OKP curve {jwk.get('crv')} is not supported (Ed25519 only)")
        if alg not in (None, "EdDSA", "Ed25519"):
            raise ValueError(f"alg {alg} does not fit an Ed25519 key")
        key = {"alg": "EdDSA", "x": list(b64url_decode(jwk.get("x"), "x"))}
    else:
        raise ValueError(f"key type {kty!r}{f' ({alg})' if alg else ''} is not supported "
                         "(the guard takes RSA for RS256 and OKP Ed25519 for EdDSA)")
    if "kid" in jwk:
        key["kid"] = jwk["kid"]
    return key


def jwk_from_guard_key(key: dict) -> dict:
    """A guard key → its JWK, with alg, use "sig" and the kid when it has one."""
    if key_algorithm(key) == "EdDSA":
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(bytes(key["x"]))}
    else:
        jwk = {"kty": "RSA", "n": b64url_encode(bytes(key["n"])), "e": b64url_encode(bytes(key["e"]))}
    jwk["alg"] = key_algorithm(key)
    jwk["use"] = "sig"
    if "kid" in key:
        jwk["kid"] = key["kid"]
    return jwk


def jwk_thumbprint(jwk: dict) -> str:
    """RFC 7638 thumbprint (SHA-256, base64url) of a JWK: the key's identity whatever its kid."""
    members = ("crv", "kty", "x") if jwk["kty"] == "OKP" else ("e", "kty", "n")
    canonical = json.dumps({name: jwk[name] for name in members}, separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode()).digest())


def guard_key_thumbprint(key: dict) -> str:
    """RFC 7638 thumbprint of a guard key (of its JWK)."""
    return jwk_thumbprint(jwk_from_guard_key(key))
