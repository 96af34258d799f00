"""Transaction policy, evaluated in verify (its format and validation are in policy_spec.py).

    check_policy(policy, token_claims, sign_payload) -> None | reason

`policy` is a policy already validated by policy_spec.validate_policy (as stored by
set_policy). This module is what verify imports when a policy is set, so it
holds only the evaluation: on NEAR every module-level name costs gas at each
import. Field names are written out as literals for the same reason; they are
policy_spec.FIELDS.
"""

from . import reasons, txdecode



def receiver_allowed(receiver, patterns):
    if receiver in patterns:
        return True
    for pattern in patterns:
        if pattern[0] == "*" and receiver.endswith(pattern[1:]):
            return True
    return False


def methods_for(receiver, table):
    """The method list governing calls to `receiver`, or None."""
    names = table.get(receiver)
    if names is not None:
        return names
    best = None
    for key in table:
        if key[0] == "*" and len(key) > 1 and receiver.endswith(key[1:]):
            if best is None or len(key) > len(best):
                best = key
    if best is None:
        return table.get("*")
    return table[best]


def check_policy(policy, token_claims, sign_payload):
    """None if the payload obeys `policy` (a validated policy dict), else a reason.

    sign_payload: bytes, or a list of ints 0-255 that the caller has already
    validated -- as the core's check_custom_claims does at step 7, before the
    hook that calls this runs. It is not validated again here.
    """
    if type(sign_payload) is list:
        sign_payload = bytes(sign_payload)
    payload, _ = txdecode.decode_payload(sign_payload)
    if payload is None:
        return reasons.POLICY_UNDECODABLE
    return check_payload(policy, token_claims, payload)


def check_payload(policy, token_claims, payload):
    """None or a reason, for a payload decoded by txdecode.decode_payload."""
    claim_name = policy.get("signer_claim")
    if claim_name is not None:
        expected = token_claims.get(claim_name)
        signer = payload.get("signer_id")
        if signer is None:
            signer = payload.get("sender_id")
        if type(expected) is not str or expected != signer:
            return reasons.POLICY_SIGNER_MISMATCH
    receivers = policy.get("receivers")
    kinds = policy.get("actions")
    methods = policy.get("methods")
    # Stored amounts were validated as digit strings: int() cannot fail.
    max_gas = policy.get("max_gas")
    if max_gas is not None:
        max_gas = int(max_gas)
    max_per_action = policy.get("max_deposit_per_action")
    if max_per_action is not None:
        max_per_action = int(max_per_action)
    receiver = payload["receiver_id"]
    if receivers is not None and not receiver_allowed(receiver, receivers):
        return reasons.POLICY_RECEIVER_NOT_ALLOWED
    total = 0
    # One pass over the actions; a Delegate action's own actions follow it,
    # governed by its receiver. A delegate action cannot nest another one.
    pending = [(receiver, payload["actions"])]
    while pending:
        receiver, actions = pending.pop(0)
        for action in actions:
            kind = action["kind"]
            if kinds is not None and kind not in kinds:
                return reasons.POLICY_ACTION_NOT_ALLOWED
            if kind == "FunctionCall":
                if methods is not None:
                    names = methods_for(receiver, methods)
                    if names is None or (action["method_name"] not in names and "*" not in names):
                        return reasons.POLICY_METHOD_NOT_ALLOWED
                if max_gas is not None and action["gas"] > max_gas:
                    return reasons.POLICY_GAS_TOO_HIGH
            elif kind == "Delegate":
                inner = action["delegate_action"]
                if receivers is not None and not receiver_allowed(inner["receiver_id"], receivers):
                    return reasons.POLICY_RECEIVER_NOT_ALLOWED
                pending.append((inner["receiver_id"], inner["actions"]))
                continue
            elif kind != "Transfer":
                continue
            deposit = action["deposit"]
            if max_per_action is not None and deposit > max_per_action:
                return reasons.POLICY_DEPOSIT_PER_ACTION_TOO_HIGH
            total += deposit
    max_total = policy.get("max_deposit_total")
    if max_total is not None and total > int(max_total):
        return reasons.POLICY_DEPOSIT_TOTAL_TOO_HIGH
    return None
