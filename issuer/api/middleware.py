"""ASGI middleware: request ids and metrics, security headers, the body limit."""
from __future__ import annotations

import time

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import metrics
from ..observability import REQUEST_ID_HEADER, accept_request_id, reset_request_id, set_request_id
from ..serving import DRAINING

PUBLIC_CACHEABLE = ("/.well-known/jwks.json", "/.well-known/openid-configuration")


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"the request body is larger than {limit} bytes")


class RequestContextMiddleware:
    """Outermost: gives the request its id (header in, header out, every log line) and counts it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        offered = None
        for name, value in scope.get("headers", ()):
            if name == REQUEST_ID_HEADER.encode():
                offered = value.decode("latin-1")
                break
        request_id = accept_request_id(offered)
        token = set_request_id(request_id)
        started = time.perf_counter()
        status = [500]

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = [h for h in message.get("headers", []) if h[0].lower() != REQUEST_ID_HEADER.encode()]
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                if DRAINING.is_set():  # shutting down: the client's next request goes elsewhere
                    headers = [h for h in headers if h[0].lower() != b"connection"] + [(b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            metrics.REQUESTS.labels(template, scope.get("method", ""), str(status[0])).inc()
            metrics.LATENCY.labels(template).observe(time.perf_counter() - started)
            reset_request_id(token)


class BodyLimitMiddleware:
    """413 for bodies over the limit: at once from Content-Length, or while a chunked body streams in."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > self.max_bytes:
                    status = 413 if declared > self.max_bytes else 400
                    message = (f"the request body is larger than {self.max_bytes} bytes" if status == 413
                               else "invalid Content-Length")
                    response = JSONResponse({"error": "body_too_large" if status == 413 else "bad_request",
                                             "message": message}, status_code=status,
                                            headers={"Connection": "close", "Cache-Control": "no-store"})
                    return await response(scope, receive, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        return await self.app(scope, limited_receive, send)


class SecurityHeadersMiddleware:
    def __init__(self, app, hsts_seconds: int):
        self.app = app
        self.hsts_seconds = hsts_seconds

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        https = scope.get("scheme") == "https"

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                         (b"x-frame-options", b"DENY")]
                if not path.startswith(("/docs", "/redoc")):
                    extra.append((b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"))
                if path not in PUBLIC_CACHEABLE and b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))
                if https and self.hsts_seconds:
                    extra.append((b"strict-transport-security", f"max-age={self.hsts_seconds}".encode()))
                message = {**message, "headers": headers + [h for h in extra if h[0] not in present]}
            await send(message)

        return await self.app(scope, receive, send_with_headers)
