"""The HTTP API (FastAPI). `create_app(settings)` builds it; `issuer serve` runs it on uvicorn.

Endpoints (OpenAPI at /openapi.json, docs at /docs):

    GET  /.well-known/jwks.json               the public signing keys (pending, active, retiring)
    GET  /.well-known/openid-configuration    discovery document (issuer, jwks_uri, algorithms)
    GET  /healthz                             liveness
    GET  /readyz                              database reachable and a signing key active
    POST /v1/auth/login                       built-in account → access + refresh token
    POST /v1/auth/refresh                     refresh token → new pair (old one spent)
    POST /v1/auth/logout                      ends the session family (Bearer access token)
    GET  /v1/auth/session                     who the bearer is
    POST /v1/tokens                           transaction bytes → guard JWT (Bearer: access token or ID token)
    POST /v1/tokens/check                     the same decision, without a token

Security defaults: request bodies over `server.max_body_bytes` are refused
with 413 before being read (Content-Length) or as soon as they grow past it
(chunked); JSON bodies only; strict validation; CORS only for the configured
origins; `Cache-Control: no-store` on everything but the public key documents;
HSTS over HTTPS; no secret is ever echoed (validation errors omit the input).
"""
from __future__ import annotations

import ipaddress
import logging
from typing import Optional

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .accounts import AuthError, Principal
from .clock import Clock
from .config import Settings, load_settings
from .errors import ApiError
from .schemas import (CheckResult, ErrorBody, Health, IssuedTokenBody, LoginRequest, RefreshRequest, SessionTokens,
                      TransactionRequest, WhoAmI)
from .service import IssuerService
from .storage import Store

log = logging.getLogger("issuer")

PUBLIC_CACHEABLE = ("/.well-known/jwks.json", "/.well-known/openid-configuration")
ERROR_RESPONSES = {status: {"model": ErrorBody, "description": text} for status, text in (
    (400, "Bad request"), (401, "Not authenticated"), (403, "Refused by policy or rules"),
    (413, "Body or transaction too large"), (415, "Not JSON"), (422, "Invalid body"),
    (429, "Rate limited (see Retry-After)"), (503, "Temporarily unable"))}


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"the request body is larger than {limit} bytes")


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


