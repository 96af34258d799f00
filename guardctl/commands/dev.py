"""verify (a dry run of the guard's verdict), token and keygen (test helpers)."""
from __future__ import annotations

import json

from typing import Optional

import jwt

from ..context import Context, check_account_id
from ..dev_tools import generate_key_pair, mint_token
from ..errors import GuardctlError
from ..inputs import file_hint, read_payload, read_token
from ..reports import gas_line
from ..router import check_guard_name, registered_guard
from ..times import format_time

EXIT_REJECTED = 3  # verify ran fine and the guard said no
DRY_RUN_PREDECESSOR = "guardctl.dry-run"


def _no_issuer(token: str, option: str) -> GuardctlError:
    if token.count(".") != 2:
        return GuardctlError(f"--token {token[:40]!r} is not a JWT (three base64url parts joined by '.')"
                             f"{file_hint(token)}")
    return GuardctlError(f"the token has no readable iss; pass {option}")


def _unverified(token: str) -> tuple[Optional[dict], Optional[dict]]:
    """Header and claims as the token states them (not checked), or None each."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return None, None
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return header, None
    return header, claims if isinstance(claims, dict) else None


def _claim_lines(header, claims, payload: bytes) -> list[str]:
    if header is None:
        return ["token: not a decodable JWT"]
    lines = [f"token header: alg={header.get('alg')} kid={header.get('kid', '-')}"]
    if claims is not None:
        exp = claims.get("exp")
        exp_text = format_time(exp) if isinstance(exp, int) else repr(exp)
        lines.append(f"token claims: iss={claims.get('iss')!r} sub={claims.get('sub')!r} exp={exp_text}"
                     + (f" aud={claims.get('aud')!r}" if "aud" in claims else ""))
        fatxn = claims.get("fatxn")
        if isinstance(fatxn, list) and fatxn != list(payload):
            lines.append("note: the token's fatxn differs from --payload (the guard will reject it)")
    return lines


async def _verify_via_router(ctx: Context, args, token: str, payload: bytes, header, claims) -> int:
    """ROUTER.verify as FastAuth calls it: a transaction (the router calls the guard
    and answers in a callback, which a view cannot do)."""
    router = check_account_id(args.via_router, "--via-router")
    issuer = args.issuer or (claims or {}).get("iss")
    if not isinstance(issuer, str):
        raise _no_issuer(token, "--issuer ISS (the guard's name on the router)")
    check_guard_name(issuer)
    identity = ctx.identity()
    predecessor = args.predecessor or identity.account_id
    check_account_id(predecessor, "--predecessor")
    call_args = {"guard_id": f"jwt#{issuer}", "verify_payload": token, "sign_payload": list(payload),
                 "predecessor": predecessor}
    async with ctx.chain() as chain:
        await chain.check_signer(identity)
        guard = await registered_guard(chain, router, issuer)
        if guard is None:
            raise GuardctlError(f"{router} has no guard named {issuer!r} (guardctl register adds it)")
        ctx.out.progress(f"calling {router}.verify (guard {guard}) as {identity.account_id}")
        report = await chain.call(identity, router, "verify", call_args, gas=ctx.gas)
        verdict = report.return_json()
        # The router answers [true, sub, guard name] or [false, "", ""]: the
        # guard's reason stays behind, so ask the guard itself for it.
        reason = None
        if isinstance(verdict, list) and verdict and verdict[0] is False:
            direct = await chain.view(guard, "verify", {"issuer": issuer, "jwt": token, "sign_payload": list(payload),
                                                        "predecessor": predecessor})
            reason = direct[1] if isinstance(direct, list) and len(direct) == 2 else None
        now = await chain.block_time()
    if not (isinstance(verdict, list) and len(verdict) == 3 and isinstance(verdict[0], bool)):
        raise GuardctlError(f"{router}.verify returned {verdict!r}, not [bool, sub, guard name]: is it a JwtGuardRouter?")
    accepted = verdict[0]
    lines = [f"{'ACCEPTED' if accepted else 'REJECTED'} by {router}: "
             + (f"sub={verdict[1]} (guard name {verdict[2]!r})" if accepted
                else f"the router reports no reason; {guard} says: {reason}"),
             f"router {router} → guard {guard}, guard_id jwt#{issuer}, chain time {format_time(now)}",
             *_claim_lines(header, claims, payload), gas_line("router verify (transaction)", report)]
    ctx.out.result({"router": router, "guard": guard, "guard_id": f"jwt#{issuer}", "accepted": accepted,
                    "router_answer": verdict, "guard_reason": reason, "chain_time": now, "header": header,
                    "claims": claims, "mode": "router transaction", "gas_burnt": report.gas_burnt,
                    "transaction": report.as_json()}, lines)
    return 0 if accepted else EXIT_REJECTED


async def cmd_verify(ctx: Context, args) -> int:
    token = read_token(args.token)
    if args.via_router:
        if args.guard_id is not None or args.as_transaction:
            raise GuardctlError("--via-router sends its own transaction through the router; "
                                "it goes without --guard-id and --as-transaction")
        payload = read_payload(args.payload)
        header, claims = _unverified(token)
        return await _verify_via_router(ctx, args, token, payload, header, claims)
    guard = ctx.require_guard()
    payload = read_payload(args.payload)
    header, claims = _unverified(token)
    if args.guard_id is not None:
        call_args = {"guard_id": args.guard_id, "verify_payload": token}
        issuer = args.guard_id.partition("#")[2] if "#" in args.guard_id else args.guard_id
    else:
        issuer = args.issuer or (claims or {}).get("iss")
        if not isinstance(issuer, str):
            raise _no_issuer(token, "--issuer ISS or --guard-id ID")
        call_args = {"issuer": issuer, "jwt": token}
    identity = ctx.identity() if args.as_transaction else None
    # FastAuth passes its caller as predecessor; plain JWT checks ignore it.
    predecessor = args.predecessor or (identity.account_id if identity else ctx.account) or DRY_RUN_PREDECESSOR
    check_account_id(predecessor, "--predecessor")
    call_args.update({"sign_payload": list(payload), "predecessor": predecessor})

    async with ctx.chain() as chain:
        await ctx.check_guard(chain, guard)
        report = None
        if identity is not None:
            await chain.check_signer(identity)
            report = await chain.call(identity, guard, "verify", call_args, gas=ctx.gas)
            verdict = report.return_json()
        else:
            verdict = await chain.view(guard, "verify", call_args)
        now = await chain.block_time()
    # FastAuth's argument set (--guard-id) is answered [ok, sub_or_reason, guard name or ""].
    size = 3 if args.guard_id is not None else 2
    if not (isinstance(verdict, list) and len(verdict) == size and isinstance(verdict[0], bool)):
        raise GuardctlError(f"{guard}.verify returned {verdict!r}, not [bool, str{', str' * (size - 2)}]: "
                            "is it a JWT guard?")
    accepted, detail = verdict[:2]
    lines = [f"{'ACCEPTED' if accepted else 'REJECTED'}: {'sub=' + detail if accepted else detail}",
             f"guard {guard}, expected issuer {issuer!r}, chain time {format_time(now)}",
             *_claim_lines(header, claims, payload)]
    data = {"guard": guard, "accepted": accepted, "sub" if accepted else "reason": detail,
            "arguments": {k: v for k, v in call_args.items() if k not in ("sign_payload", "jwt", "verify_payload")},
            "chain_time": now, "header": header, "claims": claims,
            "mode": "transaction" if report else "view", "gas_burnt": report.gas_burnt if report else None}
    if report:
        data["transaction"] = report.as_json()
        lines.append(gas_line("verify as a transaction", report))
    else:
        lines.append("gas: NEAR's RPC does not report gas for views; --as-transaction runs it as a "
                     "transaction and prints gas_burnt")
    ctx.out.result(data, lines)
    return 0 if accepted else EXIT_REJECTED


def _extra_claims(pairs: list[str]) -> dict:
    claims = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name:
            raise GuardctlError(f"--claim {pair!r}: expected NAME=JSON")
        try:
            claims[name] = json.loads(value)
        except json.JSONDecodeError:
            claims[name] = value  # a bare word is a string claim
    return claims


def cmd_token(ctx: Context, args) -> None:
    payload = read_payload(args.payload)
    if args.exp_in is not None and args.exp_in == 0:
        raise GuardctlError("--exp-in must not be 0")
    token, header, claims = mint_token(
        args.key, issuer=args.issuer, subject=args.sub, payload=payload, kid=args.kid,
        audience=(args.aud if args.aud is not None else ctx.guard) or None,
        expires_in=args.exp_in if args.exp_in is not None else 600, not_before=args.nbf,
        extra_claims=_extra_claims(args.claim), now=args.iat)
    ctx.out.result({"token": token, "header": header, "claims": claims}, token)


def cmd_keygen(ctx: Context, args) -> None:
    written = generate_key_pair(args.out, ed25519_key=args.ed25519, rsa_bits=args.rsa_bits, kid=args.kid,
                                overwrite=args.force)
    ctx.out.result(written, [f"{written['alg']} key pair, kid {written['kid']}:",
                             f"  private key (keep secret)  {written['private_pem']}",
                             f"  public key                 {written['public_pem']}",
                             f"  JWKS                       {written['jwks_json']}"])


def add_parsers(commands, command) -> None:
    """verify, token, keygen."""
    sub = command(commands, "verify", cmd_verify, "dry-run the guard's verify on a token",
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

    sub = command(commands, "token", cmd_token, "mint a signed TEST token (development only)",
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

    sub = command(commands, "keygen", cmd_keygen, "write a TEST key pair and its JWKS (development only)",
                  "DEVELOPMENT HELPER: write PREFIX.private.pem, PREFIX.public.pem and PREFIX.jwks.json.")
    sub.add_argument("--out", required=True, metavar="PREFIX", help="output path prefix")
    kind = sub.add_mutually_exclusive_group()
    kind.add_argument("--rsa-bits", type=int, choices=(2048, 3072, 4096), default=2048, help="RSA size (default 2048)")
    kind.add_argument("--ed25519", action="store_true", help="an Ed25519 (EdDSA) key instead of RSA")
    sub.add_argument("--kid", help="kid (default: the RFC 7638 thumbprint)")
    sub.add_argument("--force", action="store_true", help="overwrite existing files")
