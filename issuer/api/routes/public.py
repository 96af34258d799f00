"""The public key documents a verifier reads: the JWKS and the OpenID discovery document."""
from __future__ import annotations

from fastapi import APIRouter, Response

from ..deps import CurrentSettings, Service

router = APIRouter(tags=["keys"])


@router.get("/.well-known/jwks.json", summary="The issuer's public signing keys (JWKS)")
def jwks(response: Response, service: Service) -> dict:
    response.headers["Cache-Control"] = f"public, max-age={service.settings.keys.jwks_max_age_seconds}"
    return service.keys.jwks()


@router.get("/.well-known/openid-configuration", summary="OpenID discovery document")
def discovery(response: Response, settings: CurrentSettings) -> dict:
    response.headers["Cache-Control"] = f"public, max-age={settings.keys.jwks_max_age_seconds}"
    base = settings.base_url
    return {
        "issuer": settings.issuer_url,
        "jwks_uri": settings.jwks_url,
        "token_endpoint": base + "/v1/tokens",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "EdDSA"],
        "claims_supported": ["iss", "sub", "iat", "nbf", "exp", "jti", "fatxn", "aud"],
        "service_documentation": base + "/docs",
    }
