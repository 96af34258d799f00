"""Explicit validation of untrusted values, written for MicroPython on NEAR.

In the NEAR Wasm port an exception raised inside a C built-in does not unwind:
the C code runs on with garbage and the error may surface as another type, or
crash. So nothing here calls a built-in that could raise on bad input; every
check is done with operations that cannot fail on the types already verified
(`type(x) is int`, `in`, `len`, `min`/`max` over a list known to hold only
ints). Note `type(...) is int` rather than `isinstance`: `bool` is an `int`
subclass on CPython but not on MicroPython, and JSON `true` must never pass as
the integer 1 on either.
"""

import json

# str/bytes.isascii(): CPython has it; on NEAR runtime patch 11 adds it (a C
# loop, where max() over the bytes costs ~290 Wasm instructions per byte).
# A MicroPython without the patch falls back to max().
_HAS_ISASCII = hasattr(b"", "isascii")

# C versions with the same answers, installed by the shell on NEAR (use_native):
# runtime patch 11's near.bytes_from_byte_list (the per-item checks below cost
# ~1,700 Wasm instructions per item in bytecode) and patch 12's
# near.json_text_within (the byte loop below, ~100 times cheaper in C), and
# patch 14's near.rsa_public_pow (RS256's exponentiation from and to bytes,
# without int objects).
_native_bytes_from_list = None
_native_json_text_within = None
_native_rsa_public_pow = None

# JWT NumericDate values and key windows are unix seconds; anything outside
# [0, 2**63) is treated as malformed rather than as "far past/future".
MAX_NUMERIC_DATE = 9223372036854775807

_SMALL_INT_MIN = -(2**30)
_SMALL_INT_MAX = 2**30 - 1

_INT_ONLY = {int}
_STR_ONLY = {str}


def is_numeric_date(value):
    return type(value) is int and 0 <= value <= MAX_NUMERIC_DATE


def all_ints(items):
    """True if every item of the list is an exact int (not bool, not float)."""
    # map and set run in C: no per-item bytecode.
    return not items or set(map(type, items)) == _INT_ONLY


def use_native(bytes_from_list=None, json_text_within=None, rsa_public_pow=None):
    """Make bytes_from_list (and is_byte_list), json_text_within and
    rsa_public_pow call C versions that give the same answers for every value;
    None restores this module's own."""
    global _native_bytes_from_list, _native_json_text_within, _native_rsa_public_pow
    _native_bytes_from_list = bytes_from_list
    _native_json_text_within = json_text_within
    _native_rsa_public_pow = rsa_public_pow


def rsa_public_pow(signature, modulus):
    """signature^65537 mod modulus as big-endian bytes of the modulus' length,
    or None when signature >= modulus (both big-endian bytes of one length, a
    multiple of 4; the modulus odd with a non-zero first byte)."""
    if _native_rsa_public_pow is not None:
        return _native_rsa_public_pow(signature, modulus)
    n = int.from_bytes(modulus, "big")
    s = int.from_bytes(signature, "big")
    if s >= n:
        return None
    return pow(s, 65537, n).to_bytes(len(modulus), "big")


def bytes_from_list(value):
    """bytes for a list whose items are all exact ints in 0..255 (a JSON byte
    array), None for anything else."""
    if _native_bytes_from_list is not None:
        return _native_bytes_from_list(value)
    if type(value) is not list:
        return None
    if not value:
        return b""
    # min/max (C) are safe once every item is known to be an int.
    if not all_ints(value) or min(value) < 0 or max(value) > 255:
        return None
    return bytes(value)


def is_byte_list(value):
    """True for a list whose items are all exact ints in 0..255 (JSON bytes)."""
    return bytes_from_list(value) is not None


_ACCOUNT_ID_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_ACCOUNT_ID_SEPARATORS = "-_."


def is_account_id(value):
    """NEAR's account id rules: 2-64 characters of a-z, 0-9, '-', '_', '.', a
    separator never first, last or next to another."""
    if type(value) is not str or not 2 <= len(value) <= 64:
        return False
    after_separator = True  # so that a leading separator is refused
    for char in value:
        if char in _ACCOUNT_ID_SEPARATORS:
            if after_separator:
                return False
            after_separator = True
        elif char in _ACCOUNT_ID_ALNUM:
            after_separator = False
        else:
            return False
    return not after_separator


def is_str_list(value):
    if type(value) is not list:
        return False
    return not value or set(map(type, value)) == _STR_ONLY


