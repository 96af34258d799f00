"""policy show / set / clear / claim-mode, and a user's claim / unclaim.

The transaction policy and claim mode are the guard's authorization beyond the
JWT (contract/guard_core/policy_spec.py and claim_mode.py describe them). `policy set`
reads the policy from a JSON or TOML file, validates it with the guard's own
code before paying for a transaction, and sends it to `set_policy`.

In the file, besides the contract's own forms (yocto and gas as decimal
strings or integers), amounts may be written as "1.5 NEAR" and gas as
"100 Tgas"; they are converted before sending. A file holding
`guardctl policy show --json` output is accepted too (its "policy" is used).

    # policy.toml
    receivers = ["wrap.near", "*.pool.near"]
    actions = ["FunctionCall", "Transfer"]
    max_deposit_per_action = "1 NEAR"
    max_deposit_total = "2 NEAR"
    max_gas = "100 Tgas"
    signer_claim = "near_account"

    [methods]
    "wrap.near" = ["near_deposit", "ft_transfer"]
    "*.pool.near" = ["deposit_and_stake"]
"""
from __future__ import annotations

import hashlib

from typing import Optional

from ..amounts import format_near
from ..chain import Chain
from ..context import Context
from ..errors import GuardctlError
from ..inputs import read_token
from ..owner import as_owner
from ..policy_files import load_policy, policy_lines
from ..reports import gas_line


def add_parsers(commands, command) -> None:
    """Add `policy …`, `claim` and `unclaim` to guardctl's parser (called by cli.build_parser)."""
    policy = command(commands, "policy", None, "show or set the transaction policy and claim mode",
                     "Authorization beyond the JWT: the owner's transaction policy (which receivers, actions, "
                     "methods, deposits and gas a token may authorise) and claim mode (a token works only for "
                     "the account that claimed it). Both are off until the owner sets them.")
    policy_commands = policy.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    command(policy_commands, "show", cmd_policy_show, "show the transaction policy and claim mode")
    sub = command(policy_commands, "set", cmd_policy_set, "set the transaction policy from a file (owner)",
                  "Validate the policy in FILE (JSON, or TOML for a .toml file) with the guard's own code and "
                  "send it to set_policy. Amounts may be written as '1.5 NEAR', gas as '100 Tgas'. The new "
                  "policy replaces the old one whole.")
    sub.add_argument("file", metavar="FILE", help="the policy: a .json or .toml file")
    command(policy_commands, "clear", cmd_policy_clear, "remove the transaction policy (owner)")
    sub = command(policy_commands, "claim-mode", cmd_claim_mode, "turn claim mode on or off (owner)",
                  "With claim mode on, verify accepts a token only when sha256 of it is the hash that verify's "
                  "predecessor (the account that called FastAuth) registered with 'guardctl claim'.")
    sub.add_argument("state", choices=("on", "off"), help="on or off")

    sub = command(commands, "claim", cmd_claim, "bind a token to --account (claim mode)",
                  "Register sha256(TOKEN) as --account's claim on the guard, attaching the storage deposit the "
                  "guard asks for (get_claim_deposit); a previous claim of the account is replaced. Only the hash "
                  "leaves this machine.")
    sub.add_argument("--token", required=True, metavar="JWT|@FILE", help="the token, or @file holding it")
    command(commands, "unclaim", cmd_unclaim, "withdraw --account's claim and get its storage deposit back")


# --- the policy file -------------------------------------------------------------


# --- showing ------------------------------------------------------------------------


async def _state(chain: Chain, guard: str) -> tuple[Optional[dict], bool]:
    policy = await chain.view(guard, "get_policy")
    if isinstance(policy, dict) and isinstance(policy.get("methods"), dict):
        # The guard stores a JSON object, whose key order MicroPython does not keep.
        policy["methods"] = dict(sorted(policy["methods"].items()))
    return policy, bool(await chain.view(guard, "get_claim_mode"))


async def _show(ctx: Context, chain: Chain, guard: str, headline: Optional[str] = None, report=None) -> None:
    policy, claim_mode = await _state(chain, guard)
    data = {"guard": guard, "policy": policy, "claim_mode": claim_mode}
    lines = [headline] if headline else []
    lines += policy_lines(policy, claim_mode)
    if report is not None:
        data["transaction"] = report.as_json()
        lines.append(gas_line("transaction", report))
    ctx.out.result(data, lines)


