"""Upstream OpenID Connect ID tokens (Google, Auth0, Firebase, Keycloak…), verified against the provider's JWKS.

Per configured provider:

- the JWKS URL is `jwks_uri`, or discovered once from
  `{issuer}/.well-known/openid-configuration` (whose `issuer` must match);
- the key set is cached for the provider's `Cache-Control: max-age` (bounded
  by `jwks_cache_seconds`, at least 60 s); when the cache is stale it is
  refetched, and if that fails the stale keys keep working (logged) so a
  provider hiccup does not stop logins;
- a token whose `kid` is not in the cache triggers a refetch (the provider
  rotated its keys), at most once per `jwks_refetch_min_interval_seconds`
  per provider, and one fetch at a time: a flood of tokens with made-up kids
  costs the provider one request per interval, not one per token;
- the signature algorithm must be one of the provider's `algorithms` (all
  asymmetric: no `none`, no HMAC, so no algorithm confusion), `iss` must
  match exactly, `aud` must contain a configured client id, and
  `exp`/`nbf`/`iat` are checked against the issuer's clock with leeway, plus a
  maximum token age and any `required_claims`.

The provider is chosen by the token's (unverified) `iss`, then everything is
verified.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import httpx
import jwt
from jwt import PyJWK

from .accounts import AccountError, Principal, validate_near_account, validate_subject
from . import metrics
from .clock import Clock
from .config import OidcProvider
from .errors import NotAuthenticated, Refused, Unavailable

log = logging.getLogger("issuer.oidc")
MAX_DOCUMENT_BYTES = 1 << 20
MIN_CACHE_SECONDS = 60
KEY_TYPES = {"RS256": "RSA", "RS384": "RSA", "RS512": "RSA", "PS256": "RSA", "PS384": "RSA", "PS512": "RSA",
             "ES256": "EC", "ES384": "EC", "EdDSA": "OKP"}


class FetchError(Exception):
    pass


def fetch_json(url: str, timeout: float) -> tuple[dict, Optional[int]]:
    """GET a JSON document (≤ 1 MiB); returns it and the Cache-Control max-age, if any."""
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            with client.stream("GET", url, headers={"Accept": "application/json"}) as response:
                if response.status_code != 200:
                    raise FetchError(f"{url} answered HTTP {response.status_code}")
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_DOCUMENT_BYTES:
                        raise FetchError(f"{url} sent more than {MAX_DOCUMENT_BYTES} bytes")
                cache_control = response.headers.get("cache-control", "")
    except httpx.HTTPError as err:
        raise FetchError(f"cannot fetch {url}: {type(err).__name__}") from None
    try:
        document = json.loads(body)
    except ValueError:
        raise FetchError(f"{url} did not send JSON") from None
    if not isinstance(document, dict):
        raise FetchError(f"{url} did not send a JSON object")
    max_age = None
    for directive in cache_control.split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() == "max-age" and value.strip().isdigit():
            max_age = int(value.strip())
    return document, max_age


@dataclass
class _KeyCache:
    # kid ("" for none) -> [(key, the alg the JWK declares or None)]
    keys: dict[str, list[tuple[PyJWK, Optional[str]]]] = field(default_factory=dict)
    fetched_at: float = 0.0  # monotonic
    expires_at: float = 0.0  # monotonic
    last_attempt: float = float("-inf")  # monotonic, successful or not
    fetches: int = 0


class ProviderKeys:
    """The JWKS of one provider, cached, refetched on rotation, rate-limited."""

    def __init__(self, provider: OidcProvider, fetch: Callable = fetch_json, monotonic: Callable = time.monotonic):
        self.provider = provider
        self._fetch = fetch
        self._monotonic = monotonic
        self._jwks_uri = provider.jwks_uri
        self._cache = _KeyCache()
        self._lock = threading.Lock()

    @property
    def fetches(self) -> int:
        return self._cache.fetches

    def _discover(self) -> str:
        if self._jwks_uri is None:
            url = self.provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
            document, _ = self._fetch(url, self.provider.http_timeout_seconds)
            if document.get("issuer") != self.provider.issuer:
                raise FetchError(f"{url} names issuer {document.get('issuer')!r}, not {self.provider.issuer!r}")
            jwks_uri = document.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
                raise FetchError(f"{url} has no usable jwks_uri")
            self._jwks_uri = jwks_uri
        return self._jwks_uri

    def _refresh_locked(self) -> None:
        now = self._monotonic()
        self._cache.last_attempt = now
        document, max_age = self._fetch(self._discover(), self.provider.http_timeout_seconds)
        entries = document.get("keys")
        if not isinstance(entries, list):
            raise FetchError("the JWKS has no keys list")
        keys: dict[str, list[tuple[PyJWK, Optional[str]]]] = {}
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                key = PyJWK(entry)
            except (jwt.exceptions.PyJWKError, jwt.exceptions.InvalidKeyError, ValueError, TypeError, KeyError):
                continue  # a key type this library cannot use; others may still serve
            declared = entry.get("alg") if isinstance(entry.get("alg"), str) else None
            keys.setdefault(str(entry.get("kid", "")), []).append((key, declared))
        lifetime = self.provider.jwks_cache_seconds
        if max_age is not None:
            lifetime = max(MIN_CACHE_SECONDS, min(lifetime, max_age))
        self._cache.keys = keys
        self._cache.fetched_at = now
        self._cache.expires_at = now + lifetime
        self._cache.fetches += 1
        metrics.PROVIDER_UP.labels(self.provider.name).set(1)
        log.info("fetched JWKS of provider %s: %d keys, cached %d s", self.provider.name, len(entries), lifetime)

    def keys_for(self, kid: Optional[str]) -> list[tuple[PyJWK, Optional[str]]]:
        """The keys that may have signed a token with this kid (every key when it has none)."""
        lookup = "" if kid is None else kid
        with self._lock:
            now = self._monotonic()
            cache = self._cache
            stale = now >= cache.expires_at
            unknown = (kid is not None and lookup not in cache.keys) or (kid is None and not cache.keys)
            may_fetch = now - cache.last_attempt >= self.provider.jwks_refetch_min_interval_seconds
            if (stale or unknown) and may_fetch:
                try:
                    self._refresh_locked()
                except FetchError as err:
                    metrics.PROVIDER_UP.labels(self.provider.name).set(0)
                    if not cache.keys:
                        log.error("identity provider %s unavailable and no keys cached (answering 503): %s",
                                  self.provider.name, err)
                        raise Unavailable("provider_unavailable",
                                          f"cannot fetch the keys of identity provider {self.provider.name}") from None
                    log.warning("JWKS refresh of provider %s failed, keeping cached keys: %s",
                                self.provider.name, err)
            keys = self._cache.keys
            if kid is None:
                return [key for group in keys.values() for key in group]
            return list(keys.get(lookup, []))


class OidcVerifier:
    def __init__(self, providers: list[OidcProvider], clock: Clock, fetch: Callable = fetch_json):
        self.clock = clock
        self.providers = {provider.issuer: provider for provider in providers}
        self.keys = {provider.issuer: ProviderKeys(provider, fetch) for provider in providers}

    @property
    def enabled(self) -> bool:
        return bool(self.providers)

    def verify(self, token: str) -> Principal:
        invalid = NotAuthenticated("invalid_token", "the ID token is not valid")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.exceptions.PyJWTError:
            raise invalid from None
        provider = self.providers.get(unverified.get("iss")) if isinstance(unverified.get("iss"), str) else None
        if provider is None:
            raise NotAuthenticated("unknown_issuer", "the ID token's issuer is not a configured identity provider")
        alg = header.get("alg")
        if alg not in provider.algorithms:
            raise NotAuthenticated("invalid_token", f"the ID token's algorithm is not accepted for {provider.name}")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise invalid
        wanted_type = KEY_TYPES[alg]
        candidates = [key for key, declared in self.keys[provider.issuer].keys_for(kid)
                      if key.key_type == wanted_type and declared in (None, alg)]
        if not candidates:
            raise NotAuthenticated("unknown_key", "the ID token was signed by a key the provider does not publish")
        claims = None
        for key in candidates:
            try:
                claims = jwt.decode(
                    token, key=key.key, algorithms=[alg], audience=provider.audiences, issuer=provider.issuer,
                    options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                             "require": ["iss", "sub", "aud", "exp", "iat"]})
                break
            except jwt.exceptions.InvalidSignatureError:
                continue
            except jwt.exceptions.InvalidAudienceError:
                raise NotAuthenticated("invalid_audience", "the ID token was issued to another client") from None
            except jwt.exceptions.PyJWTError:
                raise invalid from None
        if claims is None:
            raise invalid
        self._check_time(provider, claims)
        for name, expected in provider.required_claims.items():
            if claims.get(name) != expected:
                raise Refused("claim_required", f"the ID token's {name} claim does not have the required value")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise invalid
        try:
            subject = validate_subject(provider.subject_prefix + sub)
        except AccountError:
            raise Refused("unusable_subject", "the ID token's subject cannot be a guard subject "
                                                     "(empty, over 256 bytes or containing '#')") from None
        near_account = None
        if provider.near_account_claim is not None:
            value = claims.get(provider.near_account_claim)
            if isinstance(value, str):
                try:
                    near_account = validate_near_account(value)
                except AccountError:
                    near_account = None
        return Principal(subject=subject, method=f"oidc:{provider.name}", claims=claims, near_account=near_account)

    def _check_time(self, provider: OidcProvider, claims: dict) -> None:
        now = self.clock.now()
        leeway = provider.leeway_seconds
        for name in ("exp", "iat", "nbf"):
            if name in claims and (type(claims[name]) not in (int, float) or isinstance(claims[name], bool)):
                raise NotAuthenticated("invalid_token", "the ID token is not valid")
        if claims["exp"] <= now - leeway:
            raise NotAuthenticated("token_expired", "the ID token expired")
        if "nbf" in claims and claims["nbf"] > now + leeway:
            raise NotAuthenticated("token_not_yet_valid", "the ID token is not valid yet")
        if claims["iat"] > now + leeway:
            raise NotAuthenticated("invalid_token", "the ID token was issued in the future")
        if now - claims["iat"] > provider.max_token_age_seconds:
            raise NotAuthenticated("token_too_old", "the ID token is too old; sign in again")
