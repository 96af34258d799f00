"""keys, owner, pause/unpause, settings: the owner's day-to-day calls."""
from __future__ import annotations

import json

from guard_core import settings as guard_settings
from guardjwk import guard_key_thumbprint, jwk_from_guard_key

from ..chain import Chain
from ..context import Context, check_account_id
from ..errors import GuardctlError
from ..public_keys import (check_keys_stay_valid, find_key, load_keys, summarise, validate_key_set,
                          window_text)
from ..inputs import parse_time_option
from ..owner import as_owner
from ..reports import gas_line
from ..times import TIME_HELP, format_time


def key_table(keys: list[dict], now: int) -> list[str]:
    if not keys:
        return ["  (no keys)"]
    rows = [("KID", "ALG", "BITS", "THUMBPRINT", "STATE", "WINDOW")]
    for key in keys:
        summary = summarise(key, now)
        rows.append((str(summary["kid"] or "-"), summary["alg"], str(summary["bits"]),
                     summary["thumbprint"][:16], summary["state"], window_text(key)))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    return ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1]
            for row in rows]


async def _keys_result(ctx: Context, chain: Chain, guard: str, headline: str, report=None) -> None:
    keys = await chain.view(guard, "get_public_keys")
    now = await chain.block_time()
    data = {"guard": guard, "chain_time": now, "keys": keys, "summary": [summarise(key, now) for key in keys]}
    lines = [headline] if headline else []
    lines.append(f"{guard}: {len(keys)} key(s), chain time {format_time(now)}")
    lines += key_table(keys, now)
    if report is not None:
        data["transaction"] = report.as_json()
        data["gas_burnt"] = report.gas_burnt
        lines.append(gas_line("transaction", report))
    ctx.out.result(data, lines)


# --- keys ---------------------------------------------------------------------


async def cmd_keys_list(ctx: Context, args) -> None:
    guard = ctx.require_guard()
    async with ctx.chain() as chain:
        await ctx.check_guard(chain, guard)
        if args.jwks:
            keys = await chain.view(guard, "get_public_keys")
            print(json.dumps({"keys": [jwk_from_guard_key(key) for key in keys]}, indent=2))
            return
        await _keys_result(ctx, chain, guard, "")


async def cmd_keys_add(ctx: Context, args) -> None:
    ctx.require_guard()
    (key,) = load_keys([args.source], kid=args.kid, warn=ctx.out.warn, single=True)
    async with ctx.chain() as chain:
        now = await chain.block_time()
        if args.not_before:
            key["not_before"] = parse_time_option(args.not_before, "--not-before", now)
        if args.not_after:
            key["not_after"] = parse_time_option(args.not_after, "--not-after", now)
        guard, identity = await as_owner(ctx, chain, "add_public_key")
        current = await chain.view(guard, "get_public_keys")
        if any(guard_key_thumbprint(existing) == guard_key_thumbprint(key) for existing in current):
            raise GuardctlError(f"{guard} already has this key (thumbprint {guard_key_thumbprint(key)})")
        key = validate_key_set(current + [key], args.source)[-1]
        check_keys_stay_valid(current + [key], now, f"add the key from {args.source}")
        ctx.out.progress(f"calling {guard}.add_public_key")
        report = await chain.call(identity, guard, "add_public_key", {"public_key": key}, gas=ctx.gas)
        await _keys_result(ctx, chain, guard, f"added key {key.get('kid', guard_key_thumbprint(key))}", report)


async def cmd_keys_remove(ctx: Context, args) -> None:
    async with ctx.chain() as chain:
        guard, identity = await as_owner(ctx, chain, "remove_public_key")
        current = await chain.view(guard, "get_public_keys")
        selector = args.key if args.key is not None else args.key_option
        index, key = find_key(current, selector)
        remaining = current[:index] + current[index + 1:]
        if remaining:  # the last key: the guard's own refusal says it best
            check_keys_stay_valid(remaining, await chain.block_time(), f"remove key {selector}")
        ctx.out.progress(f"removing key {selector} from {guard}")
        if key.get("kid") is not None:
            report = await chain.call(identity, guard, "remove_public_key", {"kid": key["kid"]}, gas=ctx.gas)
        else:
            # remove_public_key can only name a key by kid; a kid-less key
            # (the Rust guards' {n, e} shape) goes by replacing the set.
            report = await chain.call(identity, guard, "set_public_keys", {"public_keys": remaining}, gas=ctx.gas)
        await _keys_result(ctx, chain, guard, f"removed key {selector}", report)


