"""JWT claims: payload shape, custom claims, time, issuer, subject (steps 6-10).

Each check returns None when it passes and a reason string when it fails.
"""

from . import reasons, values

MAX_SUBJECT_BYTES = 256
# The payload is parsed only once its signature holds, but a genuine token is
# bounded too (values.json_text_within), so that no token an issuer signs can
# make a verify cost more than the promised ceiling.
MAX_PAYLOAD_STRINGS = 128
MAX_PAYLOAD_DEPTH = 16


def parse_payload(payload_bytes):
    """(claims dict, None) or (None, reason) for decoded payload bytes.

    Requires `sub` and `iss` strings, integer `exp` and, when present, integer
    `nbf` (JSON true/false and floats are not integers here).
    """
    claims = values.parse_json_object(payload_bytes, MAX_PAYLOAD_STRINGS, MAX_PAYLOAD_DEPTH)
    if claims is None:
        return None, reasons.INVALID_PAYLOAD
    if type(claims.get("sub")) is not str or type(claims.get("iss")) is not str:
        return None, reasons.INVALID_PAYLOAD
    if not values.is_numeric_date(claims.get("exp")):
        return None, reasons.INVALID_PAYLOAD
    if "nbf" in claims and not values.is_numeric_date(claims["nbf"]):
        return None, reasons.INVALID_PAYLOAD
    return claims, None


def check_custom_claims(claims, sign_payload, audience=None):
    """`fatxn` equals `sign_payload` byte for byte; `aud` contains `audience`
    when one is configured (None or "" means not configured)."""
    payload_bytes = values.bytes_from_list(sign_payload)
    if payload_bytes is None:
        return reasons.INVALID_SIGN_PAYLOAD
    # Compared as bytes: a fatxn item that merely equals a byte value (1.0 and
    # true both == 1 in a list comparison) makes it no byte list at all.
    if values.bytes_from_list(claims.get("fatxn")) != payload_bytes:
        return reasons.FATXN_MISMATCH
    if audience:
        # Upstream auth0-guard's rule (audience_matches): a string equal to the
        # audience, or an array with such a string among its members; members
        # of other types are skipped, not refused.
        aud = claims.get("aud")
        if type(aud) is str:
            if aud != audience:
                return reasons.AUDIENCE_MISMATCH
        elif type(aud) is list:
            if audience not in aud:
                return reasons.AUDIENCE_MISMATCH
        else:
            return reasons.AUDIENCE_MISMATCH
    return None


def check_time(claims, now_seconds):
    if claims["exp"] <= now_seconds:
        return reasons.TOKEN_EXPIRED
    if "nbf" in claims and claims["nbf"] > now_seconds:
        return reasons.TOKEN_NOT_YET_VALID
    return None


def check_issuer(claims, expected_issuer, allowed_issuers=None):
    """`iss` equals the expected issuer and, when an allow-list is configured
    (a list, even empty), is in it."""
    iss = claims["iss"]
    if type(expected_issuer) is not str or iss != expected_issuer:
        return reasons.ISSUER_MISMATCH
    if allowed_issuers is not None:
        if not values.is_str_list(allowed_issuers) or iss not in allowed_issuers:
            return reasons.ISSUER_MISMATCH
    return None


def check_subject(claims):
    """(subject, None) or (None, reason): non-empty, at most 256 bytes of
    valid UTF-8, no '#' ('#' would break FastAuth's `guard#sub` paths).

    The subject returned is the one to hand back to FastAuth: normally the
    claim itself; see _join_surrogate_pairs for the one repair applied.
    """
    subject = claims["sub"]
    # "surrogatepass": a JSON escape can put a lone surrogate into the string
    # (which the byte-level payload check cannot see); CPython could not
    # encode it otherwise. MicroPython ignores the argument.
    encoded = subject.encode("utf-8", "surrogatepass")
    if b"\xed" in encoded:
        repaired = _join_surrogate_pairs(encoded)
        if repaired is not encoded and values.is_utf8(repaired):
            encoded = repaired
            subject = repaired.decode()
    if not 1 <= len(encoded) <= MAX_SUBJECT_BYTES:
        return None, reasons.INVALID_SUBJECT
    if b"#" in encoded or not values.is_utf8(encoded):
        return None, reasons.INVALID_SUBJECT
    return subject, None


def _join_surrogate_pairs(encoded):
    """Rewrite 3+3-byte encoded surrogate pairs as the 4-byte UTF-8 character.

    MicroPython's json decodes the escape pair "\\ud83d\\ude00" as two
    separate 3-byte surrogate sequences (invalid UTF-8) where CPython and the
    Rust guards produce U+1F600; issuers that escape non-ASCII (many JSON
    encoders do by default) would otherwise have such subjects refused or
    returned corrupted. Returns `encoded` itself when there is nothing to join.
    Runs only for subjects containing byte 0xED, over at most a few hundred
    bytes.
    """
    size = len(encoded)
    joined = bytearray()
    changed = False
    i = 0
    while i < size:
        if (
            encoded[i] == 0xED
            and i + 5 < size
            and 0xA0 <= encoded[i + 1] <= 0xAF
            and 0x80 <= encoded[i + 2] <= 0xBF
            and encoded[i + 3] == 0xED
            and 0xB0 <= encoded[i + 4] <= 0xBF
            and 0x80 <= encoded[i + 5] <= 0xBF
        ):
            high = ((encoded[i + 1] & 0x0F) << 6) | (encoded[i + 2] & 0x3F)  # minus 0xD800
            low = ((encoded[i + 4] & 0x0F) << 6) | (encoded[i + 5] & 0x3F)  # minus 0xDC00
            code_point = 0x10000 + (high << 10) + low
            joined.append(0xF0 | (code_point >> 18))
            joined.append(0x80 | ((code_point >> 12) & 0x3F))
            joined.append(0x80 | ((code_point >> 6) & 0x3F))
            joined.append(0x80 | (code_point & 0x3F))
            i += 6
            changed = True
        else:
            joined.append(encoded[i])
            i += 1
    return bytes(joined) if changed else encoded


def issuer_from_guard_id(guard_id):
    """The issuer a FastAuth guard id names: the part after the first '#'
    (`jwt#https://issuer/` -> `https://issuer/`), the whole id without '#'."""
    if type(guard_id) is not str:
        return None
    hash_at = guard_id.find("#")
    if hash_at < 0:
        return guard_id
    return guard_id[hash_at + 1 :]


def expected_issuer(issuer=None, guard_id=None):
    """The issuer a verify call expects: the router's `issuer` argument as is,
    else derived from FastAuth's `guard_id`; None if neither is a string."""
    if type(issuer) is str:
        return issuer
    return issuer_from_guard_id(guard_id)

# gas-mark: import guard_core.claims
