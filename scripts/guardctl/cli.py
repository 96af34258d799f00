"""guardctl — the owner's CLI for a FastAuth JWT guard on NEAR.

Every failure ends as one `guardctl: error: …` line on stderr and a non-zero
exit code (1 for errors, 2 for usage errors, 3 when `verify` ran and the guard
rejected the token). `GUARDCTL_DEBUG=1` adds the traceback.
"""
from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import sys
import tomllib
import traceback
from pathlib import Path
from typing import Optional, Sequence

from . import commands_admin as admin
from . import commands_dev as dev
from . import commands_fastauth as fastauth
from . import commands_lifecycle as lifecycle
from . import commands_policy as policy_commands
from . import commands_verify_code as verify_code
from . import commands_tx as tx_commands
from .amounts import GAS_PER_TGAS
from .chain import DEFAULT_RPC_TIMEOUT_S
from .context import Context
from .errors import GuardctlError, one_line
from .output import Output
from .times import TIME_HELP

NETWORK_RPC = {
    "localnet": "http://127.0.0.1:3030",
    "sandbox": "http://127.0.0.1:3030",
    "testnet": "https://rpc.testnet.near.org",
    "mainnet": "https://rpc.mainnet.near.org",
}
DEFAULT_NETWORK = "localnet"
CONFIG_FILE_NAME = "guardctl.toml"
CONFIG_KEYS = ("network", "rpc", "account", "guard", "key_file")
DEBUG_ENV = "GUARDCTL_DEBUG"


