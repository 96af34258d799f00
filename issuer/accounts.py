"""Built-in accounts for self-hosters: users, login, sessions and rotating refresh tokens.

- A login opens a *session family*: one access token (short, default 15 min)
  and one refresh token (default 30 days; the family itself ends
  `session_max_seconds` after login).
- `refresh` spends a refresh token: it is marked used (a conditional UPDATE,
  so two concurrent refreshes cannot both win) and a new access + refresh
  pair of the same family is returned.
- Presenting a refresh token that was already used is treated as theft (one
  of the two holders is an attacker, and we cannot tell which): the whole
  family is revoked, every access and refresh token in it stops working.
- Logout revokes the family. Disabling a user revokes all their families.

Tokens are 256-bit random strings with a type prefix (`fa_at_`, `fa_rt_`);
only their SHA-256 is stored, so a database leak yields no usable token.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import and_, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError

from guard_core import values

from .clock import Clock
from .config import PasswordAuthSection
from .errors import NotAuthenticated
from .passwords import Passwords
from .storage import Store, access_tokens, refresh_tokens, session_families, users

ACCESS_PREFIX = "fa_at_"
REFRESH_PREFIX = "fa_rt_"
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
MAX_SUBJECT_BYTES = 256


class AccountError(ValueError):
    """An account administration request that cannot be done."""


@dataclass
class Principal:
    """Who is asking: the guard token's `sub`, and how they proved it."""
    subject: str
    method: str  # "password" or "oidc:<provider name>"
    user_id: Optional[str] = None
    family_id: Optional[str] = None
    claims: dict = field(default_factory=dict)  # the upstream ID token's claims (OIDC)
    near_account: Optional[str] = None  # the user's NEAR account, when one is bound


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    access_expires_in: int
    refresh_token: str
    refresh_expires_in: int
    subject: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def validate_subject(subject: str) -> str:
    encoded = subject.encode("utf-8", "surrogatepass")
    if not 1 <= len(encoded) <= MAX_SUBJECT_BYTES or "#" in subject or not subject.isprintable():
        raise AccountError("a subject is 1 to 256 bytes of printable UTF-8 without '#' "
                           "(FastAuth derives the account path from it)")
    try:
        subject.encode("utf-8")
    except UnicodeEncodeError:
        raise AccountError("a subject must be valid UTF-8") from None
    return subject


def validate_near_account(account_id: Optional[str]) -> Optional[str]:
    """A NEAR account id by the guard's own rule, guard_core.values.is_account_id (None passes through)."""
    if account_id is None:
        return None
    if not isinstance(account_id, str) or not values.is_account_id(account_id):
        raise AccountError(f"{account_id!r} is not a NEAR account id")
    return account_id


