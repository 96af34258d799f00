"""YOUR RULES GO HERE: the guard's extension point for integrators.

`verify` calls `check_custom_rules` for every token whose signature, `fatxn`
and audience already passed (after the owner's claim mode and transaction
policy, before the expiry, issuer and subject checks), and so does the
`verify_custom_claims` view. Test your rule in a copy of
tests/policy/test_custom_rule_template.py, put it here, rebuild
(`guardctl build`) and upgrade (`guardctl upgrade --wasm build/guard.wasm`):
contract/CUSTOM_RULES.md walks through it.

    claims        the token's payload, a dict parsed from JSON (`sub`, `iss`,
                  `exp`, `fatxn`, and whatever else your issuer puts in it)
    sign_payload  the bytes FastAuth will sign, a list of ints 0-255 (equal to
                  the `fatxn` claim). To look inside, decode it:
                      from guard_core.txdecode import decode_payload
                      payload, error = decode_payload(bytes(sign_payload))
    predecessor   the account that called FastAuth (a string, or None when the
                  caller did not send one)

Return None to accept, or a short reason string to reject: `verify` then
answers `[false, reason]`. Anything else (True, False, "") rejects with
"Custom claims rejected", so there is no way to accept by accident.

This code runs on-chain under MicroPython, where an exception raised inside
a built-in (`{}["missing"]`, `int("x")`, `"a" + 1`) does not unwind cleanly:
check types first (`type(value) is str`, `.get()`, `in`) instead of relying
on try/except. Every bytecode costs gas; keep the rule short.
"""


def check_custom_rules(claims, sign_payload, predecessor):
    """Accept everything (the default). Replace the body with your rule."""
    return None

# gas-mark: import custom_rules
