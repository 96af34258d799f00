"""Request ids and log formatting.

Every HTTP request gets an id: the caller's `X-Request-ID` when it is a
short token of safe characters, a fresh random one otherwise. It is answered
in the `X-Request-ID` response header and carried by every log line written
while the request is served (`request_id`), so one request's lines can be
found among many workers' output.

`--log-format json` writes one JSON object per line: `ts`, `level`, `logger`,
`message`, `request_id`, and the structured fields of audit records
(`audit`) and access lines.
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from typing import Optional

REQUEST_ID_HEADER = "x-request-id"
_ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
_request_id: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("issuer_request_id", default=None)


def accept_request_id(offered: Optional[str]) -> str:
    """The caller's id when it is safe to echo and log, else a new one."""
    if offered and _ACCEPTED_ID.match(offered):
        return offered
    return uuid.uuid4().hex


def set_request_id(value: Optional[str]) -> contextvars.Token:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


def current_request_id() -> Optional[str]:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` ("-" outside a request) to every record passing through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
                 "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage(),
                 "request_id": getattr(record, "request_id", None) or current_request_id() or "-"}
        audit = getattr(record, "audit", None)
        if isinstance(audit, dict):
            entry["audit"] = audit
            entry["message"] = f"audit {audit.get('event', '')}"
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, sort_keys=True, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(level: str, log_format: str) -> dict:
    """A dictConfig for `issuer serve`: uvicorn's loggers and the issuer's on one handler, with request ids."""
    formatter = ({"()": "issuer.observability.JsonFormatter"} if log_format == "json"
                 else {"format": TEXT_FORMAT})
    handler = {"class": "logging.StreamHandler", "formatter": "main", "filters": ["request_id"],
               "stream": "ext://sys.stderr"}
    logger = {"handlers": ["main"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "issuer.observability.RequestIdFilter"}},
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": {"uvicorn": dict(logger), "uvicorn.error": {"level": level.upper()},
                    "uvicorn.access": dict(logger), "issuer": dict(logger)},
    }
