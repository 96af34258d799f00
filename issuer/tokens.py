"""Minting the guard token: a compact JWS, RS256 (default) or EdDSA, bound to one transaction.

    header  {"alg": "RS256" | "EdDSA", "kid": <signing key>, "typ": "JWT"}
    payload {"iss", "sub", "iat", "nbf", "exp", "jti", "fatxn": [bytes as ints], "aud"?,
             <account claim>?, <hook claims>…}

`fatxn` is the exact transaction bytes as a JSON array of integers, which the
guard compares byte for byte with the `sign_payload` FastAuth passes. The
token must fit the guard's 7168-byte limit (guard_core.jws.MAX_TOKEN_BYTES).
"""
from __future__ import annotations

import secrets

import jwt

from guard_core import jws

from .signing_keys import Signer


def new_jti() -> str:
    return secrets.token_urlsafe(16)


def max_token_bytes() -> int:
    return jws.MAX_TOKEN_BYTES


def mint(signer: Signer, claims: dict) -> str:
    return jwt.encode(claims, signer.private_key, algorithm=signer.alg, headers={"kid": signer.kid, "typ": "JWT"})
