"""Guard tokens: issue one for a transaction, or ask whether one would be issued."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from ...errors import Invalid
from ...schemas import CheckResult, IssuedTokenBody, TransactionRequest
from ..deps import ClientIp, CurrentPrincipal, Service, require_json
from .responses import DESCRIPTIONS, error_responses

router = APIRouter(prefix="/v1/tokens", tags=["tokens"], dependencies=[Depends(require_json)],
                   responses=error_responses(*DESCRIPTIONS))


def transaction_of(body: TransactionRequest) -> bytes:
    try:
        return body.transaction_bytes()
    except ValueError as err:
        raise Invalid("invalid_transaction_encoding", str(err)) from None


@router.post("", summary="Issue a guard token for one NEAR transaction")
def issue(body: TransactionRequest, service: Service, who: CurrentPrincipal, client_ip: ClientIp) -> IssuedTokenBody:
    issued = service.issue(who, transaction_of(body), client_ip)
    return IssuedTokenBody(token=issued.token, alg=issued.alg, kid=issued.kid, issuer=service.settings.issuer_url,
                           subject=issued.subject, issued_at=issued.issued_at, expires_at=issued.expires_at,
                           jti=issued.jti, transaction_sha256=issued.transaction_sha256,
                           transaction_hash=issued.transaction_hash)


@router.post("/check", summary="Would a token be issued? (decode + policy, no token)")
def check(body: TransactionRequest, service: Service, who: CurrentPrincipal, client_ip: ClientIp) -> CheckResult:
    return CheckResult(**service.check(who, transaction_of(body), client_ip))
