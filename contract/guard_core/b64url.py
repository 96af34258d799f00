"""Strict base64url (RFC 4648 section 5) without padding, as JWS uses it.

A segment is accepted only if it is the canonical encoding of its bytes: URL
alphabet only, no '=', length not 1 mod 4, zero trailing bits. Every byte
string then has exactly one accepted encoding, so a token cannot be re-encoded
into a different-looking token with the same meaning (this matters for the
signature segment, the one part of a token its signature does not cover).

How it stays cheap and safe on MicroPython/NEAR, where a per-character Python
loop over a 7 KB token costs real gas and a C built-in must never raise:

* `a2b_base64` (C) skips characters outside the standard alphabet, so the
  decode is checked by re-encoding with `b2a_base64` (C) and comparing with
  the input: any skipped, foreign or non-canonical character makes them differ.
* `a2b_base64` raises only when its bit accumulator ends non-empty. `_TAIL`
  is appended after the segment's own padding and drives the accumulator back
  to empty from every state it can be in (MicroPython and CPython alike), so
  no input whatsoever reaches that error path. Bytes the tail might add are
  cut off by the known output length.
"""

import sys

# MicroPython: `binascii` may be micropython-lib's slow pure-Python module
# frozen into the contract (it shadows the C one); `ubinascii` is always the C
# module. Chosen by implementation name, never by a failing import (a failed
# import traps the NEAR Wasm VM).
if sys.implementation.name == "micropython":
    from ubinascii import a2b_base64, b2a_base64
else:
    from binascii import a2b_base64, b2a_base64

# Appended to the segment before a2b_base64: its own padding (which ends a
# well-formed segment's decoding) followed by the tail described above.
_TAIL = b"A==A==A=="
_SUFFIX = (_TAIL, None, b"==" + _TAIL, b"=" + _TAIL)


def decode(segment):
    """bytes for a canonical unpadded base64url `segment` (bytes), else None."""
    if type(segment) is not bytes:
        return None
    size = len(segment)
    remainder = size & 3
    if remainder == 1:
        return None
    # '+' and '/' are standard-alphabet characters: after the translation
    # below they look like translated '-' and '_', and the round trip could
    # not tell them apart, so they are refused first.
    if b"+" in segment or b"/" in segment:
        return None
    standard = segment.replace(b"-", b"+").replace(b"_", b"/")
    data = a2b_base64(standard + _SUFFIX[remainder])
    expected_size = (size * 3) >> 2
    if len(data) < expected_size:
        return None
    if len(data) > expected_size:
        data = data[:expected_size]
    # The encoding of expected_size bytes is len(standard) characters plus
    # '=' padding, so this prefix comparison compares every character.
    if not b2a_base64(data, newline=False).startswith(standard):
        return None
    return data

# gas-mark: import guard_core.b64url