async def cmd_policy_show(ctx: Context, args) -> None:
    guard = ctx.require_guard()
    async with ctx.chain() as chain:
        await ctx.check_guard(chain, guard)
        await _show(ctx, chain, guard)


async def cmd_policy_set(ctx: Context, args) -> None:
    policy = load_policy(args.file)
    async with ctx.chain() as chain:
        guard, identity = await as_owner(ctx, chain, "set_policy")
        ctx.out.progress(f"setting the policy of {guard} from {args.file}")
        report = await chain.call(identity, guard, "set_policy", {"policy": policy}, gas=ctx.gas)
        await _show(ctx, chain, guard, f"policy set from {args.file}", report)


async def cmd_policy_clear(ctx: Context, args) -> None:
    async with ctx.chain() as chain:
        guard, identity = await as_owner(ctx, chain, "set_policy")
        if await chain.view(guard, "get_policy") is None:
            ctx.out.result({"guard": guard, "policy": None, "changed": False}, f"{guard} has no policy; nothing to do")
            return
        report = await chain.call(identity, guard, "set_policy", {"policy": None}, gas=ctx.gas)
        await _show(ctx, chain, guard, "policy removed", report)


async def cmd_claim_mode(ctx: Context, args) -> None:
    enabled = args.state == "on"
    async with ctx.chain() as chain:
        guard, identity = await as_owner(ctx, chain, "set_claim_mode")
        if bool(await chain.view(guard, "get_claim_mode")) == enabled:
            ctx.out.result({"guard": guard, "claim_mode": enabled, "changed": False},
                           f"claim mode is already {args.state} on {guard}; nothing to do")
            return
        report = await chain.call(identity, guard, "set_claim_mode", {"enabled": enabled}, gas=ctx.gas)
        await _show(ctx, chain, guard, f"claim mode turned {args.state}", report)


# --- a user's claim -----------------------------------------------------------------


async def cmd_claim(ctx: Context, args) -> None:
    token = read_token(args.token)
    jwt_hash = hashlib.sha256(token.encode()).hexdigest()
    guard = ctx.require_guard()
    identity = ctx.identity()
    async with ctx.chain() as chain:
        await chain.check_signer(identity)
        await ctx.check_guard(chain, guard)
        account_id = identity.account_id
        if await chain.view(guard, "get_claim", {"account_id": account_id}) == jwt_hash:
            ctx.out.result({"guard": guard, "account_id": account_id, "jwt_hash": jwt_hash, "changed": False},
                           f"{account_id} has already claimed this token on {guard}; nothing to do")
            return
        deposit = int(await chain.view(guard, "get_claim_deposit", {"account_id": account_id}))
        ctx.out.progress(f"claiming the token for {account_id} (deposit {format_near(deposit)})")
        report = await chain.call(identity, guard, "claim", {"jwt_hash": jwt_hash}, gas=ctx.gas, deposit=deposit)
        answer = report.return_json() or {}
        claim_mode = bool(await chain.view(guard, "get_claim_mode"))
    locked = int(answer.get("storage_deposit", "0"))
    lines = [f"{account_id} claimed token {jwt_hash[:16]}… on {guard}",
             f"storage deposit locked: {format_near(locked)} (returned by 'guardctl unclaim')"]
    if not claim_mode:
        lines.append("note: claim mode is off on this guard, so the claim has no effect until the owner turns it on")
    lines.append(gas_line("claim", report))
    ctx.out.result({"guard": guard, "account_id": account_id, "jwt_hash": jwt_hash, "storage_deposit": str(locked),
                    "claim_mode": claim_mode, "transaction": report.as_json()}, lines)


async def cmd_unclaim(ctx: Context, args) -> None:
    guard = ctx.require_guard()
    identity = ctx.identity()
    async with ctx.chain() as chain:
        await chain.check_signer(identity)
        await ctx.check_guard(chain, guard)
        account_id = identity.account_id
        if await chain.view(guard, "get_claim", {"account_id": account_id}) is None:
            raise GuardctlError(f"{account_id} has no claim on {guard}")
        report = await chain.call(identity, guard, "unclaim", {}, gas=ctx.gas, deposit=1)
    refund = int((report.return_json() or {}).get("refund", "0"))
    ctx.out.result({"guard": guard, "account_id": account_id, "refund": str(refund), "transaction": report.as_json()},
                   [f"{account_id}'s claim on {guard} withdrawn; {format_near(refund)} returned",
                    gas_line("unclaim", report)])
