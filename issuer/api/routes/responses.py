"""The error responses routes declare in OpenAPI (the bodies all have the `ErrorBody` shape)."""
from __future__ import annotations

from ...schemas import ErrorBody

DESCRIPTIONS = {400: "Bad request", 401: "Not authenticated", 403: "Refused by policy or rules",
                413: "Body or transaction too large", 415: "Not JSON", 422: "Invalid body",
                429: "Rate limited (see Retry-After)", 503: "Temporarily unable (database, provider, signing key)"}


def error_responses(*statuses: int) -> dict:
    return {status: {"model": ErrorBody, "description": DESCRIPTIONS[status]} for status in statuses}
