"""Self-check of the guard core, run by MicroPython (and runnable by CPython).

    MICROPYPATH=contract micropython tests/core/mpy_selfcheck.py DATA.json

DATA.json is written by test_core_micropython.py with CPython-computed answers:
verify checks (token, sign_payload, keys, config, expected result), key-set
checks, primitive checks (base64url, UTF-8) and integer-operation checks. Ed25519
is answered from a table of triples `cryptography` accepted (MicroPython has
no Ed25519; the point is that the core hands the host the right bytes).

The last line printed is `SELFCHECK OK <n>` or `SELFCHECK FAILED <k>/<n>`.
Nothing else may be trusted: in this build an uncaught exception can end the
program silently with status 0.
"""

import sys

import hashlib
import json

if sys.implementation.name == "micropython":
    from ubinascii import hexlify, unhexlify
else:
    from binascii import hexlify, unhexlify

import guard_core
from guard_core import b64url, values

write = sys.stdout.write


def sha256(data):
    return hashlib.sha256(data).digest()


class Ed25519Table:
    def __init__(self, valid_triples):
        self.valid = set(valid_triples)

    def __call__(self, signature, message, public_key):
        key = "%s:%s:%s" % (
            hexlify(signature).decode(),
            hexlify(message).decode(),
            hexlify(public_key).decode(),
        )
        return key in self.valid


def run(data):
    ed25519_verify = Ed25519Table(data["ed25519_valid"])
    failures = []
    total = 0

    for check in data["verify"]:
        total += 1
        result = guard_core.verify_jwt(
            (check["token"], check["sign_payload"], check["issuer"]),
            (check["public_keys"], check.get("audience"), check.get("issuers"), False, None),
            (check["now"], sha256, ed25519_verify),
        )
        expected = (check["ok"], check["detail"])
        if type(result) is not tuple or result != expected:
            failures.append("verify %s: got %r, expected %r" % (check["name"], result, expected))

    for check in data["keys"]:
        total += 1
        normalised, reason = guard_core.validate_public_keys(check["keys"])
        if reason != check["reason"]:
            failures.append("keys %s: got %r, expected %r" % (check["name"], reason, check["reason"]))

    for check in data["gaps"]:
        total += 1
        gap = guard_core.keys.validity_gap(check["keys"], check["now"])
        got = None if gap is None else list(gap)
        if got != check["gap"]:
            failures.append("gap %r at %d: got %r, expected %r" % (check["keys"], check["now"], got, check["gap"]))

    for segment_hex, expected_hex in data["b64url"]:
        total += 1
        decoded = b64url.decode(unhexlify(segment_hex))
        got = None if decoded is None else hexlify(decoded).decode()
        if got != expected_hex:
            failures.append("b64url %s: got %r, expected %r" % (segment_hex, got, expected_hex))

    for data_hex, expected in data["utf8"]:
        total += 1
        if values.is_utf8(unhexlify(data_hex)) is not expected:
            failures.append("utf8 %s: expected %r" % (data_hex, expected))

    for operation, arguments, expected in data["intops"]:
        total += 1
        got = int_operation(operation, arguments)
        if got != expected:
            failures.append("int %s %r: got %r, expected %r" % (operation, arguments, got, expected))

    return total, failures


def int_operation(operation, arguments):
    """The integer operations the core relies on, answered as hex/bools."""
    if operation == "from_bytes":
        return "%x" % int.from_bytes(unhexlify(arguments[0]), "big")
    if operation == "to_bytes":
        return hexlify(int(arguments[0], 16).to_bytes(arguments[1], "big")).decode()
    if operation == "powmod":
        return "%x" % pow(int(arguments[0], 16), 65537, int(arguments[1], 16))
    if operation == "compare":
        a, b = arguments
        return [a < b, a <= b, a == b, a > b, a >= b]
    if operation == "numeric_date":
        return values.is_numeric_date(arguments[0])
    return "unknown operation"


def main():
    with open(sys.argv[1], "rb") as handle:
        raw = handle.read()
    if sys.implementation.name != "micropython":
        # The file carries lone surrogates as raw bytes (see test_core_micropython).
        raw = raw.decode("utf-8", "surrogatepass")
    data = json.loads(raw)
    total, failures = run(data)
    for failure in failures:
        write(failure + "\n")
    if failures:
        write("SELFCHECK FAILED %d/%d\n" % (len(failures), total))
    else:
        write("SELFCHECK OK %d\n" % total)


main()
