"""The audit log: who got a token for which transaction, signed by which key — never the token.

Each record goes to the `audit_log` table and, when `audit.log` is on, as one
JSON line to the `issuer.audit` logger. Records carry the subject, the
transaction's SHA-256 (which is NEAR's transaction hash, or NEP-461's hash of
a delegate action, in hex), the kid, the jti, the client address and a short
detail; never a token, a password, a refresh token or key material.
"""
from __future__ import annotations

import json
import logging
from typing import Optional

from sqlalchemy import select

from .clock import Clock
from .storage import Store, audit_log

log = logging.getLogger("issuer.audit")
FIELDS = ("event", "subject", "auth_method", "tx_sha256", "kid", "jti", "client_ip", "detail")


class Audit:
    def __init__(self, store: Store, clock: Clock, to_log: bool = True):
        self.store = store
        self.clock = clock
        self.to_log = to_log
        self._insert = audit_log.insert()

    def record(self, event: str, *, subject: Optional[str] = None, auth_method: Optional[str] = None,
               tx_sha256: Optional[str] = None, kid: Optional[str] = None, jti: Optional[str] = None,
               client_ip: Optional[str] = None, detail: Optional[str] = None, conn=None) -> None:
        row = {"at": self.clock.now(), "event": event, "subject": subject, "auth_method": auth_method,
               "tx_sha256": tx_sha256, "kid": kid, "jti": jti, "client_ip": client_ip,
               "detail": None if detail is None else detail[:500]}
        if conn is not None:
            conn.execute(self._insert, row)
        else:
            self.store.write_one(self._insert, row)
        if self.to_log:
            fields = {key: value for key, value in row.items() if value is not None}
            log.info("audit %s", json.dumps(fields, sort_keys=True), extra={"audit": fields})

    def tail(self, limit: int = 50, subject: Optional[str] = None, event: Optional[str] = None) -> list[dict]:
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if subject is not None:
            query = query.where(audit_log.c.subject == subject)
        if event is not None:
            query = query.where(audit_log.c.event == event)
        with self.store.read() as conn:
            return [dict(row._mapping) for row in conn.execute(query)][::-1]
