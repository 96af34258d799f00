"""tx: the Borsh bytes of a NEAR transaction, built from a readable description.

FastAuth signs a Borsh-encoded `Transaction`, and the token's `fatxn` claim and
`verify`'s `sign_payload` are exactly those bytes. `guardctl tx` writes them
for one function call or one transfer, so `guardctl token --payload @tx.bin`
and `guardctl verify --payload @tx.bin` have something real to work with.
The bytes are encoded by localnet's Borsh code and read back with the
guard's own decoder (guard_core/txdecode.py) before they are written, so what
is printed is what the guard will see.
"""
from __future__ import annotations

import binascii
import json
from pathlib import Path

import base58
from guard_core import txdecode

from ..amounts import GAS_PER_TGAS, format_near, parse_near
from ..context import Context, check_account_id
from ..errors import GuardctlError

DEFAULT_CALL_TGAS = 30
YOCTO_SUFFIX = "yocto"


def add_parsers(commands, command) -> None:
    sub = command(commands, "tx", cmd_tx, "write the Borsh bytes of a transaction (FastAuth's sign_payload)",
                  "Build the Borsh bytes of a NEAR Transaction (V0) holding one function call (--call) or one "
                  "transfer (--transfer), write them to --out and print them as hex. --nonce and --block-hash "
                  "default to the signer's next nonce and the latest block on the network; --public-key to the "
                  "signer's key (--key-file, $GUARDCTL_PRIVATE_KEY or its credentials file). Give all three to "
                  "work offline.")
    sub.add_argument("--signer", required=True, metavar="ID", help="the transaction's signer_id (the user)")
    sub.add_argument("--receiver", required=True, metavar="ID", help="the transaction's receiver_id")
    action = sub.add_mutually_exclusive_group(required=True)
    action.add_argument("--call", metavar="METHOD", help="a FunctionCall of METHOD")
    action.add_argument("--transfer", metavar="NEAR", help=f"a Transfer of NEAR (or N{YOCTO_SUFFIX})")
    sub.add_argument("--args", metavar="JSON", default="{}", help="the call's JSON arguments (default {})")
    sub.add_argument("--deposit", metavar="NEAR", default="0",
                     help=f"the call's attached deposit in NEAR, or N{YOCTO_SUFFIX} (e.g. 1{YOCTO_SUFFIX}; default 0)")
    sub.add_argument("--call-gas", metavar="TGAS", type=int, default=DEFAULT_CALL_TGAS,
                     help=f"the call's gas in Tgas (default {DEFAULT_CALL_TGAS})")
    sub.add_argument("--public-key", metavar="ed25519:…", help="the signer's public key")
    sub.add_argument("--nonce", type=int, metavar="N", help="the transaction nonce")
    sub.add_argument("--block-hash", metavar="BASE58", help="a recent block hash")
    sub.add_argument("--out", required=True, metavar="FILE", help="where to write the bytes")


def _amount(text: str, option: str) -> int:
    try:
        if text.strip().endswith(YOCTO_SUFFIX):
            digits = text.strip()[: -len(YOCTO_SUFFIX)].strip()
            if not digits.isdigit():
                raise ValueError(f"not a yoctoNEAR amount: {text!r}")
            return int(digits)
        return parse_near(text)
    except ValueError as err:
        raise GuardctlError(f"{option}: {err}") from None


def _public_key(text: str) -> bytes:
    """'ed25519:BASE58' → Borsh PublicKey (key-type byte + 32 bytes)."""
    kind, _, data = text.partition(":")
    try:
        raw = base58.b58decode(data)
    except ValueError:
        raw = b""
    if kind != "ed25519" or len(raw) != 32:
        raise GuardctlError(f"--public-key {text!r} is not an ed25519:BASE58 public key")
    return b"\x00" + raw


def _block_hash(text: str) -> bytes:
    try:
        raw = base58.b58decode(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise GuardctlError(f"--block-hash {text!r} is not a base58 32-byte hash")
    return raw


def _action(args):
    from localnet.primitives import FunctionCall, Transfer

    if args.transfer is not None:
        return Transfer(_amount(args.transfer, "--transfer"))
    try:
        call_args = json.loads(args.args)
    except json.JSONDecodeError as err:
        raise GuardctlError(f"--args is not JSON: {err.msg} at character {err.pos}") from None
    if not 1 <= args.call_gas <= 300:
        raise GuardctlError("--call-gas must be between 1 and 300 (Tgas)")
    return FunctionCall(args.call, json.dumps(call_args, separators=(",", ":")).encode(),
                        args.call_gas * GAS_PER_TGAS, _amount(args.deposit, "--deposit"))


def _describe(decoded: dict) -> list[str]:
    lines = [f"Transaction V{decoded['version']}: {decoded['signer_id']} → {decoded['receiver_id']}, "
             f"nonce {decoded['nonce']}, block {base58.b58encode(bytes(decoded['block_hash'])).decode()}"]
    for action in decoded["actions"]:
        if action["kind"] == "FunctionCall":
            lines.append(f"  FunctionCall {action['method_name']}({bytes(action['args']).decode()}), "
                         f"gas {action['gas'] // GAS_PER_TGAS} Tgas, deposit {action['deposit']} yocto")
        else:
            lines.append(f"  Transfer {format_near(action['deposit'])} ({action['deposit']} yocto)")
    return lines


async def cmd_tx(ctx: Context, args) -> None:
    from localnet import borsh
    from localnet.primitives import Transaction

    signer = check_account_id(args.signer, "--signer")
    receiver = check_account_id(args.receiver, "--receiver")
    action = _action(args)
    public_key = args.public_key or ctx.identity(signer).public_key
    nonce, block_hash = args.nonce, args.block_hash
    if nonce is None or block_hash is None:
        async with ctx.chain() as chain:
            if nonce is None:
                found = await chain.rpc("query", {"request_type": "view_access_key", "finality": "final",
                                                  "account_id": signer, "public_key": public_key},
                                        f"cannot read {signer}'s access key {public_key} (pass --nonce)")
                nonce = int(found["nonce"]) + 1
            if block_hash is None:
                block = await chain.rpc("block", {"finality": "final"}, "cannot read the latest block")
                block_hash = block["header"]["hash"]
    if not 0 <= nonce < 2**64:
        raise GuardctlError("--nonce must be between 0 and 2^64 - 1")
    transaction = Transaction(signer, _public_key(public_key), nonce, receiver, _block_hash(block_hash), (action,))
    data = borsh.encode_transaction(transaction)
    decoded, error = txdecode.decode_payload(data)
    if error is not None:  # both sides are this project's code: a bug, not a user error
        raise GuardctlError(f"the guard's decoder refuses the bytes built: {error}")
    try:
        Path(args.out).expanduser().write_bytes(data)
    except OSError as err:
        raise GuardctlError(f"cannot write {args.out}: {err.strerror}") from None
    hex_text = binascii.hexlify(data).decode()
    ctx.out.result({"path": str(args.out), "size": len(data), "hex": hex_text,
                    "transaction": {"signer_id": signer, "public_key": public_key, "nonce": nonce,
                                    "receiver_id": receiver, "block_hash": block_hash,
                                    "actions": [{key: (bytes(value).decode() if key == "args" else value)
                                                 for key, value in item.items()} for item in decoded["actions"]]}},
                   [*_describe(decoded), f"{len(data)} bytes written to {args.out}", hex_text])

