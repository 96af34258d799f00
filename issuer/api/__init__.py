"""The HTTP side of the issuer: FastAPI routers per area, their dependencies, and the one error mapping.

    api/deps.py        named dependencies (service, settings, client address, JSON only, bearer, principal)
    api/errors.py      domain errors → HTTP status and body, in one table
    api/middleware.py  body limit, security headers, request ids and metrics
    api/routes/        public.py (JWKS, discovery) · health.py (healthz, readyz, metrics) · auth.py · tokens.py

`issuer.app.create_app` puts them together.
"""
