"""Public keys and signatures: NEAR's text form, verification, generation.

Keys travel in Borsh form (`key-type byte + key bytes`), the way the
engine's `signer_account_pk` and the Borsh decoder hand them over; JSON
shows them as `ed25519:<base58>` / `secp256k1:<base58>`.
"""
from __future__ import annotations

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from ..borsh import PUBLIC_KEY_LENGTHS, SIGNATURE_LENGTHS
from ..primitives import ED25519, SECP256K1

KEY_TYPE_NAMES = {ED25519: "ed25519", SECP256K1: "secp256k1"}
KEY_TYPES = {name: key_type for key_type, name in KEY_TYPE_NAMES.items()}


def b58(data: bytes) -> str:
    return base58.b58encode(data).decode("ascii")


def public_key_text(key: bytes) -> str:
    return f"{KEY_TYPE_NAMES[key[0]]}:{b58(key[1:])}"


def parse_public_key(text: str) -> bytes:
    """`ed25519:<base58>` (bare base58 reads as ed25519) → Borsh key; ValueError when malformed."""
    type_name, sep, data = text.partition(":")
    if not sep:
        type_name, data = "ed25519", text
    if type_name not in KEY_TYPES:
        raise ValueError(f"unknown key type {type_name!r}")
    key_type = KEY_TYPES[type_name]
    raw = base58.b58decode(data.encode("ascii"))
    if len(raw) != PUBLIC_KEY_LENGTHS[key_type]:
        raise ValueError(f"{type_name} public keys are {PUBLIC_KEY_LENGTHS[key_type]} bytes, got {len(raw)}")
    return bytes([key_type]) + raw


def signature_text(signature: bytes) -> str:
    return f"{KEY_TYPE_NAMES[signature[0]]}:{b58(signature[1:])}"


def implicit_account_public_key(account_id: str) -> bytes:
    """A NEAR-implicit account id is the hex of its ed25519 public key."""
    return bytes([ED25519]) + bytes.fromhex(account_id)


def verify_signature(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Check a Borsh-form signature (type byte + bytes) by a Borsh-form public key over `message`."""
    if not public_key or not signature or signature[0] != public_key[0]:
        return False
    key_type, key, sig = public_key[0], public_key[1:], signature[1:]
    if len(sig) != SIGNATURE_LENGTHS.get(key_type, -1) or len(key) != PUBLIC_KEY_LENGTHS.get(key_type, -1):
        return False
    if key_type == ED25519:
        try:
            VerifyKey(key).verify(message, sig)
            return True
        except (BadSignatureError, ValueError):
            return False
    # secp256k1: nearcore signs the 32-byte message itself as the digest (r ‖ s ‖ v).
    if len(message) != 32:
        return False
    try:
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(key[:32], "big"), int.from_bytes(key[32:], "big"), ec.SECP256K1()
        )
        der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"))
        numbers.public_key().verify(der, message, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        return True
    except (InvalidSignature, ValueError):
        return False


class KeyPair:
    """An ed25519 key pair; `secret_key` is NEAR's 64-byte form (seed ‖ public key)."""

    def __init__(self, secret_key: bytes):
        if len(secret_key) not in (32, 64):
            raise ValueError("ed25519 secret keys are 32 (seed) or 64 bytes")
        self._signing_key = SigningKey(secret_key[:32])
        raw_public = bytes(self._signing_key.verify_key)
        self.secret_key = secret_key[:32] + raw_public
        self.public_key = bytes([ED25519]) + raw_public

    @classmethod
    def generate(cls) -> "KeyPair":
        return cls(bytes(SigningKey.generate()))

    @classmethod
    def from_text(cls, text: str) -> "KeyPair":
        """From NEAR's `ed25519:<base58 of 64 bytes>` secret key text."""
        type_name, _, data = text.partition(":")
        if type_name != "ed25519":
            raise ValueError("only ed25519 secret keys are supported")
        return cls(base58.b58decode(data.encode("ascii")))

    @property
    def public_key_text(self) -> str:
        return public_key_text(self.public_key)

    @property
    def secret_key_text(self) -> str:
        return f"ed25519:{b58(self.secret_key)}"

    def sign(self, message: bytes) -> bytes:
        """Borsh-form signature: type byte + 64 bytes."""
        return bytes([ED25519]) + self._signing_key.sign(message).signature
