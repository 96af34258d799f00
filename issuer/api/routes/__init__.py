"""One router per area; `issuer.app.create_app` includes them all."""
