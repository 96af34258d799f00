"""router deploy / router show / fastauth deploy: the contracts a guard plugs into.

An integrator normally registers a guard with the JwtGuardRouter FastAuth
already runs. These commands are for networks where there is none yet
(localnet, a near-sandbox, a private test deployment): they deploy a router or
FastAuth from a Wasm file you give — the release binary of FastAuth's Rust
contracts, or any build with the same interface — and initialise it in the
same transaction, signed by the contract's own account because `init` is
private. Nothing here builds those contracts.
"""
from __future__ import annotations

import json
from typing import Optional

from py_near import transactions

from ..accounts import create_sub_account, existing_deploy_target, storage_cost
from ..amounts import format_gas, format_near
from ..chain import TxReport
from ..context import Context, check_account_id
from ..errors import GuardctlError
from ..inputs import parse_near_option
from ..reports import gas_line
from ..router import check_guard_name, registered_guard
from ..wasm import read_wasm

# FastAuth picks a guard by the part of guard_id before the first '#';
# "jwt" is where FastAuth expects the JwtGuardRouter.
ROUTER_PREFIX = "jwt"


def add_parsers(commands, command) -> None:
    """Add `router …` and `fastauth …` to guardctl's parser (called by cli.build_parser)."""
    router = command(commands, "router", None, "deploy or inspect a JwtGuardRouter")
    router_commands = router.add_subparsers(dest="router_command", metavar="ACTION", required=True)
    sub = command(router_commands, "deploy", cmd_router_deploy, "deploy and initialise a JwtGuardRouter from Wasm",
                  "Deploy the router's Wasm to --router and call init(owner) in the same transaction, signed by "
                  "the router account (init is private). With --create, --account (the parent) first creates "
                  "--router as its sub-account with a new key saved in the credentials folder.")
    _deploy_options(sub, "--router", "the router's account")
    sub.add_argument("--owner", required=True, metavar="ID", help="the account allowed to add and remove guards")

    sub = command(router_commands, "show", cmd_router_show, "show a router's owner and, with --issuer, its guard")
    sub.add_argument("--router", required=True, metavar="ID", help="the JwtGuardRouter account")
    sub.add_argument("--issuer", metavar="ISS", help="a guard name (the issuer's iss) to look up")

    fastauth = command(commands, "fastauth", None, "deploy a FastAuth contract")
    fastauth_commands = fastauth.add_subparsers(dest="fastauth_command", metavar="ACTION", required=True)
    sub = command(fastauth_commands, "deploy", cmd_fastauth_deploy, "deploy and initialise FastAuth from Wasm",
                  "Deploy FastAuth's Wasm to --fastauth and initialise it in one transaction signed by the "
                  "FastAuth account: init(init_guards, owner, pauser), and with --mpc also set_mpc_address "
                  "(FastAuth owns itself for that one call, then change_owner hands it to --owner).")
    _deploy_options(sub, "--fastauth", "the FastAuth account")
    sub.add_argument("--owner", required=True, metavar="ID", help="FastAuth's owner")
    sub.add_argument("--pauser", metavar="ID", help="the account allowed to pause FastAuth (default --owner)")
    sub.add_argument("--router", metavar="ID", help=f"the JwtGuardRouter, registered as guard {ROUTER_PREFIX!r}")
    sub.add_argument("--route", action="append", default=[], metavar="PREFIX=ACCOUNT",
                     help="another guard FastAuth should know (repeatable)")
    sub.add_argument("--mpc", metavar="ID", help="the MPC signer contract FastAuth asks for signatures")


def _deploy_options(sub, account_option: str, account_help: str) -> None:
    sub.add_argument(account_option, required=True, metavar="ID", help=account_help)
    sub.add_argument("--wasm", required=True, metavar="PATH", help="the contract's Wasm")
    sub.add_argument("--create", action="store_true", help=f"create {account_option} first, as a sub-account of --account")
    sub.add_argument("--initial-balance", metavar="NEAR",
                     help="NEAR given to the new account (default: its storage cost + 1 NEAR)")


async def _deploy_with_calls(ctx: Context, chain, args, account_id: str, code: bytes,
                             calls: list[tuple[str, dict]]) -> tuple[dict[str, TxReport], Optional[str]]:
    """Create (with --create) and deploy `account_id`, running `calls` in the deploying transaction."""
    needed = storage_cost(len(code), await chain.storage_byte_cost())
    balance = parse_near_option(args.initial_balance, "--initial-balance") if args.initial_balance else None
    if balance is not None and not args.create:
        raise GuardctlError("--initial-balance only applies with --create")
    if balance is not None and balance < needed:
        raise GuardctlError(f"--initial-balance {format_near(balance)} cannot pay for {len(code)} bytes of code; "
                            f"it needs at least {format_near(needed)}")
    reports: dict[str, TxReport] = {}
    key_path = None
    if args.create:
        identity, key_path, reports["create"] = await create_sub_account(ctx, chain, account_id, balance, needed)
    else:
        identity = await existing_deploy_target(ctx, chain, account_id, needed, what="contract",
                                                  instead="deploy to a fresh account")
    gas_each = ctx.gas // len(calls)
    actions = [transactions.create_deploy_contract_action(code)]
    actions += [transactions.create_function_call_action(method, json.dumps(call_args).encode(), gas_each, 0)
                for method, call_args in calls]
    ctx.out.progress(f"deploying {len(code)} bytes to {account_id} and calling {', '.join(m for m, _ in calls)}")
    reports["deploy"] = await chain.transact(identity, account_id, actions, f"deploying to {account_id}")
    return reports, str(key_path) if key_path else None


