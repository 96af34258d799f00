"""Run the policy modules over a data file and print canonical results (MicroPython and CPython).

    MICROPYPATH=contract micropython tests/policy/mpy_policy_selfcheck.py DATA.json

DATA.json (written by test_policy_micropython.py):
    {"decode": [hex, ...],
     "policy": [[raw policy, claims, hex payload], ...],
     "hash": [jwt_hash value, ...]}

Prints one canonical line per case, then `SELFCHECK DONE <n>`. The test runs
the same file under CPython and compares the lines: nothing may differ.
In this build an uncaught exception can end the program silently with
status 0, so the final line is what proves the run completed.
"""

import json
import sys

if sys.implementation.name == "micropython":
    from ubinascii import hexlify, unhexlify
else:
    from binascii import hexlify, unhexlify

from guard_core import claim_mode, policy_eval, policy_spec, txdecode

write = sys.stdout.write


def canon(value):
    kind = type(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is str:
        return "s" + hexlify(value.encode()).decode()
    if kind is bytes:
        return "b" + hexlify(value).decode()
    if kind is list or kind is tuple:
        return "[" + ",".join([canon(item) for item in value]) + "]"
    if kind is dict:
        return "{" + ",".join([canon(key) + ":" + canon(value[key]) for key in sorted(value)]) + "}"
    return "?" + str(kind)


def main():
    with open(sys.argv[1], "rb") as handle:
        data = json.loads(handle.read())
    count = 0
    for payload_hex in data["decode"]:
        result = txdecode.decode_payload(unhexlify(payload_hex))
        write("decode " + canon(result) + "\n")
        count += 1
    for raw_policy, claims, payload_hex in data["policy"]:
        normalised, reason = policy_spec.validate_policy(raw_policy)
        if reason is None:
            verdict = policy_eval.check_policy(normalised, claims, unhexlify(payload_hex))
            as_list = policy_eval.check_policy(normalised, claims, list(unhexlify(payload_hex)))
        else:
            verdict = as_list = "-"
        write("policy " + canon([normalised, reason, verdict, as_list]) + "\n")
        count += 1
    for value in data["hash"]:
        write("hash " + canon(claim_mode.parse_jwt_hash(value)) + "\n")
        count += 1
    write("SELFCHECK DONE %d\n" % count)


main()
