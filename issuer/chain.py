"""Read-only look at the guard on-chain (NEAR JSON-RPC views), for safe key switches.

Before `issuer keys activate` / `rotate` switches signing to a new key, it can
check that the guard already trusts that key (same key material, and the kid
when the guard stores one) and is not paused: tokens signed by a key the guard
does not know would all be refused.
"""
from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

from guard_core import keys as guard_keys
from guardjwk import guard_key_from_jwk


TIMEOUT_S = 15.0


class ChainError(Exception):
    pass


def _rpc(rpc_url: str, method: str, params) -> dict:
    body = json.dumps({"jsonrpc": "2.0", "id": "issuer", "method": method, "params": params}).encode()
    request = urllib.request.Request(rpc_url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            answer = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise ChainError(f"cannot reach {rpc_url}: {err}") from None
    if "error" in answer:
        raise ChainError(f"{method}: {json.dumps(answer['error'])[:300]}")
    return answer.get("result", {})


def block_time(rpc_url: str) -> int:
    """The latest final block's time, unix seconds (the clock the guard checks tokens against)."""
    header = _rpc(rpc_url, "block", {"finality": "final"})["header"]
    return int(header["timestamp"]) // 10**9


def view(rpc_url: str, account_id: str, method: str, args: dict | None = None):
    try:
        result = _rpc(rpc_url, "query", {
            "request_type": "call_function", "finality": "final", "account_id": account_id, "method_name": method,
            "args_base64": base64.b64encode(json.dumps(args or {}).encode()).decode()})
    except ChainError as err:
        raise ChainError(f"{account_id}.{err}") from None
    if "error" in result:
        raise ChainError(f"{account_id}.{method}: {result['error'][:300]}")
    return json.loads(bytes(result["result"]))


def _material(key: dict):
    return ("EdDSA", tuple(key["x"])) if key.get("alg") == "EdDSA" else ("RS256", tuple(key["n"]))


# What stands in the way of a switch, so the caller can name the one command that fixes it.
MISSING, OTHER_KID, OUTSIDE_WINDOW, PAUSED = "missing", "other_kid", "outside_window", "paused"


def guard_trusts(rpc_url: str, guard: str, jwk: dict) -> tuple[bool, str, str | None]:
    """(True, note, None) when the guard holds this key and is not paused; else (False, why, which problem)."""
    wanted = guard_key_from_jwk(jwk)
    stored = view(rpc_url, guard, "get_public_keys")
    matching = [key for key in stored if isinstance(key, dict) and _material(key) == _material(wanted)]
    if not matching:
        return False, f"{guard} does not hold key {jwk['kid']} yet", MISSING
    key = matching[0]
    if key.get("kid") not in (None, jwk["kid"]):
        return False, f"{guard} holds this key under kid {key.get('kid')!r}, not {jwk['kid']!r}", OTHER_KID
    if not guard_keys.is_active(key, block_time(rpc_url)):
        return (False, f"{guard} holds key {jwk['kid']}, but outside its validity window at the chain's time",
                OUTSIDE_WINDOW)
    try:
        paused = view(rpc_url, guard, "is_paused")
    except ChainError:
        paused = False
    if paused:
        return False, f"{guard} is paused", PAUSED
    return True, f"{guard} holds key {jwk['kid']}", None