def client_address(request: Request, trusted_proxies: list) -> str:
    """The peer's address, or the client's from X-Forwarded-For when the peer is a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    if not trusted_proxies:
        return peer

    def trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in trusted_proxies)

    if not trusted(peer):
        return peer
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer


def _error_response(error: ApiError) -> JSONResponse:
    headers = dict(error.headers)
    if error.status == 401:
        headers.setdefault("WWW-Authenticate", f'Bearer error="invalid_token", error_description="{error.code}"')
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


def _validation_details(err: RequestValidationError) -> list[dict]:
    details = []
    for item in err.errors():
        # Only where and what: never the input, which may be a password.
        details.append({"loc": [str(part) for part in item.get("loc", ())], "msg": str(item.get("msg", "")),
                        "type": str(item.get("type", ""))})
    return details


def create_app(settings: Optional[Settings] = None, *, service: Optional[IssuerService] = None,
               store: Optional[Store] = None, clock: Optional[Clock] = None, hooks: Optional[list] = None,
               secret: Optional[bytes] = None, **service_kwargs) -> FastAPI:
    if service is None:
        settings = settings or load_settings()
        service = IssuerService(settings, store=store, clock=clock, hooks=hooks, secret=secret, **service_kwargs)
    settings = service.settings
    trusted_proxies = [ipaddress.ip_network(entry, strict=False) for entry in settings.server.trusted_proxies]

    app = FastAPI(
        title=settings.issuer.name,
        version=__version__,
        description="Issues short-lived JWTs bound to one NEAR transaction (`fatxn`), for a FastAuth JWT guard. "
                    "Authenticate with a built-in account (`/v1/auth/login`) or an upstream OpenID Connect ID "
                    "token, then POST the transaction's Borsh bytes to `/v1/tokens`.",
        responses={},
    )
    app.state.service = service

    # The last added is the outermost: security headers on every response (413s included), then CORS,
    # then the body limit.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.server.max_body_bytes)
    if settings.server.cors_allow_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.server.cors_allow_origins),
                           allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type"],
                           allow_credentials=False, max_age=600)
    app.add_middleware(SecurityHeadersMiddleware, hsts_seconds=settings.server.hsts_seconds)

    @app.exception_handler(ApiError)
    async def _api_error(_request, error: ApiError):
        return _error_response(error)

    @app.exception_handler(AuthError)
    async def _auth_error(_request, error: AuthError):
        return _error_response(ApiError(error.status, error.code, error.message))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request, error: RequestValidationError):
        details = _validation_details(error)
        summary = "; ".join(f"{'.'.join(d['loc'])}: {d['msg']}" for d in details[:5])
        return JSONResponse({"error": "invalid_request", "message": summary or "invalid request",
                             "details": details}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request, error: StarletteHTTPException):
        codes = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large", 400: "bad_request"}
        headers = dict(getattr(error, "headers", None) or {})
        if error.status_code == 413:
            headers["Connection"] = "close"
        message = str(error.detail)
        if error.status_code == 400 and message == "There was an error parsing the body":
            message = "the body could not be parsed: send JSON encoded in UTF-8"
        return JSONResponse({"error": codes.get(error.status_code, "http_error"), "message": message},
                            status_code=error.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request, error: Exception):
        log.error("unexpected error: %s", type(error).__name__, exc_info=error)
        return JSONResponse({"error": "internal_error", "message": "internal error"}, status_code=500)

    bearer_scheme = HTTPBearer(auto_error=False, description="A built-in access token (fa_at_…) or an upstream "
                                                             "OpenID Connect ID token")

    def client_ip(request: Request) -> str:
        return client_address(request, trusted_proxies)

    def require_json(request: Request) -> None:
        content_type = request.headers.get("content-type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise ApiError(415, "unsupported_media_type", "send the body as application/json")

    def bearer_token(credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer_scheme)) -> Optional[str]:
        return credentials.credentials if credentials is not None else None

    def principal(request: Request, token: Optional[str] = Depends(bearer_token)) -> Principal:
        address = client_ip(request)
        service.limit("issue:ip", address, settings.rate_limits.issue_per_ip, "too many requests from this address")
        return service.authenticate(token)

    def password_auth_enabled() -> None:
        if not settings.auth.password.enabled:
            raise ApiError(404, "not_found", "built-in accounts are disabled on this issuer")

    # ------------------------------------------------------------ public documents

    @app.get("/.well-known/jwks.json", tags=["keys"], summary="The issuer's public signing keys (JWKS)")
    def jwks(response: Response) -> dict:
        response.headers["Cache-Control"] = f"public, max-age={settings.keys.jwks_max_age_seconds}"
        return service.keys.jwks()

    @app.get("/.well-known/openid-configuration", tags=["keys"], summary="OpenID discovery document")
    def discovery(response: Response) -> dict:
        response.headers["Cache-Control"] = f"public, max-age={settings.keys.jwks_max_age_seconds}"
        base = settings.base_url
        return {
            "issuer": settings.issuer_url,
            "jwks_uri": settings.jwks_url,
            "token_endpoint": base + "/v1/tokens",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "EdDSA"],
            "claims_supported": ["iss", "sub", "iat", "nbf", "exp", "jti", "fatxn", "aud"],
            "service_documentation": base + "/docs",
        }

    @app.get("/healthz", tags=["health"], summary="Liveness")
    def healthz() -> Health:
        return Health(status="ok")

    @app.get("/readyz", tags=["health"], summary="Readiness: database reachable, a signing key active",
             responses={503: {"model": Health}})
    def readyz():
        try:
            service.store.ping()
            active = service.keys.active()
        except Exception:  # noqa: BLE001 - readiness reports, it does not raise
            return JSONResponse(Health(status="unavailable", database="unreachable").model_dump(), status_code=503)
        if active is None:
            return JSONResponse(Health(status="unavailable", database="ok", signing_key="none active").model_dump(),
                                status_code=503)
        return Health(status="ok", database="ok", signing_key=active.kid)

    # ------------------------------------------------------------ built-in accounts

    @app.post("/v1/auth/login", tags=["auth"], summary="Log in with a built-in account",
              dependencies=[Depends(password_auth_enabled), Depends(require_json)],
              responses={k: v for k, v in ERROR_RESPONSES.items() if k in (400, 401, 413, 415, 422, 429)})
    def login(body: LoginRequest, request: Request) -> SessionTokens:
        pair = service.login(body.username, body.password, client_ip(request))
        return SessionTokens(access_token=pair.access_token, expires_in=pair.access_expires_in,
                             refresh_token=pair.refresh_token, refresh_expires_in=pair.refresh_expires_in,
                             subject=pair.subject)

    @app.post("/v1/auth/refresh", tags=["auth"], summary="Exchange a refresh token for a new pair",
              dependencies=[Depends(password_auth_enabled), Depends(require_json)],
              responses={k: v for k, v in ERROR_RESPONSES.items() if k in (400, 401, 413, 415, 422, 429)})
    def refresh(body: RefreshRequest, request: Request) -> SessionTokens:
        address = client_ip(request)
        service.limit("refresh:ip", address, settings.rate_limits.refresh_per_ip,
                      "too many refreshes from this address")
        try:
            pair = service.accounts.refresh(body.refresh_token)
        except AuthError as err:
            if err.code == "refresh_token_reused":
                service.audit.record("refresh_reuse", client_ip=address, detail="session family revoked")
            raise
        return SessionTokens(access_token=pair.access_token, expires_in=pair.access_expires_in,
                             refresh_token=pair.refresh_token, refresh_expires_in=pair.refresh_expires_in,
                             subject=pair.subject)

    @app.post("/v1/auth/logout", tags=["auth"], summary="End this session (every token of its family)",
              status_code=204, dependencies=[Depends(password_auth_enabled)],
              responses={k: v for k, v in ERROR_RESPONSES.items() if k in (401, 429)})
    def logout(request: Request, who: Principal = Depends(principal)) -> Response:
        if who.family_id is None:
            raise ApiError(400, "not_a_session", "only built-in account sessions can log out here")
        service.accounts.logout(who)
        service.audit.record("logout", subject=who.subject, auth_method=who.method, client_ip=client_ip(request))
        return Response(status_code=204)

    @app.get("/v1/auth/session", tags=["auth"], summary="Who the bearer token belongs to",
             responses={k: v for k, v in ERROR_RESPONSES.items() if k in (401, 429)})
    def session(who: Principal = Depends(principal)) -> WhoAmI:
        return WhoAmI(subject=who.subject, method=who.method, near_account=who.near_account)

    # ------------------------------------------------------------ tokens

    def transaction_of(body: TransactionRequest) -> bytes:
        try:
            return body.transaction_bytes()
        except ValueError as err:
            raise ApiError(422, "invalid_transaction_encoding", str(err)) from None

    @app.post("/v1/tokens", tags=["tokens"], summary="Issue a guard token for one NEAR transaction",
              dependencies=[Depends(require_json)], responses=ERROR_RESPONSES)
    def issue(body: TransactionRequest, request: Request, who: Principal = Depends(principal)) -> IssuedTokenBody:
        issued = service.issue(who, transaction_of(body), client_ip(request))
        return IssuedTokenBody(token=issued.token, alg=issued.alg, kid=issued.kid, issuer=settings.issuer_url,
                               subject=issued.subject, issued_at=issued.issued_at, expires_at=issued.expires_at,
                               jti=issued.jti, transaction_sha256=issued.transaction_sha256,
                               transaction_hash=issued.transaction_hash)

    @app.post("/v1/tokens/check", tags=["tokens"], summary="Would a token be issued? (decode + policy, no token)",
              dependencies=[Depends(require_json)], responses=ERROR_RESPONSES)
    def check(body: TransactionRequest, request: Request, who: Principal = Depends(principal)) -> CheckResult:
        return CheckResult(**service.check(who, transaction_of(body), client_ip(request)))

    return app


def app_from_environment() -> FastAPI:
    """uvicorn's factory (`issuer serve`): settings from $ISSUER_CONFIG and the environment."""
    return create_app(load_settings())