async def cmd_keys_set(ctx: Context, args) -> None:
    where = " ".join(args.sources)
    keys = validate_key_set(load_keys(args.sources, kid=args.kid, warn=ctx.out.warn), where)
    async with ctx.chain() as chain:
        guard, identity = await as_owner(ctx, chain, "set_public_keys")
        check_keys_stay_valid(keys, await chain.block_time(), f"replace the key set with {where}")
        ctx.out.progress(f"replacing {guard}'s key set with {len(keys)} key(s)")
        report = await chain.call(identity, guard, "set_public_keys", {"public_keys": keys}, gas=ctx.gas)
        await _keys_result(ctx, chain, guard, f"replaced the key set with {len(keys)} key(s) from {where}", report)


async def cmd_keys_schedule(ctx: Context, args) -> None:
    (new_key,) = load_keys([args.add_key], kid=args.kid, warn=ctx.out.warn, single=True)
    async with ctx.chain() as chain:
        now = await chain.block_time()
        at = parse_time_option(args.at, "--at", now)
        if at <= now:
            raise GuardctlError(f"--at {format_time(at)} is not in the future (chain time {format_time(now)}); "
                                f"use 'keys add' / 'keys remove' for an immediate change")
        guard, identity = await as_owner(ctx, chain, "set_public_keys")
        current = await chain.view(guard, "get_public_keys")
        if any(guard_key_thumbprint(existing) == guard_key_thumbprint(new_key) for existing in current):
            raise GuardctlError(f"{guard} already has the key from {args.add_key} (thumbprint {guard_key_thumbprint(new_key)})")
        updated = [dict(key) for key in current]
        if args.retire:
            index, retiring = find_key(updated, args.retire)
            if "not_after" in retiring and retiring["not_after"] < at:
                raise GuardctlError(f"key {args.retire} already stops at {format_time(retiring['not_after'])}, "
                                    f"before {format_time(at)}")
            retiring["not_after"] = at
        new_key["not_before"] = at
        updated.append(new_key)
        # One set_public_keys carries both bounds, so the hand-over happens at
        # `at` exactly: the old key stops as the new one starts (the guard
        # treats a key as active for not_before <= t < not_after).
        updated = validate_key_set(updated, "the scheduled key set")
        check_keys_stay_valid(updated, now, "schedule this rotation")
        ctx.out.progress(f"scheduling the rotation on {guard} for {format_time(at)}")
        report = await chain.call(identity, guard, "set_public_keys", {"public_keys": updated}, gas=ctx.gas)
        retiring_text = f"; {args.retire} retires then" if args.retire else ""
        await _keys_result(ctx, chain, guard, f"scheduled: new key {new_key.get('kid', guard_key_thumbprint(new_key))} "
                                              f"starts at {format_time(at)}{retiring_text}", report)


# --- owner --------------------------------------------------------------------


async def cmd_owner_show(ctx: Context, args) -> None:
    guard = ctx.require_guard()
    async with ctx.chain() as chain:
        await ctx.check_guard(chain, guard)
        owner = await chain.view(guard, "owner")
        proposed = await chain.view(guard, "proposed_owner")
    ctx.out.result({"guard": guard, "owner": owner, "proposed_owner": proposed},
                   [f"owner: {owner}", f"proposed owner: {proposed or '(none)'}"])


async def cmd_owner_propose(ctx: Context, args) -> None:
    new_owner = check_account_id(args.new_owner, "NEW_OWNER")
    async with ctx.chain() as chain:
        guard, identity = await as_owner(ctx, chain, "propose_owner")
        if not await chain.account_exists(new_owner):
            ctx.out.warn(f"{new_owner} does not exist on {ctx.network} yet; it must exist to accept")
        report = await chain.call(identity, guard, "propose_owner", {"new_owner": new_owner}, gas=ctx.gas)
    ctx.out.result({"guard": guard, "owner": identity.account_id, "proposed_owner": new_owner,
                    "transaction": report.as_json()},
                   [f"proposed {new_owner} as the owner of {guard}; it takes over when it runs "
                    f"'guardctl owner accept --guard {guard} --account {new_owner}'", gas_line("propose_owner", report)])