def _deploy_result(ctx: Context, kind: str, account_id: str, code_hash: str, code_size: int, details: dict,
                   detail_lines: list[str], reports: dict[str, TxReport], key_path: Optional[str]) -> None:
    total = sum(report.gas_burnt for report in reports.values())
    lines = [f"deployed {kind} {account_id}: code hash {code_hash} ({code_size} bytes)", *detail_lines]
    if key_path:
        lines.append(f"{account_id}'s full-access key: {key_path}")
    lines += [gas_line(label, report) for label, report in reports.items()]
    lines.append(f"total gas burnt: {format_gas(total)}")
    ctx.out.result({"account": account_id, "code_hash": code_hash, "code_size": code_size, **details,
                    "key_file": key_path,
                    "transactions": {label: report.as_json() for label, report in reports.items()},
                    "gas_burnt": total}, lines)


async def cmd_router_deploy(ctx: Context, args) -> None:
    router = check_account_id(args.router, "--router")
    owner = check_account_id(args.owner, "--owner")
    code = read_wasm(args.wasm)
    async with ctx.chain() as chain:
        reports, key_path = await _deploy_with_calls(ctx, chain, args, router, code, [("init", {"owner": owner})])
        code_hash = (await chain.view_account(router))["code_hash"]
        deployed_owner = await chain.view(router, "owner")
    if deployed_owner != owner:
        raise GuardctlError(f"init succeeded but {router} reports owner {deployed_owner!r}, not {owner}")
    _deploy_result(ctx, "JwtGuardRouter", router, code_hash, len(code), {"owner": deployed_owner},
                   [f"owner {deployed_owner}; register guards with 'guardctl register --router {router}'"],
                   reports, key_path)


async def cmd_router_show(ctx: Context, args) -> None:
    router = check_account_id(args.router, "--router")
    name = check_guard_name(args.issuer) if args.issuer is not None else None
    async with ctx.chain() as chain:
        if not await chain.account_exists(router):
            raise GuardctlError(f"router {router} does not exist on {ctx.network}")
        owner = await chain.view(router, "owner")
        guard = await registered_guard(chain, router, name) if name is not None else None
    data = {"router": router, "owner": owner}
    lines = [f"router {router}", f"  owner  {owner}"]
    if name is not None:
        data.update({"guard_name": name, "guard": guard, "guard_id": f"{ROUTER_PREFIX}#{name}"})
        lines.append(f"  {name!r} → {guard or '(not registered)'}")
    ctx.out.result(data, lines)


def _parse_routes(router: Optional[str], routes: list[str]) -> dict:
    guards = {}
    if router:
        guards[ROUTER_PREFIX] = check_account_id(router, "--router")
    for route in routes:
        prefix, separator, account = route.partition("=")
        if not separator or not prefix:
            raise GuardctlError(f"--route {route!r}: expected PREFIX=ACCOUNT")
        if "#" in prefix:
            raise GuardctlError(f"--route {route!r}: FastAuth refuses '#' in guard ids")
        if prefix in guards:
            raise GuardctlError(f"guard id {prefix!r} is given twice")
        guards[prefix] = check_account_id(account, f"--route {prefix}")
    return guards


async def cmd_fastauth_deploy(ctx: Context, args) -> None:
    fastauth = check_account_id(args.fastauth, "--fastauth")
    owner = check_account_id(args.owner, "--owner")
    pauser = check_account_id(args.pauser or owner, "--pauser")
    mpc = check_account_id(args.mpc, "--mpc") if args.mpc else None
    guards = _parse_routes(args.router, args.route)
    code = read_wasm(args.wasm)
    # set_mpc_address is owner-only; so that one transaction signed by the
    # FastAuth account can do it, FastAuth owns itself until change_owner.
    calls = [("init", {"init_guards": guards, "owner": fastauth if mpc else owner, "pauser": pauser})]
    if mpc:
        calls.append(("set_mpc_address", {"mpc_address": mpc}))
        if owner != fastauth:
            calls.append(("change_owner", {"new_owner": owner}))
    async with ctx.chain() as chain:
        reports, key_path = await _deploy_with_calls(ctx, chain, args, fastauth, code, calls)
        code_hash = (await chain.view_account(fastauth))["code_hash"]
        deployed_owner = await chain.view(fastauth, "owner")
        deployed_mpc = await chain.view(fastauth, "mpc_address")
    if deployed_owner != owner:
        raise GuardctlError(f"deployment succeeded but {fastauth} reports owner {deployed_owner!r}, not {owner}")
    if mpc and deployed_mpc != mpc:
        raise GuardctlError(f"deployment succeeded but {fastauth} reports MPC {deployed_mpc!r}, not {mpc}")
    routes = ", ".join(f"{prefix} → {account}" for prefix, account in guards.items()) or "(none)"
    _deploy_result(ctx, "FastAuth", fastauth, code_hash, len(code),
                   {"owner": deployed_owner, "pauser": pauser, "guards": guards, "mpc_address": deployed_mpc},
                   [f"owner {deployed_owner}, pauser {pauser}, MPC {deployed_mpc}", f"guards: {routes}"],
                   reports, key_path)
