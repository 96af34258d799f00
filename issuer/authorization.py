"""Authorization before issuing: the guard's transaction policy, the subject allow-list, hooks.

Every token request goes through `Authorizer.check`, in this order:

1. size: the transaction is at most `authorization.max_transaction_bytes`;
2. decoding: it must be a Borsh `Transaction` or a NEP-461-prefixed
   `DelegateAction`, decoded by the guard's own `guard_core.txdecode` — the
   issuer signs nothing it cannot read;
3. subject allow-list (`authorization.allowed_subjects`);
4. the transaction policy, in the guard's own format, validated by the
   guard's `guard_core.policy_spec.validate_policy` and evaluated by the guard's
   `guard_core.policy_eval.check_payload` (one implementation on both sides:
   what the service refuses, the guard refuses with the same reason);
5. optionally the guard's custom rule (`check_custom_rules` of the module
   `authorization.guard_custom_rules_module`, by default `custom_rules`,
   which is contract/custom_rules.py), when `authorization.run_guard_custom_rules` is on;
6. the integrator's hook (`authorization.hook = "module:function"`, or
   `create_app(hooks=[...])`).

A hook is a plain function taking an `IssueContext` and returning None to
allow or a short reason string to refuse (the guard's convention). It may
add claims to `context.extra_claims` (e.g. a `scope` that a custom guard rule
checks); the registered claims (iss, sub, iat, nbf, exp, jti, fatxn, aud) are
the issuer's and cannot be overridden. Example:

    def only_small_transfers_on_weekdays(ctx):
        if ctx.principal.method.startswith("oidc:") and not ctx.principal.claims.get("email_verified"):
            return "verified e-mail required"
        ctx.extra_claims["scope"] = "wallet"
        return None
"""
from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping, Optional

from guard_core import policy_eval, policy_spec, txdecode

from .accounts import Principal
from .config import ConfigError, Settings
from .errors import Failed, Invalid, Refused, TooLarge

RESERVED_CLAIMS = ("iss", "sub", "iat", "nbf", "exp", "jti", "fatxn", "aud")
Hook = Callable[["IssueContext"], Optional[str]]


@dataclass
class IssueContext:
    principal: Principal
    transaction: bytes
    decoded: dict  # guard_core.txdecode's view of the transaction
    claims: Mapping  # the claims about to be signed, read-only (a hook adds claims via extra_claims)
    client_ip: str
    extra_claims: dict = field(default_factory=dict)

    def __post_init__(self):
        self.claims = MappingProxyType(dict(self.claims))

    @property
    def transaction_sha256(self) -> str:
        return hashlib.sha256(self.transaction).hexdigest()


def load_hook(spec: str) -> Hook:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"authorization.hook {spec!r} must look like 'package.module:function'")
    try:
        function = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as err:
        raise ConfigError(f"authorization.hook {spec!r} cannot be loaded: {err}") from None
    if not callable(function):
        raise ConfigError(f"authorization.hook {spec!r} is not callable")
    return function


def validated_policy(policy: Optional[dict]) -> Optional[dict]:
    """The policy normalised by the guard's own validator (ConfigError when it refuses it)."""
    if policy is None:
        return None
    normalised, reason = policy_spec.validate_policy(policy)
    if reason is not None:
        raise ConfigError(f"policy: {reason}")
    return normalised


def describe(decoded: dict) -> dict:
    """A JSON-safe summary of a decoded transaction (for the check endpoint and audit)."""
    def action(item: dict) -> dict:
        summary = {"kind": item["kind"]}
        for name in ("method_name", "gas", "deposit", "stake", "beneficiary_id"):
            if name in item:
                value = item[name]
                summary[name] = str(value) if name in ("deposit", "stake") else value
        if item["kind"] == "Delegate":
            inner = item["delegate_action"]
            summary["receiver_id"] = inner["receiver_id"]
            summary["actions"] = [action(a) for a in inner["actions"]]
        return summary
    signer = decoded.get("signer_id", decoded.get("sender_id"))
    return {"type": decoded["type"], "signer_id": signer, "receiver_id": decoded["receiver_id"],
            "nonce": decoded["nonce"], "actions": [action(a) for a in decoded["actions"]]}


class Authorizer:
    def __init__(self, settings: Settings, hooks: Optional[list[Hook]] = None):
        self.settings = settings
        self.policy = validated_policy(settings.policy)
        self.allowed_subjects = settings.authorization.allowed_subjects
        self.hooks: list[Hook] = list(hooks or [])
        if settings.authorization.hook:
            self.hooks.append(load_hook(settings.authorization.hook))
        self.custom_rule = None
        if settings.authorization.run_guard_custom_rules:
            self.custom_rule = guard_custom_rule(settings.authorization.guard_custom_rules_module)

    @property
    def signer_claim(self) -> Optional[str]:
        return None if self.policy is None else self.policy.get("signer_claim")

    def decode(self, transaction: bytes) -> dict:
        limit = self.settings.authorization.max_transaction_bytes
        if len(transaction) > limit:
            raise TooLarge("transaction_too_large", f"the transaction is {len(transaction)} bytes; "
                                                         f"at most {limit} are accepted")
        decoded, error = txdecode.decode_payload(transaction)
        if decoded is None:
            raise Invalid("undecodable_transaction",
                           f"the bytes are not a NEAR Transaction or DelegateAction (Borsh): {error}")
        return decoded

    def check(self, context: IssueContext) -> None:
        if "*" not in self.allowed_subjects and context.principal.subject not in self.allowed_subjects:
            raise Refused("subject_not_allowed", "this subject may not request tokens")
        if self.policy is not None:
            reason = policy_eval.check_payload(self.policy, dict(context.claims), context.decoded)
            if reason is not None:
                raise Refused("policy_violation", reason)
        if self.custom_rule is not None:
            reason = self.custom_rule(dict(context.claims), list(context.transaction), None)
            if reason is not None:
                raise Refused("custom_rule_refused",
                               reason if isinstance(reason, str) and reason else "Custom claims rejected")
        for hook in self.hooks:
            reason = hook(context)
            if reason is not None:
                raise Refused("hook_refused", str(reason)[:200] or "refused by the integrator's rules")
        for name in context.extra_claims:
            if name in RESERVED_CLAIMS or (self.signer_claim is not None and name == self.signer_claim):
                raise Failed("hook_error", "an authorization hook tried to set a registered claim")


def guard_custom_rule(module_name: str):
    """`check_custom_rules` of the guard's integrator rule module (by default contract/custom_rules.py,
    installed as `custom_rules`)."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ConfigError(f"authorization.guard_custom_rules_module {module_name!r} cannot be imported: {err}") \
            from None
    rule = getattr(module, "check_custom_rules", None)
    if not callable(rule):
        raise ConfigError(f"authorization.guard_custom_rules_module {module_name!r} has no check_custom_rules")
    return rule
