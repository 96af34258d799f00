"""Pure core of the FastAuth JWT guard: everything `verify` decides.

Authorization beyond the JWT lives in modules that the shell imports only
when it needs them (not from here, so a verify without them never pays for
importing them): txdecode (Borsh Transaction / DelegateAction decoding),
policy_spec (the owner's transaction policy: format and validation),
policy_eval (evaluating it in verify) and claim_mode (claim mode). The shell wires them, and
contract/custom_rules.py, into `verify_jwt` through `extra_claims_check`.

Runs unchanged under CPython (tests) and MicroPython (on-chain, frozen by
nearc). It never imports `near`: the shell injects the host's `sha256` and
`ed25519_verify`. Only `json`, `binascii` and `sys` are imported.

Shell-facing API:
    verify_jwt(call, guard, host) -> (bool, sub | reason), where
        call  = (token, sign_payload, expected_issuer)
        guard = (public_keys, audience, issuers, paused, extra_claims_check)
        host  = (now_seconds, sha256, ed25519_verify)
    verify_custom_claims(jwt_payload, sign_payload, audience=None,
                         extra_claims_check=None) -> (bool, "" | reason)
    validate_public_keys(keys) -> (normalised list, None) | (None, reason)
    validate_public_key(key)   -> (normalised dict, None) | (None, reason)
    expected_issuer(issuer=None, guard_id=None) -> str | None
    issuer_from_guard_id(guard_id) -> str | None
    reasons: the stable reason strings.
"""

from . import reasons
from .claims import expected_issuer, issuer_from_guard_id
from .keys import MAX_KEYS, MAX_KID_CHARS, validate_public_key, validate_public_keys
from .jws import MAX_TOKEN_BYTES
from .verifier import verify_custom_claims, verify_jwt

# gas-mark: import guard_core
