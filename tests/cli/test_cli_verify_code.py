"""guardctl verify-code: a deployed guard against this checkout, on the embedded node.

The match and bytes cases need a checkout whose build inputs are committed
(`make test` on a clean clone, CI); on a checkout with uncommitted changes the
guard's build is labelled `uncommitted:` and verify-code must say it cannot be
reproduced, which the same tests then hold instead.
"""
from __future__ import annotations

import hashlib

import base58
import pytest

from tests.cli.cli_support import REPO_ROOT, deploy_contract, unique_name, with_custom_section
from nearwasm import build as builder
from nearwasm import source_metadata
from guardctl.commands.verify_code import compare
from guardctl.errors import GuardctlError
from nearwasm.source_metadata import Snapshot, git_snapshot

GUARD_ENTRY = REPO_ROOT / "contract" / "guard.py"
OTHER_COMMIT = "f" * 40


def code_hash(wasm: bytes) -> str:
    return base58.b58encode(hashlib.sha256(wasm).digest()).decode()


@pytest.fixture(scope="module")
def checkout() -> Snapshot:
    return git_snapshot(REPO_ROOT / "contract")


def deploy(guardctl, root, owner, test_keys, wasm_path) -> tuple[str, str]:
    """`guardctl deploy --create` of `wasm_path`; (guard id, its stdout)."""
    guard = f"{unique_name('guard')}.{root.account_id}"
    out = guardctl.ok("--account", root.account_id, "--guard", guard, "deploy", "--create",
                      "--owner", owner.account_id, "--keys", test_keys["rsa1"]["jwks_json"],
                      "--wasm", str(wasm_path)).stdout
    return guard, out


def test_a_guard_deployed_from_the_checkout_matches(guardctl, root, owner, test_keys, guard_wasm, checkout):
    guard, out = deploy(guardctl, root, owner, test_keys, guard_wasm)
    deployed_hash = code_hash(guard_wasm.read_bytes())
    assert f"code hash {deployed_hash}" in out  # deploy prints the hash it deployed
    run = guardctl.raw("--account", guard, "verify-code")
    if checkout.clean:
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == (f"match: {guard} runs code hash {deployed_hash}, the build of commit "
                                      f"{checkout.commit[:12]} (contract) with the recorded toolchain")
    else:
        assert run.returncode == 3, run.stderr
        assert run.stdout.startswith(f"differs: commit: {guard} was built from uncommitted changes "
                                     f"(uncommitted:{checkout.commit})")
    assert len(run.stdout.splitlines()) == 1


def test_other_bytes_under_the_same_metadata_are_named(guardctl, root, owner, test_keys, guard_wasm, checkout,
                                                       tmp_path):
    # Same metadata (the custom section changes no code), other bytes: what a
    # deployer claiming this commit for code built from a modified source gives.
    forged = tmp_path / "forged.wasm"
    forged.write_bytes(with_custom_section(guard_wasm.read_bytes(), "extra", b"not from this source"))
    guard, _ = deploy(guardctl, root, owner, test_keys, forged)
    run = guardctl.raw("--guard", guard, "verify-code", "--json")
    assert run.returncode == 3, run.stderr
    result = run.json()
    assert result["match"] is False and result["code_hash"] == code_hash(forged.read_bytes())
    if checkout.clean:
        assert result["result"] == (
            f"differs: bytes: {guard} runs code hash {code_hash(forged.read_bytes())}, commit {checkout.commit[:12]} "
            f"builds {code_hash(guard_wasm.read_bytes())} with the same toolchain: the deployed code is not this source")
    else:
        assert result["result"].startswith("differs: commit:")


