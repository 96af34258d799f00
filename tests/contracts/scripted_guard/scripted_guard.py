"""A guard stand-in whose answer the test writes: `verify` returns its `verify_payload`
(or `jwt`) argument verbatim as the call's result.

For the FastAuth port's tests of what FastAuth does with answers the real
guard never gives: a 2-element [true, sub] to `sign` (what guards written for
the router answer), a sub containing '#', a sub over 256 bytes.
"""

import json

import near


@near.export
def verify():
    args = json.loads(near.input())
    answer = args.get("verify_payload", args.get("jwt"))
    near.value_return(answer)