class UsageError(GuardctlError):
    exit_code = 2


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one error line (no usage dump)."""

    def error(self, message: str):
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _global_options() -> argparse.ArgumentParser:
    """Options every command takes, before or after the command name.

    Defaults are SUPPRESS so a value given at either place survives; the real
    defaults come from the environment, guardctl.toml and NETWORK_RPC.
    """
    common = Parser(add_help=False, argument_default=argparse.SUPPRESS)
    group = common.add_argument_group(
        "network and signer (defaults also from $GUARDCTL_NETWORK, $GUARDCTL_RPC, $GUARDCTL_ACCOUNT, "
        "$GUARDCTL_GUARD, $GUARDCTL_KEY_FILE, then guardctl.toml)")
    group.add_argument("--network", choices=sorted(NETWORK_RPC), help=f"network (default {DEFAULT_NETWORK})")
    group.add_argument("--rpc", metavar="URL", help="RPC URL (default: the network's)")
    group.add_argument("--account", metavar="ID", help="the account that signs")
    group.add_argument("--guard", metavar="ID", help="the guard's account")
    group.add_argument("--key-file", metavar="PATH",
                       help="signer's key: near-cli credentials JSON or a node home's validator_key.json "
                            "(else $GUARDCTL_PRIVATE_KEY, else ~/.near-credentials/NETWORK/ACCOUNT.json)")
    group.add_argument("--config", metavar="PATH", help=f"settings file (default ./{CONFIG_FILE_NAME} if present)")
    group.add_argument("--gas", metavar="TGAS", type=int, help="gas attached to function calls (default 300)")
    group.add_argument("--rpc-timeout", metavar="S", type=float, help=f"RPC timeout (default {DEFAULT_RPC_TIMEOUT_S:g})")
    group.add_argument("--json", action="store_true", help="print the result as JSON")
    group.add_argument("--progress", action="store_true", help="progress lines on stderr even when not a terminal")
    group.add_argument("--quiet", action="store_true", help="no progress lines")
    return common


def build_parser() -> Parser:
    common = _global_options()
    parser = Parser(prog="guardctl", parents=[common], description=__doc__.split("\n\n")[0],
                    epilog="Run 'guardctl COMMAND --help' for a command's options.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(parent, name, handler, help_text, description=None):
        sub = parent.add_parser(name, parents=[common], help=help_text, description=description or help_text)
        sub.set_defaults(handler=handler)
        return sub

    sub = command(commands, "build", lifecycle.cmd_build, "compile the guard contract to Wasm (cached)",
                  "Compile contract/guard.py to build/guard.wasm with nearc (what 'make build' does); "
                  "unchanged sources reuse the cached Wasm.")
    sub.add_argument("--contract", default=str(lifecycle.DEFAULT_CONTRACT), help="contract entry module")
    sub.add_argument("--out", default=str(lifecycle.DEFAULT_WASM), help="Wasm output path")
    sub.add_argument("--runtime", choices=("patched", "stock"), default="patched", help="MicroPython runtime")
    sub.add_argument("--force", action="store_true", help="compile even when cached")

    sub = command(commands, "deploy", lifecycle.cmd_deploy, "deploy and initialise a guard",
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

    sub = command(commands, "upgrade", lifecycle.cmd_upgrade, "replace the guard's code, keeping its state",
                  "Send new Wasm to the guard's update_contract (owner only), which deploys it and runs migrate. "
                  "First the upgrade runs on a copy of the guard (its code and storage) on the embedded engine, "
                  "and a verify of a test token must answer; otherwise nothing is sent.")
    sub.add_argument("--wasm", required=True, metavar="PATH", help="the new Wasm")
    sub.add_argument("--skip-preflight", action="store_true",
                     help="send without first trying the upgrade and a verify on a copy of the guard "
                          "on the embedded engine")

    sub = command(commands, "register", lifecycle.cmd_register, "register the guard with a JwtGuardRouter you own",
                  "Call ROUTER.add_guard(ISS, --guard), attaching the router's storage deposit "
                  "(10^19 yocto × 2112 bytes + 1 NEAR = 1.02112 NEAR). Only the router's owner can: the signer "
                  "must be ROUTER.owner(), which is read first; nothing is sent otherwise. The guard name is the "
                  "issuer's exact iss (at most 2043 bytes); FastAuth then addresses the guard as jwt#ISS.")
    sub.add_argument("--router", required=True, metavar="ID", help="the JwtGuardRouter account")
    sub.add_argument("--issuer", required=True, metavar="ISS", help="the tokens' exact iss (e.g. https://idp.example/)")
    sub.add_argument("--deposit", metavar="NEAR", help="override the attached deposit")

    sub = command(commands, "unregister", lifecycle.cmd_unregister, "remove a guard name from a JwtGuardRouter")
    sub.add_argument("--router", required=True, metavar="ID", help="the JwtGuardRouter account")
    sub.add_argument("--issuer", required=True, metavar="ISS", help="the guard name (the issuer's iss)")

    command(commands, "info", lifecycle.cmd_info,
            "show a guard's owner, state, settings, keys and account access keys")
    command(commands, "lock", lifecycle.cmd_lock, "delete the guard account's full-access keys",
            "Delete every full-access key of --guard (signed by the guard account with one of them), so its code "
            "changes only through update_contract, called by its owner. Refused when the guard owns itself.")

    keys = command(commands, "keys", None, "list and rotate the guard's public keys")
    key_commands = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    sub = command(key_commands, "list", admin.cmd_keys_list, "show the keys and whether each is active now")
    sub.add_argument("--jwks", action="store_true", help="print the keys as a JWKS")
    sub = command(key_commands, "add", admin.cmd_keys_add, "add one key (owner)")
    sub.add_argument("source", metavar="FILE|URL", help="PEM, JWK, JWKS file or JWKS URL")
    sub.add_argument("--kid", help="kid for a kid-less key, or the kid to pick from a JWKS")
    sub.add_argument("--not-before", metavar="TIME", help=f"key valid from ({TIME_HELP})")
    sub.add_argument("--not-after", metavar="TIME", help="key valid until (exclusive)")
    sub = command(key_commands, "remove", admin.cmd_keys_remove, "remove one key by kid or thumbprint (owner)",
                  "Remove one key. KID|THUMBPRINT may start with '-' (as about one thumbprint in 64 does); "
                  "one that reads like an option of guardctl's goes as --kid=VALUE.")
    which = sub.add_mutually_exclusive_group(required=True)
    which.add_argument("key", nargs="?", metavar="KID|THUMBPRINT",
                       help="kid, or ≥ 8 leading characters of the thumbprint")
    which.add_argument("--kid", dest="key_option", metavar="KID|THUMBPRINT", help="the same, as an option")
    sub = command(key_commands, "set", admin.cmd_keys_set, "replace the whole key set at once (owner)")
    sub.add_argument("sources", nargs="+", metavar="FILE|URL", help="PEM, JWK, JWKS (file or URL), or keys list --json")
    sub.add_argument("--kid", help="kid for the one key given without a kid (e.g. a PEM)")
    sub = command(key_commands, "schedule", admin.cmd_keys_schedule, "rotate keys at a set time (owner)",
                  "One set_public_keys transaction that makes the new key valid from TIME and, with --retire, "
                  "the old key invalid from the same TIME: no gap, no overlap.")
    sub.add_argument("--add-key", required=True, metavar="FILE|URL", help="the incoming key")
    sub.add_argument("--at", required=True, metavar="TIME", help=TIME_HELP)
    sub.add_argument("--retire", metavar="KID|THUMBPRINT", help="the outgoing key")
    sub.add_argument("--kid", help="kid for the incoming key, or the kid to pick from a JWKS")

    owner = command(commands, "owner", None, "show or transfer ownership (two steps)")
    owner_commands = owner.add_subparsers(dest="owner_command", metavar="ACTION", required=True)
    command(owner_commands, "show", admin.cmd_owner_show, "show the owner and any proposed owner")
    sub = command(owner_commands, "propose", admin.cmd_owner_propose, "propose a new owner (owner)")
    sub.add_argument("new_owner", metavar="NEW_OWNER", help="the account that should take over")
    command(owner_commands, "accept", admin.cmd_owner_accept, "accept ownership (signed by the proposed owner)")

    command(commands, "pause", admin.cmd_pause, "emergency stop: every verify fails until unpause (owner)")
    command(commands, "unpause", admin.cmd_unpause, "resume verification (owner)")

    settings = command(commands, "settings", None, "show or change the required audience and issuer allow-list")
    settings_commands = settings.add_subparsers(dest="settings_command", metavar="ACTION", required=True)
    command(settings_commands, "show", admin.cmd_settings_show, "show the settings")
    sub = command(settings_commands, "set", admin.cmd_settings_set, "change the settings (owner); unmentioned ones stay")
    sub.add_argument("--audience", help="require this aud in every token")
    sub.add_argument("--clear-audience", action="store_true", help="stop checking aud")
    sub.add_argument("--issuer", action="append", metavar="ISS", help="issuer allow-list entry (repeatable; replaces the list)")
    sub.add_argument("--clear-issuers", action="store_true", help="drop the issuer allow-list")

    sub = command(commands, "verify", dev.cmd_verify, "dry-run the guard's verify on a token",
                  "Ask the guard (as a view, so nothing is paid) whether it accepts TOKEN for PAYLOAD, or with "
                  "--via-router ask a JwtGuardRouter as FastAuth does. "
                  "Exit code 0 when accepted, 3 when rejected. Views report no gas; --as-transaction runs "
                  "verify as a transaction signed by --account and prints gas_burnt.")
    sub.add_argument("--token", required=True, metavar="JWT|@FILE", help="the token, or @file holding it")
    sub.add_argument("--payload", required=True, metavar="HEX|@FILE", help="sign_payload: hex, or @file of raw bytes")
    who = sub.add_mutually_exclusive_group()
    who.add_argument("--issuer", metavar="ISS", help="router-style call: the guard name (default: the token's iss)")
    who.add_argument("--guard-id", metavar="ID", help="FastAuth-style call with guard_id (e.g. jwt#ISS)")
    sub.add_argument("--predecessor", metavar="ID", help="the predecessor passed to verify (default --account)")
    sub.add_argument("--as-transaction", action="store_true", help="run verify in a transaction to measure gas")
    sub.add_argument("--via-router", metavar="ROUTER",
                     help="ask the JwtGuardRouter ROUTER as FastAuth does (guard_id jwt#ISS): a transaction signed "
                          "by --account, since the router calls the guard; --guard is not needed")

    sub = command(commands, "token", dev.cmd_token, "mint a signed TEST token (development only)",
                  "DEVELOPMENT HELPER: mint a JWT signed with a local private key (RS256 for RSA keys, EdDSA for "
                  "Ed25519 keys) whose fatxn claim is PAYLOAD as a JSON array of bytes. Real tokens come from "
                  "your identity provider.")
    sub.add_argument("--key", required=True, metavar="PRIVATE.pem", help="PEM private key (e.g. from keygen)")
    sub.add_argument("--issuer", required=True, metavar="ISS", help="iss claim")
    sub.add_argument("--sub", required=True, help="sub claim")
    sub.add_argument("--payload", required=True, metavar="HEX|@FILE", help="bytes for the fatxn claim")
    sub.add_argument("--kid", help="kid header")
    sub.add_argument("--aud", help="aud claim (default: --guard, the audience a guard deployed with defaults "
                                   "requires; --aud '' for none)")
    sub.add_argument("--exp-in", type=int, metavar="SECONDS", help="exp = iat + SECONDS (default 600; negative = expired)")
    sub.add_argument("--nbf", type=int, metavar="UNIX", help="nbf claim")
    sub.add_argument("--iat", type=int, metavar="UNIX", help="issue time (default now)")
    sub.add_argument("--claim", action="append", default=[], metavar="NAME=JSON", help="extra claim (repeatable)")

    sub = command(commands, "keygen", dev.cmd_keygen, "write a TEST key pair and its JWKS (development only)",
                  "DEVELOPMENT HELPER: write PREFIX.private.pem, PREFIX.public.pem and PREFIX.jwks.json.")
    sub.add_argument("--out", required=True, metavar="PREFIX", help="output path prefix")
    kind = sub.add_mutually_exclusive_group()
    kind.add_argument("--rsa-bits", type=int, choices=(2048, 3072, 4096), default=2048, help="RSA size (default 2048)")
    kind.add_argument("--ed25519", action="store_true", help="an Ed25519 (EdDSA) key instead of RSA")
    sub.add_argument("--kid", help="kid (default: the RFC 7638 thumbprint)")
    sub.add_argument("--force", action="store_true", help="overwrite existing files")

    fastauth.add_parsers(commands, command)
    tx_commands.add_parsers(commands, command)
    policy_commands.add_parsers(commands, command)
    verify_code.add_parsers(commands, command)
    return parser


def _load_config(path: Optional[str]) -> dict:
    explicit = path or os.environ.get("GUARDCTL_CONFIG")
    candidate = Path(explicit) if explicit else Path.cwd() / CONFIG_FILE_NAME
    if not candidate.is_file():
        if explicit:
            raise GuardctlError(f"config file {candidate} does not exist")
        return {}
    try:
        config = tomllib.loads(candidate.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise GuardctlError(f"{candidate} is not valid TOML: {err}") from None
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise GuardctlError(f"{candidate}: unknown setting(s) {', '.join(unknown)} (known: {', '.join(CONFIG_KEYS)})")
    return config


def make_context(args: argparse.Namespace) -> Context:
    config = _load_config(getattr(args, "config", None))

    def setting(name: str, default=None):
        if getattr(args, name, None) is not None:
            return getattr(args, name)
        return os.environ.get(f"GUARDCTL_{name.upper()}") or config.get(name) or default

    network = setting("network", DEFAULT_NETWORK)
    if network not in NETWORK_RPC:
        raise GuardctlError(f"unknown network {network!r} (choose from {', '.join(sorted(NETWORK_RPC))})")
    gas_tgas = getattr(args, "gas", None) or 300
    if not 1 <= gas_tgas <= 300:
        raise GuardctlError("--gas must be between 1 and 300 (Tgas)")
    progress = False if getattr(args, "quiet", False) else (True if getattr(args, "progress", False) else None)
    return Context(
        network=network,
        rpc_url=setting("rpc") or NETWORK_RPC[network],
        account=setting("account"),
        guard=setting("guard"),
        key_file=setting("key_file"),
        rpc_timeout=getattr(args, "rpc_timeout", None) or DEFAULT_RPC_TIMEOUT_S,
        gas=gas_tgas * GAS_PER_TGAS,
        out=Output(as_json=getattr(args, "json", False), progress=progress),
    )


# Options whose value is a kid or a thumbprint: either may start with '-'
# (base64url uses it), which argparse would otherwise take for an option.
KEY_ID_OPTIONS = ("--kid", "--retire")
# (command, action) whose positional argument is a kid or a thumbprint.
KEY_ID_POSITIONALS = (("keys", "remove"),)


def _option_table(parser: argparse.ArgumentParser, table: Optional[dict] = None) -> dict:
    """Every option string of the parser tree → whether it takes a value."""
    table = {} if table is None else table
    for action in parser._actions:
        for option in action.option_strings:
            table[option] = table.get(option, False) or action.nargs != 0
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _option_table(sub, table)
    return table


def _is_option(token: str, options: dict) -> bool:
    name = token.split("=", 1)[0] if token.startswith("--") else token
    return name in options or (token.startswith("--") and any(o.startswith(name) for o in options if o.startswith("--")))


def key_ids_as_values(argv: Sequence[str], options: dict) -> list[str]:
    """argv with every kid or thumbprint that starts with '-' bound to its option.

    `--kid -x3f…` becomes `--kid=-x3f…`, and the KID|THUMBPRINT of `keys remove`
    becomes `--kid=…` when it starts with '-'; a token that is one of guardctl's
    own options stays an option (`--kid=--json` names such a kid).
    """
    result: list[str] = []
    positionals: list[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        following = argv[index + 1] if index + 1 < len(argv) else None
        if token in KEY_ID_OPTIONS and following is not None and following.startswith("-") \
                and not _is_option(following, options):
            result.append(f"{token}={following}")
            index += 2
            continue
        if token.startswith("-") and tuple(positionals[:2]) in KEY_ID_POSITIONALS and not _is_option(token, options):
            result.append(f"--kid={token}")
        elif token.startswith("-"):
            result.append(token)
            if token in options and options[token] and following is not None:
                result.append(following)  # the option's value, e.g. `--guard ID`
                index += 1
        else:
            result.append(token)
            positionals.append(token)
        index += 1
    return result


def run(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(key_ids_as_values(argv, _option_table(parser)))
    ctx = make_context(args)
    handler = args.handler
    if inspect.iscoroutinefunction(handler):
        status = asyncio.run(handler(ctx, args))
    else:
        status = handler(ctx, args)
    return status or 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Console entry point: every failure becomes one error line."""
    debug = os.environ.get(DEBUG_ENV, "") not in ("", "0")
    try:
        return run(argv)
    except GuardctlError as err:
        if debug:
            traceback.print_exc()
        print(f"guardctl: error: {one_line(err)}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("guardctl: error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout closed early (e.g. `| head`): nothing left to tell anyone.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as err:  # the last line of defence: never a traceback
        if debug:
            traceback.print_exc()
        hint = "" if debug else f" (set {DEBUG_ENV}=1 for the traceback)"
        print(f"guardctl: error: unexpected {type(err).__name__}: {one_line(err)}{hint}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
