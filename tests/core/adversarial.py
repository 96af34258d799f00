"""A named corpus of malformed and hostile tokens, each with the reason the
guard must give.

Used by the CPython core tests, the MicroPython self-check, and (later) the
Wasm tests, which should configure the guard from the same `CorpusContext`:

    from tests.core.adversarial import default_context, build_corpus
    context = default_context()
    # guard: public_keys=context.public_keys, audience=context.audience,
    #        issuer=context.issuer; block time context.now
    for case in build_corpus(context):
        verify(jwt=case.token, sign_payload=case.sign_payload, ...)
        -> [False, case.reason]

Many cases are correctly *signed* by the context's keys, so that they reach
the later checks (payload, custom claims, time, issuer, subject) instead of
failing at the signature.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from tests.core import core_support
from tests.core.core_support import b64url, eddsa_key, rs256_key, sign_jws
from guard_core import reasons

RSA_KID = "rsa-main"
ED_KID = "ed-main"


@dataclass
class CorpusContext:
    rsa_private_key: object
    ed_private_key: object
    issuer: str = core_support.ISSUER
    audience: str = "https://app.example.com"
    now: int = core_support.NOW
    sign_payload: list = field(default_factory=lambda: list(core_support.SIGN_PAYLOAD))

    @property
    def public_keys(self):
        """The guard's key set, in get_public_keys / set_public_keys shape."""
        return [
            rs256_key(self.rsa_private_key, kid=RSA_KID, alg="RS256"),
            eddsa_key(self.ed_private_key, kid=ED_KID),
        ]

    @property
    def modulus(self):
        return self.rsa_private_key.public_key().public_numbers().n

    def claims(self, **overrides):
        """Valid claims for this context; name=None drops a claim."""
        result = {
            "iss": self.issuer,
            "sub": core_support.SUBJECT,
            "aud": [self.audience, "https://other.example.com"],
            "exp": self.now + 600,
            "iat": self.now - 10,
            "fatxn": list(self.sign_payload),
        }
        for name, value in overrides.items():
            if value is None:
                result.pop(name, None)
            else:
                result[name] = value
        return result

    def rs256(self, payload=None, header=None, signature_override=None):
        header = {"alg": "RS256", "typ": "JWT", "kid": RSA_KID} if header is None else header
        payload = self.claims() if payload is None else payload
        return sign_jws(header, payload, self.rsa_private_key, signature_override)

    def eddsa(self, payload=None, header=None, signature_override=None):
        header = {"alg": "EdDSA", "typ": "JWT", "kid": ED_KID} if header is None else header
        payload = self.claims() if payload is None else payload
        return sign_jws(header, payload, self.ed_private_key, signature_override)


@dataclass
class Case:
    name: str
    token: object
    reason: str
    sign_payload: object  # what the caller passes next to the token


def default_context():
    return CorpusContext(core_support.rsa_private_key(2048), core_support.ed25519_private_key())


_CONTEXT_SIGN_PAYLOAD = object()
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _token_of_length(context, length, sign):
    """A correctly signed token of exactly `length` characters (padding claim)."""
    for typ in ("JWT", "JWTx", "JWTxy"):
        header = {"alg": "RS256" if sign == context.rs256 else "EdDSA", "typ": typ}
        base = len(sign(context.claims(pad=""), header=header))
        estimate = (length - base) * 3 // 4
        for pad in range(max(0, estimate - 4), estimate + 5):
            token = sign(context.claims(pad="x" * pad), header=header)
            if len(token) == length:
                return token
    raise AssertionError(f"no token of length {length}")


def _segments(token):
    return token.split(".")


def _with_segment(token, index, segment):
    parts = _segments(token)
    parts[index] = segment
    return ".".join(parts)


def _raw(header_bytes, payload_bytes, signature=b"\x00" * 256):
    return b64url(header_bytes) + "." + b64url(payload_bytes) + "." + b64url(signature)