def test_a_guard_built_from_another_commit_is_refused_naming_both(guardctl, root, owner, test_keys, tmp_path,
                                                                  monkeypatch, checkout):
    # A real build whose metadata records another commit (only the frozen
    # metadata module differs, so this recompiles in seconds).
    monkeypatch.setattr(source_metadata, "git_snapshot",
                        lambda folder: Snapshot(OTHER_COMMIT, True, "contract"))
    other = builder.build_contract(GUARD_ENTRY, tmp_path / "other.wasm").path
    monkeypatch.undo()
    guard, _ = deploy(guardctl, root, owner, test_keys, other)
    run = guardctl.fails("--account", guard, "verify-code")
    assert run.stderr.strip() == (f"guardctl: error: commit differs: {guard} was built from {OTHER_COMMIT}, the "
                                  f"checkout is at {checkout.commit}; run 'git checkout {OTHER_COMMIT}' and try again")


def test_code_without_build_info_is_named(guardctl, make_account, router_wasm):
    # The router is built without [tool.guardctl] source-metadata: nearc's
    # minimal metadata, no build_info.
    account = make_account("plain", 10)
    deploy_contract(guardctl.rpc_url, account, router_wasm.read_bytes(), {"owner": account.account_id})
    run = guardctl.raw("--account", account.account_id, "verify-code")
    assert run.returncode == 3, run.stderr
    assert run.stdout.startswith(f"differs: build info: {account.account_id}'s contract_source_metadata records "
                                 f"no NEP-330 build_info")


def test_usage_errors_are_one_line(guardctl, guard):
    run = guardctl.fails("--account", "a.test.near", "--guard", guard, "verify-code")
    assert "not both" in run.stderr
    run = guardctl.fails("--guard", guard, "verify-code", "--contract", "/nonexistent/guard.py")
    assert "does not exist" in run.stderr
    run = guardctl.fails("--guard", "nobody-here.test.near", "verify-code")
    assert "does not exist" in run.stderr


# --- the comparison itself, for what a single machine cannot deploy (another toolchain) ---

COMMIT = "a" * 40
ENVIRONMENT = "debian emscripten=3.1.6~dfsg-5; nearc=0.8.8; runtime=patched-0123; flags=sha256:00"


def _metadata(snapshot=f"git+https://example.org/r?rev={COMMIT}", environment=ENVIRONMENT,
              command=("python", "-m", "nearwasm.build", "contract")):
    return {"build_info": {"build_environment": environment, "build_command": list(command),
                           "contract_path": "contract", "source_code_snapshot": snapshot}}


def _never_built():
    raise AssertionError("nothing to rebuild when the metadata already differs")


def test_compare_names_a_toolchain_difference_before_building():
    matched, line = compare("g.near", "HASH", _metadata(environment=ENVIRONMENT.replace("0.8.8", "0.9.0")),
                            Snapshot(COMMIT, True, "contract"), _metadata(), _never_built)
    assert not matched
    assert line == ("differs: toolchain: g.near was built with another toolchain (nearc 0.9.0 -> 0.8.8); "
                    "this machine cannot reproduce its bytes (code hash HASH)")


def test_compare_names_a_build_command_difference():
    matched, line = compare("g.near", "HASH", _metadata(command=("python", "-m", "nearwasm.build", "contract",
                                                                 "--cflag=-DX=1")),
                            Snapshot(COMMIT, True, "contract"), _metadata(), _never_built)
    assert not matched and line.startswith("differs: build command: g.near was built with")


def test_compare_refuses_a_dirty_checkout_or_none():
    with pytest.raises(GuardctlError, match="uncommitted changes"):
        compare("g.near", "HASH", _metadata(), Snapshot(COMMIT, False, "contract"), _metadata(), _never_built)
    with pytest.raises(GuardctlError, match="not in a git repository"):
        compare("g.near", "HASH", _metadata(), Snapshot(None, False, "contract"), _metadata(), _never_built)


def test_compare_matches_equal_bytes():
    matched, line = compare("g.near", "HASH", _metadata(), Snapshot(COMMIT, True, "contract"), _metadata(),
                            lambda: "HASH")
    assert matched and line.startswith("match: g.near runs code hash HASH, the build of commit aaaaaaaaaaaa")
