"""Named dependencies of the routes: what each endpoint needs, resolved per request.

The ones that never block are `async def`: FastAPI runs a plain `def` dependency in its thread pool,
a thread hop per dependency per request; `current_principal` reads the database and stays `def`.
"""
from __future__ import annotations

import ipaddress
import logging
from typing import Annotated, Optional

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .. import metrics
from ..accounts import ACCESS_PREFIX, Principal
from ..config import Settings
from ..errors import NotAuthenticated, NotFound, Refused, UnsupportedMedia
from ..service import IssuerService

log = logging.getLogger("issuer")

bearer_scheme = HTTPBearer(auto_error=False, description="A built-in access token (fa_at_…) or an upstream "
                                                         "OpenID Connect ID token")


async def get_service(request: Request) -> IssuerService:
    return request.app.state.service


async def get_settings(request: Request) -> Settings:
    return request.app.state.service.settings


Service = Annotated[IssuerService, Depends(get_service)]
CurrentSettings = Annotated[Settings, Depends(get_settings)]


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


async def get_client_ip(request: Request) -> str:
    return client_address(request, request.app.state.trusted_proxies)


ClientIp = Annotated[str, Depends(get_client_ip)]


async def require_json(request: Request) -> None:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise UnsupportedMedia("unsupported_media_type", "send the body as application/json")


async def password_auth_enabled(settings: CurrentSettings) -> None:
    if not settings.auth.password.enabled:
        raise NotFound("not_found", "built-in accounts are disabled on this issuer")


async def bearer_token(credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer_scheme)) -> Optional[str]:
    return credentials.credentials if credentials is not None else None


def credential_kind(token: Optional[str]) -> str:
    """What the bearer looks like, for logs and metrics (never the token itself)."""
    if not token:
        return "none"
    if token.startswith(ACCESS_PREFIX):
        return "access_token"
    return "id_token" if token.count(".") == 2 else "unknown"


def current_principal(service: Service, client_ip: ClientIp,
                      token: Annotated[Optional[str], Depends(bearer_token)]) -> Principal:
    service.limit("issue:ip", client_ip, service.settings.rate_limits.issue_per_ip,
                  "too many requests from this address")
    try:
        return service.authenticate(token)
    except (NotAuthenticated, Refused) as err:
        kind = credential_kind(token)
        metrics.AUTH_REJECTED.labels(kind, err.code).inc()
        log.warning("authentication rejected: kind=%s reason=%s client=%s", kind, err.code, client_ip)
        raise


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
