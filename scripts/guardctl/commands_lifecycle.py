"""build, deploy, upgrade, register, unregister, info: a guard's life on chain."""
from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path
from typing import Optional

from guard_core import settings as guard_settings
from py_near import transactions
from wasmbuild import build

from .amounts import YOCTO_PER_NEAR, format_gas, format_near, parse_near
from .chain import NO_CODE_HASH, TxReport, code_hash_of
from .context import Context, check_account_id
from .credentials import credentials_path, generate_identity, identity_from_file, save_identity
from . import preflight
from .errors import ChainFailure, GuardctlError
from .public_keys import check_keys_stay_valid, load_keys, summarise, validate_key_set

DEFAULT_CONTRACT = build.REPO_ROOT / "contract" / "guard.py"
DEFAULT_WASM = build.REPO_ROOT / "build" / "guard.wasm"
WASM_MAGIC = b"\0asm"
# A transaction may be at most 1.5 MiB; leave room for the rest of it.
MAX_WASM_IN_TRANSACTION = 1_500_000
# Bytes NEAR charges storage for besides the code: the account record (100),
# one full-access key (~40 + key) and the guard's own state (JSON keys and
# settings; a few KB with 16 large keys).
ACCOUNT_OVERHEAD_BYTES = 100 + 80
STATE_ALLOWANCE_BYTES = 40_000
# JwtGuardRouter.add_guard: storage_byte_cost × (GUARD_NAME_MAX_BYTES_LENGTH +
# MAX_ACCOUNT_BYTES_LENGTH) + 1 NEAR contingency.
ROUTER_CHECKED_NAME_BYTES = 2048
ROUTER_ACCOUNT_MAX_BYTES = 64
# The router checks 2048 bytes, but near-sdk stores a guard under "g" + u32
# length + name and NEAR refuses storage keys over 2048 bytes: 2043 is what fits.
ROUTER_NAME_MAX_BYTES = ROUTER_CHECKED_NAME_BYTES - 5


def router_deposit(storage_byte_cost: int) -> int:
    """What the router's add_guard requires: storage for the longest name it checks and the
    longest account id at the network's byte price, plus 1 NEAR."""
    return storage_byte_cost * (ROUTER_CHECKED_NAME_BYTES + ROUTER_ACCOUNT_MAX_BYTES) + YOCTO_PER_NEAR


def gas_line(label: str, report: TxReport) -> str:
    return f"{label}: gas burnt {format_gas(report.gas_burnt)}, fee {format_near(report.tokens_burnt)} (tx {report.hash})"


def read_wasm(path: str) -> bytes:
    try:
        code = Path(path).expanduser().read_bytes()
    except FileNotFoundError:
        raise GuardctlError(f"Wasm file {path} does not exist ('guardctl build' writes {DEFAULT_WASM})") from None
    except OSError as err:
        raise GuardctlError(f"cannot read Wasm file {path}: {err.strerror}") from None
    if not code.startswith(WASM_MAGIC):
        raise GuardctlError(f"{path} is not a Wasm module (no \\0asm header)")
    if len(code) > MAX_WASM_IN_TRANSACTION:
        raise GuardctlError(f"{path} is {len(code)} bytes; a NEAR transaction carries at most ~1.5 MB")
    return code


def build_wasm(ctx: Context, contract: Path, output: Path, *, runtime: str = "patched", force: bool = False):
    ctx.out.progress(f"building {contract} (the first build takes a few minutes; later ones are cached)")
    # The builder reports on stdout, which belongs to guardctl's result (and
    # --json); its lines are progress, so they go where progress goes.
    builder_log = sys.stderr if ctx.out.show_progress else io.StringIO()
    try:
        with contextlib.redirect_stdout(builder_log):
            return build.build_contract(contract, output, runtime=runtime, force=force)
    except (build.BuildError, ValueError) as err:
        raise GuardctlError(f"build failed: {err}") from None


def cmd_build(ctx: Context, args) -> None:
    result = build_wasm(ctx, Path(args.contract), Path(args.out), runtime=args.runtime, force=args.force)
    code_hash = code_hash_of(Path(result.path).read_bytes())
    ctx.out.result(
        {"path": str(result.path), "size": result.size, "cached": result.cache_hit, "code_hash": code_hash},
        f"{result.path}: {result.size} bytes, code hash {code_hash}{' (cached)' if result.cache_hit else ''}")


