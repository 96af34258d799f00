"""`localnet run`: the embedded NEAR node as a server, shaped like near-sandbox.

    localnet run [--port 3030] [--host 127.0.0.1] [--home DIR] [--block-time 1] [--min-block-time 0.1]

The home directory holds the chain's state (kept across restarts) and
`validator_key.json` with the root account's key, in near-sandbox's format,
so tools that read a sandbox home read this one too.  One line on stdout
says where the RPC listens (with `--port 0` that is the port the OS chose);
request logs go to stderr.  SIGINT and SIGTERM stop it cleanly.  Blocks come
on a clock, as on a node: every `--block-time` seconds when idle, every
`--min-block-time` while transactions are being processed.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Optional, Sequence

import base58
from nacl.signing import SigningKey

from .chain.producer import DEFAULT_BLOCK_TIME_S, DEFAULT_MIN_BLOCK_TIME_S

ROOT_ACCOUNT_ID = "test.near"
ROOT_BALANCE = 10**33
VALIDATOR_KEY_FILE = "validator_key.json"
DEFAULT_HOME = Path.home() / ".localnet"

log = logging.getLogger("localnet")


def load_or_create_validator_key(home: Path, account_id: str = ROOT_ACCOUNT_ID) -> dict:
    """Read `home/validator_key.json`, creating it with a fresh ed25519 key the first time.

    The secret is near-sandbox's 64-byte form (seed followed by public key) in base58.
    """
    path = home / VALIDATOR_KEY_FILE
    if path.exists():
        key = json.loads(path.read_text())
        secret = base58.b58decode(key["secret_key"].removeprefix("ed25519:"))
        if len(secret) != 64 or bytes(SigningKey(secret[:32]).verify_key) != secret[32:]:
            raise SystemExit(f"localnet: {path} holds an invalid ed25519 secret key")
        return key
    signing_key = SigningKey.generate()
    public = bytes(signing_key.verify_key)
    key = {
        "account_id": account_id,
        "public_key": "ed25519:" + base58.b58encode(public).decode(),
        "secret_key": "ed25519:" + base58.b58encode(bytes(signing_key) + public).decode(),
    }
    home.mkdir(parents=True, exist_ok=True)
    # The secret key guards a billion (test) NEAR; keep it private like near-sandbox.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(key, out)
    return key


def open_chain(home: Path, key: dict):
    from .chain import Chain

    root_public_key = b"\x00" + base58.b58decode(key["public_key"].removeprefix("ed25519:"))
    chain = Chain(
        home,
        root_account_id=key["account_id"],
        root_public_key=root_public_key,
        root_balance=ROOT_BALANCE,
    )
    # A reopened home keeps its genesis; a key file from elsewhere would not sign for it.
    if (chain.root_account_id, chain.root_public_key) != (key["account_id"], root_public_key):
        chain.close()
        raise SystemExit(
            f"localnet: {home / VALIDATOR_KEY_FILE} is not the key of the chain in {home} "
            f"(root {chain.root_account_id}); restore the original file or use a new --home"
        )
    return chain


def run(args: argparse.Namespace) -> int:
    from .rpc.server import RpcServer

    if not args.block_time > 0 or not args.min_block_time >= 0:
        print("localnet: --block-time must be positive and --min-block-time not negative", file=sys.stderr)
        return 2
    home = Path(args.home).expanduser().resolve()
    key = load_or_create_validator_key(home)
    chain = open_chain(home, key)
    try:
        server = RpcServer(chain, args.host, args.port, block_time=args.block_time, min_block_time=args.min_block_time)
    except OSError as err:
        print(f"localnet: cannot listen on {args.host}:{args.port}: {err.strerror}", file=sys.stderr)
        return 1

    stop = threading.Event()

    def request_stop(signum, _frame) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    server.start()
    print(
        f"localnet: RPC listening on {server.url} (home {home}, root {key['account_id']})",
        flush=True,
    )
    # Wake up periodically: Event.wait is not interrupted by signals on every platform.
    while not stop.wait(0.5):
        pass
    server.shutdown()
    close = getattr(chain, "close", None)
    if callable(close):
        with server.methods.lock:
            close()
    log.info("stopped")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="localnet", description="An embedded NEAR node for development and tests.")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="serve NEAR JSON-RPC from a home directory")
    run_parser.add_argument("--port", type=int, default=3030, help="RPC port; 0 picks a free one (default 3030)")
    run_parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    run_parser.add_argument("--home", default=str(DEFAULT_HOME), help=f"state and key directory (default {DEFAULT_HOME})")
    run_parser.add_argument("--block-time", type=float, default=DEFAULT_BLOCK_TIME_S, metavar="SECONDS",
                            help=f"a block at least this often, idle or not (default {DEFAULT_BLOCK_TIME_S:g})")
    run_parser.add_argument("--min-block-time", type=float, default=DEFAULT_MIN_BLOCK_TIME_S, metavar="SECONDS",
                            help="the shortest time between blocks while transactions or receipts wait "
                                 f"(default {DEFAULT_MIN_BLOCK_TIME_S:g})")
    run_parser.add_argument("--quiet", action="store_true", help="log only warnings, not every request")
    run_parser.set_defaults(handler=run)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if getattr(args, "quiet", False) else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