async def cmd_owner_accept(ctx: Context, args) -> None:
    guard = ctx.require_guard()
    async with ctx.chain() as chain:
        identity = ctx.identity()
        await chain.check_signer(identity)
        await ctx.check_guard(chain, guard)
        proposed = await chain.view(guard, "proposed_owner")
        if proposed is None:
            raise GuardctlError(f"{guard} has no pending ownership transfer")
        if proposed != identity.account_id:
            raise GuardctlError(f"{guard}'s proposed owner is {proposed}, not {identity.account_id}")
        report = await chain.call(identity, guard, "accept_owner", {}, gas=ctx.gas)
        owner = await chain.view(guard, "owner")
    ctx.out.result({"guard": guard, "owner": owner, "transaction": report.as_json()},
                   [f"{owner} now owns {guard}", gas_line("accept_owner", report)])


# --- pause --------------------------------------------------------------------


async def _set_paused(ctx: Context, paused: bool) -> None:
    method = "pause" if paused else "unpause"
    async with ctx.chain() as chain:
        guard, identity = await as_owner(ctx, chain, method)
        if await chain.view(guard, "is_paused") == paused:
            ctx.out.result({"guard": guard, "paused": paused, "changed": False},
                           f"{guard} is already {'paused' if paused else 'running'}; nothing to do")
            return
        report = await chain.call(identity, guard, method, {}, gas=ctx.gas)
        state = await chain.view(guard, "is_paused")
    ctx.out.result({"guard": guard, "paused": state, "changed": True, "transaction": report.as_json()},
                   [f"{guard} is {'PAUSED: every verify now fails' if state else 'running again'}",
                    gas_line(method, report)])


async def cmd_pause(ctx: Context, args) -> None:
    await _set_paused(ctx, True)


async def cmd_unpause(ctx: Context, args) -> None:
    await _set_paused(ctx, False)


# --- settings -----------------------------------------------------------------


def _settings_lines(settings: dict, guard: str) -> list[str]:
    lines = [f"audience: {settings.get('audience', '(any: aud not checked)')}",
             f"issuers: {', '.join(settings['issuers']) if settings.get('issuers') else '(any iss matching the guard name)'}"]
    if not settings.get("audience"):
        lines.append(f"risk: without an audience this guard accepts tokens minted for any other guard or app that "
                     f"trusts the same keys; bind it with 'guardctl settings set --audience {guard}' once the "
                     f"issuer puts aud={guard} in its tokens")
    return lines


async def cmd_settings_show(ctx: Context, args) -> None:
    guard = ctx.require_guard()
    async with ctx.chain() as chain:
        await ctx.check_guard(chain, guard)
        settings = await chain.view(guard, "get_settings")
    ctx.out.result({"guard": guard, "settings": settings, "audience_checked": bool(settings.get("audience"))},
                   _settings_lines(settings, guard))


async def cmd_settings_set(ctx: Context, args) -> None:
    if args.audience is None and not args.clear_audience and not args.issuer and not args.clear_issuers:
        raise GuardctlError("nothing to change: give --audience/--clear-audience and/or --issuer/--clear-issuers")
    async with ctx.chain() as chain:
        guard, identity = await as_owner(ctx, chain, "set_settings")
        current = await chain.view(guard, "get_settings")
        # set_settings replaces both fields (null clears one), so unchanged
        # fields are sent back as they are.
        audience = None if args.clear_audience else (args.audience if args.audience is not None else current.get("audience"))
        issuers = None if args.clear_issuers else (args.issuer or current.get("issuers"))
        settings, reason = guard_settings.validate_settings(audience, issuers)
        if reason is not None:
            raise GuardctlError(reason)
        if settings == current:
            ctx.out.result({"guard": guard, "settings": current, "changed": False},
                           [*_settings_lines(current, guard), "nothing to do: the settings are already these"])
            return
        report = await chain.call(identity, guard, "set_settings", {"audience": audience, "issuers": issuers},
                                  gas=ctx.gas)
        stored = await chain.view(guard, "get_settings")
    ctx.out.result({"guard": guard, "settings": stored, "transaction": report.as_json()},
                   [*_settings_lines(stored, guard), gas_line("set_settings", report)])


