"""Transaction policy format: what a token may authorise, beyond being a valid token.

Off by default. When the owner sets a policy, `verify` decodes `sign_payload`
(see txdecode.py) and refuses the token unless the transaction obeys every
rule present. A payload that does not decode is refused whatever the rules.

Policy JSON (every field optional; an absent field places no restriction;
unknown fields are refused so that a typo cannot silently relax a rule):

    {
      "receivers": ["wrap.near", "*.pool.near"],
      "actions": ["FunctionCall", "Transfer"],
      "methods": {"wrap.near": ["near_deposit", "ft_transfer"], "*": ["*"]},
      "max_deposit_per_action": "1000000000000000000000000",
      "max_deposit_total": "2000000000000000000000000",
      "max_gas": "100000000000000",
      "signer_claim": "near_account_id"
    }

* receivers: allowed receiver accounts, exact (`wrap.near`) or `*.suffix`
  (`*.pool.near` matches `a.pool.near` and `b.a.pool.near`, not `pool.near`).
* actions: allowed action kinds (txdecode.ACTION_KINDS).
* methods: allowed method names of function calls, per receiver. The entry for
  a call's receiver is the exact key, else the longest matching `*.suffix`
  key, else `"*"`; a call whose receiver has no entry is refused, and `"*"` in
  a list allows any method.
* max_deposit_per_action / max_deposit_total: yocto (u128, decimal string or
  integer) attached to one action / to all actions together. Deposits are
  what nearcore counts as such: FunctionCall deposits and Transfer amounts.
* max_gas: gas (u64, decimal string or integer) of any one function call.
* signer_claim: the payload's signer (a Transaction's `signer_id`, a
  DelegateAction's `sender_id`) must equal this claim of the token, a string.

Actions inside a `Delegate` action are checked too, against the delegate
action's own receiver; their deposits count toward the total. The top-level
receiver is checked even when the transaction has no action.

This module validates a policy (`validate_policy`, for set_policy and init);
policy_eval.py evaluates one in verify, kept apart so that verify imports as
little as possible. `validate_policy` normalises the amounts to decimal
strings, the form stored and returned by `get_policy`. Rules are checked in a fixed order, so a payload
breaking several gets a stable reason: signer, receiver, then each action in
order (kind, method, gas, deposit per action; for a Delegate, its receiver),
then the actions inside Delegate actions likewise, and the total deposit last.
"""

import json

from . import txdecode, values

RECEIVERS = "receivers"
ACTIONS = "actions"
METHODS = "methods"
MAX_DEPOSIT_PER_ACTION = "max_deposit_per_action"
MAX_DEPOSIT_TOTAL = "max_deposit_total"
MAX_GAS = "max_gas"
SIGNER_CLAIM = "signer_claim"
FIELDS = (RECEIVERS, ACTIONS, METHODS, MAX_DEPOSIT_PER_ACTION, MAX_DEPOSIT_TOTAL, MAX_GAS, SIGNER_CLAIM)

# Every verify of a guard with a policy reads and parses the whole policy, so
# its size is bounded: by these counts and by MAX_POLICY_BYTES of JSON as
# stored (json.dumps of the normalised policy). The largest policy they allow
# adds about 2 Tgas to a verify and sets with about 23 Tgas
# (tests/guard/test_worst_case_gas.py measures both).
MAX_PATTERNS = 32
MAX_METHOD_ENTRIES = 16
MAX_METHODS_PER_ENTRY = 32
MAX_METHOD_NAMES = 128  # over all entries together
MAX_METHOD_NAME_CHARS = 256
MAX_POLICY_BYTES = 4096
MAX_CLAIM_NAME_CHARS = 64
U128_MAX = 340282366920938463463374607431768211455
U64_MAX = 18446744073709551615

# set_policy / init validation messages.
BAD_POLICY = "Invalid policy: expected an object with fields " + ", ".join(FIELDS)
BAD_FIELD = "Invalid policy: unknown field "
BAD_RECEIVERS = "Invalid policy: receivers must be a list of 1 to 32 distinct account ids or *.suffix patterns"
BAD_ACTIONS = "Invalid policy: actions must be a list of distinct action kinds: " + ", ".join(txdecode.ACTION_KINDS)
BAD_METHODS = ("Invalid policy: methods must map 1 to 16 receivers (account id, *.suffix or *) "
               "to lists of 1 to 32 distinct method names of 1 to 256 printable ASCII characters (or *), "
               "128 names in all")
