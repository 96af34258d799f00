"""The issuer's parts wired together, independent of HTTP (the app and the CLI both use it).

    IssuerService(settings, store=?, clock=?, hooks=?, secret=?)
      .accounts    built-in users and sessions     (issuer.accounts)
      .oidc        upstream ID token verification   (issuer.oidc)
      .keys        signing keys                     (issuer.signing_keys)
      .limiter     rate limits                      (issuer.ratelimit)
      .authorizer  policy + hooks                   (issuer.authorization)
      .audit       audit log                        (issuer.audit)
      .authenticate(bearer) -> Principal
      .issue(principal, transaction, client_ip) -> IssuedToken
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Callable, Optional

import base58
from sqlalchemy.exc import SQLAlchemyError

from . import metrics, tokens
from .accounts import ACCESS_PREFIX, Accounts, Principal
from .audit import Audit
from .authorization import Authorizer, Hook, IssueContext, describe
from .clock import Clock
from .config import Settings, master_secrets
from .errors import Failed, IssuerError, NotAuthenticated, RateLimited, Refused, TooLarge, Unavailable
from .oidc import OidcVerifier, fetch_json
from .passwords import Passwords
from .ratelimit import DatabaseRateLimiter, MemoryRateLimiter, bucket_name
from .secrets_box import MasterSecretError, open_ring
from .signing_keys import KeyManager
from .storage import Store

log = logging.getLogger("issuer")


@dataclass(frozen=True)
class Readiness:
    ok: bool
    database: str
    signing_key: Optional[str]


@dataclass(frozen=True)
class IssuedToken:
    token: str
    alg: str
    kid: str
    subject: str
    issued_at: int
    expires_at: int
    jti: str
    transaction_sha256: str

    @property
    def transaction_hash(self) -> str:
        """NEAR's base58 form of the same hash."""
        return base58.b58encode(bytes.fromhex(self.transaction_sha256)).decode()


