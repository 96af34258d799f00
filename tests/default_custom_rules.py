"""The accept-all custom rule the test suite builds the guard with.

tests/conftest.py sets $GUARD_CUSTOM_RULES to this file, so every build of
contract/ during `make test` uses it in place of contract/custom_rules.py: the
suite tests the guard itself, and stays green while an integrator's own rule
sits in contract/custom_rules.py (that rule has its own test, a copy of
tests/policy/test_custom_rule_template.py; contract/CUSTOM_RULES.md).
"""


def check_custom_rules(claims, sign_payload, predecessor):
    return None
