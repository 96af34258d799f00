"""JWS compact serialisation: size, shape and header (verification steps 2-4).

The payload segment is kept encoded here; it is decoded only after the
signature has been checked (see verifier).
"""

from . import b64url, reasons, values

MAX_TOKEN_BYTES = 7168

SUPPORTED_ALGORITHMS = ("RS256", "EdDSA")

# The header is parsed before the signature is checked, so anyone can make the
# guard parse one: its strings and nesting are bounded first (values.
# json_text_within). Real headers hold a handful of members ("alg", "kid",
# "typ", at most a "jwk" or an "x5c" list).
MAX_HEADER_STRINGS = 32
MAX_HEADER_DEPTH = 4


class SplitToken:
    """The parts of a well-shaped token.

    signing_input: the ASCII bytes `header.payload` that the signature covers.
    payload_segment: still base64url-encoded.
    """

    def __init__(self, header_bytes, payload_segment, signature, signing_input):
        self.header_bytes = header_bytes
        self.payload_segment = payload_segment
        self.signature = signature
        self.signing_input = signing_input


def split_token(token):
    """(SplitToken, None) or (None, reason) for size and shape."""
    if type(token) is not str:
        return None, reasons.MALFORMED_TOKEN
    # Characters never outnumber UTF-8 bytes, so this settles huge inputs
    # before anything is copied.
    if len(token) > MAX_TOKEN_BYTES:
        return None, reasons.TOKEN_TOO_LARGE
    # "surrogatepass": CPython cannot encode a lone surrogate otherwise
    # (MicroPython ignores the argument and never fails here).
    raw = token.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_TOKEN_BYTES:
        return None, reasons.TOKEN_TOO_LARGE
    if len(raw) != len(token):
        return None, reasons.MALFORMED_TOKEN  # non-ASCII
    segments = raw.split(b".")  # (one pass; bytes.count would be a slower one)
    if len(segments) != 3:
        return None, reasons.MALFORMED_TOKEN
    header_segment, payload_segment, signature_segment = segments
    if (len(payload_segment) & 3) == 1 or b"=" in payload_segment:
        return None, reasons.MALFORMED_TOKEN
    header_bytes = b64url.decode(header_segment)
    if header_bytes is None:
        return None, reasons.MALFORMED_TOKEN
    signature = b64url.decode(signature_segment)
    if signature is None:
        return None, reasons.MALFORMED_TOKEN
    signing_input = raw[: len(header_segment) + 1 + len(payload_segment)]
    return SplitToken(header_bytes, payload_segment, signature, signing_input), None


def parse_header(header_bytes):
    """((alg, kid_or_None), None) or (None, reason)."""
    header = values.parse_json_object(header_bytes, MAX_HEADER_STRINGS, MAX_HEADER_DEPTH)
    if header is None:
        return None, reasons.INVALID_HEADER
    alg = header.get("alg")
    if type(alg) is not str:
        return None, reasons.INVALID_HEADER
    kid = None
    if "kid" in header:
        kid = header["kid"]
        if type(kid) is not str:
            return None, reasons.INVALID_HEADER
    # RFC 7515 4.1.11: extensions listed in "crit" must be understood; we
    # understand none (this also refuses RFC 7797 unencoded payloads).
    if "crit" in header:
        return None, reasons.INVALID_HEADER
    if alg not in SUPPORTED_ALGORITHMS:
        return None, reasons.UNSUPPORTED_ALGORITHM
    return (alg, kid), None

# gas-mark: import guard_core.jws
