"""Try new guard code on the embedded engine before it goes on chain.

`guardctl upgrade` and `guardctl deploy` run the new Wasm in localnet's chain,
in-process, before sending anything: upgrade against a copy of the guard
account's current code and storage (the new code arrives through the old
code's own `update_contract`, so `migrate` runs too), deploy with the very
`init` it is about to send. Then the copy must answer like a guard:

* `get_public_keys` returns the account's keys (upgrade: exactly the stored ones);
* with a throw-away Ed25519 key added by the owner (and pause, claim mode and
  the transaction policy off, in the copy only), `verify` of a token signed by
  it answers `[true, sub]`, or `[false, reason]` with a reason of the
  integrator's own rule in contract/custom_rules.py.

Anything else — a trap, a missing method, `Verification error` (e.g. a custom
rule that fails on chain), a key the new code cannot verify with — refuses the
command before any transaction, and the deployed code stays as it is.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Optional

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from guard_core import reasons

from .chain import code_hash_of
from .errors import GuardctlError, describe_failure, one_line

NEAR = 10**24
TGAS = 10**12
PROBE_KID = "guardctl-preflight"
PROBE_SUBJECT = "guardctl-preflight"
PROBE_ISSUER = "https://guardctl-preflight.invalid/"
PROBE_PAYLOAD = b"guardctl preflight: a token no chain will ever see"
PROBE_PREDECESSOR = "guardctl-preflight.near"


@dataclass
class PreflightResult:
    verify_answer: list
    key_count: int

    def line(self) -> str:
        ok, detail = self.verify_answer
        answer = "accepted" if ok else f"rejected by the custom rule ({detail})"
        return (f"tried on the embedded engine first: get_public_keys answered {self.key_count} key(s); "
                f"verify of a test token: {answer}")


class _Sandbox:
    """localnet's chain in memory, holding copies of the accounts involved."""

    def __init__(self):
        from localnet.chain import Chain

        self.chain = Chain()

    def put_account(self, account_id: str, amount: int, *, code: Optional[bytes] = None,
                    storage: Optional[list[tuple[bytes, bytes]]] = None, storage_usage: int = 0) -> None:
        from localnet.chain import KeyPair

        records = [{"Account": {"account_id": account_id, "account": {
            "amount": str(amount), "locked": "0", "storage_usage": storage_usage}}},
            {"AccessKey": {"account_id": account_id, "public_key": KeyPair.generate().public_key_text,
                           "access_key": {"nonce": 0, "permission": "FullAccess"}}}]
        if code is not None:
            records.append({"Contract": {"account_id": account_id, "code": base64.b64encode(code).decode()}})
        for key, value in storage or ():
            records.append({"Data": {"account_id": account_id, "data_key": base64.b64encode(key).decode(),
                                     "value": base64.b64encode(value).decode()}})
        self.chain.patch_state(records)

    def call(self, signer: str, receiver: str, actions: list):
        return self.chain.execute(signer, receiver, actions)

    def function_call(self, signer: str, receiver: str, method: str, args, *, deposit: int = 0):
        from localnet.primitives import FunctionCall

        raw = args if isinstance(args, bytes) else json.dumps(args).encode()
        return self.call(signer, receiver, [FunctionCall(method, raw, 300 * TGAS, deposit)])

    def view(self, account_id: str, method: str, args: Optional[dict] = None):
        from localnet.chain import ContractError

        try:
            return self.chain.view(account_id, method, args or {})
        except ContractError as err:
            raise _Refused(f"{method} failed: {one_line(str(err)).removeprefix('wasm execution failed with error: ')}")


class _Refused(Exception):
    pass


def _failure_text(result) -> str:
    failure = result.failure or next(iter(result.receipt_failures), None)
    return describe_failure(failure) if failure is not None else "failed"


def _checked(result, what: str):
    if not result.succeeded or result.receipt_failures:
        raise _Refused(f"{what} failed: {_failure_text(result)}")
    return result


