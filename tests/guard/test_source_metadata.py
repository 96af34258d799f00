"""contract_source_metadata on the compiled guard: NEP-330 1.3.0 with build_info, cheap, off the verify path."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from bench.scenarios import METADATA_TARGET_TGAS, TGAS
from nearwasm.source_metadata import git_snapshot
from devkit.guard_chain import ALICE

REPO = Path(__file__).resolve().parents[2]
GUARD_SOURCE = (REPO / "contract" / "guard.py").read_text()


def _guard_constant(name: str) -> str:
    return re.search(rf'^{name} = "([^"]+)"$', GUARD_SOURCE, re.M).group(1)


def test_metadata_names_the_source_the_standards_and_the_build(env):
    metadata = env.view("contract_source_metadata")
    assert metadata["version"] == "0.1.0"
    assert metadata["link"].startswith("https://")
    assert metadata["standards"] == [
        {"standard": "nep330", "version": "1.3.0"},
        # the guard's NEP-297 events, as guard.py logs them
        {"standard": _guard_constant("EVENT_STANDARD"), "version": _guard_constant("EVENT_VERSION")},
    ]
    build_info = metadata["build_info"]
    assert set(build_info) == {"build_environment", "build_command", "contract_path", "source_code_snapshot",
                               "output_wasm_path"}
    assert build_info["contract_path"] == "contract"
    assert build_info["build_command"] == ["python", "-m", "nearwasm.build", "contract"]
    assert build_info["output_wasm_path"] == "contract/build/guard.wasm"
    for part in ("debian emscripten=", "nearc=", "near-sdk-py=", "runtime=patched-", "flags=sha256:"):
        assert part in build_info["build_environment"]
    # The checkout these tests run in: its commit, labelled uncommitted when its build inputs have changes.
    snapshot = git_snapshot(REPO / "contract")
    assert build_info["source_code_snapshot"] == snapshot.label(metadata["link"])


def test_metadata_costs_under_3_tgas(env):
    result = env.call(ALICE, "contract_source_metadata")
    assert result.succeeded
    assert env.method_gas(result) < METADATA_TARGET_TGAS * TGAS


def test_the_metadata_is_a_constant_of_contract_source_metadata_alone():
    # Every call re-imports guard.py: anything at module level, or another
    # frozen module, would make verify pay for the metadata.
    tree = ast.parse(GUARD_SOURCE)
    marked = [line for line in GUARD_SOURCE.splitlines() if line.rstrip().endswith("# nep330-metadata")]
    assert len(marked) == 1
    function = next(node for node in tree.body if isinstance(node, ast.FunctionDef)
                    and node.name == "contract_source_metadata")
    body_lines = GUARD_SOURCE.splitlines()[function.lineno - 1:function.end_lineno]
    assert marked[0] in body_lines
