"""Every error the API answers, mapped to HTTP here and nowhere else.

Domain modules raise `issuer.errors` kinds (NotAuthenticated, Refused, …);
the table below gives each its status. A database that cannot be reached is
a 503 `database_unavailable` (logged as one line, never a traceback); a body
that is not JSON is a 400; anything unexpected is a 500 whose detail goes only
to the log.
"""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import errors, metrics
from ..secrets_box import MasterSecretError

log = logging.getLogger("issuer")

STATUS = {
    errors.BadRequest: 400,
    errors.NotAuthenticated: 401,
    errors.Refused: 403,
    errors.NotFound: 404,
    errors.TooLarge: 413,
    errors.UnsupportedMedia: 415,
    errors.Invalid: 422,
    errors.RateLimited: 429,
    errors.Failed: 500,
    errors.Unavailable: 503,
}
DATABASE_DOWN = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
RETRY_AFTER_SECONDS = "5"


def status_of(error: errors.IssuerError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500


def error_response(error: errors.IssuerError) -> JSONResponse:
    status = status_of(error)
    headers = {}
    if isinstance(error, errors.RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{error.code}"'
    if status == 503:
        headers["Retry-After"] = RETRY_AFTER_SECONDS
    return JSONResponse(error.body(), status_code=status, headers=headers)


def database_unavailable(error: Exception) -> errors.Unavailable:
    """One log line (the driver's first line, no traceback, no URL) and the 503 the caller gets."""
    first_line = str(getattr(error, "orig", None) or error).strip().splitlines()[0:1]
    log.error("database unavailable: %s: %s", type(error).__name__, first_line[0] if first_line else "")
    metrics.DATABASE_UP.set(0)
    return errors.Unavailable("database_unavailable", "the issuer's database is unavailable; try again shortly")


def _validation_details(err: RequestValidationError) -> list[dict]:
    # Only where and what: never the input, which may be a password.
    return [{"loc": [str(part) for part in item.get("loc", ())], "msg": str(item.get("msg", "")),
             "type": str(item.get("type", ""))} for item in err.errors()]


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.IssuerError)
    async def _domain(_request: Request, error: errors.IssuerError):
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError):
        details = _validation_details(error)
        if any(d["type"] == "json_invalid" for d in details):
            return error_response(errors.BadRequest("bad_request", "the body is not valid JSON"))
        summary = "; ".join(f"{'.'.join(d['loc'])}: {d['msg']}" for d in details[:5])
        return error_response(errors.Invalid("invalid_request", summary or "invalid request", details=details))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException):
        codes = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large", 400: "bad_request"}
        headers = dict(getattr(error, "headers", None) or {})
        if error.status_code == 413:
            headers["Connection"] = "close"
        message = str(error.detail)
        if error.status_code == 400 and message == "There was an error parsing the body":
            message = "the body could not be parsed: send JSON encoded in UTF-8"
        return JSONResponse({"error": codes.get(error.status_code, "http_error"), "message": message},
                            status_code=error.status_code, headers=headers)

    for kind in DATABASE_DOWN:
        @app.exception_handler(kind)
        async def _database(_request: Request, error: Exception):
            return error_response(database_unavailable(error))

    @app.exception_handler(MasterSecretError)
    async def _cannot_sign(_request: Request, error: MasterSecretError):
        log.error("cannot sign: %s", error)
        metrics.CAN_SIGN.set(0)
        return error_response(errors.Unavailable("cannot_sign", "the issuer cannot open its signing key"))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception):
        log.error("unexpected error: %s", type(error).__name__, exc_info=error)
        return JSONResponse({"error": "internal_error", "message": "internal error"}, status_code=500)
