"""Public key set: validation (admin side) and selection (verify side).

A key is a JSON-friendly dict, bytes as lists of ints, exactly the shape
`get_public_keys` returns and `init` / `set_public_keys` / `add_public_key`
accept:

    RS256:  {"n": [..256|384|512 bytes..], "e": [1, 0, 1],
             "alg"?: "RS256", "kid"?: str, "not_before"?: int, "not_after"?: int}
    EdDSA:  {"alg": "EdDSA", "x": [..32 bytes..],
             "kid"?: str, "not_before"?: int, "not_after"?: int}

A key without "alg" is RS256 (the Rust guards' `{n, e}` keys). Optional fields
appear only when set. A key is active at time t (unix seconds) when
`not_before <= t < not_after` (each bound only if present): setting the old
key's not_after and the new key's not_before to the same T rotates at T with
neither a gap nor an overlap.
"""

import sys

from . import reasons, values

# RSA modulus sizes accepted, in bytes (2048, 3072 and 4096 bits); rs256 checks
# them again. Here rather than imported from rs256, so that a verify of an EdDSA
# token never imports the RS256 module (which imports them from here).
RS256_MODULUS_SIZES = (256, 384, 512)

# MicroPython: `ubinascii` is always the C module (see b64url.py).
if sys.implementation.name == "micropython":
    import ubinascii as binascii
else:
    import binascii

_HEX_DIGITS = "0123456789abcdef"

MAX_KEYS = 16
# A token that does not name a stored key by `kid` is tried against every
# valid key of its algorithm. Each RS256 key tried costs a modular
# exponentiation (the bulk of verify's gas), and its cost grows with the square
# of the modulus: a 4096-bit key costs about four 2048-bit ones. So the work a
# kid-less token may cause is capped in units of a 1024-bit exponentiation
# (rs256_work): 12 units are three 2048-bit keys (an old, a current and a next
# key during a rotation) or one 3072-bit key. Beyond that the token must name
# its key; a single valid key is always tried, whatever its size. With the
# largest policy and token this keeps a verify under 30 Tgas (45 with a
# 4096-bit key), tests/guard/test_worst_case_gas.py measures it.
# EdDSA checks are a cheap host call and are not capped.
MAX_UNPINNED_RS256_WORK = 12
MAX_KID_CHARS = 128
ED25519_KEY_SIZE = 32
RS256_EXPONENT = [1, 0, 1]

_RS256_FIELDS = ("n", "e", "alg", "kid", "not_before", "not_after")
_EDDSA_FIELDS = ("x", "alg", "kid", "not_before", "not_after")


def key_algorithm(key):
    """"RS256" or "EdDSA" for a stored key dict ("RS256" when alg is absent)."""
    return key.get("alg", "RS256")


def validate_public_key(key):
    """(normalised key, None) or (None, reason) for one key."""
    if type(key) is not dict:
        return None, reasons.KEY_NOT_AN_OBJECT
    alg = key.get("alg", "RS256")
    if alg == "RS256":
        allowed = _RS256_FIELDS
    elif alg == "EdDSA":
        allowed = _EDDSA_FIELDS
    else:
        return None, reasons.KEY_UNSUPPORTED_ALG
    for field in key:
        if field not in allowed:
            return None, reasons.KEY_UNKNOWN_FIELD

    normalised = {}
    if alg == "RS256":
        n = key.get("n")
        if not values.is_byte_list(n) or len(n) not in RS256_MODULUS_SIZES:
            return None, reasons.KEY_BAD_MODULUS_SIZE
        if n[0] == 0:
            return None, reasons.KEY_MODULUS_LEADING_ZERO
        if n[-1] & 1 == 0:
            return None, reasons.KEY_EVEN_MODULUS
        if key.get("e") != RS256_EXPONENT or not values.is_byte_list(key.get("e")):
            return None, reasons.KEY_BAD_EXPONENT
        normalised["n"] = list(n)
        normalised["e"] = list(RS256_EXPONENT)
        if "alg" in key:
            normalised["alg"] = alg
    else:
        x = key.get("x")
        if not values.is_byte_list(x) or len(x) != ED25519_KEY_SIZE:
            return None, reasons.KEY_BAD_ED25519
        from . import edwards

        if not edwards.is_safe_public_key(bytes(x)):
            return None, reasons.KEY_UNSAFE_ED25519
        normalised["alg"] = alg
        normalised["x"] = list(x)

    if "kid" in key:
        kid = key["kid"]
        if type(kid) is not str or not 1 <= len(kid) <= MAX_KID_CHARS:
            return None, reasons.KEY_BAD_KID
        normalised["kid"] = kid
    for bound in ("not_before", "not_after"):
        if bound in key:
            if not values.is_numeric_date(key[bound]):
                return None, reasons.KEY_BAD_WINDOW_TYPE
            normalised[bound] = key[bound]
    if "not_before" in normalised and "not_after" in normalised:
        if normalised["not_before"] >= normalised["not_after"]:
            return None, reasons.KEY_EMPTY_WINDOW
    return normalised, None


