"""Development helpers: test key pairs and signed test tokens.

Nothing here is for production: a real IdP signs real tokens. These let a
developer or a test exercise a guard end to end without one.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Optional

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from guardjwk import guard_key_thumbprint, jwk_from_guard_key

from .errors import GuardctlError
from .public_keys import keys_from_pem

RSA_SIZES = (2048, 3072, 4096)


def load_private_key(path: str):
    try:
        data = Path(path).expanduser().read_bytes()
    except FileNotFoundError:
        raise GuardctlError(f"private key file {path} does not exist") from None
    except OSError as err:
        raise GuardctlError(f"cannot read private key file {path}: {err.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise GuardctlError(f"{path} is encrypted; give an unencrypted test key") from None
    except Exception:
        raise GuardctlError(f"{path} is not a PEM private key") from None
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size not in RSA_SIZES:
            raise GuardctlError(f"{path}: RSA-{key.key_size} keys are not accepted by the guard (2048/3072/4096)")
        return key, "RS256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key, "EdDSA"
    raise GuardctlError(f"{path}: {type(key).__name__.removeprefix('_')} keys are not supported (RSA or Ed25519)")


def mint_token(private_key_path: str, *, issuer: str, subject: str, payload: bytes,
               kid: Optional[str] = None, audience: Optional[str] = None, expires_in: int = 600,
               not_before: Optional[int] = None, extra_claims: Optional[dict] = None,
               now: Optional[int] = None) -> tuple[str, dict, dict]:
    """(token, header, claims) of a signed test JWT whose `fatxn` is `payload`."""
    key, alg = load_private_key(private_key_path)
    issued_at = int(time.time()) if now is None else now
    claims = {"iss": issuer, "sub": subject, "iat": issued_at, "exp": issued_at + expires_in,
              "fatxn": list(payload)}
    if audience is not None:
        claims["aud"] = audience
    if not_before is not None:
        claims["nbf"] = not_before
    claims.update(extra_claims or {})
    header = {"kid": kid} if kid else {}
    token = jwt.encode(claims, key, algorithm=alg, headers=header or None)
    return token, jwt.get_unverified_header(token), claims


def generate_key_pair(prefix: str, *, ed25519_key: bool, rsa_bits: int, kid: Optional[str],
                      overwrite: bool) -> dict:
    """Write PREFIX.private.pem (0600), PREFIX.public.pem and PREFIX.jwks.json."""
    paths = {name: Path(f"{prefix}.{name}") for name in ("private.pem", "public.pem", "jwks.json")}
    existing = [str(path) for path in paths.values() if path.exists()]
    if existing and not overwrite:
        raise GuardctlError(f"{', '.join(existing)} already exist(s); pass --force to overwrite")
    if ed25519_key:
        private_key = ed25519.Ed25519PrivateKey.generate()
    else:
        if rsa_bits not in RSA_SIZES:
            raise GuardctlError(f"--rsa-bits must be one of {', '.join(map(str, RSA_SIZES))}")
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    private_pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
    public_pem = private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    guard_key = keys_from_pem(public_pem)[0]
    guard_key["kid"] = kid or guard_key_thumbprint(guard_key)
    jwks = {"keys": [jwk_from_guard_key(guard_key)]}

    paths["private.pem"].parent.mkdir(parents=True, exist_ok=True)
    for path in paths.values():
        path.unlink(missing_ok=True)
    descriptor = os.open(paths["private.pem"], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_pem)
    paths["public.pem"].write_bytes(public_pem)
    paths["jwks.json"].write_text(json.dumps(jwks, indent=2) + "\n")
    return {"kid": guard_key["kid"], "alg": "EdDSA" if ed25519_key else "RS256",
            **{name.replace(".", "_"): str(path) for name, path in paths.items()}}
