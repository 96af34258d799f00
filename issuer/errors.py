"""One error shape for every refusal: HTTP status, a stable code, a message safe to show.

Responses carry `{"error": code, "message": message}` (plus `details` for
validation errors). Messages never include a secret: no password, token or
key material, and no echo of the request body.
"""
from __future__ import annotations

from typing import Optional


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: Optional[dict] = None,
                 details: Optional[list] = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details

    def body(self) -> dict:
        body = {"error": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


def too_many_requests(message: str, retry_after: int) -> ApiError:
    return ApiError(429, "rate_limited", message, headers={"Retry-After": str(retry_after)})
