"""build, deploy, upgrade, register, unregister, info: a guard's life on chain."""
from __future__ import annotations

import json

from pathlib import Path
from typing import Optional

from guard_core import settings as guard_settings
from py_near import transactions

from ..amounts import format_gas, format_near
from ..chain import TxReport, code_hash_of
from ..context import Context, check_account_id

from .. import preflight
from ..accounts import create_sub_account, existing_deploy_target, storage_cost
from ..errors import ChainFailure, GuardctlError
from ..inputs import parse_near_option
from ..policy_files import load_policy, policy_lines
from ..public_keys import check_keys_stay_valid, load_keys, summarise, validate_key_set
from ..reports import gas_line
from ..router import check_guard_name, registered_guard, router_deposit
from ..wasm import DEFAULT_CONTRACT, DEFAULT_WASM, build_wasm, read_wasm


def cmd_build(ctx: Context, args) -> None:
    result = build_wasm(ctx, Path(args.contract), Path(args.out), runtime=args.runtime, force=args.force)
    code_hash = code_hash_of(Path(result.path).read_bytes())
    ctx.out.result(
        {"path": str(result.path), "size": result.size, "cached": result.cache_hit, "code_hash": code_hash},
        f"{result.path}: {result.size} bytes, code hash {code_hash}{' (cached)' if result.cache_hit else ''}")


async def cmd_deploy(ctx: Context, args) -> None:
    guard = ctx.require_guard()
    owner = check_account_id(args.owner, "--owner")
    if args.lock:
        check_lockable(guard, owner)
    # Everything that can be checked offline is, before any transaction.
    public_keys = validate_key_set(load_keys(args.keys, kid=args.kid, warn=ctx.out.warn), " ".join(args.keys))
    settings, reason = guard_settings.validate_settings(deploy_audience(ctx, guard, args),
                                                                       args.issuer or None)
    if reason is not None:
        raise GuardctlError(reason)
    initial_balance = parse_near_option(args.initial_balance, "--initial-balance") if args.initial_balance else None
    if initial_balance is not None and not args.create:
        raise GuardctlError("--initial-balance only applies with --create")
    code = read_wasm(args.wasm if args.wasm else str(build_wasm(ctx, DEFAULT_CONTRACT, DEFAULT_WASM).path))
    init_args = {"owner": owner, "public_keys": public_keys, **settings}
    if args.policy:
        init_args["policy"] = load_policy(args.policy)  # validated with the guard's own code
    if args.claim_mode:
        init_args["claim_mode"] = True

    reports: dict[str, TxReport] = {}
    key_path = None
    checked = None
    async with ctx.chain() as chain:
        needed = storage_cost(len(code), await chain.storage_byte_cost())
        if initial_balance is not None and initial_balance < needed:
            raise GuardctlError(f"--initial-balance {format_near(initial_balance)} cannot pay for the guard's storage; "
                                f"it needs at least {format_near(needed)} for {len(code)} bytes of code and its state")
        check_keys_stay_valid(public_keys, await chain.block_time(), f"deploy with the keys of {' '.join(args.keys)}")
        if not args.skip_preflight:
            ctx.out.progress("trying deploy, init and a verify on the embedded engine first")
            checked = preflight.try_deploy(guard, code, init_args)
        if args.create:
            guard_identity, key_path, reports["create"] = await create_sub_account(
                ctx, chain, guard, initial_balance, needed)
        else:
            guard_identity = await existing_deploy_target(ctx, chain, guard, needed)
        # init is private to the guard account: deploying and initialising in
        # one transaction signed by the guard leaves no moment in which someone
        # else could initialise it with their own keys.
        actions = [transactions.create_deploy_contract_action(code),
                   transactions.create_function_call_action("init", _json_bytes(init_args), ctx.gas, 0)]
        if args.lock:
            # In the same transaction: if init fails, the keys stay.
            locked_keys = full_access_keys(await chain.access_keys(guard)) if not args.create \
                else [guard_identity.public_key]
            actions += [transactions.create_delete_access_key_action(key) for key in locked_keys]
        ctx.out.progress(f"deploying {len(code)} bytes to {guard} and calling init"
                         + (", then deleting its full-access keys" if args.lock else ""))
        reports["deploy"] = await chain.transact(guard_identity, guard, actions, f"deploying to {guard}")
        remaining_full_access = full_access_keys(await chain.access_keys(guard))
        deployed_hash = (await chain.view_account(guard))["code_hash"]
        deployed_owner = await chain.view(guard, "owner")
        now = await chain.block_time()

    total_gas = sum(report.gas_burnt for report in reports.values())
    kids = ", ".join(str(key.get("kid", "(no kid)")) for key in public_keys)
    lines = [*([checked.line()] if checked else []),
             f"deployed guard {guard}: code hash {deployed_hash} ({len(code)} bytes), owner {deployed_owner}",
             f"keys: {len(public_keys)} ({kids})"]
    if settings:
        lines.append(f"settings: {settings}")
    if args.policy or args.claim_mode:
        lines += policy_lines(init_args.get("policy"), args.claim_mode)
    if args.lock:
        lines.append(f"locked: {guard} has no full-access key; its code changes only through update_contract, "
                     f"called by its owner")
    elif key_path:
        lines.append(f"{guard}'s full-access key: {key_path} (whoever holds it can replace the code; "
                     f"'guardctl lock' deletes it)")
    lines += [gas_line(label, report) for label, report in reports.items()]
    lines.append(f"total gas burnt: {format_gas(total_gas)}")
    ctx.out.result({
        "guard": guard, "owner": deployed_owner, "code_hash": deployed_hash, "code_size": len(code),
        "keys": [summarise(key, now) for key in public_keys], "settings": settings,
        "policy": init_args.get("policy"), "claim_mode": bool(args.claim_mode),
        "key_file": str(key_path) if key_path and not args.lock else None,
        "full_access_keys": remaining_full_access,
        "transactions": {label: report.as_json() for label, report in reports.items()},
        "gas_burnt": total_gas, "preflight": checked.verify_answer if checked else None,
    }, lines)