def validate_public_keys(keys):
    """(list of normalised keys, None) or (None, reason) for a whole key set."""
    if type(keys) is not list:
        return None, reasons.KEYS_NOT_A_LIST
    if not keys:
        return None, reasons.KEYS_EMPTY
    if len(keys) > MAX_KEYS:
        return None, reasons.KEYS_TOO_MANY
    result = []
    seen_kids = []
    for key in keys:
        normalised, reason = validate_public_key(key)
        if reason is not None:
            return None, reason
        kid = normalised.get("kid")
        if kid is not None:
            if kid in seen_kids:
                return None, reasons.KEYS_DUPLICATE_KID
            seen_kids.append(kid)
        result.append(normalised)
    return result, None


def is_active(key, now):
    """Whether a stored key may verify at `now`; a corrupt bound (never stored
    by validate_public_key) makes the key inactive rather than comparing
    mismatched types."""
    if "not_before" in key:
        not_before = key["not_before"]
        if not values.is_numeric_date(not_before) or now < not_before:
            return False
    if "not_after" in key:
        not_after = key["not_after"]
        if not values.is_numeric_date(not_after) or now >= not_after:
            return False
    return True


def validity_gap(key_set, now):
    """The first stretch of time from `now` on in which no key of `key_set`
    is valid, as (start, end) in unix seconds (`end` None when no key ever
    becomes valid again); None when a key is valid now and the windows that
    follow one another leave no hole.

    The end of the last window is not a gap: a set whose keys all expire
    stops at that time, as its owner scheduled. A hole before a key that
    starts later is one: tokens would be refused in between.
    """
    windows = []
    for key in key_set:
        end = key.get("not_after")
        if end is not None and end <= now:
            continue  # retired: valid at no time from now on
        start = key.get("not_before")
        windows.append((now if start is None or start < now else start, end))
    windows.sort(key=_window_start)
    covered_until = now  # every second in [now, covered_until) has a valid key
    for start, end in windows:
        if start > covered_until:
            return (covered_until, start)
        if end is None:
            return None
        if end > covered_until:
            covered_until = end
    if covered_until == now:
        return (now, None)
    return None


def _window_start(window):
    return window[0]


def validity_gap_reason(gap, now):
    """The admin call's refusal for a `validity_gap` result (times in unix seconds)."""
    start, end = gap
    if start == now:
        when = "now (block time " + str(now) + ")"
    else:
        when = "from " + str(start)
    if end is None:
        return reasons.KEYS_LEAVE_NO_VALID_KEY + " " + when + " or later: the guard would reject every token"
    return (reasons.KEYS_LEAVE_NO_VALID_KEY + " " + when + " until " + str(end)
            + ": the guard would reject every token in between")


def select_keys(public_keys, alg, kid, now):
    """The stored keys a token with header `alg` / `kid` may be checked with.

    A `kid` naming a stored key selects that key alone (and nothing if it has
    another algorithm or is not active now: no falling back to other keys, no
    algorithm confusion); otherwise every active key of `alg`.
    """
    if type(public_keys) is not list:
        return []
    if kid is not None:
        for key in public_keys:
            if type(key) is dict and key.get("kid") == kid:
                if key_algorithm(key) == alg and is_active(key, now):
                    return [key]
                return []
    return [
        key
        for key in public_keys
        if type(key) is dict and key_algorithm(key) == alg and is_active(key, now)
    ]


def compact_key(key):
    """The verify-side storage form of a validated key: the same dict with the
    key bytes ("n" or "x") as a lowercase hex string instead of a list of ints.

    A hex string parses as one JSON token where a byte list is one number per
    byte; `rs256_modulus` / `ed25519_public_key` accept both forms.
    """
    compact = {}
    for field in key:
        value = key[field]
        if field == "n" or field == "x":
            value = binascii.hexlify(bytes(value)).decode()
        compact[field] = value
    return compact


def _key_bytes(value):
    """bytes of a stored key field: a JSON byte list, or an even-length string
    of lowercase hex digits (compact_key); None for anything else."""
    if type(value) is str:
        if len(value) & 1 or value.strip(_HEX_DIGITS):
            return None
        return binascii.unhexlify(value)
    return values.bytes_from_list(value)


def rs256_work(candidates):
    """The exponentiation work of trying each key of `candidates` (stored
    RS256 keys), in units of a 1024-bit modulus: (modulus bytes / 128)²
    each; a corrupt key counts as the largest size."""
    work = 0
    for key in candidates:
        n = key.get("n")
        size = 0
        if type(n) is str:
            size = len(n) // 2  # compact_key's hex form
        elif type(n) is list:
            size = len(n)
        if size not in RS256_MODULUS_SIZES:
            size = RS256_MODULUS_SIZES[-1]
        work += (size // 128) * (size // 128)
    return work


def rs256_modulus(key):
    """Modulus bytes of a stored RS256 key, or None if the stored key is corrupt."""
    n = _key_bytes(key.get("n"))
    if n is None or len(n) not in RS256_MODULUS_SIZES or key.get("e") != RS256_EXPONENT:
        return None
    return n


def ed25519_public_key(key):
    """Public key bytes of a stored EdDSA key, or None if the stored key is corrupt."""
    x = _key_bytes(key.get("x"))
    if x is None or len(x) != ED25519_KEY_SIZE:
        return None
    return x

# gas-mark: import guard_core.keys
