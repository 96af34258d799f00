"""Shared helpers for the guard-core tests (and the adversarial corpus).

Keys are generated once per process and cached; tokens are built either with
pyjwt (the independent oracle for well-formed tokens) or by hand with
`sign_jws` when a test needs bytes pyjwt would never produce.
"""

import base64
import functools
import hashlib
import json
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from hypothesis import HealthCheck, settings
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_DIR = ROOT / "contract"

import guard_core
from guard_core import reasons

AUTH0_VECTOR_PATH = Path(__file__).resolve().parents[1] / "vectors" / "auth0-rs256.json"

ISSUER = "https://login.example.com/"
NOW = 1_750_000_000
SUBJECT = "google-oauth2|123456789"
# A stand-in for a Borsh transaction: 150 bytes covering the whole 0-255 range.
SIGN_PAYLOAD = [(i * 37 + 11) % 256 for i in range(150)]

# Reasons that can only come from checks before the signature step.
PRE_SIGNATURE_REASONS = {
    reasons.PAUSED,
    reasons.TOKEN_TOO_LARGE,
    reasons.MALFORMED_TOKEN,
    reasons.INVALID_HEADER,
    reasons.UNSUPPORTED_ALGORITHM,
    reasons.NO_VALID_KEY,
}


# Per-test Hypothesis settings (not a global profile: other suites share the
# session). Short, deterministic runs on a shared 2-core machine.
HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def sha256(data):
    return hashlib.sha256(data).digest()


def ed25519_verify(signature, message, public_key):
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@functools.lru_cache(maxsize=None)
def rsa_private_key(bits=2048, index=0):
    """A cached RSA key; `index` gives further distinct keys of the same size."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@functools.lru_cache(maxsize=None)
def ed25519_private_key(index=0):
    return ed25519.Ed25519PrivateKey.from_private_bytes(bytes([index + 1]) * 32)


def modulus_bytes(private_key):
    numbers = private_key.public_key().public_numbers()
    return numbers.n.to_bytes(private_key.key_size // 8, "big")


def rs256_key(private_key, **extra):
    """The stored/JSON form of an RS256 public key."""
    key = {"n": list(modulus_bytes(private_key)), "e": [1, 0, 1]}
    key.update(extra)
    return key


def eddsa_key(private_key, **extra):
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key = {"alg": "EdDSA", "x": list(raw)}
    key.update(extra)
    return key


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def reference_b64url_decode(segment):
    """Independent strict decoder: bytes, or None if not canonical base64url."""
    if isinstance(segment, bytes):
        try:
            segment = segment.decode("ascii")
        except UnicodeDecodeError:
            return None
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    if any(ch not in allowed for ch in segment) or len(segment) % 4 == 1:
        return None
    data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if b64url(data) != segment:
        return None
    return data


def _as_json_bytes(part):
    if isinstance(part, bytes):
        return part
    return json.dumps(part, separators=(",", ":")).encode()


def sign_jws(header, payload, private_key, signature_override=None):
    """A compact JWS over arbitrary header/payload (dicts or raw bytes).

    The signature matches the key type (RS256 or EdDSA) regardless of what
    the header claims; `signature_override` replaces it with given bytes.
    """
    signing_input = (b64url(_as_json_bytes(header)) + "." + b64url(_as_json_bytes(payload))).encode()
    if signature_override is not None:
        signature = signature_override
    elif isinstance(private_key, rsa.RSAPrivateKey):
        signature = private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    else:
        signature = private_key.sign(signing_input)
    return signing_input.decode() + "." + b64url(signature)


def claims(**overrides):
    """A valid claim set at NOW; pass name=None to drop a claim."""
    result = {
        "iss": ISSUER,
        "sub": SUBJECT,
        "exp": NOW + 600,
        "iat": NOW - 10,
        "nbf": NOW - 10,
        "fatxn": list(SIGN_PAYLOAD),
    }
    for name, value in overrides.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def rs256_header(kid=None, **extra):
    header = {"alg": "RS256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    header.update(extra)
    return header


def eddsa_header(kid=None, **extra):
    header = {"alg": "EdDSA", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    header.update(extra)
    return header


_DEFAULT_SIGN_PAYLOAD = object()


def verify(token, public_keys, now=NOW, sign_payload=_DEFAULT_SIGN_PAYLOAD, issuer=ISSUER, audience=None,
           issuers=None, paused=False, extra_claims_check=None, sha256=sha256):
    """guard_core.verify_jwt with the test defaults and host functions, its
    records' fields as keyword arguments (sign_payload may be None)."""
    if sign_payload is _DEFAULT_SIGN_PAYLOAD:
        sign_payload = list(SIGN_PAYLOAD)
    return guard_core.verify_jwt(
        (token, sign_payload, issuer),
        (public_keys, audience, issuers, paused, extra_claims_check),
        (now, sha256, ed25519_verify),
    )


def cryptography_signature_valid(token, private_key):
    """Oracle: None if the token is not well-shaped (strict reference decoding,
    header a JSON object naming the key's algorithm), else whether
    `cryptography` accepts its signature."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    header_segment, payload_segment, signature_segment = token.split(".")
    header_bytes = reference_b64url_decode(header_segment)
    signature = reference_b64url_decode(signature_segment)
    if header_bytes is None or signature is None or len(payload_segment) % 4 == 1:
        return None
    try:
        header = json.loads(header_bytes)
    except ValueError:
        return None
    if not isinstance(header, dict):
        return None
    expected_alg = "RS256" if isinstance(private_key, rsa.RSAPrivateKey) else "EdDSA"
    if header.get("alg") != expected_alg:
        return None
    signing_input = (header_segment + "." + payload_segment).encode()
    public_key = private_key.public_key()
    try:
        if expected_alg == "RS256":
            public_key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            public_key.verify(signature, signing_input)
    except InvalidSignature:
        return False
    return True


def load_auth0_vector():
    return json.loads(AUTH0_VECTOR_PATH.read_text())