def is_utf8(data):
    """Strict UTF-8 check (no overlongs, no surrogates, nothing above U+10FFFF).

    ASCII, by far the common case for JWTs, is settled by one C call; the
    byte loop only runs for data that holds non-ASCII bytes.
    """
    if not data or (data.isascii() if _HAS_ISASCII else max(data) < 0x80):
        return True
    size = len(data)
    i = 0
    while i < size:
        lead = data[i]
        if lead < 0x80:
            i += 1
            continue
        if 0xC2 <= lead <= 0xDF:
            extra, low, high = 1, 0x80, 0xBF
        elif lead == 0xE0:
            extra, low, high = 2, 0xA0, 0xBF
        elif lead == 0xED:
            extra, low, high = 2, 0x80, 0x9F
        elif 0xE1 <= lead <= 0xEF:
            extra, low, high = 2, 0x80, 0xBF
        elif lead == 0xF0:
            extra, low, high = 3, 0x90, 0xBF
        elif 0xF1 <= lead <= 0xF3:
            extra, low, high = 3, 0x80, 0xBF
        elif lead == 0xF4:
            extra, low, high = 3, 0x80, 0x8F
        else:
            return False
        if i + extra >= size:
            return False
        second = data[i + 1]
        if second < low or second > high:
            return False
        j = i + 2
        end = i + extra
        while j <= end:
            follow = data[j]
            if follow < 0x80 or follow > 0xBF:
                return False
            j += 1
        i = end + 1
    return True


def json_text_within(data, max_strings, max_depth):
    """True when `data` (bytes) is strict UTF-8 (as is_utf8) and, read as JSON
    text, holds at most `max_strings` string literals and nests arrays and
    objects at most `max_depth` deep; False for anything else, never raises.

    A lexical scan, not a parse: outside a string `"` opens one and `[`/`{`
    and `]`/`}` move the depth (never below 0); inside, a backslash skips the
    ASCII byte after it and `"` closes it. What json.loads costs grows with
    the strings it builds (each an object, an interning look-up, a dict
    insertion for a key), so this bounds that cost before any of it is spent.
    """
    if _native_json_text_within is not None:
        return _native_json_text_within(data, max_strings, max_depth)
    if type(data) is not bytes or type(max_strings) is not int or type(max_depth) is not int:
        return False
    # The C version takes MicroPython's small ints (31 bits) only.
    if not _SMALL_INT_MIN <= max_strings <= _SMALL_INT_MAX or not _SMALL_INT_MIN <= max_depth <= _SMALL_INT_MAX:
        return False
    if not is_utf8(data):
        return False
    strings = 0
    depth = 0
    in_string = False
    size = len(data)
    i = 0
    while i < size:
        byte = data[i]
        i += 1
        if in_string:
            if byte == 0x22:  # '"'
                in_string = False
            elif byte == 0x5C and i < size and data[i] < 0x80:  # '\' + ASCII
                i += 1
        elif byte == 0x22:
            strings += 1
            if strings > max_strings:
                return False
            in_string = True
        elif byte == 0x5B or byte == 0x7B:  # '[' '{'
            depth += 1
            if depth > max_depth:
                return False
        elif (byte == 0x5D or byte == 0x7D) and depth > 0:  # ']' '}'
            depth -= 1
    return True


def parse_json_object(data, max_strings, max_depth):
    """The dict encoded by `data` (UTF-8 JSON bytes), or None; None also when
    the text holds more than `max_strings` strings or nests deeper than
    `max_depth` (json_text_within), checked before anything is parsed.

    MicroPython's json.loads crashes the Wasm VM on some malformed input when
    the top-level value is a bare number ("1-1": a failed number parse leaves a
    NULL object that it then dereferences), and accepts an unterminated
    top-level container. Requiring a leading '{' and trailing '}' makes the
    top-level value a dict before any number is parsed, so every remaining
    failure is an ordinary raised exception that the try below catches.
    """
    if type(data) is not bytes or len(data) < 2:
        return None
    if data[0] != 0x7B or data[-1] != 0x7D:  # '{' ... '}'
        return None
    # CPython's json.loads(bytes) guesses UTF-16/32 when the second byte is NUL;
    # MicroPython always reads UTF-8. A NUL there is invalid JSON either way.
    if data[1] == 0:
        return None
    if not json_text_within(data, max_strings, max_depth):
        return None
    try:
        parsed = json.loads(data)
    except Exception:
        return None
    if type(parsed) is not dict:
        return None
    return parsed

# gas-mark: import guard_core.values
