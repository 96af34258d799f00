"""The off-chain issuer for a FastAuth JWT guard.

An ASGI service (FastAPI on uvicorn) that authenticates a user (an upstream
OpenID Connect ID token, or a built-in account), authorizes the NEAR
transaction they want signed (the guard's own transaction policy, rate limits,
an integrator hook) and issues a short-lived JWT bound to exactly those bytes
(`fatxn`), which the on-chain guard verifies.

    create_app(settings)      the ASGI application (issuer.app): routers per area in issuer.api.routes,
                              their dependencies in issuer.api.deps, HTTP errors mapped in issuer.api.errors
    IssuerService             the domain, without HTTP (issuer.service); refusals are issuer.errors kinds
    load_settings(path)       configuration from TOML + environment (issuer.config)
    issuer.cli:main           the `issuer` console command; `serve` runs issuer.serving
    issuer.metrics, issuer.observability   Prometheus metrics; request ids and log formats

See issuer/README.md.
"""

__version__ = "0.1.0"
