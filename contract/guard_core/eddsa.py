"""EdDSA (Ed25519, RFC 8037) through the host's verifier.

The verifier is injected (on-chain: NEAR's `ed25519_verify` host function,
which aborts the call on wrong lengths, so lengths are checked here first).
"""

SIGNATURE_SIZE = 64
PUBLIC_KEY_SIZE = 32


def verify(signature, message, public_key, ed25519_verify):
    """True if `signature` is a valid Ed25519 signature of `message` (bytes)."""
    if len(signature) != SIGNATURE_SIZE or len(public_key) != PUBLIC_KEY_SIZE:
        return False
    return bool(ed25519_verify(signature, message, public_key))

# gas-mark: import guard_core.eddsa
