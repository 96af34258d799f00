"""Built-in accounts: login, refresh, logout, who am I."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from ...errors import BadRequest, NotAuthenticated
from ...schemas import LoginRequest, RefreshRequest, SessionTokens, WhoAmI
from ..deps import ClientIp, CurrentPrincipal, Service, password_auth_enabled, require_json
from .responses import error_responses

router = APIRouter(prefix="/v1/auth", tags=["auth"])


def _tokens(pair) -> SessionTokens:
    return SessionTokens(access_token=pair.access_token, expires_in=pair.access_expires_in,
                         refresh_token=pair.refresh_token, refresh_expires_in=pair.refresh_expires_in,
                         subject=pair.subject)


@router.post("/login", summary="Log in with a built-in account",
             dependencies=[Depends(password_auth_enabled), Depends(require_json)],
             responses=error_responses(400, 401, 413, 415, 422, 429, 503))
def login(body: LoginRequest, service: Service, client_ip: ClientIp) -> SessionTokens:
    return _tokens(service.login(body.username, body.password, client_ip))


@router.post("/refresh", summary="Exchange a refresh token for a new pair",
             dependencies=[Depends(password_auth_enabled), Depends(require_json)],
             responses=error_responses(400, 401, 413, 415, 422, 429, 503))
def refresh(body: RefreshRequest, service: Service, client_ip: ClientIp) -> SessionTokens:
    service.limit("refresh:ip", client_ip, service.settings.rate_limits.refresh_per_ip,
                  "too many refreshes from this address")
    try:
        pair = service.accounts.refresh(body.refresh_token)
    except NotAuthenticated as err:
        if err.code == "refresh_token_reused":
            service.audit.record("refresh_reuse", client_ip=client_ip, detail="session family revoked")
        raise
    return _tokens(pair)


@router.post("/logout", summary="End this session (every token of its family)", status_code=204,
             dependencies=[Depends(password_auth_enabled)], responses=error_responses(400, 401, 429, 503))
def logout(service: Service, who: CurrentPrincipal, client_ip: ClientIp) -> Response:
    if who.family_id is None:
        raise BadRequest("not_a_session", "only built-in account sessions can log out here")
    service.accounts.logout(who)
    service.audit.record("logout", subject=who.subject, auth_method=who.method, client_ip=client_ip)
    return Response(status_code=204)


@router.get("/session", summary="Who the bearer token belongs to", responses=error_responses(401, 429, 503))
def session(who: CurrentPrincipal) -> WhoAmI:
    return WhoAmI(subject=who.subject, method=who.method, near_account=who.near_account)
