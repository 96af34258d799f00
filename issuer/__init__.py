"""The off-chain issuer for a FastAuth JWT guard.

An ASGI service (FastAPI on uvicorn) that authenticates a user (an upstream
OpenID Connect ID token, or a built-in account), authorizes the NEAR
transaction they want signed (the guard's own transaction policy, rate limits,
an integrator hook) and issues a short-lived JWT bound to exactly those bytes
(`fatxn`), which the on-chain guard verifies.

    create_app(settings)      the ASGI application (issuer.app)
    load_settings(path)       configuration from TOML + environment (issuer.config)
    issuer.cli:main           the `issuer` console command

See issuer/README.md.
"""

__version__ = "0.1.0"
