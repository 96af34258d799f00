"""`issuer`: run the service and manage its keys and users.

    issuer [--config PATH] [--json] COMMAND …

    serve                       run the API on uvicorn (TLS with --ssl-certfile/--ssl-keyfile, or behind a proxy)
    init                        create the database schema and, when there is none, a first signing key (active)
    secret generate             print a fresh random master secret (for ISSUER_MASTER_SECRET)
    config show                 the effective configuration (database password masked)
    keys list [--all]           signing keys and their states
    keys generate               a new pending key (published in the JWKS, not signing)
    keys activate KID           switch signing to a pending key (checks the guard holds it, see --guard/--rpc)
    keys retire KID [--force]   a retiring key leaves the JWKS (refused before its tokens expired, unless --force)
    keys revoke KID             emergency: stop signing with and publishing KID now
    keys rotate                 the next step of a normal rotation (generate → activate → retire), one per run
    keys jwks                   print the JWKS
    keys rewrap [--new-secret-env VAR] re-encrypt every private key under the ring's current master secret
    users add USERNAME [--subject S] [--near-account A] [--password-stdin]
    users list | disable USERNAME | enable USERNAME | passwd USERNAME | revoke-sessions USERNAME
    users set-account USERNAME (ACCOUNT | --clear)
    users unlock USERNAME       lift a login lockout (failed-login counter) now
    audit tail [--limit N] [--subject S] [--event E]
    prune                       delete expired sessions and old rate-limit counters

Passwords are never command-line arguments: they are asked for on a terminal,
or read as one line from stdin with --password-stdin. Every failure, the
database's included, is one `issuer: error:` line. Only `init` creates a
database; the other commands refuse one that is missing or empty. Exit codes:
0 success, 1 error, 2 usage error.
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Optional

from sqlalchemy.exc import SQLAlchemyError

from . import serving
from .accounts import AccountError, Accounts
from .audit import Audit
from .clock import Clock
from .config import ConfigError, Settings, load_settings, mask_url_password, master_secrets
from .observability import logging_config
from .passwords import PasswordPolicyError, Passwords
from .ratelimit import DatabaseRateLimiter, bucket_name
from .secrets_box import MasterSecretError, open_ring
from .signing_keys import KeyError_, KeyInfo, KeyManager
from .storage import Store, StorageError


class CliError(Exception):
    pass


class Output:
    def __init__(self, as_json: bool):
        self.as_json = as_json

    def result(self, data, text: str) -> None:
        if self.as_json:
            print(json.dumps(data, indent=2, sort_keys=True, default=str))
        else:
            print(text)


class Context:
    def __init__(self, args):
        self.args = args
        self.out = Output(args.json)
        self.settings: Settings = load_settings(args.config)
        self.clock = Clock(self.settings.testing.clock_offset_seconds)
        self._store: Optional[Store] = None
        self._keys: Optional[KeyManager] = None

    @property
    def store(self) -> Store:
        if self._store is None:
            creating = self.args.handler is cmd_init
            self._store = Store(self.settings.database.url, self.settings.database.echo, create=creating)
            if creating:
                self._store.create_schema()
            else:
                self._store.require_schema()
        return self._store

    @property
    def keys(self) -> KeyManager:
        if self._keys is None:
            secrets = master_secrets(self.settings)  # a missing secret is said before a missing database
            ring = open_ring(self.store, secrets, self.settings.keys.scrypt_n)
            self._keys = KeyManager(self.store, ring, self.settings, self.clock)
        return self._keys

    @property
    def accounts(self) -> Accounts:
        section = self.settings.auth.password
        return Accounts(self.store, Passwords(section), section, self.clock)

    @property
    def audit(self) -> Audit:
        return Audit(self.store, self.clock, to_log=False)

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()


def _when(timestamp: Optional[int]) -> str:
    if timestamp is None:
        return "-"
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def _key_table(keys: list[KeyInfo]) -> str:
    if not keys:
        return "no signing keys (create one: issuer init, or issuer keys generate + issuer keys activate)"
    rows = [("KID", "ALG", "STATE", "CREATED", "ACTIVATED", "RETIRE AFTER")]
    for info in keys:
        rows.append((info.kid, info.alg, info.state, _when(info.created_at), _when(info.activated_at),
                     _when(info.retire_after)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows)


def _guardctl_add(ctx: Context, kid: str) -> str:
    guard = ctx.args.guard if getattr(ctx.args, "guard", None) else "<guard>"
    return f"guardctl --guard {guard} keys add {ctx.settings.jwks_url} --kid {kid}"


def _guardctl_remove(ctx: Context, kid: str) -> str:
    guard = ctx.args.guard if getattr(ctx.args, "guard", None) else "<guard>"
    return f"guardctl --guard {guard} keys remove {kid}"


def _read_password(args, prompt: str = "password") -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"{prompt}: ")
        if getpass.getpass(f"{prompt} (again): ") != password:
            raise CliError("the passwords differ")
    else:
        raise CliError("no terminal to ask for the password: use --password-stdin")
    if not password:
        raise CliError("empty password")
    return password


def _audit(ctx: Context, event: str, **fields) -> None:
    ctx.audit.record(event, auth_method="cli", **fields)


# ------------------------------------------------------------------ commands


def cmd_serve(ctx: Context) -> None:
    from .service import IssuerService

    args, settings = ctx.args, ctx.settings
    # Open everything once here, so a wrong master secret or policy fails before uvicorn starts.
    service = IssuerService(settings)
    if service.keys.active() is None:
        print("issuer: warning: no active signing key; /v1/tokens answers 503 until one is activated "
              "(issuer init, or issuer keys generate + activate)", file=sys.stderr)
    service.close()
    host = args.host or settings.server.host
    port = args.port or settings.server.port
    certfile = args.ssl_certfile or settings.server.ssl_certfile
    keyfile = args.ssl_keyfile or settings.server.ssl_keyfile
    if not certfile and host not in ("127.0.0.1", "::1", "localhost"):
        print(f"issuer: note: serving plain HTTP on {host}; terminate TLS at a reverse proxy in front of it "
              "(and list it in server.trusted_proxies) or pass --ssl-certfile/--ssl-keyfile", file=sys.stderr)
    if args.config:
        os.environ["ISSUER_CONFIG"] = str(Path(args.config).resolve())
    serving.serve(host=host, port=port, workers=args.workers or settings.server.workers, ssl_certfile=certfile,
                  ssl_keyfile=keyfile, proxy_headers=False, server_header=False, log_level=args.log_level,
                  log_config=logging_config(args.log_level, args.log_format), timeout_keep_alive=5,
                  h11_max_incomplete_event_size=16 * 1024)


def cmd_init(ctx: Context) -> None:
    store = ctx.store
    keys = ctx.keys
    created = None
    if keys.active() is None and not [k for k in keys.list() if k.state == "pending"]:
        info = keys.generate()
        keys.activate(info.kid)
        created = keys.get(info.kid)
        _audit(ctx, "key_generated", kid=info.kid, detail="init")
        _audit(ctx, "key_activated", kid=info.kid, detail="init")
    data = {"database": store.dialect, "created_key": created.as_dict() if created else None,
            "jwks_url": ctx.settings.jwks_url}
    text = f"database ready ({store.dialect})"
    if created:
        text += (f"\nsigning key {created.kid} ({created.alg}) generated and active"
                 f"\nnext: put it on the guard: {_guardctl_add(ctx, created.kid)}")
    ctx.out.result(data, text)


def cmd_secret_generate(ctx: Context) -> None:
    secret = secrets.token_urlsafe(48)
    ctx.out.result({"secret": secret}, secret)


def cmd_config_show(ctx: Context) -> None:
    data = ctx.settings.public_dict()
    ctx.out.result(data, json.dumps(data, indent=2, sort_keys=True))


def cmd_keys_list(ctx: Context) -> None:
    keys = ctx.keys.list(include_gone=ctx.args.all)
    ctx.out.result({"keys": [k.as_dict() for k in keys]}, _key_table(keys))


def cmd_keys_generate(ctx: Context) -> None:
    info = ctx.keys.generate(alg=ctx.args.alg, kid=ctx.args.kid, rsa_bits=ctx.args.rsa_bits)
    _audit(ctx, "key_generated", kid=info.kid)
    ctx.out.result({"key": info.as_dict(), "next": _guardctl_add(ctx, info.kid)},
                   f"generated {info.kid} ({info.alg}), pending: published at {ctx.settings.jwks_url}\n"
                   f"next: {_guardctl_add(ctx, info.kid)}\nthen: issuer keys activate {info.kid}")


def _chain_check(ctx: Context, info: KeyInfo) -> Optional[str]:
    args = ctx.args
    if args.skip_chain_check:
        return "chain check skipped"
    if not (args.guard and args.rpc):
        raise CliError("say where the guard is (--guard ID --rpc URL) so the switch can be checked against it, "
                       "or pass --skip-chain-check if you have checked yourself")
    from . import chain
    try:
        trusted, note, problem = chain.guard_trusts(args.rpc, args.guard, info.jwk)
    except chain.ChainError as err:
        raise CliError(f"cannot check the guard: {err}") from None
    if not trusted:
        remedies = {
            chain.MISSING: _guardctl_add(ctx, info.kid),
            chain.OTHER_KID: f"{_guardctl_remove(ctx, '<the kid it holds>')}, then {_guardctl_add(ctx, info.kid)}",
            chain.OUTSIDE_WINDOW: (f"{_guardctl_remove(ctx, info.kid)}, then {_guardctl_add(ctx, info.kid)} "
                                   "(a validity window that includes the chain's time)"),
            chain.PAUSED: f"guardctl --guard {args.guard} unpause (once only trusted keys are on the guard)",
        }
        raise CliError(f"not switching: {note}; run: {remedies[problem]}")
    return note


def _activate(ctx: Context, kid: str) -> dict:
    info = ctx.keys.get(kid)
    if info.state != "pending":
        raise CliError(f"key {kid} is {info.state}; only a pending key can be activated")
    note = _chain_check(ctx, info)
    new, previous = ctx.keys.activate(kid)
    _audit(ctx, "key_activated", kid=kid, detail=note)
    data = {"step": "activated", "kid": new.kid, "chain_check": note,
            "previous": previous.as_dict() if previous else None}
    if previous is not None:
        data["next"] = (f"after {_when(previous.retire_after)}: issuer keys rotate (or issuer keys retire "
                        f"{previous.kid}), then {_guardctl_remove(ctx, previous.kid)}")
    return data


def cmd_keys_activate(ctx: Context) -> None:
    data = _activate(ctx, ctx.args.kid)
    text = f"signing with {data['kid']} ({data['chain_check']})"
    if data["previous"]:
        text += f"\n{data['previous']['kid']} is retiring\nnext: {data['next']}"
    ctx.out.result(data, text)


def cmd_keys_retire(ctx: Context) -> None:
    info = ctx.keys.retire(ctx.args.kid, force=ctx.args.force)
    _audit(ctx, "key_retired", kid=info.kid, detail="forced" if ctx.args.force else None)
    ctx.out.result({"step": "retired", "key": info.as_dict(), "next": _guardctl_remove(ctx, info.kid)},
                   f"{info.kid} retired (no longer in the JWKS)\nnext: {_guardctl_remove(ctx, info.kid)}")


def cmd_keys_revoke(ctx: Context) -> None:
    before = ctx.keys.get(ctx.args.kid)
    info = ctx.keys.revoke(ctx.args.kid, ctx.args.reason)
    _audit(ctx, "key_revoked", kid=info.kid, detail=ctx.args.reason)
    steps = [f"guardctl --guard {ctx.args.guard or '<guard>'} pause   (if tokens signed by {info.kid} must stop "
             "verifying before the key is off the guard)",
             _guardctl_remove(ctx, info.kid)]
    if before.state == "active":
        steps.append("issuer keys generate, guardctl keys add …, issuer keys activate NEW (the issuer signs "
                     "nothing until a key is active)")
    steps.append(f"guardctl --guard {ctx.args.guard or '<guard>'} unpause   (once the key is off the guard)")
    ctx.out.result({"key": info.as_dict(), "was": before.state, "next": steps},
                   f"{info.kid} revoked (was {before.state}): no longer signing or published\nnext:\n  "
                   + "\n  ".join(steps))


def cmd_keys_rotate(ctx: Context) -> None:
    keys = ctx.keys
    all_keys = keys.list(include_gone=False)
    due = keys.due_for_retirement()
    pending = [k for k in all_keys if k.state == "pending"]
    retiring = [k for k in all_keys if k.state == "retiring"]
    if due:
        retired = [keys.retire(info.kid) for info in due]
        for info in retired:
            _audit(ctx, "key_retired", kid=info.kid, detail="rotate")
        removes = [_guardctl_remove(ctx, info.kid) for info in retired]
        data = {"step": "retired", "kids": [i.kid for i in retired], "next": removes}
        text = "retired " + ", ".join(i.kid for i in retired) + " (left the JWKS)\nnext: " + "\n      ".join(removes)
    elif pending:
        data = _activate(ctx, pending[0].kid)
        text = f"switched signing to {data['kid']} ({data['chain_check']})"
        if data["previous"]:
            text += f"\n{data['previous']['kid']} is retiring\nnext: {data['next']}"
    elif retiring:
        waiting = min(k.retire_after for k in retiring)
        data = {"step": "waiting", "kids": [k.kid for k in retiring], "retire_after": waiting,
                "seconds_left": max(0, waiting - ctx.clock.now())}
        text = (f"rotation in progress: {', '.join(k.kid for k in retiring)} may still verify tokens until "
                f"{_when(waiting)} ({data['seconds_left']} s); run issuer keys rotate again then")
    else:
        info = keys.generate()
        _audit(ctx, "key_generated", kid=info.kid, detail="rotate")
        data = {"step": "generated", "kid": info.kid, "jwks_url": ctx.settings.jwks_url,
                "next": [_guardctl_add(ctx, info.kid), "issuer keys rotate --guard … --rpc …"]}
        text = (f"generated {info.kid}: published in {ctx.settings.jwks_url}, not signing yet\n"
                f"next: {_guardctl_add(ctx, info.kid)}\nthen: issuer keys rotate (switches signing once the "
                "guard holds the key)")
    ctx.out.result(data, text)


def cmd_keys_jwks(ctx: Context) -> None:
    data = ctx.keys.jwks()
    print(json.dumps(data, indent=2))


def cmd_keys_rewrap(ctx: Context) -> None:
    name = ctx.args.new_secret_env
    new_secret = None
    if name:
        value = os.environ.get(name, "")
        if len(value.encode()) < 32:
            raise CliError(f"{name} must hold the new master secret (at least 32 characters)")
        new_secret = value.encode()
    keys = ctx.keys
    count = keys.rewrap(new_secret)
    _audit(ctx, "keys_rewrapped", detail=f"{count} keys")
    section = ctx.settings.keys
    if section.master_secret_file:
        where = f"keep only the current secret in {section.master_secret_file}"
    else:
        where = f"leave only {section.master_secret_env} (the new secret) set and unset {section.previous_master_secret_env}"
    note = ("instances that hold the new secret in their ring keep serving; now "
            f"{where}; instances still running with only the old secret keep signing with the key they have "
            "open but cannot open a new key: restart them with the new secret")
    ctx.out.result({"rewrapped": count, "next": note}, f"{count} private keys re-encrypted under the current "
                   f"master secret\nnext: {note}")


def _user_text(user: dict) -> str:
    flags = " (disabled)" if user["disabled"] else ""
    account = f" near={user['near_account_id']}" if user.get("near_account_id") else ""
    return f"{user['username']}: sub={user['subject']}{account}{flags}"


def cmd_users_add(ctx: Context) -> None:
    password = _read_password(ctx.args)
    user = ctx.accounts.add_user(ctx.args.username, password, subject=ctx.args.subject,
                                 near_account=ctx.args.near_account)
    _audit(ctx, "user_added", subject=user["subject"], detail=f"username={user['username']}")
    ctx.out.result({"user": user}, "added " + _user_text(user))


def cmd_users_list(ctx: Context) -> None:
    users = ctx.accounts.list_users()
    ctx.out.result({"users": users}, "\n".join(_user_text(u) for u in users) or "no users")


def _set_disabled(ctx: Context, disabled: bool) -> None:
    user = ctx.accounts.set_disabled(ctx.args.username, disabled)
    _audit(ctx, "user_disabled" if disabled else "user_enabled", subject=user["subject"])
    ctx.out.result({"user": user}, ("disabled " if disabled else "enabled ") + _user_text(user)
                   + (" — every session revoked" if disabled else ""))


def cmd_users_disable(ctx: Context) -> None:
    _set_disabled(ctx, True)


def cmd_users_enable(ctx: Context) -> None:
    _set_disabled(ctx, False)


def cmd_users_passwd(ctx: Context) -> None:
    password = _read_password(ctx.args, "new password")
    ctx.accounts.set_password(ctx.args.username, password)
    user = ctx.accounts.get_user(ctx.args.username)
    _audit(ctx, "user_password_changed", subject=user["subject"])
    ctx.out.result({"user": user}, f"password changed for {user['username']}; its sessions were revoked")


def cmd_users_set_account(ctx: Context) -> None:
    if ctx.args.clear == (ctx.args.account is not None):
        raise CliError("give an ACCOUNT or --clear")
    user = ctx.accounts.set_near_account(ctx.args.username, None if ctx.args.clear else ctx.args.account)
    _audit(ctx, "user_account_set", subject=user["subject"], detail=user.get("near_account_id"))
    ctx.out.result({"user": user}, _user_text(user))


def cmd_users_revoke_sessions(ctx: Context) -> None:
    count = ctx.accounts.revoke_sessions(ctx.args.username)
    _audit(ctx, "sessions_revoked", detail=f"username={ctx.args.username} count={count}")
    ctx.out.result({"revoked": count}, f"{count} sessions revoked")


def cmd_users_unlock(ctx: Context) -> None:
    user = ctx.accounts.get_user(ctx.args.username)
    cleared = DatabaseRateLimiter(ctx.store, ctx.clock).clear(bucket_name("login:fail", user["username"].lower()))
    _audit(ctx, "user_unlocked", subject=user["subject"], detail=f"username={user['username']}")
    ctx.out.result({"user": user, "cleared_windows": cleared},
                   f"{user['username']}: login lockout lifted ({cleared} failure counters cleared)")


def cmd_audit_tail(ctx: Context) -> None:
    rows = ctx.audit.tail(ctx.args.limit, ctx.args.subject, ctx.args.event)
    lines = []
    for row in rows:
        fields = " ".join(f"{name}={row[name]}" for name in ("subject", "auth_method", "tx_sha256", "kid", "jti",
                                                                "client_ip", "detail") if row[name] is not None)
        lines.append(f"{_when(row['at'])} {row['event']} {fields}")
    ctx.out.result({"records": rows}, "\n".join(lines) or "no records")


def cmd_prune(ctx: Context) -> None:
    removed = ctx.accounts.prune()
    ctx.out.result({"removed": removed}, f"{removed} expired rows removed")


# ------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="issuer", description="FastAuth guard token issuer: service, keys, users.")
    parser.add_argument("--config", help="TOML file (default: $ISSUER_CONFIG, else ./issuer.toml when present)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.add_argument("--ssl-certfile")
    serve.add_argument("--ssl-keyfile")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    serve.add_argument("--log-format", default="text", choices=["text", "json"],
                       help="json: one JSON object per line (ts, level, logger, message, request_id, audit)")
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("init", help="create the schema and a first active key").set_defaults(handler=cmd_init)

    secret = commands.add_parser("secret", help="master secret helpers").add_subparsers(dest="sub", required=True)
    secret.add_parser("generate", help="print a fresh random master secret").set_defaults(handler=cmd_secret_generate)

    config = commands.add_parser("config", help="configuration").add_subparsers(dest="sub", required=True)
    config.add_parser("show", help="the effective configuration").set_defaults(handler=cmd_config_show)

    keys = commands.add_parser("keys", help="signing keys").add_subparsers(dest="sub", required=True)
    listing = keys.add_parser("list", help="keys and states")
    listing.add_argument("--all", action="store_true", help="also retired and revoked keys")
    listing.set_defaults(handler=cmd_keys_list)
    generate = keys.add_parser("generate", help="a new pending key")
    generate.add_argument("--alg", choices=["RS256", "EdDSA"])
    generate.add_argument("--kid")
    generate.add_argument("--rsa-bits", type=int, choices=[2048, 3072, 4096])
    generate.add_argument("--guard", help="the guard's account (only used in the printed guardctl commands)")
    generate.set_defaults(handler=cmd_keys_generate)
    for name, handler, help_text in (("activate", cmd_keys_activate, "switch signing to a pending key"),
                                     ("rotate", cmd_keys_rotate, "the next step of a rotation")):
        command = keys.add_parser(name, help=help_text)
        if name == "activate":
            command.add_argument("kid")
        command.add_argument("--guard", help="the guard's account, to check it holds the key before switching")
        command.add_argument("--rpc", help="NEAR JSON-RPC URL for that check")
        command.add_argument("--skip-chain-check", action="store_true",
                             help="switch without checking the guard (you checked yourself)")
        command.set_defaults(handler=handler)
    retire = keys.add_parser("retire", help="a retiring (or pending) key leaves the JWKS")
    retire.add_argument("kid")
    retire.add_argument("--force", action="store_true", help="even before its tokens have expired")
    retire.add_argument("--guard", help="the guard's account (only used in the printed guardctl commands)")
    retire.set_defaults(handler=cmd_keys_retire)
    revoke = keys.add_parser("revoke", help="emergency: stop signing with and publishing a key now")
    revoke.add_argument("kid")
    revoke.add_argument("--reason", default="revoked by operator")
    revoke.add_argument("--guard", help="the guard's account (only used in the printed guardctl commands)")
    revoke.set_defaults(handler=cmd_keys_revoke)
    keys.add_parser("jwks", help="print the JWKS").set_defaults(handler=cmd_keys_jwks)
    rewrap = keys.add_parser("rewrap", help="re-encrypt the private keys under the current master secret")
    rewrap.add_argument("--new-secret-env", metavar="VAR",
                        help="environment variable holding a new secret to put in front of the ring first")
    rewrap.set_defaults(handler=cmd_keys_rewrap)

    users = commands.add_parser("users", help="built-in accounts").add_subparsers(dest="sub", required=True)
    add = users.add_parser("add", help="add a user")
    add.add_argument("username")
    add.add_argument("--subject", help="the guard token's sub (default: user-<random id>)")
    add.add_argument("--near-account", help="the user's NEAR account (for the policy's signer_claim)")
    add.add_argument("--password-stdin", action="store_true", help="read the password as one line from stdin")
    add.set_defaults(handler=cmd_users_add)
    users.add_parser("list", help="every user").set_defaults(handler=cmd_users_list)
    for name, handler, help_text in (("disable", cmd_users_disable, "disable and revoke every session"),
                                     ("enable", cmd_users_enable, "enable again"),
                                     ("revoke-sessions", cmd_users_revoke_sessions, "log the user out everywhere"),
                                     ("unlock", cmd_users_unlock, "lift a login lockout now")):
        command = users.add_parser(name, help=help_text)
        command.add_argument("username")
        command.set_defaults(handler=handler)
    passwd = users.add_parser("passwd", help="set a new password (revokes the user's sessions)")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(handler=cmd_users_passwd)
    account = users.add_parser("set-account", help="bind (or --clear) the user's NEAR account")
    account.add_argument("username")
    account.add_argument("account", nargs="?")
    account.add_argument("--clear", action="store_true")
    account.set_defaults(handler=cmd_users_set_account)

    audit = commands.add_parser("audit", help="audit log").add_subparsers(dest="sub", required=True)
    tail = audit.add_parser("tail", help="the latest records")
    tail.add_argument("--limit", type=int, default=50)
    tail.add_argument("--subject")
    tail.add_argument("--event")
    tail.set_defaults(handler=cmd_audit_tail)

    commands.add_parser("prune", help="delete expired sessions").set_defaults(handler=cmd_prune)
    return parser


def database_failure(err: SQLAlchemyError, ctx: Optional[Context]) -> str:
    """One line for a database failure: which database (password masked) and the driver's first line."""
    reason = str(getattr(err, "orig", None) or err).strip().splitlines()
    where = mask_url_password(ctx.settings.database.url) if ctx is not None else "the database"
    return f"database {where}: {reason[0] if reason else type(err).__name__}"


def main(argv: Optional[list[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx = None
    try:
        ctx = Context(args)
        args.handler(ctx)
        return 0
    except (CliError, ConfigError, KeyError_, AccountError, PasswordPolicyError, MasterSecretError,
            StorageError) as err:
        print(f"issuer: error: {err}", file=sys.stderr)
        return 1
    except SQLAlchemyError as err:
        print(f"issuer: error: {database_failure(err, ctx)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        if ctx is not None:
            ctx.close()


if __name__ == "__main__":
    sys.exit(main())
