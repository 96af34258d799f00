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

from .commands import COMMAND_MODULES
from .amounts import GAS_PER_TGAS
from .chain import DEFAULT_RPC_TIMEOUT_S
from .context import Context
from .errors import GuardctlError, one_line
from .output import Output

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

    for module in COMMAND_MODULES:
        module.add_parsers(commands, command)
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
