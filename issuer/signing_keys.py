"""The issuer's signing keys: generation, publication, rotation, revocation.

A key's life (each step is an `issuer keys …` command; `issuer keys rotate`
walks the normal path one step per run):

    pending ──activate──▶ active ──(next key activated)──▶ retiring ──retire──▶ retired
       │                    │                                  │
       └──────────────── revoke (emergency, at once) ──────────┴──▶ revoked

- pending:  generated and published in the JWKS, not signing yet. This is
            when the guard's owner adds it on-chain
            (`guardctl keys add <issuer>/.well-known/jwks.json --kid KID`).
- active:   signs every new token (exactly one, enforced by a unique index).
- retiring: no longer signs; still published, because tokens it signed are
            valid until they expire. `retire_after` = switch time + the longest
            token lifetime + nbf leeway + `keys.retire_grace_seconds`.
- retired:  left the JWKS; remove it on-chain (`guardctl keys remove KID`).
- revoked:  emergency: left the JWKS and stopped signing at once, whatever its
            state. Pause the guard and remove the key on-chain too.

Private keys are stored PKCS#8 inside an AES-GCM blob (issuer.secrets_box),
decrypted only into this process's memory, never logged or returned.
Every public key is checked with the guard's own `guard_core.keys` before it is
stored, so the JWKS never holds a key the guard would refuse.
"""
from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from guard_core import keys as guard_keys
from guardjwk import b64url_encode, guard_key_from_jwk, int_bytes, jwk_thumbprint

from .clock import Clock
from .config import Settings
from . import secrets_box
from .secrets_box import KeyRing, MasterSecretError
from .storage import Store, meta, signing_keys

STATES = ("pending", "active", "retiring", "retired", "revoked")
PUBLISHED_STATES = ("pending", "active", "retiring")


class KeyError_(Exception):
    """A key operation that cannot be done; the message says why."""


def public_jwk(private_key, alg: str, kid: str) -> dict:
    if alg == "RS256":
        numbers = private_key.public_key().public_numbers()
        return {"kty": "RSA", "n": b64url_encode(int_bytes(numbers.n)), "e": b64url_encode(int_bytes(numbers.e)),
                "alg": "RS256", "use": "sig", "kid": kid}
    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw), "alg": "EdDSA", "use": "sig", "kid": kid}


def _aad(kid: str, alg: str) -> bytes:
    return f"kid={kid};alg={alg}".encode()


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    alg: str
    state: str
    jwk: dict
    created_at: int
    activated_at: Optional[int]
    deactivated_at: Optional[int]
    retire_after: Optional[int]
    retired_at: Optional[int]
    revoked_at: Optional[int]
    revoked_reason: Optional[str]

    @property
    def thumbprint(self) -> str:
        return jwk_thumbprint(self.jwk)

    def as_dict(self) -> dict:
        return {"kid": self.kid, "alg": self.alg, "state": self.state, "thumbprint": self.thumbprint,
                "created_at": self.created_at, "activated_at": self.activated_at,
                "deactivated_at": self.deactivated_at, "retire_after": self.retire_after,
                "retired_at": self.retired_at, "revoked_at": self.revoked_at, "revoked_reason": self.revoked_reason}


@dataclass(frozen=True)
class Signer:
    kid: str
    alg: str
    private_key: object  # RSAPrivateKey | Ed25519PrivateKey; never serialised out of the process


def _info(row) -> KeyInfo:
    return KeyInfo(row.kid, row.alg, row.state, json.loads(row.public_jwk), row.created_at, row.activated_at,
                   row.deactivated_at, row.retire_after, row.retired_at, row.revoked_at, row.revoked_reason)


def validate_with_guard(jwk: dict) -> None:
    _, reason = guard_keys.validate_public_key(guard_key_from_jwk(jwk))
    if reason is not None:
        raise KeyError_(f"the guard would refuse key {jwk['kid']}: {reason}")