def build_corpus(context=None):
    context = context or default_context()
    valid = context.rs256()
    valid_ed = context.eddsa()
    cases = []

    def add(name, token, reason, sign_payload=_CONTEXT_SIGN_PAYLOAD):
        if sign_payload is _CONTEXT_SIGN_PAYLOAD:
            sign_payload = list(context.sign_payload)
        cases.append(Case(name, token, reason, sign_payload))

    # --- not a string / size ---------------------------------------------------
    for name, value in [("null", None), ("int", 123), ("float", 1.5), ("bool", True), ("list", [valid]), ("object", {"jwt": valid})]:
        add(f"type/{name}", value, reasons.MALFORMED_TOKEN)
    add("size/7169-bytes-signed", _token_of_length(context, 7169, context.rs256), reasons.TOKEN_TOO_LARGE)
    add("size/7169-bytes-eddsa", _token_of_length(context, 7169, context.eddsa), reasons.TOKEN_TOO_LARGE)
    # Exactly at the limit: passes the size check and the whole pipeline runs
    # on a maximal token, up to the (deliberately) mismatching sign_payload.
    add("size/7168-bytes-reaches-claims", _token_of_length(context, 7168, context.rs256), reasons.FATXN_MISMATCH, sign_payload=[1, 2, 3])
    add("size/100k", "A" * 100_000, reasons.TOKEN_TOO_LARGE)
    add("size/7000-chars-of-3-byte-utf8", "€" * 7000, reasons.TOKEN_TOO_LARGE)

    # --- segment counts and dots ---------------------------------------------------
    header, payload, signature = _segments(valid)
    for name, token in [
        ("empty", ""),
        ("one-dot", "."),
        ("three-dots", "..."),
        ("one-segment", header),
        ("two-segments", header + "." + payload),
        ("four-segments", valid + "." + signature),
        ("trailing-dot", valid + "."),
        ("leading-dot", "." + valid),
        ("double-dot-middle", header + ".." + payload + "." + signature),
        ("dot-in-header", header[:5] + "." + header[5:] + "." + payload + "." + signature),
        ("dot-in-signature", header + "." + payload + "." + signature[:7] + "." + signature[7:]),
        ("six-segments", ".".join([header, payload, signature] * 2)),
    ]:
        add(f"shape/{name}", token, reasons.MALFORMED_TOKEN)
    add("shape/two-dots", "..", reasons.INVALID_HEADER)  # three empty segments
    add("shape/empty-header", "." + payload + "." + signature, reasons.INVALID_HEADER)
    add("shape/empty-signature", header + "." + payload + ".", reasons.INVALID_SIGNATURE)
    add("shape/empty-payload-unsigned", header + ".." + signature, reasons.INVALID_SIGNATURE)

    # --- padding ------------------------------------------------------------------
    for index, label in enumerate(["header", "payload", "signature"]):
        segment = _segments(valid)[index]
        add(f"padding/{label}-single", _with_segment(valid, index, segment + "="), reasons.MALFORMED_TOKEN)
        add(f"padding/{label}-double", _with_segment(valid, index, segment + "=="), reasons.MALFORMED_TOKEN)
        add(f"padding/{label}-inside", _with_segment(valid, index, segment[:4] + "==" + segment[4:]), reasons.MALFORMED_TOKEN)

    # --- foreign characters (header and signature are decoded before the
    # signature check; payload characters are covered by the signature) --------
    bad_chars = [" ", "+", "/", "*", "\n", "\t", "\x00", "!", "~", "%", "\\", '"']
    for index, label in ((0, "header"), (2, "signature")):
        segment = _segments(valid)[index]
        for position, char in enumerate(bad_chars):
            at = 3 + position
            add(
                f"base64/{label}-char-{ord(char):02x}",
                _with_segment(valid, index, segment[:at] + char + segment[at:]),
                reasons.MALFORMED_TOKEN,
            )
    # One extra character can make the payload length 1 mod 4 (a shape error).
    payload_reason = reasons.MALFORMED_TOKEN if len(payload) % 4 == 0 else reasons.INVALID_SIGNATURE
    for position, char in enumerate(bad_chars):
        at = 3 + position
        add(
            f"base64/payload-char-{ord(char):02x}",
            _with_segment(valid, 1, payload[:at] + char + payload[at:]),
            payload_reason,
        )
    for label, token in [
        ("non-ascii-header", "é" + valid),
        ("non-ascii-payload", _with_segment(valid, 1, payload + "é")),
        ("lone-surrogate", valid + "\ud800"),
        ("line-separator", _with_segment(valid, 2, signature + "\u2028")),
    ]:
        add(f"base64/{label}", token, reasons.MALFORMED_TOKEN)
    # Lengths 1 mod 4 and non-zero trailing bits.
    add("base64/header-length-1-mod-4", _with_segment(valid, 0, header + "A" * ((1 - len(header)) % 4 or 4)), reasons.MALFORMED_TOKEN)
    add("base64/payload-length-1-mod-4", _with_segment(valid, 1, payload + "A" * ((1 - len(payload)) % 4 or 4)), reasons.MALFORMED_TOKEN)
    add("base64/signature-length-1-mod-4", _with_segment(valid, 2, signature + "A" * ((1 - len(signature)) % 4 or 4)), reasons.MALFORMED_TOKEN)
    header_json = b'{"alg":"RS256","kid":"rsa-main"}'  # 32 bytes: 43 chars, 2 spare bits
    canonical = b64url(header_json)
    last = ALPHABET.index(canonical[-1])
    assert len(canonical) % 4 == 3 and last & 3 == 0
    for bits in (1, 2, 3):
        noncanonical = canonical[:-1] + ALPHABET[last | bits]
        add(f"base64/header-trailing-bits-{bits}", _with_segment(valid, 0, noncanonical), reasons.MALFORMED_TOKEN)
    # 256 signature bytes: 342 characters, the last one carries 4 spare bits.
    signature_last = ALPHABET.index(signature[-1])
    assert len(signature) % 4 == 2 and signature_last & 15 == 0
    for bits in (1, 8):
        add(
            f"base64/signature-trailing-bits-{bits}",
            _with_segment(valid, 2, signature[:-1] + ALPHABET[signature_last | bits]),
            reasons.MALFORMED_TOKEN,
        )

    # --- header JSON ------------------------------------------------------------------
    non_objects = [
        ("array", b'["RS256"]'),
        ("number", b"256"),
        ("negative-number", b"-1"),
        ("bad-number", b"1-1"),  # crashes MicroPython's json.loads if it ever reached it
        ("bad-float", b"1e"),
        ("string", b'"RS256"'),
        ("null", b"null"),
        ("true", b"true"),
        ("empty", b""),
        ("whitespace", b"   "),
        ("unterminated", b'{"alg":"RS256"'),
        ("open-brace", b"{"),
        ("unbalanced", b'{"alg":"RS256"}}'),
        ("leading-space", b' {"alg":"RS256"}'),
        ("trailing-garbage", b'{"alg":"RS256"}x'),
        ("bom", b'\xef\xbb\xbf{"alg":"RS256"}'),
        ("utf16", '{"alg":"RS256"}'.encode("utf-16-le")),
        ("nul-inside", b'{\x00"alg":"RS256"}'),
        ("bad-nested-number", b'{"alg":"RS256","x":1-1}'),
        ("bad-nested-literal", b'{"alg":"RS256","x":tru}'),
        ("unterminated-string", b'{"alg":"RS256}'),
        ("invalid-utf8", b'{"alg":"RS256","x":"\xff"}'),
        ("overlong-utf8", b'{"alg":"RS256","x":"\xc0\xaf"}'),
        ("surrogate-utf8", b'{"alg":"RS256","x":"\xed\xa0\x80"}'),
        ("truncated-utf8", b'{"alg":"RS256","x":"\xe2\x82"}'),
    ]
    for name, header_bytes in non_objects:
        add(f"header/{name}", context.rs256(header=header_bytes), reasons.INVALID_HEADER)
    # Nesting CPython's parser still accepts (it refuses ~1000 levels by
    # recursion depth); with a wrong signature, so both runtimes agree.
    forged = b"\x01" * 256
    # Headers are bounded before they are parsed (jws.MAX_HEADER_STRINGS / _DEPTH).
    add("header/deeply-nested-arrays", context.rs256(header=b'{"alg":"RS256","x":' + b"[" * 500 + b"]" * 500 + b"}", signature_override=forged), reasons.INVALID_HEADER)
    add("header/deeply-nested-objects", context.rs256(header=b'{"alg":"RS256","x":' + b'{"a":' * 400 + b"1" + b"}" * 400 + b"}", signature_override=forged), reasons.INVALID_HEADER)
    add("header/nested-to-the-bound", context.rs256(header=b'{"alg":"RS256","x":[[[1]]]}', signature_override=forged), reasons.INVALID_SIGNATURE)
    add("header/many-keys", context.rs256(header=b"{" + b"".join(b'"k%d":0,' % i for i in range(40)) + b'"alg":"RS256"}', signature_override=forged), reasons.INVALID_HEADER)
    add("header/many-keys-lenient-json", context.rs256(header=b"{" + b"".join(b'"k%d" 0 ' % i for i in range(40)) + b'"alg":"RS256"}', signature_override=forged), reasons.INVALID_HEADER)
    add("header/strings-to-the-bound", context.rs256(header=b"{" + b"".join(b'"k%d":0,' % i for i in range(14)) + b'"alg":"RS256","kid":"x"}', signature_override=forged), reasons.INVALID_SIGNATURE)
    add("header/deeply-nested-unbalanced", context.rs256(header=b'{"alg":"RS256","x":' + b"[" * 2000 + b"}"), reasons.INVALID_HEADER)
    add("header/deeply-nested-5000", context.rs256(header=b'{"alg":"RS256","x":' + b"[" * 5000 + b"]" * 5000 + b"}"), reasons.TOKEN_TOO_LARGE)

    # --- alg ------------------------------------------------------------------------------
    for name, alg in [
        ("none", "none"),
        ("None", "None"),
        ("NONE", "NONE"),
        ("empty", ""),
        ("HS256", "HS256"),
        ("HS384", "HS384"),
        ("HS512", "HS512"),
        ("RS384", "RS384"),
        ("RS512", "RS512"),
        ("PS256", "PS256"),
        ("ES256", "ES256"),
        ("ES256K", "ES256K"),
        ("Ed25519", "Ed25519"),
        ("rs256", "rs256"),
        ("RS256-space", "RS256 "),
        ("RS256-nul", "RS256\x00"),
        ("eddsa-lower", "eddsa"),
    ]:
        add(f"alg/{name}", context.rs256(header={"alg": alg, "kid": RSA_KID}), reasons.UNSUPPORTED_ALGORITHM)
    for name, alg in [("null", None), ("int", 256), ("list", ["RS256"]), ("object", {"RS256": 1}), ("bool", True)]:
        add(f"alg/type-{name}", context.rs256(header={"alg": alg}), reasons.INVALID_HEADER)
    add("alg/missing", context.rs256(header={"typ": "JWT", "kid": RSA_KID}), reasons.INVALID_HEADER)
    add("alg/none-with-empty-signature", _with_segment(context.rs256(header={"alg": "none"}), 2, ""), reasons.UNSUPPORTED_ALGORITHM)
    add("alg/hs256-keyed-with-rsa-modulus", context.rs256(header={"alg": "HS256", "kid": RSA_KID}), reasons.UNSUPPORTED_ALGORITHM)
    # Algorithm/key-type confusion.
    add("confusion/rs256-header-eddsa-signature", context.eddsa(header={"alg": "RS256", "kid": RSA_KID}), reasons.INVALID_SIGNATURE)
    add("confusion/eddsa-header-rsa-signature", context.rs256(header={"alg": "EdDSA", "kid": ED_KID}), reasons.INVALID_SIGNATURE)
    add("confusion/rs256-kid-of-eddsa-key", context.rs256(header={"alg": "RS256", "kid": ED_KID}), reasons.NO_VALID_KEY)
    add("confusion/eddsa-kid-of-rsa-key", context.eddsa(header={"alg": "EdDSA", "kid": RSA_KID}), reasons.NO_VALID_KEY)
    add("confusion/rs256-no-kid-eddsa-signature", context.eddsa(header={"alg": "RS256"}), reasons.INVALID_SIGNATURE)

    # --- kid and crit -------------------------------------------------------------------
    for name, kid in [("int", 1), ("null", None), ("list", [RSA_KID]), ("object", {"k": RSA_KID}), ("bool", False), ("float", 1.0)]:
        add(f"kid/type-{name}", context.rs256(header={"alg": "RS256", "kid": kid}), reasons.INVALID_HEADER)
    add("kid/unknown-wrong-signature", context.rs256(header={"alg": "RS256", "kid": "unknown"}, signature_override=b"\x01" * 256), reasons.INVALID_SIGNATURE)
    add("kid/very-long", context.rs256(header={"alg": "RS256", "kid": "k" * 3000}, signature_override=b"\x01" * 256), reasons.INVALID_SIGNATURE)
    add("header/crit", context.rs256(header={"alg": "RS256", "kid": RSA_KID, "crit": ["exp"]}), reasons.INVALID_HEADER)
    add("header/b64-false", context.rs256(header={"alg": "RS256", "kid": RSA_KID, "b64": False, "crit": ["b64"]}), reasons.INVALID_HEADER)

    # --- signature ----------------------------------------------------------------------
    n = context.modulus
    good_signature = core_support.reference_b64url_decode(signature)
    for name, raw_signature in [
        ("one-byte-short", good_signature[1:]),
        ("one-byte-long", good_signature + b"\x00"),
        ("leading-zero-added", b"\x00" + good_signature),
        ("empty", b""),
        ("s-zero", bytes(256)),
        ("s-one", (1).to_bytes(256, "big")),
        ("s-equals-n", n.to_bytes(256, "big")),
        ("s-n-plus-one", (n + 1).to_bytes(256, "big")),
        ("s-n-minus-one", (n - 1).to_bytes(256, "big")),
        ("s-all-ff", b"\xff" * 256),
        ("4096-bit-length", good_signature * 2),
        ("bit-flip-first", bytes([good_signature[0] ^ 0x80]) + good_signature[1:]),
        ("bit-flip-last", good_signature[:-1] + bytes([good_signature[-1] ^ 1])),
        ("eddsa-sized", b"\x07" * 64),
    ]:
        add(f"signature/rs256-{name}", _with_segment(valid, 2, b64url(raw_signature)), reasons.INVALID_SIGNATURE)
    good_ed_signature = core_support.reference_b64url_decode(_segments(valid_ed)[2])
    for name, raw_signature in [
        ("63-bytes", good_ed_signature[:63]),
        ("65-bytes", good_ed_signature + b"\x00"),
        ("zero", bytes(64)),
        ("bit-flip", bytes([good_ed_signature[0] ^ 1]) + good_ed_signature[1:]),
        ("rsa-sized", b"\x07" * 256),
        ("empty", b""),
    ]:
        add(f"signature/eddsa-{name}", _with_segment(valid_ed, 2, b64url(raw_signature)), reasons.INVALID_SIGNATURE)
    add("signature/segments-swapped", ".".join([payload, header, signature]), reasons.INVALID_HEADER)
    add("signature/header-from-other-token", _with_segment(valid, 0, b64url(b'{"alg":"RS256"}')), reasons.INVALID_SIGNATURE)
    add("signature/payload-from-other-token", _with_segment(valid, 1, _segments(context.rs256(context.claims(sub="mallory")))[1]), reasons.INVALID_SIGNATURE)
    add("signature/eddsa-payload-swapped", _with_segment(valid_ed, 1, _segments(context.eddsa(context.claims(sub="mallory")))[1]), reasons.INVALID_SIGNATURE)

    # --- payload (signed, so they reach the payload checks) --------------------------
    for signer, sign in (("rs256", context.rs256), ("eddsa", context.eddsa)):
        for name, payload_bytes in non_objects:
            add(f"payload/{signer}-{name}", sign(payload=payload_bytes), reasons.INVALID_PAYLOAD)
    add("payload/deeply-nested-2000", context.eddsa(payload=b'{"x":' + b"[" * 2000 + b"]" * 2000 + b"}"), reasons.INVALID_PAYLOAD)
    for claim in ("sub", "iss", "exp"):
        add(f"payload/missing-{claim}", context.eddsa(context.claims(**{claim: None})), reasons.INVALID_PAYLOAD)
    for claim, bad_values in (
        ("sub", [("int", 5), ("list", ["a"]), ("object", {"a": 1}), ("bool", True)]),
        ("iss", [("int", 5), ("list", [context.issuer]), ("bool", False)]),
        (
            "exp",
            [
                ("float", float(context.now + 600)),
                ("float-fraction", context.now + 600.5),
                ("exponent", 1.8e9),
                ("bool-true", True),
                ("bool-false", False),
                ("string", str(context.now + 600)),
                ("list", [context.now + 600]),
                ("object", {"t": context.now + 600}),
                ("huge", 10**30),
                ("two-pow-63", 2**63),
                ("two-pow-64", 2**64),
                ("negative", -1),
                ("negative-huge", -(10**30)),
                ("thousand-digits", 10**1000),
            ],
        ),
        (
            "nbf",
            [
                ("float", float(context.now)),
                ("bool", True),
                ("string", "0"),
                ("null", None),
                ("huge", 10**30),
                ("negative", -1),
            ],
        ),
    ):
        for name, bad in bad_values:
            if bad is None:
                payload_bytes = json.dumps(dict(context.claims(), **{claim: None})).encode()
            else:
                payload_bytes = json.dumps(context.claims(**{claim: bad})).encode()
            add(f"payload/{claim}-{name}", context.eddsa(payload=payload_bytes), reasons.INVALID_PAYLOAD)
    add("payload/exp-null", context.eddsa(payload=json.dumps(dict(context.claims(), exp=None)).encode()), reasons.INVALID_PAYLOAD)
    add("payload/exp-infinity", context.eddsa(payload=json.dumps(context.claims()).replace(str(context.now + 600), "1e400").encode()), reasons.INVALID_PAYLOAD)
    add("payload/exp-bad-number", context.eddsa(payload=json.dumps(context.claims()).replace(str(context.now + 600), "1-1").encode()), reasons.INVALID_PAYLOAD)
    add("payload/exp-minus-zero", context.eddsa(payload=json.dumps(context.claims()).replace(str(context.now + 600), "-0").encode()), reasons.TOKEN_EXPIRED)

    # --- sign_payload and fatxn ---------------------------------------------------------
    good_token = context.eddsa()
    for name, bad in [("null", None), ("string", "abc"), ("int", 5), ("object", {"a": 1}), ("floats", [1.0]), ("bools", [True]), ("out-of-range", [256]), ("negative", [-1]), ("nested", [[1]])]:
        add(f"sign_payload/{name}", good_token, reasons.INVALID_SIGN_PAYLOAD, sign_payload=bad)
    sign_payload = context.sign_payload
    for name, fatxn in [
        ("string", b64url(bytes(sign_payload))),
        ("object", {"0": sign_payload[0]}),
        ("int", 5),
        ("bool", True),
        ("empty", []),
        ("floats", [float(b) for b in sign_payload]),
        ("one-float", sign_payload[:-1] + [float(sign_payload[-1])]),
        ("bools", [b == 1 for b in sign_payload]),
        ("out-of-range", sign_payload[:-1] + [sign_payload[-1] + 256]),
        ("negative", [-1] + sign_payload[1:]),
        ("one-byte-off", sign_payload[:-1] + [sign_payload[-1] ^ 1]),
        ("one-byte-short", sign_payload[:-1]),
        ("one-byte-long", sign_payload + [0]),
        ("nested", [sign_payload]),
        ("huge-int", sign_payload[:-1] + [2**70]),
        ("strings", [str(b) for b in sign_payload[:32]]),
        ("reversed", sign_payload[::-1]),
    ]:
        add(f"fatxn/{name}", context.eddsa(context.claims(fatxn=fatxn)), reasons.FATXN_MISMATCH)
    # A payload of more strings than claims.MAX_PAYLOAD_STRINGS is refused before it is parsed.
    add("fatxn/strings-beyond-the-payload-bound", context.eddsa(context.claims(fatxn=[str(b) for b in sign_payload] * 2)), reasons.INVALID_PAYLOAD)
    add("fatxn/missing", context.eddsa(context.claims(fatxn=None)), reasons.FATXN_MISMATCH)
    add("fatxn/null", context.eddsa(payload=json.dumps(dict(context.claims(), fatxn=None)).encode()), reasons.FATXN_MISMATCH)
    add("fatxn/rs256-one-byte-off", context.rs256(context.claims(fatxn=sign_payload[:-1] + [sign_payload[-1] ^ 1])), reasons.FATXN_MISMATCH)

    # --- audience (the context configures one) ------------------------------------------
    for name, aud in [
        ("other", "https://other.example.com"),
        ("int", 5),
        ("bool", True),
        ("object", {context.audience: True}),
        ("empty-list", []),
        ("list-without", ["https://a", "https://b"]),
        # Non-string members are skipped (upstream auth0-guard's rule), so only a
        # list whose strings all differ is refused; [audience, 1] is accepted.
        ("list-of-non-strings", [1, True, None, {"aud": context.audience}]),
        ("nested-list", [[context.audience]]),
        ("prefix", context.audience[:-1]),
        ("trailing-slash", context.audience + "/"),
    ]:
        add(f"aud/{name}", context.eddsa(context.claims(aud=aud)), reasons.AUDIENCE_MISMATCH)
    add("aud/missing", context.eddsa(context.claims(aud=None)), reasons.AUDIENCE_MISMATCH)

    # --- time -------------------------------------------------------------------------
    add("time/exp-now", context.eddsa(context.claims(exp=context.now)), reasons.TOKEN_EXPIRED)
    add("time/exp-zero", context.eddsa(context.claims(exp=0)), reasons.TOKEN_EXPIRED)
    add("time/exp-past", context.rs256(context.claims(exp=context.now - 3600)), reasons.TOKEN_EXPIRED)
    add("time/nbf-future", context.eddsa(context.claims(nbf=context.now + 1)), reasons.TOKEN_NOT_YET_VALID)
    add("time/nbf-max", context.eddsa(context.claims(nbf=2**63 - 1, exp=2**63 - 1)), reasons.TOKEN_NOT_YET_VALID)

    # --- issuer -------------------------------------------------------------------------
    for name, iss in [
        ("other", "https://evil.example.com/"),
        ("no-trailing-slash", context.issuer.rstrip("/")),
        ("upper-case", context.issuer.upper()),
        ("prefix-of-real", context.issuer[:-2]),
        ("empty", ""),
        ("with-nul", context.issuer + "\x00"),
    ]:
        add(f"iss/{name}", context.eddsa(context.claims(iss=iss)), reasons.ISSUER_MISMATCH)

    # --- subject ------------------------------------------------------------------------
    for name, sub in [
        ("empty", ""),
        ("hash", "user#1"),
        ("hash-only", "#"),
        ("257-bytes", "s" * 257),
        ("129-two-byte-chars", "é" * 129),
        ("86-three-byte-chars", "€" * 86),
        ("65-four-byte-chars", "😀" * 65),
        ("lone-surrogate", "\ud800"),
        ("reversed-surrogates", "\ude00\ud83d"),
    ]:
        payload_bytes = json.dumps(context.claims(sub=sub)).encode()
        add(f"sub/{name}", context.eddsa(payload=payload_bytes), reasons.INVALID_SUBJECT)
    add("sub/raw-invalid-utf8", context.eddsa(payload=json.dumps(context.claims(sub="XX")).encode().replace(b'"XX"', b'"\xff\xfe"')), reasons.INVALID_PAYLOAD)
    add("sub/raw-surrogate-utf8", context.eddsa(payload=json.dumps(context.claims(sub="XX")).encode().replace(b'"XX"', b'"\xed\xa0\x80"')), reasons.INVALID_PAYLOAD)

    names = [case.name for case in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases


def write_json(path, context=None):
    """Write the corpus (JSON-representable cases only) for other runtimes."""
    context = context or default_context()
    cases = [
        {
            "name": case.name,
            "token": case.token,
            "reason": case.reason,
            "sign_payload": case.sign_payload,
        }
        for case in build_corpus(context)
    ]
    document = {
        "issuer": context.issuer,
        "audience": context.audience,
        "now": context.now,
        "public_keys": context.public_keys,
        "cases": cases,
    }
    Path(path).write_text(json.dumps(document))
    return document
