"""The whole JWT verification pipeline, step by step.

    verify_jwt(call, guard, host) -> (True, sub) | (False, reason)

Each step validates its input explicitly, whatever the argument types, and
answers with a reason rather than raising. The one safety net for the
unforeseen (a bug, or an `extra_claims_check` that raises) is the shell's:
guard.py answers any exception with `Verification error`. Cheap checks come
first; the payload is decoded and parsed only after the signature has been
verified.
"""

from . import claims as claims_mod
from . import b64url, jws, keys, reasons, values


def verify_jwt(call, guard, host):
    """Verify a token for the transaction it is meant to authorise.

    The inputs come as three plain tuples, by what they describe (tuples, not
    classes or keyword arguments: on MicroPython they are the cheapest to
    build and to take apart, and verify builds them on every call):

    call  = (token, sign_payload, expected_issuer), what this call asks:
        token:           the JWT (compact JWS) as received.
        sign_payload:    list of ints 0-255, the bytes FastAuth will sign.
        expected_issuer: str, see claims.expected_issuer().
    guard = (public_keys, audience, issuers, paused, extra_claims_check), the
            guard's configuration:
        public_keys:     the stored key set (list of key dicts, see keys.py).
        audience:        required `aud` entry, or None / "" for no audience check.
        issuers:         allow-list of issuers (list of str) or None for none.
        paused:          the guard's pause flag.
        extra_claims_check: None, or a hook run at step 7 after the built-in
                         custom claims: (claims dict, sign_payload) -> None to
                         accept or a reason string to reject (transaction
                         policy, claim mode, an integrator's own rules).
    host  = (now_seconds, sha256, ed25519_verify), what the host provides:
        now_seconds:     block time in whole unix seconds (int).
        sha256:          bytes -> 32 bytes.
        ed25519_verify:  (signature, message, public_key) -> truthy if valid.
    """
    token, sign_payload, expected_issuer = call
    public_keys, audience, issuers, paused, extra_claims_check = guard
    now_seconds, sha256, ed25519_verify = host
    # 1. Pause.
    if paused:
        return False, reasons.PAUSED
    if type(now_seconds) is not int:
        return False, reasons.VERIFICATION_ERROR

    # 2-3. Size and shape.
    parts, reason = jws.split_token(token)
    # gas-mark: token split, header and signature base64
    if reason is not None:
        return False, reason

    # 4. Header and key selection.
    header, reason = jws.parse_header(parts.header_bytes)
    # gas-mark: header json
    if reason is not None:
        return False, reason
    alg, kid = header
    candidates = keys.select_keys(public_keys, alg, kid, now_seconds)
    if not candidates:
        return False, reasons.NO_VALID_KEY
    # A kid that names a stored key selects at most one, so more means unpinned.
    if alg == "RS256" and len(candidates) > 1 and keys.rs256_work(candidates) > keys.MAX_UNPINNED_RS256_WORK:
        return False, reasons.KEY_ID_REQUIRED
    # gas-mark: key selection

    # 5. Signature.
    if not _signature_valid(alg, candidates, parts, sha256, ed25519_verify):
        return False, reasons.INVALID_SIGNATURE
    # gas-mark: signature check (rest)

    # 6. Payload (only now is it decoded).
    payload_bytes = b64url.decode(parts.payload_segment)
    # gas-mark: payload base64
    if payload_bytes is None:
        return False, reasons.MALFORMED_TOKEN
    token_claims, reason = claims_mod.parse_payload(payload_bytes)
    # gas-mark: payload json
    if reason is not None:
        return False, reason

    # 7. Custom claims.
    reason = claims_mod.check_custom_claims(token_claims, sign_payload, audience)
    # gas-mark: fatxn = sign_payload, audience
    if reason is not None:
        return False, reason
    if extra_claims_check is not None:
        reason = extra_claims_check(token_claims, sign_payload)
        # gas-mark: authorization (claim mode, policy, custom rules)
        if reason is not None:
            if type(reason) is not str or not reason:
                reason = reasons.CUSTOM_CLAIMS_REJECTED
            return False, reason

    # 8-10. Time, issuer, subject.
    reason = claims_mod.check_time(token_claims, now_seconds)
    if reason is None:
        reason = claims_mod.check_issuer(token_claims, expected_issuer, issuers)
    if reason is not None:
        return False, reason
    subject, reason = claims_mod.check_subject(token_claims)
    # gas-mark: time, issuer, subject
    if reason is not None:
        return False, reason
    return True, subject


def _signature_valid(alg, candidates, parts, sha256, ed25519_verify):
    # Each algorithm's module is imported only when a token uses it: on NEAR
    # every call imports afresh, at ~0.05-0.07 Tgas a module.
    if alg == "RS256":
        from . import rs256

        # Hashed once, whatever the number of candidate keys.
        digest = sha256(parts.signing_input)
        # gas-mark: sha256 of the signing input
        if type(digest) is not bytes:
            return False
        for key in candidates:
            modulus = keys.rs256_modulus(key)
            if modulus is not None and rs256.verify_digest(parts.signature, digest, modulus):
                return True
        return False
    from . import eddsa

    for key in candidates:
        public_key = keys.ed25519_public_key(key)
        if public_key is not None and eddsa.verify(
            parts.signature, parts.signing_input, public_key, ed25519_verify
        ):
            return True
    return False


def verify_custom_claims(jwt_payload, sign_payload, audience=None, extra_claims_check=None):
    """The `verify_custom_claims` view: (True, "") or (False, reason).

    jwt_payload: the decoded JWT payload as a list of ints 0-255.
    """
    payload_bytes = values.bytes_from_list(jwt_payload)
    if payload_bytes is None:
        return False, reasons.INVALID_PAYLOAD
    token_claims = values.parse_json_object(
        payload_bytes, claims_mod.MAX_PAYLOAD_STRINGS, claims_mod.MAX_PAYLOAD_DEPTH
    )
    if token_claims is None:
        return False, reasons.INVALID_PAYLOAD
    reason = claims_mod.check_custom_claims(token_claims, sign_payload, audience)
    if reason is None and extra_claims_check is not None:
        reason = extra_claims_check(token_claims, sign_payload)
        if reason is not None and (type(reason) is not str or not reason):
            reason = reasons.CUSTOM_CLAIMS_REJECTED
    if reason is not None:
        return False, reason
    return True, ""

# gas-mark: import guard_core.verifier