class KeyManager:
    """The keys in the database, and the master-secret ring that opens their private halves.

    `secrets_source` (when given) re-reads the ring's secrets; it is consulted when a
    blob does not open, so a running instance follows a master-secret rotation.
    """

    def __init__(self, store: Store, box: KeyRing, settings: Settings, clock: Clock,
                 secrets_source: Optional[Callable[[], list[bytes]]] = None):
        self.store = store
        self.box = box
        self.settings = settings
        self.clock = clock
        self.secrets_source = secrets_source
        self._cache: dict[str, Signer] = {}
        self._lock = threading.Lock()
        self._select_active = select(signing_keys.c.kid, signing_keys.c.alg, signing_keys.c.private_blob).where(
            signing_keys.c.state == "active")

    # --------------------------------------------------------------- reading

    def list(self, include_gone: bool = True) -> list[KeyInfo]:
        query = select(signing_keys).order_by(signing_keys.c.seq)
        if not include_gone:
            query = query.where(signing_keys.c.state.in_(PUBLISHED_STATES))
        with self.store.read() as conn:
            return [_info(row) for row in conn.execute(query)]

    def get(self, kid: str) -> KeyInfo:
        with self.store.read() as conn:
            row = conn.execute(select(signing_keys).where(signing_keys.c.kid == kid)).first()
        if row is None:
            raise KeyError_(f"no signing key {kid!r}")
        return _info(row)

    def jwks(self) -> dict:
        """The public keys a verifier may meet: pending (about to sign), active, retiring."""
        return {"keys": [info.jwk for info in self.list(include_gone=False)]}

    def active(self) -> Optional[KeyInfo]:
        with self.store.read() as conn:
            row = conn.execute(select(signing_keys).where(signing_keys.c.state == "active")).first()
        return None if row is None else _info(row)

    def signer(self) -> Optional[Signer]:
        """The active key, decrypted (cached by kid); None when no key is active.

        One indexed read per call, so a revocation or switch made by another
        process (the CLI) applies to the very next token.
        """
        with self.store.read() as conn:
            row = conn.execute(self._select_active).first()
        if row is None:
            return None
        cached = self._cache.get(row.kid)
        if cached is not None:
            return cached
        der = self._open(row.private_blob, row.kid, row.alg)
        signer = Signer(row.kid, row.alg, serialization.load_der_private_key(der, password=None))
        with self._lock:
            self._cache = {row.kid: signer}  # only the active key stays in memory
        return signer

    def _open(self, blob: bytes, kid: str, alg: str) -> bytes:
        """The private key's DER; on failure the ring is re-read once (a rotation may have happened)."""
        ring = self.box
        try:
            return ring.open(blob, kid.encode(), _aad(kid, alg))
        except MasterSecretError:
            self.reload_ring()
            if self.box is ring:  # nothing new, not even from a concurrent reload
                raise
        return self.box.open(blob, kid.encode(), _aad(kid, alg))

    def reload_ring(self) -> bool:
        """Re-read the master secrets; True when the ring changed."""
        if self.secrets_source is None:
            return False
        secrets = tuple(self.secrets_source())
        with self._lock:
            if secrets == self.box.secrets:
                return False
            salt, n = secrets_box.install_salt(self.store, self.settings.keys.scrypt_n)
            self.box = secrets_box.derive_ring(list(secrets), salt, n)
        return True

    # --------------------------------------------------------------- changing

    def retire_after_switch(self, switched_at: int) -> int:
        tokens = self.settings.tokens
        return switched_at + tokens.lifetime_seconds + tokens.nbf_leeway_seconds + self.settings.keys.retire_grace_seconds

    def generate(self, alg: Optional[str] = None, kid: Optional[str] = None, rsa_bits: Optional[int] = None) -> KeyInfo:
        alg = alg or self.settings.tokens.algorithm
        if alg == "RS256":
            private_key = rsa.generate_private_key(public_exponent=65537,
                                                   key_size=rsa_bits or self.settings.tokens.rsa_bits)
        elif alg == "EdDSA":
            private_key = ed25519.Ed25519PrivateKey.generate()
        else:
            raise KeyError_(f"algorithm {alg!r} is not one the guard verifies (RS256, EdDSA)")
        now = self.clock.now()
        if kid is None:
            provisional = public_jwk(private_key, alg, "-")
            kid = f"{time.strftime('%Y%m%d', time.gmtime(now))}-{jwk_thumbprint(provisional)[:12]}"
        if not 1 <= len(kid) <= 128 or any(ch in kid for ch in "#\"\\") or not kid.isprintable():
            raise KeyError_("a kid is 1 to 128 printable characters, without '#', quotes or backslashes")
        jwk = public_jwk(private_key, alg, kid)
        validate_with_guard(jwk)
        der = private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
        blob = self.box.seal(der, kid.encode(), _aad(kid, alg))
        try:
            with self.store.write() as conn:
                if conn.execute(select(signing_keys.c.kid).where(signing_keys.c.kid == kid)).first() is not None:
                    raise KeyError_(f"a key with kid {kid!r} exists already")
                seq = conn.execute(select(func.coalesce(func.max(signing_keys.c.seq), 0) + 1)).scalar_one()
                conn.execute(signing_keys.insert().values(
                    kid=kid, seq=seq, alg=alg, state="pending", public_jwk=json.dumps(jwk), private_blob=blob,
                    created_at=now))
        except IntegrityError:
            raise KeyError_("another key was generated at the same moment; run the command again") from None
        return self.get(kid)

    def activate(self, kid: str) -> tuple[KeyInfo, Optional[KeyInfo]]:
        """Switch signing to pending key `kid`; the active one (if any) starts retiring."""
        now = self.clock.now()
        with self.store.write() as conn:
            row = conn.execute(select(signing_keys).where(signing_keys.c.kid == kid)).first()
            if row is None:
                raise KeyError_(f"no signing key {kid!r}")
            if row.state != "pending":
                raise KeyError_(f"key {kid} is {row.state}; only a pending key can be activated")
            previous = conn.execute(select(signing_keys.c.kid).where(signing_keys.c.state == "active")).first()
            if previous is not None:
                conn.execute(update(signing_keys).where(signing_keys.c.kid == previous.kid).values(
                    state="retiring", deactivated_at=now, retire_after=self.retire_after_switch(now)))
            try:
                conn.execute(update(signing_keys).where(signing_keys.c.kid == kid, signing_keys.c.state == "pending")
                             .values(state="active", activated_at=now))
            except IntegrityError:
                raise KeyError_("another key was activated at the same moment; run the command again") from None
        return self.get(kid), (self.get(previous.kid) if previous is not None else None)

    def retire(self, kid: str, force: bool = False) -> KeyInfo:
        """retiring → retired once its tokens have expired (`force`: now); pending → retired (discarded)."""
        now = self.clock.now()
        with self.store.write() as conn:
            row = conn.execute(select(signing_keys).where(signing_keys.c.kid == kid)).first()
            if row is None:
                raise KeyError_(f"no signing key {kid!r}")
            if row.state == "active":
                raise KeyError_(f"key {kid} is signing; activate its successor first (or revoke it in an emergency)")
            if row.state not in ("retiring", "pending"):
                raise KeyError_(f"key {kid} is already {row.state}")
            if row.state == "retiring" and now < row.retire_after and not force:
                raise KeyError_(f"key {kid} may still verify tokens until {row.retire_after} "
                                f"({row.retire_after - now} s from now); retire it then, or use --force")
            conn.execute(update(signing_keys).where(signing_keys.c.kid == kid)
                         .values(state="retired", retired_at=now))
        return self.get(kid)

    def revoke(self, kid: str, reason: str = "revoked") -> KeyInfo:
        """Emergency: stop signing with and publishing `kid` now."""
        now = self.clock.now()
        with self.store.write() as conn:
            row = conn.execute(select(signing_keys).where(signing_keys.c.kid == kid)).first()
            if row is None:
                raise KeyError_(f"no signing key {kid!r}")
            if row.state == "revoked":
                raise KeyError_(f"key {kid} is already revoked")
            conn.execute(update(signing_keys).where(signing_keys.c.kid == kid).values(
                state="revoked", revoked_at=now, revoked_reason=reason[:256],
                deactivated_at=row.deactivated_at if row.deactivated_at is not None else now))
        with self._lock:
            self._cache.pop(kid, None)
        return self.get(kid)

    def due_for_retirement(self) -> list[KeyInfo]:
        now = self.clock.now()
        return [info for info in self.list(include_gone=False)
                if info.state == "retiring" and info.retire_after is not None and info.retire_after <= now]

    def rewrap(self, new_secret: Optional[bytes] = None) -> int:
        """Re-encrypt every private key under the ring's current secret (in one transaction); returns the count.

        With `new_secret`, that secret is put in front of the ring first. The
        check value is rewritten too, so afterwards the database opens with
        the current secret alone. The install salt stays: instances whose
        ring already holds the current secret keep opening every blob.
        """
        if new_secret is not None:
            salt, n = secrets_box.install_salt(self.store, self.settings.keys.scrypt_n)
            self.box = secrets_box.derive_ring([new_secret, *self.box.secrets], salt, n)
        with self.store.write() as conn:
            rows = conn.execute(select(signing_keys.c.kid, signing_keys.c.alg, signing_keys.c.private_blob)).all()
            for row in rows:
                der = self.box.open(row.private_blob, row.kid.encode(), _aad(row.kid, row.alg))
                conn.execute(update(signing_keys).where(signing_keys.c.kid == row.kid).values(
                    private_blob=self.box.seal(der, row.kid.encode(), _aad(row.kid, row.alg))))
            conn.execute(update(meta).where(meta.c.key == secrets_box.META_CHECK)
                         .values(value=secrets_box.check_value(self.box)))
        return len(rows)
