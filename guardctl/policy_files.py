"""A transaction policy read from a JSON or TOML file, and shown as lines."""
from __future__ import annotations

import json
import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Optional

from guard_core import policy_spec

from .amounts import GAS_PER_TGAS, format_gas, format_near, parse_near
from .errors import GuardctlError

# What `guardctl policy show --json` prints: a file holding it is read as its "policy".
SHOW_KEYS = {"guard", "policy", "claim_mode"}
AMOUNT_FIELDS = ("max_deposit_per_action", "max_deposit_total")
GAS_FIELD = "max_gas"


def _convert_amount(value: Any, field: str, where: str) -> Any:
    """'1.5 NEAR' -> yocto string; anything else is left for the guard's validation."""
    if isinstance(value, str) and value.strip().upper().endswith("NEAR"):
        try:
            return str(parse_near(value.strip()[:-4]))
        except ValueError as err:
            raise GuardctlError(f"{where}: {field}: {err}") from None
    return value


def _convert_gas(value: Any, where: str) -> Any:
    if isinstance(value, str) and value.strip().lower().endswith("tgas"):
        text = value.strip()[:-4].strip()
        try:
            gas = Decimal(text) * GAS_PER_TGAS
        except InvalidOperation:
            raise GuardctlError(f"{where}: {GAS_FIELD}: not a gas amount: {value!r}") from None
        if not gas.is_finite() or gas < 0 or gas != gas.to_integral_value():
            raise GuardctlError(f"{where}: {GAS_FIELD}: not a whole number of gas units: {value!r}")
        return str(int(gas))
    return value


def parse_policy_text(text: str, where: str, *, toml: Optional[bool] = None) -> dict:
    """The policy dict a file's text holds (JSON or TOML), with NEAR/Tgas amounts converted."""
    data = None
    if toml is not True:
        try:
            data = json.loads(text)
        except ValueError as err:
            if toml is False:
                raise GuardctlError(f"{where} is not valid JSON: {err}") from None
    if data is None:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            kind = "TOML" if toml else "JSON or TOML"
            raise GuardctlError(f"{where} is not valid {kind}: {err}") from None
    if isinstance(data, dict) and "policy" in data and set(data) <= SHOW_KEYS:
        data = data["policy"]  # `policy show --json` output
    if data is None:
        raise GuardctlError(f"{where} holds no policy; use 'guardctl policy clear' to remove the policy")
    if not isinstance(data, dict):
        raise GuardctlError(f"{where}: a policy is a JSON object / TOML table")
    data = dict(data)
    for field in AMOUNT_FIELDS:
        if field in data:
            data[field] = _convert_amount(data[field], field, where)
    if GAS_FIELD in data:
        data[GAS_FIELD] = _convert_gas(data[GAS_FIELD], where)
    return data


def load_policy(path: str) -> dict:
    """Read, convert and validate (with the guard's own code) the policy in `path`."""
    file = Path(path).expanduser()
    try:
        text = file.read_text()
    except FileNotFoundError:
        raise GuardctlError(f"policy file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise GuardctlError(f"cannot read policy file {path}: {err}") from None
    suffix = file.suffix.lower()
    toml = True if suffix == ".toml" else False if suffix == ".json" else None
    raw = parse_policy_text(text, path, toml=toml)
    normalised, reason = policy_spec.validate_policy(raw)
    if reason is not None:
        fields = {policy_spec.BAD_AMOUNT: ("max_deposit_per_action", "max_deposit_total"),
                  policy_spec.BAD_GAS: ("max_gas",)}.get(reason, ())
        given = [f"{field} = {raw[field]!r}" for field in fields if isinstance(raw, dict) and field in raw]
        raise GuardctlError(f"{path}: {reason}" + (f"; the file has {', '.join(given)}" if given else ""))
    return normalised


def _amount_text(value: str) -> str:
    return f"{format_near(int(value))} ({value} yocto)"


def policy_lines(policy: Optional[dict], claim_mode: bool) -> list[str]:
    lines = []
    if policy is None:
        lines.append("policy: none (every transaction a valid token names is accepted)")
    else:
        lines.append("policy: on (a sign_payload that does not decode is refused)")
        labels = [
            ("receivers", "receivers", lambda v: ", ".join(v)),
            ("actions", "action kinds", lambda v: ", ".join(v)),
            ("methods", "methods", lambda v: "; ".join(f"{k}: {', '.join(m)}" for k, m in v.items())),
            ("max_deposit_per_action", "max deposit per action", _amount_text),
            ("max_deposit_total", "max deposit in total", _amount_text),
            ("max_gas", "max gas per call", lambda v: f"{format_gas(int(v))} ({v})"),
            ("signer_claim", "signer must equal claim", str),
        ]
        for field, label, render in labels:
            lines.append(f"  {label}: {render(policy[field]) if field in policy else '(any)'}")
    lines.append(f"claim mode: {'on (verify needs the predecessor to have claimed the token)' if claim_mode else 'off'}")
    return lines
