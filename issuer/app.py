"""The HTTP API (FastAPI). `create_app(settings)` builds it; `issuer serve` runs it on uvicorn.

Endpoints (OpenAPI at /openapi.json, docs at /docs), one router per area in `issuer.api.routes`:

    GET  /.well-known/jwks.json               the public signing keys (pending, active, retiring)
    GET  /.well-known/openid-configuration    discovery document (issuer, jwks_uri, algorithms)
    GET  /healthz                             liveness
    GET  /readyz                              database reachable, a signing key active and decryptable
    GET  /metrics                             Prometheus metrics
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
from typing import Optional

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from . import __version__
from .api import errors as api_errors
from .api.middleware import BodyLimitMiddleware, RequestContextMiddleware, SecurityHeadersMiddleware
from .api.routes import auth, health, public, tokens
from .clock import Clock
from .config import Settings, load_settings
from .service import IssuerService
from .storage import Store


def create_app(settings: Optional[Settings] = None, *, service: Optional[IssuerService] = None,
               store: Optional[Store] = None, clock: Optional[Clock] = None, hooks: Optional[list] = None,
               secret: Optional[bytes] = None, **service_kwargs) -> FastAPI:
    if service is None:
        settings = settings or load_settings()
        service = IssuerService(settings, store=store, clock=clock, hooks=hooks, secret=secret, **service_kwargs)
    settings = service.settings

    app = FastAPI(
        title=settings.issuer.name,
        version=__version__,
        description="Issues short-lived JWTs bound to one NEAR transaction (`fatxn`), for a FastAuth JWT guard. "
                    "Authenticate with a built-in account (`/v1/auth/login`) or an upstream OpenID Connect ID "
                    "token, then POST the transaction's Borsh bytes to `/v1/tokens`.",
    )
    app.state.service = service
    app.state.trusted_proxies = [ipaddress.ip_network(entry, strict=False)
                                 for entry in settings.server.trusted_proxies]

    # The last added is the outermost: request ids and metrics around everything, then security headers
    # on every response (413s included), then CORS, then the body limit.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.server.max_body_bytes)
    if settings.server.cors_allow_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.server.cors_allow_origins),
                           allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                           expose_headers=["X-Request-ID"], allow_credentials=False, max_age=600)
    app.add_middleware(SecurityHeadersMiddleware, hsts_seconds=settings.server.hsts_seconds)
    app.add_middleware(RequestContextMiddleware)

    api_errors.install(app)
    for area in (public, health, auth, tokens):
        app.include_router(area.router)
    return app


def app_from_environment() -> FastAPI:
    """uvicorn's factory (`issuer serve`): settings from $ISSUER_CONFIG and the environment."""
    return create_app(load_settings())