class Accounts:
    def __init__(self, store: Store, passwords: Passwords, section: PasswordAuthSection, clock: Clock):
        self.store = store
        self.passwords = passwords
        self.section = section
        self.clock = clock
        self._select_access = (
            select(access_tokens.c.expires_at, access_tokens.c.family_id, session_families.c.revoked_at,
                   session_families.c.expires_at.label("family_expires_at"), users.c.id, users.c.subject,
                   users.c.disabled, users.c.near_account_id)
            .select_from(access_tokens.join(session_families).join(users))
            .where(access_tokens.c.token_hash == bindparam("token_hash")))

    # --------------------------------------------------------------- administration

    def add_user(self, username: str, password: str, subject: Optional[str] = None,
                 near_account: Optional[str] = None) -> dict:
        if not USERNAME_PATTERN.match(username):
            raise AccountError("a username is 1 to 128 characters: letters, digits and . _ @ + - "
                               "(starting with a letter or digit)")
        self.passwords.check_policy(password)
        user_id = uuid.uuid4().hex
        subject = validate_subject(subject if subject is not None else f"user-{user_id}")
        near_account = validate_near_account(near_account)
        password_hash = self.passwords.hash(password)
        now = self.clock.now()
        try:
            with self.store.write() as conn:
                conn.execute(users.insert().values(id=user_id, username=username, subject=subject,
                                                   password_hash=password_hash, disabled=False,
                                                   near_account_id=near_account,
                                                   created_at=now, updated_at=now))
        except IntegrityError:
            raise AccountError(f"username {username!r} or subject {subject!r} is taken") from None
        return self.get_user(username)

    def get_user(self, username: str) -> dict:
        with self.store.read() as conn:
            row = conn.execute(select(users.c.id, users.c.username, users.c.subject, users.c.near_account_id,
                                      users.c.disabled, users.c.created_at, users.c.updated_at)
                               .where(users.c.username == username)).first()
        if row is None:
            raise AccountError(f"no user {username!r}")
        return dict(row._mapping)

    def list_users(self) -> list[dict]:
        with self.store.read() as conn:
            rows = conn.execute(select(users.c.id, users.c.username, users.c.subject, users.c.near_account_id,
                                       users.c.disabled, users.c.created_at, users.c.updated_at).order_by(users.c.username))
            return [dict(row._mapping) for row in rows]

    def set_password(self, username: str, password: str) -> None:
        self.passwords.check_policy(password)
        password_hash = self.passwords.hash(password)
        user = self.get_user(username)
        with self.store.write() as conn:
            conn.execute(update(users).where(users.c.id == user["id"])
                         .values(password_hash=password_hash, updated_at=self.clock.now()))
            self._revoke_user_families(conn, user["id"], "password_changed")

    def set_near_account(self, username: str, near_account: Optional[str]) -> dict:
        near_account = validate_near_account(near_account)
        user = self.get_user(username)
        with self.store.write() as conn:
            conn.execute(update(users).where(users.c.id == user["id"])
                         .values(near_account_id=near_account, updated_at=self.clock.now()))
        return self.get_user(username)

    def set_disabled(self, username: str, disabled: bool) -> dict:
        user = self.get_user(username)
        with self.store.write() as conn:
            conn.execute(update(users).where(users.c.id == user["id"])
                         .values(disabled=disabled, updated_at=self.clock.now()))
            if disabled:
                self._revoke_user_families(conn, user["id"], "user_disabled")
        return self.get_user(username)

    def revoke_sessions(self, username: str) -> int:
        user = self.get_user(username)
        with self.store.write() as conn:
            return self._revoke_user_families(conn, user["id"], "revoked_by_admin")

    def _revoke_user_families(self, conn, user_id: str, reason: str) -> int:
        result = conn.execute(update(session_families)
                              .where(session_families.c.user_id == user_id, session_families.c.revoked_at.is_(None))
                              .values(revoked_at=self.clock.now(), revoked_reason=reason))
        return result.rowcount

    def _revoke_family(self, conn, family_id: str, reason: str) -> None:
        conn.execute(update(session_families)
                     .where(session_families.c.id == family_id, session_families.c.revoked_at.is_(None))
                     .values(revoked_at=self.clock.now(), revoked_reason=reason))

    # --------------------------------------------------------------- sessions

    def _issue_pair(self, conn, family_id: str, family_expires_at: int, subject: str) -> TokenPair:
        now = self.clock.now()
        access, refresh = new_token(ACCESS_PREFIX), new_token(REFRESH_PREFIX)
        access_expires = min(now + self.section.access_ttl_seconds, family_expires_at)
        refresh_expires = min(now + self.section.refresh_ttl_seconds, family_expires_at)
        conn.execute(access_tokens.insert().values(token_hash=token_hash(access), family_id=family_id,
                                                   created_at=now, expires_at=access_expires))
        conn.execute(refresh_tokens.insert().values(token_hash=token_hash(refresh), family_id=family_id,
                                                    created_at=now, expires_at=refresh_expires))
        return TokenPair(access, access_expires - now, refresh, refresh_expires - now, subject)

    def login(self, username: str, password: str) -> TokenPair:
        """A new session family, or NotAuthenticated with one message for every way it can fail."""
        failure = NotAuthenticated("invalid_credentials", "invalid username or password")
        with self.store.read() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
        if row is None:
            self.passwords.verify_dummy(password)
            raise failure
        if not self.passwords.verify(row.password_hash, password) or row.disabled:
            raise failure
        now = self.clock.now()
        with self.store.write() as conn:
            if self.passwords.needs_rehash(row.password_hash):
                conn.execute(update(users).where(users.c.id == row.id)
                             .values(password_hash=self.passwords.hash(password), updated_at=now))
            family_id = uuid.uuid4().hex
            expires_at = now + self.section.session_max_seconds
            conn.execute(session_families.insert().values(id=family_id, user_id=row.id, created_at=now,
                                                          expires_at=expires_at))
            return self._issue_pair(conn, family_id, expires_at, row.subject)

    def refresh(self, refresh_token: str) -> TokenPair:
        now = self.clock.now()
        hashed = token_hash(refresh_token)
        reused = False
        with self.store.write() as conn:
            row = conn.execute(
                select(refresh_tokens.c.used_at, refresh_tokens.c.expires_at, refresh_tokens.c.family_id,
                       session_families.c.revoked_at, session_families.c.expires_at.label("family_expires_at"),
                       users.c.subject, users.c.disabled)
                .select_from(refresh_tokens.join(session_families).join(users))
                .where(refresh_tokens.c.token_hash == hashed)).first()
            if row is None:
                raise NotAuthenticated("invalid_refresh_token", "unknown refresh token")
            if row.revoked_at is not None:
                raise NotAuthenticated("session_revoked", "this session was revoked; log in again")
            if row.used_at is not None:
                reused = True
            elif row.expires_at <= now or row.family_expires_at <= now:
                raise NotAuthenticated("refresh_token_expired", "the refresh token expired; log in again")
            elif row.disabled:
                raise NotAuthenticated("invalid_refresh_token", "unknown refresh token")
            else:
                spent = conn.execute(update(refresh_tokens)
                                     .where(refresh_tokens.c.token_hash == hashed, refresh_tokens.c.used_at.is_(None))
                                     .values(used_at=now))
                if spent.rowcount == 1:
                    return self._issue_pair(conn, row.family_id, row.family_expires_at, row.subject)
                reused = True  # spent by a concurrent request a moment ago
            if reused:
                self._revoke_family(conn, row.family_id, "refresh_token_reuse")
        raise NotAuthenticated("refresh_token_reused",
                        "this refresh token was already used: the whole session was revoked; log in again")

    def authenticate_access(self, access_token: str) -> Principal:
        now = self.clock.now()
        with self.store.read() as conn:
            row = conn.execute(self._select_access, {"token_hash": token_hash(access_token)}).first()
        if row is None or row.disabled:
            raise NotAuthenticated("invalid_token", "unknown access token")
        if row.revoked_at is not None:
            raise NotAuthenticated("session_revoked", "this session was revoked; log in again")
        if row.expires_at <= now or row.family_expires_at <= now:
            raise NotAuthenticated("token_expired", "the access token expired; refresh it")
        return Principal(subject=row.subject, method="password", user_id=row.id, family_id=row.family_id,
                         near_account=row.near_account_id)

    def logout(self, principal: Principal) -> None:
        if principal.family_id is None:
            return
        with self.store.write() as conn:
            self._revoke_family(conn, principal.family_id, "logout")

    def family_state(self, family_id: str) -> dict:
        with self.store.read() as conn:
            row = conn.execute(select(session_families).where(session_families.c.id == family_id)).first()
        if row is None:
            raise AccountError(f"no session family {family_id}")
        return dict(row._mapping)

    def prune(self) -> int:
        """Delete expired tokens and families that ended long ago; returns the rows removed."""
        now = self.clock.now()
        with self.store.write() as conn:
            removed = conn.execute(delete(access_tokens).where(access_tokens.c.expires_at <= now)).rowcount
            removed += conn.execute(delete(refresh_tokens).where(and_(
                refresh_tokens.c.expires_at <= now))).rowcount
            removed += conn.execute(delete(session_families).where(
                session_families.c.expires_at <= now - 86400)).rowcount
        return removed