NO_AUDIENCE_WARNING = ("--no-audience: this guard will not check aud, so it accepts any token its keys "
                       "verify, including tokens the issuer minted for another guard or app that trusts the same "
                       "keys (a testnet token on mainnet, another consumer of the same IdP)")


def deploy_audience(ctx: Context, guard: str, args) -> Optional[str]:
    """The audience `deploy` binds: --audience, else the guard's own account id (as upstream's
    audited auth0-guard requires); None only with --no-audience, which warns what it allows."""
    if args.no_audience:
        if args.audience is not None:
            raise GuardctlError("--audience and --no-audience contradict each other; give one")
        ctx.out.warn(NO_AUDIENCE_WARNING)
        return None
    return args.audience if args.audience is not None else guard


def full_access_keys(access_keys: list[dict]) -> list[str]:
    """Public keys of the full-access keys in a view_access_key_list answer."""
    return [key["public_key"] for key in access_keys if key["access_key"]["permission"] == "FullAccess"]


def check_lockable(guard: str, owner: str) -> None:
    if owner == guard:
        raise GuardctlError(f"cannot lock {guard}: it owns itself, so without a key nobody could ever upgrade or "
                            f"administer it; make another account its owner first")


def _json_bytes(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


async def cmd_upgrade(ctx: Context, args) -> None:
    guard = ctx.require_guard()
    code = read_wasm(args.wasm)
    new_hash = code_hash_of(code)
    async with ctx.chain() as chain:
        identity = ctx.identity()
        await chain.check_signer(identity)
        await ctx.require_owner(chain, guard, identity, "update_contract")
        account = await chain.view_account(guard)
        old_hash = account["code_hash"]
        if old_hash == new_hash:
            ctx.out.warn(f"{guard} already runs this code ({new_hash}); upgrading anyway re-runs migrate")
        checked = None
        if not args.skip_preflight:
            ctx.out.progress(f"trying the new code on a copy of {guard} on the embedded engine")
            checked = preflight.try_upgrade(
                guard, identity.account_id, await chain.view_code(guard), await chain.view_state(guard),
                int(account["amount"]), int(account["storage_usage"]), code, await chain.view(guard, "get_public_keys"))
        ctx.out.progress(f"sending {len(code)} bytes to {guard}.update_contract")
        # update_contract takes the raw Wasm as its input, not JSON.
        try:
            report = await chain.call(identity, guard, "update_contract", code, gas=ctx.gas)
        except ChainFailure as failure:
            if "MethodResolveError(MethodNotFound)" in str(failure):
                # The deploy and the migrate call share one receipt: nothing changed.
                raise ChainFailure(f"{failure}: the new code has no migrate method, so it is not a guard; "
                                   f"{guard} still runs its old code") from None
            raise
        deployed_hash = (await chain.view_account(guard))["code_hash"]
        owner = await chain.view(guard, "owner")
    if deployed_hash != new_hash:
        raise GuardctlError(f"update_contract succeeded but {guard}'s code hash is {deployed_hash}, not {new_hash}")
    ctx.out.result(
        {"guard": guard, "old_code_hash": old_hash, "new_code_hash": deployed_hash, "code_size": len(code),
         "owner": owner, "transaction": report.as_json(), "gas_burnt": report.gas_burnt,
         "preflight": checked.verify_answer if checked else None},
        [*([checked.line()] if checked else []),
         f"upgraded {guard}: code hash {old_hash} → {deployed_hash} ({len(code)} bytes); owner still {owner}",
         gas_line("update_contract + migrate", report)])


async def cmd_register(ctx: Context, args) -> None:
    guard = ctx.require_guard()
    router = check_account_id(args.router, "--router")
    name = check_guard_name(args.issuer)
    deposit = parse_near_option(args.deposit, "--deposit") if args.deposit else None
    async with ctx.chain() as chain:
        if deposit is None:
            deposit = router_deposit(await chain.storage_byte_cost())
        identity = ctx.identity()
        await chain.check_signer(identity)
        await ctx.check_guard(chain, guard)
        await chain.view(guard, "owner")  # fails clearly if it is not a guard
        settings = await chain.view(guard, "get_settings")
        if settings.get("issuers") and name not in settings["issuers"]:
            ctx.out.warn(f"{guard}'s issuer allow-list {settings['issuers']} does not include {name!r}: "
                         f"it will reject tokens routed to it under this name")
        if not await chain.account_exists(router):
            raise GuardctlError(f"router {router} does not exist on {ctx.network}")
        # add_guard is the router owner's alone (JwtGuardRouter only_owner, by
        # predecessor): say so before sending a transaction that would fail.
        router_owner = await chain.view(router, "owner")
        if router_owner != identity.account_id:
            raise GuardctlError(
                f"only {router}'s owner {router_owner} can add guards, not {identity.account_id}; ask {router_owner} "
                f"to register {guard} as {name!r}, deploy your own router with 'guardctl router deploy', "
                f"or have FastAuth's owner register the guard directly (FastAuth add_guard)")
        current = await registered_guard(chain, router, name)
        if current == guard:
            ctx.out.result({"router": router, "guard_name": name, "guard": guard, "already_registered": True},
                           f"{name!r} is already registered to {guard} on {router}; nothing to do")
            return
        if current is not None:
            raise GuardctlError(f"{name!r} is already registered to {current} on {router}; unregister it first")
        gas_cost = ctx.gas * await chain.gas_price()
        available = await chain.available_balance(identity.account_id)
        if available < deposit + gas_cost:
            raise GuardctlError(
                f"{identity.account_id} cannot afford registering: add_guard needs a deposit of {format_near(deposit)} "
                f"plus up to {format_near(gas_cost)} of gas, and it has {format_near(available)} available")
        ctx.out.progress(f"calling {router}.add_guard({name!r}, {guard}) with {format_near(deposit)}")
        report = await chain.call(identity, router, "add_guard", {"guard_name": name, "guard_account": guard},
                                  gas=ctx.gas, deposit=deposit)
        confirmed = await registered_guard(chain, router, name)
    if confirmed != guard:
        raise GuardctlError(f"add_guard succeeded but {router} maps {name!r} to {confirmed}")
    ctx.out.result(
        {"router": router, "guard_name": name, "guard": guard, "guard_id": f"jwt#{name}",
         "deposit": str(deposit), "transaction": report.as_json(), "gas_burnt": report.gas_burnt},
        [f"registered {name!r} → {guard} on {router} (deposit {format_near(deposit)})",
         f"FastAuth guard id: jwt#{name}",
         gas_line("add_guard", report)])


async def cmd_unregister(ctx: Context, args) -> None:
    router = check_account_id(args.router, "--router")
    name = check_guard_name(args.issuer)
    async with ctx.chain() as chain:
        identity = ctx.identity()
        await chain.check_signer(identity)
        if not await chain.account_exists(router):
            raise GuardctlError(f"router {router} does not exist on {ctx.network}")
        current = await registered_guard(chain, router, name)
        if current is None:
            raise GuardctlError(f"{router} has no guard named {name!r}")
        if ctx.guard and current != ctx.guard:
            raise GuardctlError(f"{name!r} on {router} points to {current}, not {ctx.guard}; nothing removed")
        ctx.out.progress(f"calling {router}.remove_guard({name!r})")
        report = await chain.call(identity, router, "remove_guard", {"guard_name": name}, gas=ctx.gas)
    ctx.out.result({"router": router, "guard_name": name, "removed_guard": current, "transaction": report.as_json()},
                   [f"unregistered {name!r} (was {current}) from {router}", gas_line("remove_guard", report)])


async def cmd_info(ctx: Context, args) -> None:
    guard = ctx.require_guard()
    async with ctx.chain() as chain:
        state = await ctx.check_guard(chain, guard)
        owner = await chain.view(guard, "owner")
        proposed = await chain.view(guard, "proposed_owner")
        paused = await chain.view(guard, "is_paused")
        settings = await chain.view(guard, "get_settings")
        keys = await chain.view(guard, "get_public_keys")
        now = await chain.block_time()
        access_keys = await chain.access_keys(guard)
    summaries = [summarise(key, now) for key in keys]
    active = sum(1 for summary in summaries if summary["state"] == "active")
    full_access = full_access_keys(access_keys)
    if full_access:
        ctx.out.warn(f"{guard} has {len(full_access)} full-access key(s): whoever holds one can deploy any code "
                     f"to it, whatever its owner says; 'guardctl lock' deletes them")
        access_text = (f"{len(full_access)} full-access, {len(access_keys) - len(full_access)} function-call "
                       f"(NOT locked)")
    else:
        access_text = (f"no full-access key, {len(access_keys)} function-call (locked: code changes only "
                       f"through update_contract)")
    ctx.out.result(
        {"guard": guard, "network": ctx.network, "chain_id": chain.chain_id, "code_hash": state["code_hash"],
         "balance": state["amount"], "storage_usage": state["storage_usage"], "owner": owner,
         "proposed_owner": proposed, "paused": paused, "settings": settings, "keys": summaries,
         "access_keys": access_keys, "full_access_keys": full_access, "locked": not full_access},
        [f"guard {guard} on {ctx.network} ({chain.chain_id})",
         f"  code hash       {state['code_hash']}",
         f"  balance         {format_near(int(state['amount']))} ({state['storage_usage']} bytes stored)",
         f"  owner           {owner}" + (f" (proposed: {proposed})" if proposed else ""),
         f"  paused          {'YES — every verify fails' if paused else 'no'}",
         f"  audience        {settings.get('audience', '(any)')}",
         f"  issuers         {', '.join(settings['issuers']) if settings.get('issuers') else '(any)'}",
         f"  keys            {len(keys)} ({active} active now)",
         f"  access keys     {access_text}"])


async def cmd_lock(ctx: Context, args) -> None:
    """Delete the guard account's full-access keys, signed with one of them."""
    guard = ctx.require_guard()
    async with ctx.chain() as chain:
        await ctx.check_guard(chain, guard)
        owner = await chain.view(guard, "owner")
        check_lockable(guard, owner)
        full_access = full_access_keys(await chain.access_keys(guard))
        if not full_access:
            ctx.out.result({"guard": guard, "owner": owner, "locked": True, "changed": False},
                           f"{guard} has no full-access key; nothing to do")
            return
        identity = ctx.identity(guard)
        await chain.check_signer(identity)
        ctx.out.progress(f"deleting {len(full_access)} full-access key(s) of {guard}")
        report = await chain.transact(identity, guard, [transactions.create_delete_access_key_action(key)
                                                        for key in full_access], f"locking {guard}")
        remaining = full_access_keys(await chain.access_keys(guard))
    if remaining:
        raise GuardctlError(f"the keys were deleted but {guard} still has full-access key(s) {', '.join(remaining)}")
    ctx.out.result({"guard": guard, "owner": owner, "locked": True, "changed": True, "deleted_keys": full_access,
                    "transaction": report.as_json()},
                   [f"locked {guard}: its {len(full_access)} full-access key(s) are deleted; its code changes only "
                    f"through update_contract, called by its owner {owner} ('guardctl upgrade')",
                    gas_line("lock", report)])


def add_parsers(commands, command) -> None:
    """build, deploy, upgrade, register, unregister, info, lock."""
    sub = command(commands, "build", cmd_build, "compile the guard contract to Wasm (cached)",
                  "Compile contract/guard.py to build/guard.wasm with nearc (what 'make build' does); "
                  "unchanged sources reuse the cached Wasm.")
    sub.add_argument("--contract", default=str(DEFAULT_CONTRACT), help="contract entry module")
    sub.add_argument("--out", default=str(DEFAULT_WASM), help="Wasm output path")
    sub.add_argument("--runtime", choices=("patched", "stock"), default="patched", help="MicroPython runtime")
    sub.add_argument("--force", action="store_true", help="compile even when cached")

    sub = command(commands, "deploy", cmd_deploy, "deploy and initialise a guard",
                  "Deploy the guard's Wasm to --guard and initialise it in the same transaction, signed by the "
                  "guard account (init is private). With --create, --account (the parent) first creates --guard "
                  "as its sub-account with a new key saved in the credentials folder.")
    sub.add_argument("--create", action="store_true", help="create --guard first, as a sub-account of --account")
    sub.add_argument("--initial-balance", metavar="NEAR",
                     help="NEAR given to the new account (default: its storage cost + 1 NEAR)")
    sub.add_argument("--owner", required=True, metavar="ID", help="the account that will administer the guard")
    sub.add_argument("--keys", required=True, action="append", metavar="FILE|URL",
                     help="public keys: PEM, JWK, JWKS file or JWKS URL (repeatable)")
    sub.add_argument("--kid", help="kid for the one key given without a kid (e.g. a PEM)")
    sub.add_argument("--audience", help="require this aud in every token (default: the guard's own account id)")
    sub.add_argument("--no-audience", action="store_true",
                     help="do not check aud (accepts tokens minted for other consumers of the same keys)")
    sub.add_argument("--issuer", action="append", metavar="ISS", help="issuer allow-list entry (repeatable)")
    sub.add_argument("--policy", metavar="FILE", help="transaction policy (.toml or .json, as for `policy set`)")
    sub.add_argument("--claim-mode", action="store_true", help="turn claim mode on from the start")
    sub.add_argument("--wasm", metavar="PATH", help="Wasm to deploy (default: build contract/guard.py)")
    sub.add_argument("--skip-preflight", action="store_true",
                     help="send without first trying deploy, init and a verify on the embedded engine")
    sub.add_argument("--lock", action="store_true",
                     help="delete the guard account's full-access keys in the deploy transaction, so its code "
                          "changes only through update_contract, called by --owner (recommended on testnet/mainnet)")

    sub = command(commands, "upgrade", cmd_upgrade, "replace the guard's code, keeping its state",
                  "Send new Wasm to the guard's update_contract (owner only), which deploys it and runs migrate. "
                  "First the upgrade runs on a copy of the guard (its code and storage) on the embedded engine, "
                  "and a verify of a test token must answer; otherwise nothing is sent.")
    sub.add_argument("--wasm", required=True, metavar="PATH", help="the new Wasm")
    sub.add_argument("--skip-preflight", action="store_true",
                     help="send without first trying the upgrade and a verify on a copy of the guard "
                          "on the embedded engine")

    sub = command(commands, "register", cmd_register, "register the guard with a JwtGuardRouter you own",
                  "Call ROUTER.add_guard(ISS, --guard), attaching the router's storage deposit "
                  "(10^19 yocto × 2112 bytes + 1 NEAR = 1.02112 NEAR). Only the router's owner can: the signer "
                  "must be ROUTER.owner(), which is read first; nothing is sent otherwise. The guard name is the "
                  "issuer's exact iss (at most 2043 bytes); FastAuth then addresses the guard as jwt#ISS.")
    sub.add_argument("--router", required=True, metavar="ID", help="the JwtGuardRouter account")
    sub.add_argument("--issuer", required=True, metavar="ISS", help="the tokens' exact iss (e.g. https://idp.example/)")
    sub.add_argument("--deposit", metavar="NEAR", help="override the attached deposit")

    sub = command(commands, "unregister", cmd_unregister, "remove a guard name from a JwtGuardRouter")
    sub.add_argument("--router", required=True, metavar="ID", help="the JwtGuardRouter account")
    sub.add_argument("--issuer", required=True, metavar="ISS", help="the guard name (the issuer's iss)")

    command(commands, "info", cmd_info,
            "show a guard's owner, state, settings, keys and account access keys")
    command(commands, "lock", cmd_lock, "delete the guard account's full-access keys",
            "Delete every full-access key of --guard (signed by the guard account with one of them), so its code "
            "changes only through update_contract, called by its owner. Refused when the guard owns itself.")