class IssuerService:
    def __init__(self, settings: Settings, *, store: Optional[Store] = None, clock: Optional[Clock] = None,
                 hooks: Optional[list[Hook]] = None, secret: Optional[bytes] = None,
                 oidc_fetch: Callable = fetch_json, secrets_source: Optional[Callable[[], list[bytes]]] = None,
                 initialise: bool = False):
        self.settings = settings
        self.clock = clock or Clock(settings.testing.clock_offset_seconds)
        self.store = store or Store(settings.database.url, settings.database.echo, create=initialise)
        if initialise:
            self.store.create_schema()
        else:
            self.store.require_schema()
        if secrets_source is None and secret is None:
            secrets_source = lambda: master_secrets(settings)  # noqa: E731 - re-read on a rotation
        ring = [secret] if secret is not None else secrets_source()
        self.keys = KeyManager(self.store, open_ring(self.store, ring, settings.keys.scrypt_n), settings,
                               self.clock, secrets_source)
        self.passwords = Passwords(settings.auth.password)
        self.accounts = Accounts(self.store, self.passwords, settings.auth.password, self.clock)
        self.oidc = OidcVerifier(settings.auth.oidc, self.clock, oidc_fetch)
        if settings.rate_limits.backend == "memory":
            self.limiter = MemoryRateLimiter(self.clock)
        else:
            self.limiter = DatabaseRateLimiter(self.store, self.clock)
        self.authorizer = Authorizer(settings, hooks)
        self.audit = Audit(self.store, self.clock, settings.audit.log)

    # --------------------------------------------------------------- authentication

    def authenticate(self, bearer: Optional[str]) -> Principal:
        if not bearer:
            raise NotAuthenticated("missing_token", "send Authorization: Bearer <access token or ID token>")
        if bearer.startswith(ACCESS_PREFIX):
            if not self.settings.auth.password.enabled:
                raise NotAuthenticated("invalid_token", "built-in accounts are disabled")
            return self.accounts.authenticate_access(bearer)
        if bearer.count(".") == 2 and self.oidc.enabled:
            return self.oidc.verify(bearer)
        raise NotAuthenticated("invalid_token", "the bearer token is neither an access token of this issuer "
                                              "nor an ID token of a configured identity provider")

    def limit(self, scope: str, value: str, limit, message: str) -> None:
        verdict = self.limiter.hit(bucket_name(scope, value), limit)
        if not verdict.allowed:
            raise RateLimited(message, verdict.retry_after)

    # --------------------------------------------------------------- login

    def login(self, username: str, password: str, client_ip: str):
        limits = self.settings.rate_limits
        self.limit("login:ip", client_ip, limits.login_per_ip, "too many login attempts from this address")
        failures = bucket_name("login:fail", username.lower())
        locked = self.limiter.peek(failures, limits.login_failures_per_user)
        if not locked.allowed:
            self.audit.record("login_locked", client_ip=client_ip, detail=f"username={username[:128]}")
            raise RateLimited("too many failed logins for this username; try again later", locked.retry_after)
        try:
            pair = self.accounts.login(username, password)
        except NotAuthenticated:
            self.limiter.hit(failures, limits.login_failures_per_user)
            self.audit.record("login_failed", client_ip=client_ip, detail=f"username={username[:128]}")
            raise
        self.audit.record("login", subject=pair.subject, auth_method="password", client_ip=client_ip)
        return pair

    # --------------------------------------------------------------- issuing

    def base_claims(self, principal: Principal, transaction: bytes) -> dict:
        now = self.clock.now()
        settings = self.settings
        claims = {"iss": settings.issuer_url, "sub": principal.subject, "iat": now,
                  "nbf": now - settings.tokens.nbf_leeway_seconds, "exp": now + settings.tokens.lifetime_seconds,
                  "jti": tokens.new_jti(), "fatxn": list(transaction)}
        if settings.audience:
            claims["aud"] = settings.audience
        account_claim = settings.account_claim
        if account_claim is not None:
            if principal.near_account is not None:
                claims[account_claim] = principal.near_account
            elif self.authorizer.signer_claim is not None:
                raise Refused("no_near_account",
                               f"the policy binds tokens to the signer's account ({account_claim}), and no NEAR "
                               "account is bound to this user")
        return claims

    def authorize(self, principal: Principal, transaction: bytes, client_ip: str) -> IssueContext:
        decoded = self.authorizer.decode(transaction)
        context = IssueContext(principal, transaction, decoded, self.base_claims(principal, transaction), client_ip)
        try:
            self.authorizer.check(context)
        except IssuerError:
            raise
        except Exception:
            log.exception("an authorization hook failed")
            raise Failed("hook_error", "an authorization hook failed; see the issuer's log") from None
        return context

    def issue(self, principal: Principal, transaction: bytes, client_ip: str) -> IssuedToken:
        limits = self.settings.rate_limits
        tx_sha256 = hashlib.sha256(transaction).hexdigest()
        try:
            self.limit("issue:sub", principal.subject, limits.issue_per_subject,
                       "too many token requests for this user")
            context = self.authorize(principal, transaction, client_ip)
            signer = self.keys.signer()
            if signer is None:
                raise Unavailable("no_signing_key", "the issuer has no active signing key")
            claims = {**context.claims, **context.extra_claims}
            token = tokens.mint(signer, claims)
            if len(token) > tokens.max_token_bytes():
                raise TooLarge("token_too_large",
                               f"the token would be {len(token)} bytes, more than the guard's "
                               f"{tokens.max_token_bytes()}; send a smaller transaction")
        except IssuerError as err:
            metrics.TOKENS_REFUSED.labels(err.code).inc()
            self.audit.record("token_refused", subject=principal.subject, auth_method=principal.method,
                              tx_sha256=tx_sha256, client_ip=client_ip, detail=f"{err.code}: {err.message}")
            raise
        metrics.TOKENS_ISSUED.inc()
        self.audit.record("token_issued", subject=principal.subject, auth_method=principal.method,
                          tx_sha256=tx_sha256, kid=signer.kid, jti=claims["jti"], client_ip=client_ip)
        return IssuedToken(token, signer.alg, signer.kid, principal.subject, claims["iat"], claims["exp"],
                           claims["jti"], tx_sha256)

    def check(self, principal: Principal, transaction: bytes, client_ip: str) -> dict:
        """What `issue` would decide, without signing or counting toward the subject's limit."""
        decoded = self.authorizer.decode(transaction)
        summary = describe(decoded)
        try:
            self.authorize(principal, transaction, client_ip)
        except Refused as err:
            return {"allowed": False, "error": err.code, "reason": err.message, "transaction": summary}
        return {"allowed": True, "error": None, "reason": None, "transaction": summary}

    def readiness(self) -> Readiness:
        """Can this instance issue a token now? Database reachable, a key active, and it opens."""
        try:
            self.store.ping()
            active = self.keys.active()
        except SQLAlchemyError as err:
            log.error("readiness: database unreachable: %s", type(err).__name__)
            metrics.DATABASE_UP.set(0)
            return Readiness(False, "unreachable", None)
        metrics.DATABASE_UP.set(1)
        if active is None:
            metrics.CAN_SIGN.set(0)
            return Readiness(False, "ok", "none active")
        try:
            self.keys.signer()
        except MasterSecretError:
            log.error("readiness: signing key %s does not open with the master-secret ring", active.kid)
            metrics.CAN_SIGN.set(0)
            return Readiness(False, "ok", f"{active.kid} does not open with the master secret")
        except SQLAlchemyError:
            metrics.DATABASE_UP.set(0)
            return Readiness(False, "unreachable", None)
        metrics.CAN_SIGN.set(1)
        metrics.KEY_AGE.set(max(0, self.clock.now() - (active.activated_at or active.created_at)))
        return Readiness(True, "ok", active.kid)

    def close(self) -> None:
        self.store.dispose()