def _probe_verify(sandbox: _Sandbox, guard: str, owner: str) -> list:
    """Give the copy a throw-away key and ask it to verify a token signed with it."""
    private = ed25519.Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    probe_key = {"alg": "EdDSA", "x": list(raw), "kid": PROBE_KID}
    if sandbox.view(guard, "is_paused") is True:
        _checked(sandbox.function_call(owner, guard, "unpause", {}), "unpause")
    if sandbox.view(guard, "get_claim_mode") is True:
        _checked(sandbox.function_call(owner, guard, "set_claim_mode", {"enabled": False}), "set_claim_mode")
    if sandbox.view(guard, "get_policy") is not None:
        _checked(sandbox.function_call(owner, guard, "set_policy", {"policy": None}), "set_policy")
    _checked(sandbox.function_call(owner, guard, "add_public_key", {"public_key": probe_key}), "add_public_key")
    settings = sandbox.view(guard, "get_settings") or {}
    issuer = (settings.get("issuers") or [PROBE_ISSUER])[0]
    now = sandbox.chain.block_timestamp // 10**9
    claims = {"iss": issuer, "sub": PROBE_SUBJECT, "iat": now, "exp": now + 3600, "fatxn": list(PROBE_PAYLOAD)}
    if settings.get("audience") is not None:
        claims["aud"] = settings["audience"]
    token = jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": PROBE_KID})
    answer = sandbox.view(guard, "verify", {"issuer": issuer, "jwt": token, "sign_payload": list(PROBE_PAYLOAD),
                                            "predecessor": PROBE_PREDECESSOR})
    if not (isinstance(answer, list) and len(answer) == 2 and isinstance(answer[0], bool)
            and isinstance(answer[1], str)):
        raise _Refused(f"verify answered {json.dumps(answer)[:120]}, not [bool, string]")
    if answer == [True, PROBE_SUBJECT]:
        return answer
    built_in = answer[1] in reasons.VERIFY_REASONS
    if answer[0] is False and (answer[1] == reasons.CUSTOM_CLAIMS_REJECTED or not built_in):
        return answer  # the integrator's rule judged the test token: the guard works
    hint = (" (an exception in the guard, e.g. a custom rule failing on chain)"
            if answer[1] == reasons.VERIFICATION_ERROR else "")
    raise _Refused(f"verify of a valid test token answered {json.dumps(answer)}{hint}")


def _refusal(what: str, reason: str) -> GuardctlError:
    return GuardctlError(f"refusing to {what}: tried on the embedded engine first, {reason}; nothing was sent "
                         f"(--skip-preflight sends it untried)")


def try_upgrade(guard: str, owner: str, current_code: bytes, storage: list[tuple[bytes, bytes]],
                amount: int, storage_usage: int, new_code: bytes, current_keys: list) -> PreflightResult:
    """Upgrade a copy of the guard through its own update_contract and probe it."""
    from localnet.primitives import FunctionCall

    sandbox = _Sandbox()
    sandbox.put_account(guard, amount, code=current_code, storage=storage, storage_usage=storage_usage)
    if owner != guard:
        sandbox.put_account(owner, 100 * NEAR)
    try:
        _checked(sandbox.call(owner, guard, [FunctionCall("update_contract", new_code, 300 * TGAS, 0)]),
                 "update_contract")
        code_hash = sandbox.chain.view_account(guard)["code_hash"]
        if code_hash != code_hash_of(new_code):
            raise _Refused("update_contract did not deploy it")
        keys = sandbox.view(guard, "get_public_keys")
        if keys != current_keys:
            raise _Refused("get_public_keys no longer answers the guard's stored keys")
        answer = _probe_verify(sandbox, guard, owner)
    except _Refused as refused:
        raise _refusal(f"upgrade {guard}", str(refused)) from None
    return PreflightResult(answer, len(keys))


def try_deploy(guard: str, code: bytes, init_args: dict) -> PreflightResult:
    """Deploy and initialise a copy of the guard as the command will, and probe it."""
    from localnet.primitives import DeployContract, FunctionCall

    owner = init_args["owner"]
    sandbox = _Sandbox()
    sandbox.put_account(guard, 100 * NEAR)  # the code is on trial here, not the balance
    if owner != guard:
        sandbox.put_account(owner, 100 * NEAR)
    try:
        _checked(sandbox.call(guard, guard, [
            DeployContract(code), FunctionCall("init", json.dumps(init_args).encode(), 300 * TGAS, 0)]),
            "deploy and init")
        keys = sandbox.view(guard, "get_public_keys")
        if not isinstance(keys, list) or len(keys) != len(init_args["public_keys"]):
            raise _Refused(f"get_public_keys answered {json.dumps(keys)[:120]} after init")
        answer = _probe_verify(sandbox, guard, owner)
    except _Refused as refused:
        raise _refusal(f"deploy to {guard}", str(refused)) from None
    return PreflightResult(answer, len(keys))

