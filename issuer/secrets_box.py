"""Private signing keys at rest: AES-256-GCM under a key derived from the master secret.

    master secret (environment, ≥ 32 characters; may be a passphrase)
      └─ scrypt(secret, install salt, n=keys.scrypt_n, r=8, p=1) ─▶ key-encryption key (KEK, 32 bytes)
           └─ HKDF-SHA256(KEK, salt = random 16 bytes per blob, info = "…" + kid) ─▶ AES-256-GCM key

A blob is `version(1) | salt(16) | nonce(12) | ciphertext+tag`; the AAD binds
it to its kid and algorithm, so a blob copied onto another key row does not
decrypt. The install salt and a check value (an encryption of a fixed text)
live in the database's meta table: starting with the wrong master secret
fails at once with a clear message instead of at the first signature.

A `KeyRing` holds one box per master secret of the ring (the current secret
first): it seals under the current one and opens with whichever fits. That is
what lets the master secret rotate without downtime: instances run with
[new, old], `issuer keys rewrap` re-encrypts every blob under the new one, and
then the old secret can go. The install salt stays the same across rotations.

scrypt runs once per secret per process (≈ 0.1 s at the default cost);
everything after is HKDF + AES-GCM, microseconds.
"""
from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

BLOB_VERSION = 1
SALT_BYTES = 16
NONCE_BYTES = 12
INFO_PREFIX = b"fastauth-issuer signing-key v1:"
CHECK_TEXT = b"fastauth-issuer master secret check v1"
META_SALT = "kek_salt"
META_CHECK = "kek_check"
META_SCRYPT_N = "kek_scrypt_n"


class MasterSecretError(Exception):
    """The master secret does not open what the database holds."""


def derive_kek(secret: bytes, salt: bytes, n: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(secret)


class SecretBox:
    def __init__(self, kek: bytes):
        if len(kek) != 32:
            raise ValueError("the key-encryption key is 32 bytes")
        self._kek = kek

    def _key(self, salt: bytes, context: bytes) -> AESGCM:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=INFO_PREFIX + context).derive(self._kek)
        return AESGCM(derived)

    def seal(self, plaintext: bytes, context: bytes, aad: bytes = b"") -> bytes:
        salt, nonce = os.urandom(SALT_BYTES), os.urandom(NONCE_BYTES)
        return bytes([BLOB_VERSION]) + salt + nonce + self._key(salt, context).encrypt(nonce, plaintext, aad)

    def open(self, blob: bytes, context: bytes, aad: bytes = b"") -> bytes:
        blob = bytes(blob)
        if len(blob) < 1 + SALT_BYTES + NONCE_BYTES + 16 or blob[0] != BLOB_VERSION:
            raise MasterSecretError("not an encrypted key blob of a known version")
        salt = blob[1:1 + SALT_BYTES]
        nonce = blob[1 + SALT_BYTES:1 + SALT_BYTES + NONCE_BYTES]
        try:
            return self._key(salt, context).decrypt(nonce, blob[1 + SALT_BYTES + NONCE_BYTES:], aad)
        except InvalidTag:
            raise MasterSecretError("the key blob does not decrypt: wrong master secret, or the row was altered") \
                from None


class KeyRing:
    """Boxes for the ring's secrets, current first: seals with the first, opens with any."""

    def __init__(self, boxes: list[SecretBox], secrets: tuple[bytes, ...] = ()):
        if not boxes:
            raise ValueError("a key ring needs at least one secret")
        self.boxes = list(boxes)
        self.secrets = secrets  # what it was derived from, to tell whether a re-read changed anything

    def seal(self, plaintext: bytes, context: bytes, aad: bytes = b"") -> bytes:
        return self.boxes[0].seal(plaintext, context, aad)

    def open(self, blob: bytes, context: bytes, aad: bytes = b"") -> bytes:
        error = None
        for box in self.boxes:
            try:
                return box.open(blob, context, aad)
            except MasterSecretError as err:
                error = err
        raise error


def install_salt(store, scrypt_n: int) -> tuple[bytes, int]:
    """This database's KEK salt and scrypt cost, created on first use."""
    salt_b64 = store.set_meta_once(META_SALT, base64.b64encode(os.urandom(SALT_BYTES)).decode())
    n = int(store.set_meta_once(META_SCRYPT_N, str(scrypt_n)))
    return base64.b64decode(salt_b64), n


def derive_ring(secrets: list[bytes], salt: bytes, n: int) -> KeyRing:
    return KeyRing([SecretBox(derive_kek(secret, salt, n)) for secret in secrets], tuple(secrets))


def check_value(ring: KeyRing) -> str:
    return base64.b64encode(ring.seal(CHECK_TEXT, b"check")).decode()


def open_ring(store, secrets: list[bytes], scrypt_n: int) -> KeyRing:
    """The ring for this database: creates the install salt and check value on first use.

    Fails at once unless some secret of the ring opens the check value.
    """
    salt, n = install_salt(store, scrypt_n)
    ring = derive_ring(secrets, salt, n)
    check = store.get_meta(META_CHECK)
    if check is None:
        check = store.set_meta_once(META_CHECK, check_value(ring))
    try:
        if ring.open(base64.b64decode(check), b"check") != CHECK_TEXT:
            raise MasterSecretError("check value mismatch")
    except MasterSecretError:
        raise MasterSecretError("the master secret is not the one this database's signing keys were encrypted "
                                "with") from None
    return ring
