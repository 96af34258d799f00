"""The issuer's refusals, as the domain sees them: a kind, a stable code, a message safe to show.

Domain modules (accounts, oidc, authorization, service) raise these and know
nothing of HTTP; `issuer.api.errors` maps each kind to a status code in one
table. Messages never include a secret: no password, token or key material,
and no echo of the request body.
"""
from __future__ import annotations

from typing import Optional


class IssuerError(Exception):
    """Base of every refusal a caller may see."""

    def __init__(self, code: str, message: str, *, details: Optional[list] = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict:
        body = {"error": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class BadRequest(IssuerError):
    """The request cannot be read or does not make sense here."""


class NotAuthenticated(IssuerError):
    """No credentials, or credentials that do not prove who the caller is."""


class Refused(IssuerError):
    """Authenticated, but the rules say no (policy, hook, allowed subjects, required claims)."""


class NotFound(IssuerError):
    """The thing asked for is not offered by this issuer."""


class TooLarge(IssuerError):
    """The body, the transaction or the token would be larger than allowed."""


class UnsupportedMedia(IssuerError):
    """The body is not JSON."""


class Invalid(IssuerError):
    """Well-formed but unusable input (fields, encodings, bytes that are not a transaction)."""


class RateLimited(IssuerError):
    """Too many requests; `retry_after` seconds until the window ends."""

    def __init__(self, message: str, retry_after: int):
        super().__init__("rate_limited", message)
        self.retry_after = retry_after


class Unavailable(IssuerError):
    """Something the issuer depends on is out of order: the database, a provider, the signing key."""


class Failed(IssuerError):
    """The issuer's own side failed (e.g. an integrator's hook raised)."""
