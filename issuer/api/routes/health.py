"""Liveness, readiness and Prometheus metrics."""
from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from ... import metrics
from ...schemas import Health
from ..deps import Service

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", summary="Readiness: database reachable, a signing key active and decryptable",
            responses={503: {"model": Health}})
def readyz(service: Service):
    ready = service.readiness()
    body = Health(status="ok" if ready.ok else "unavailable", database=ready.database,
                  signing_key=ready.signing_key).model_dump()
    return JSONResponse(body, status_code=200 if ready.ok else 503)


@router.get("/metrics", summary="Prometheus metrics (text exposition format)", include_in_schema=False)
def prometheus_metrics(service: Service) -> Response:
    service.readiness()  # refreshes the health and key-age gauges
    payload, content_type = metrics.exposition()
    return Response(payload, media_type=content_type)
