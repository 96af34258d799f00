"""Prometheus metrics (prometheus-client), one definition each.

With several uvicorn workers `issuer serve` points PROMETHEUS_MULTIPROC_DIR at
a private directory before the workers start, so every worker writes its
samples there and `/metrics` (answered by any worker) aggregates them all.
Gauges say how they combine across workers (`multiprocess_mode`).
"""
from __future__ import annotations

import os

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, REGISTRY,
                               generate_latest)

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter("issuer_http_requests", "HTTP requests answered, by route template, method and status",
                   ["route", "method", "status"])
LATENCY = Histogram("issuer_http_request_duration_seconds", "Time to answer an HTTP request, by route template",
                    ["route"], buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5))
TOKENS_ISSUED = Counter("issuer_tokens_issued", "Guard tokens issued")
TOKENS_REFUSED = Counter("issuer_tokens_refused", "Token requests refused, by reason code", ["reason"])
AUTH_REJECTED = Counter("issuer_authentication_rejected", "Rejected authentications, by credential kind and reason",
                        ["kind", "reason"])
KEY_AGE = Gauge("issuer_signing_key_age_seconds", "Seconds since the active signing key was activated",
                multiprocess_mode="mostrecent")
DATABASE_UP = Gauge("issuer_database_up", "1 when the last database check succeeded", multiprocess_mode="mostrecent")
PROVIDER_UP = Gauge("issuer_identity_provider_up", "1 when the last JWKS fetch from the provider succeeded",
                    ["provider"], multiprocess_mode="mostrecent")
CAN_SIGN = Gauge("issuer_can_sign", "1 when the active signing key is present and decrypts",
                 multiprocess_mode="mostrecent")


def exposition() -> tuple[bytes, str]:
    """The text exposition of every metric (of every worker in multiprocess mode) and its content type."""
    if os.environ.get(MULTIPROCESS_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
