"""verify-code: is the code deployed on an account this checkout's source, byte for byte?

Reads the account's code hash (view_account) and its NEP-330
`contract_source_metadata`, checks that the checkout is at the commit the
metadata records and has no changes to the build inputs, rebuilds (cached) and
compares. One line: `match: ...`, or `differs: <what>: ...` (exit code 3).
A checkout that cannot answer (another commit, uncommitted changes, not a git
repository) is refused with an error line (exit code 1).
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Optional

from nearwasm import build
from nearwasm.source_metadata import commit_of, git_snapshot

from ..chain import code_hash_of
from ..context import Context, check_account_id
from ..errors import GuardctlError
from ..wasm import DEFAULT_CONTRACT, build_wasm

EXIT_DIFFERS = 3  # the comparison ran and the deployed code is not this source


def add_parsers(commands, command) -> None:
    """Add `verify-code` to guardctl's parser (called by cli.build_parser)."""
    sub = command(commands, "verify-code", cmd_verify_code, "check that a deployed guard is this checkout's source",
                  "Read the account's code hash and its NEP-330 contract_source_metadata, rebuild the recorded "
                  "commit from this checkout (which must be at that commit, without changes) and print one line: "
                  "'match', or what differs (commit, toolchain, build command, bytes). Exit code 0 on a match, "
                  "3 when something differs. The account is --guard, or --account given on the command line "
                  "(verify-code signs nothing).")
    sub.add_argument("--contract", default=str(DEFAULT_CONTRACT), help="the contract entry module to rebuild")


def _target(ctx: Context, args) -> str:
    explicit_account = getattr(args, "account", None)  # only set when given on the command line
    explicit_guard = getattr(args, "guard", None)
    if explicit_account and explicit_guard and explicit_account != explicit_guard:
        raise GuardctlError("verify-code checks one account: pass --guard or --account, not both")
    if explicit_account:
        return check_account_id(explicit_account, "--account")
    return ctx.require_guard()


def _environment_difference(deployed: str, local: str) -> str:
    """The toolchain parts that differ, as `name deployed -> local`."""
    def parts(text: str) -> dict[str, str]:
        items = {}
        for part in text.split("; "):
            name, _, value = part.rpartition("=")
            items[name or part] = value
        return items

    theirs, ours = parts(deployed), parts(local)
    changed = [f"{name} {theirs.get(name, '(none)')} -> {ours.get(name, '(none)')}"
               for name in sorted(set(theirs) | set(ours)) if theirs.get(name) != ours.get(name)]
    return ", ".join(changed)


def compare(account: str, deployed_hash: str, metadata, local_snapshot, local_metadata: dict,
            local_code_hash) -> tuple[bool, str]:
    """(match, line) for what the account runs against this checkout.

    `local_snapshot` is nearwasm.source_metadata.git_snapshot of the contract
    folder, `local_metadata` the metadata this checkout's build carries, and
    `local_code_hash()` rebuilds and returns the code hash, called only when
    everything before the bytes agrees.  A checkout that cannot reproduce the
    recorded commit raises GuardctlError.
    """
    build_info = metadata.get("build_info") if isinstance(metadata, dict) else None
    if not isinstance(build_info, dict) or not isinstance(build_info.get("source_code_snapshot"), str):
        return False, (f"differs: build info: {account}'s contract_source_metadata records no NEP-330 build_info, "
                       f"so no source can be shown to be its code (code hash {deployed_hash})")
    snapshot = build_info["source_code_snapshot"]
    recorded = commit_of(snapshot)
    if recorded is None:
        return False, (f"differs: commit: {account} was built from uncommitted changes ({snapshot}), "
                       f"which no checkout can reproduce (code hash {deployed_hash})")
    if local_snapshot.commit is None:
        raise GuardctlError(f"the contract folder is not in a git repository; verify-code needs a checkout "
                            f"of commit {recorded}")
    if local_snapshot.commit != recorded:
        raise GuardctlError(f"commit differs: {account} was built from {recorded}, the checkout is at "
                            f"{local_snapshot.commit}; run 'git checkout {recorded}' and try again")
    if not local_snapshot.clean:
        raise GuardctlError(f"the checkout has uncommitted changes to the guard's build inputs; commit or stash "
                            f"them to rebuild {recorded}")
    local_info = local_metadata["build_info"]
    if build_info.get("build_environment") != local_info["build_environment"]:
        difference = _environment_difference(str(build_info.get("build_environment")), local_info["build_environment"])
        return False, (f"differs: toolchain: {account} was built with another toolchain ({difference}); "
                       f"this machine cannot reproduce its bytes (code hash {deployed_hash})")
    if build_info.get("build_command") != local_info["build_command"] or \
            build_info.get("contract_path") != local_info["contract_path"]:
        return False, (f"differs: build command: {account} was built with {build_info.get('build_command')} in "
                       f"{build_info.get('contract_path')!r}, this checkout builds with {local_info['build_command']} "
                       f"in {local_info['contract_path']!r}")
    local_hash = local_code_hash()
    if local_hash != deployed_hash:
        return False, (f"differs: bytes: {account} runs code hash {deployed_hash}, commit {recorded[:12]} "
                       f"builds {local_hash} with the same toolchain: the deployed code is not this source")
    return True, (f"match: {account} runs code hash {deployed_hash}, the build of commit {recorded[:12]} "
                  f"({local_info['contract_path'] or '.'}) with the recorded toolchain")


async def cmd_verify_code(ctx: Context, args) -> Optional[int]:
    account = _target(ctx, args)
    contract = Path(args.contract)
    if not contract.is_file():
        raise GuardctlError(f"contract entry module {contract} does not exist")
    async with ctx.chain() as chain:
        state = await ctx.check_guard(chain, account)
        deployed_hash = state["code_hash"]
        try:
            metadata = await chain.view(account, "contract_source_metadata")
        except GuardctlError:
            metadata = None  # no such method, or it panics: reported as missing build info

    metadata_text = build.contract_metadata(contract, build.build_settings(contract))
    if metadata_text is None:
        raise GuardctlError(f"{contract} publishes no NEP-330 build info ([tool.guardctl] source-metadata)")

    def local_code_hash() -> str:
        with tempfile.TemporaryDirectory(prefix="guardctl-verify-code-") as folder:
            result = build_wasm(ctx, contract, Path(folder) / "rebuilt.wasm")
            return code_hash_of(Path(result.path).read_bytes())

    matched, line = compare(account, deployed_hash, metadata, git_snapshot(contract.resolve().parent),
                            json.loads(metadata_text), local_code_hash)
    ctx.out.result({"account": account, "match": matched, "code_hash": deployed_hash, "metadata": metadata,
                    "result": line}, line)
    return 0 if matched else EXIT_DIFFERS