BAD_SIZE = "Invalid policy: at most 4096 bytes of JSON"
BAD_AMOUNT = "Invalid policy: max_deposit_per_action and max_deposit_total must be u128 amounts (decimal string or integer)"
BAD_GAS = "Invalid policy: max_gas must be a u64 (decimal string or integer)"
BAD_SIGNER_CLAIM = "Invalid policy: signer_claim must be a claim name of 1 to 64 printable ASCII characters"

_DIGITS = "0123456789"
# Method and claim names are printable ASCII, so the policy's JSON has the same
# length under CPython and MicroPython (they escape other characters
# differently) and MAX_POLICY_BYTES means the same on both.
_PRINTABLE_ASCII = "".join(chr(code) for code in range(0x20, 0x7F))


def _is_name(value, max_chars):
    """A string of 1 to max_chars printable ASCII characters."""
    # strip() leaves nothing only when every character is in the set (one C call).
    return type(value) is str and 1 <= len(value) <= max_chars and not value.strip(_PRINTABLE_ASCII)


# --- validation (set_policy, init) ---------------------------------------------------


def _is_pattern(value):
    """An account id, or `*.` followed by one."""
    if type(value) is not str:
        return False
    if value[:2] == "*.":
        value = value[2:]
    return txdecode.is_account_id(value.encode())


def _distinct_str_list(value, low, high):
    return (values.is_str_list(value) and low <= len(value) <= high and len(set(value)) == len(value))


def _decimal(value, maximum):
    """Normalised decimal string of an int or decimal string in [0, maximum], or None."""
    if type(value) is int:
        if value < 0 or value > maximum:
            return None
        return str(value)
    if type(value) is not str or not 1 <= len(value) <= 39:
        return None
    # strip() leaves nothing only when every character is a digit.
    if value.strip(_DIGITS) or (value[0] == "0" and len(value) > 1):
        return None
    # Only digits now: int() cannot fail.
    if int(value) > maximum:
        return None
    return value


def validate_policy(policy):
    """(normalised policy dict, None) or (None, reason)."""
    if type(policy) is not dict:
        return None, BAD_POLICY
    for name in policy:
        if name not in FIELDS:
            if type(name) is not str:
                return None, BAD_POLICY
            return None, BAD_FIELD + name
    normalised = {}
    if RECEIVERS in policy:
        receivers = policy[RECEIVERS]
        if not _distinct_str_list(receivers, 1, MAX_PATTERNS):
            return None, BAD_RECEIVERS
        for pattern in receivers:
            if not _is_pattern(pattern):
                return None, BAD_RECEIVERS
        normalised[RECEIVERS] = list(receivers)
    if ACTIONS in policy:
        kinds = policy[ACTIONS]
        if not _distinct_str_list(kinds, 1, len(txdecode.ACTION_KINDS)):
            return None, BAD_ACTIONS
        for kind in kinds:
            if kind not in txdecode.ACTION_KINDS:
                return None, BAD_ACTIONS
        normalised[ACTIONS] = list(kinds)
    if METHODS in policy:
        methods = policy[METHODS]
        if type(methods) is not dict or not 1 <= len(methods) <= MAX_METHOD_ENTRIES:
            return None, BAD_METHODS
        table = {}
        total_names = 0
        for receiver in methods:
            names = methods[receiver]
            if receiver != "*" and not _is_pattern(receiver):
                return None, BAD_METHODS
            if not _distinct_str_list(names, 1, MAX_METHODS_PER_ENTRY):
                return None, BAD_METHODS
            total_names += len(names)
            if total_names > MAX_METHOD_NAMES:
                return None, BAD_METHODS
            for name in names:
                if not _is_name(name, MAX_METHOD_NAME_CHARS):
                    return None, BAD_METHODS
            table[receiver] = list(names)
        normalised[METHODS] = table
    for name in (MAX_DEPOSIT_PER_ACTION, MAX_DEPOSIT_TOTAL):
        if name in policy:
            amount = _decimal(policy[name], U128_MAX)
            if amount is None:
                return None, BAD_AMOUNT
            normalised[name] = amount
    if MAX_GAS in policy:
        gas = _decimal(policy[MAX_GAS], U64_MAX)
        if gas is None:
            return None, BAD_GAS
        normalised[MAX_GAS] = gas
    if SIGNER_CLAIM in policy:
        claim = policy[SIGNER_CLAIM]
        if not _is_name(claim, MAX_CLAIM_NAME_CHARS):
            return None, BAD_SIGNER_CLAIM
        normalised[SIGNER_CLAIM] = claim
    if len(json.dumps(normalised)) > MAX_POLICY_BYTES:
        return None, BAD_SIZE
    return normalised, None