def add_parsers(commands, command) -> None:
    """keys, owner, pause, unpause, settings."""
    keys = command(commands, "keys", None, "list and rotate the guard's public keys")
    key_commands = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    sub = command(key_commands, "list", cmd_keys_list, "show the keys and whether each is active now")
    sub.add_argument("--jwks", action="store_true", help="print the keys as a JWKS")
    sub = command(key_commands, "add", cmd_keys_add, "add one key (owner)")
    sub.add_argument("source", metavar="FILE|URL", help="PEM, JWK, JWKS file or JWKS URL")
    sub.add_argument("--kid", help="kid for a kid-less key, or the kid to pick from a JWKS")
    sub.add_argument("--not-before", metavar="TIME", help=f"key valid from ({TIME_HELP})")
    sub.add_argument("--not-after", metavar="TIME", help="key valid until (exclusive)")
    sub = command(key_commands, "remove", cmd_keys_remove, "remove one key by kid or thumbprint (owner)",
                  "Remove one key. KID|THUMBPRINT may start with '-' (as about one thumbprint in 64 does); "
                  "one that reads like an option of guardctl's goes as --kid=VALUE.")
    which = sub.add_mutually_exclusive_group(required=True)
    which.add_argument("key", nargs="?", metavar="KID|THUMBPRINT",
                       help="kid, or ≥ 8 leading characters of the thumbprint")
    which.add_argument("--kid", dest="key_option", metavar="KID|THUMBPRINT", help="the same, as an option")
    sub = command(key_commands, "set", cmd_keys_set, "replace the whole key set at once (owner)")
    sub.add_argument("sources", nargs="+", metavar="FILE|URL", help="PEM, JWK, JWKS (file or URL), or keys list --json")
    sub.add_argument("--kid", help="kid for the one key given without a kid (e.g. a PEM)")
    sub = command(key_commands, "schedule", cmd_keys_schedule, "rotate keys at a set time (owner)",
                  "One set_public_keys transaction that makes the new key valid from TIME and, with --retire, "
                  "the old key invalid from the same TIME: no gap, no overlap.")
    sub.add_argument("--add-key", required=True, metavar="FILE|URL", help="the incoming key")
    sub.add_argument("--at", required=True, metavar="TIME", help=TIME_HELP)
    sub.add_argument("--retire", metavar="KID|THUMBPRINT", help="the outgoing key")
    sub.add_argument("--kid", help="kid for the incoming key, or the kid to pick from a JWKS")

    owner = command(commands, "owner", None, "show or transfer ownership (two steps)")
    owner_commands = owner.add_subparsers(dest="owner_command", metavar="ACTION", required=True)
    command(owner_commands, "show", cmd_owner_show, "show the owner and any proposed owner")
    sub = command(owner_commands, "propose", cmd_owner_propose, "propose a new owner (owner)")
    sub.add_argument("new_owner", metavar="NEW_OWNER", help="the account that should take over")
    command(owner_commands, "accept", cmd_owner_accept, "accept ownership (signed by the proposed owner)")

    command(commands, "pause", cmd_pause, "emergency stop: every verify fails until unpause (owner)")
    command(commands, "unpause", cmd_unpause, "resume verification (owner)")

    settings = command(commands, "settings", None, "show or change the required audience and issuer allow-list")
    settings_commands = settings.add_subparsers(dest="settings_command", metavar="ACTION", required=True)
    command(settings_commands, "show", cmd_settings_show, "show the settings")
    sub = command(settings_commands, "set", cmd_settings_set, "change the settings (owner); unmentioned ones stay")
    sub.add_argument("--audience", help="require this aud in every token")
    sub.add_argument("--clear-audience", action="store_true", help="stop checking aud")
    sub.add_argument("--issuer", action="append", metavar="ISS", help="issuer allow-list entry (repeatable; replaces the list)")
    sub.add_argument("--clear-issuers", action="store_true", help="drop the issuer allow-list")