def storage_cost(code_size: int, storage_byte_cost: int) -> int:
    """What a contract of `code_size` bytes locks, at the network's price (`chain.storage_byte_cost()`)."""
    return (code_size + ACCOUNT_OVERHEAD_BYTES + STATE_ALLOWANCE_BYTES) * storage_byte_cost


async def _create_guard_account(ctx: Context, chain, guard: str, balance: Optional[int], needed: int):
    """Create `guard` as a sub-account of --account; (its Identity, key file, TxReport)."""
    parent = ctx.identity()
    if not guard.endswith("." + parent.account_id):
        raise GuardctlError(f"{parent.account_id} can only create its own sub-accounts "
                            f"(*.{parent.account_id}), not {guard}")
    await chain.check_signer(parent)
    if await chain.account_exists(guard):
        raise GuardctlError(f"{guard} already exists; deploy to it without --create")
    balance = balance if balance is not None else needed + YOCTO_PER_NEAR
    available = await chain.available_balance(parent.account_id)
    if available < balance + YOCTO_PER_NEAR // 10:
        raise GuardctlError(f"{parent.account_id} has {format_near(available)} available; creating {guard} "
                            f"with {format_near(balance)} needs more")
    key_path = credentials_path(ctx.network, guard)
    if key_path.exists():
        # Left by an earlier attempt whose account creation did not happen:
        # the account does not exist, so the stored key is still unused.
        guard_identity = identity_from_file(key_path, guard)
        ctx.out.progress(f"reusing the unused key stored in {key_path}")
    else:
        guard_identity = generate_identity(guard)
        # Saved before the account exists, so its only key can never be lost.
        save_identity(guard_identity, ctx.network)
    ctx.out.progress(f"creating {guard} with {format_near(balance)}; its key is in {key_path}")
    report = await chain.transact(parent, guard, [
        transactions.create_create_account_action(),
        transactions.create_transfer_action(balance),
        transactions.create_full_access_key_action(guard_identity.public_key),
    ], f"creating {guard}")
    return guard_identity, key_path, report


async def existing_deploy_target(ctx: Context, chain, account_id: str, needed: int, *,
                                 what: str = "guard", instead: str = "use 'guardctl upgrade' to change its code"):
    """The Identity that signs as an existing `account_id`, after checking it can take the contract:
    no initialised contract there yet, and enough balance for the contract's storage."""
    identity = ctx.identity(account_id)
    await chain.check_signer(identity)
    state = await chain.view_account(account_id)
    if state["code_hash"] != NO_CODE_HASH:
        try:
            current_owner = await chain.view(account_id, "owner")
        except GuardctlError:
            current_owner = None
        if current_owner:
            raise GuardctlError(f"{account_id} already runs an initialised {what} (owner {current_owner}); {instead}")
    available = await chain.available_balance(account_id)
    if available < needed:
        raise GuardctlError(f"{account_id} has {format_near(available)} available but the {what}'s storage needs "
                            f"about {format_near(needed)}; send it more NEAR first")
    return identity


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
        # Imported here: commands_policy itself imports this module.
        from .commands_policy import load_policy

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
            guard_identity, key_path, reports["create"] = await _create_guard_account(
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
        from .commands_policy import policy_lines

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


def parse_near_option(text: str, option: str) -> int:
    try:
        return parse_near(text)
    except ValueError as err:
        raise GuardctlError(f"{option}: {err}") from None


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


def check_guard_name(issuer: str) -> str:
    if not issuer:
        raise GuardctlError("--issuer is required: the token's exact iss, which becomes the router's guard name")
    if "#" in issuer:
        raise GuardctlError(f"issuer {issuer!r} contains '#', which JwtGuardRouter refuses in guard names")
    if len(issuer.encode()) > ROUTER_NAME_MAX_BYTES:
        raise GuardctlError(f"issuer is {len(issuer.encode())} bytes; a router guard name can be at most "
                            f"{ROUTER_NAME_MAX_BYTES} bytes (its storage key adds 5 to NEAR's 2048-byte limit)")
    return issuer


async def registered_guard(chain, router: str, name: str):
    """The guard account the router maps `name` to, or None when it has none."""
    try:
        return await chain.view(router, "get_guard", {"guard_name": name})
    except GuardctlError as err:
        if "does not exist" in str(err) and "Guard with name" in str(err):
            return None
        raise GuardctlError(f"{router} does not answer like a JwtGuardRouter: {err}") from None


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
