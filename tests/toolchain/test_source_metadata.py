"""NEP-330 metadata of a build (nearwasm.source_metadata): labels, purity, what counts as a build input."""
from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path

import pytest

from nearwasm import build as builder
from nearwasm import source_metadata
from nearwasm.source_metadata import Snapshot, commit_of, git_snapshot

REPO = Path(__file__).resolve().parents[2]
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(folder), "GIT_AUTHOR_NAME": "t",
                               "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@t"}).stdout.strip()


@pytest.fixture
def repo(tmp_path) -> Path:
    """A repository with a contract folder in `contract/`, committed."""
    contract = tmp_path / "contract"
    (contract / "runtime").mkdir(parents=True)
    (contract / "guard.py").write_text("X = 1\n")
    (contract / "pyproject.toml").write_text("[project]\nversion = '1.0.0'\n")
    (contract / "runtime" / "01.patch").write_text("patch\n")
    (contract / "runtime" / "README.md").write_text("docs\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


def test_a_clean_checkout_is_labelled_with_its_commit(repo):
    snapshot = git_snapshot(repo / "contract")
    assert snapshot == Snapshot(git(repo, "rev-parse", "HEAD"), True, "contract")
    assert snapshot.label("https://example.org/r") == f"git+https://example.org/r?rev={snapshot.commit}"
    assert commit_of(snapshot.label("https://example.org/r")) == snapshot.commit


@pytest.mark.parametrize("change", [
    lambda c: (c / "guard.py").write_text("X = 2\n"),                 # a source edited
    lambda c: (c / "extra.py").write_text("Y = 1\n"),                 # an untracked module nearc would freeze
    lambda c: (c / "guard.py").unlink(),                              # a source deleted
    lambda c: (c / "pyproject.toml").write_text("[project]\n"),       # the contract's settings
    lambda c: (c / "runtime" / "01.patch").write_text("other\n"),     # a runtime patch
])
def test_changed_build_inputs_make_the_build_uncommitted(repo, change):
    change(repo / "contract")
    snapshot = git_snapshot(repo / "contract")
    assert not snapshot.clean
    label = snapshot.label("https://example.org/r")
    assert label == "uncommitted:" + git(repo, "rev-parse", "HEAD")
    assert commit_of(label) is None  # verify-code never takes it for a snapshot


def test_changes_that_cannot_reach_the_wasm_keep_the_build_clean(repo):
    (repo / "contract" / "runtime" / "README.md").write_text("more docs\n")
    (repo / "contract" / "NOTES.md").write_text("x\n")
    (repo / "contract" / "build").mkdir()
    (repo / "contract" / "build" / "out.py").write_text("generated\n")
    (repo / "README.md").write_text("elsewhere\n")
    assert git_snapshot(repo / "contract").clean


def test_outside_git_the_build_is_uncommitted(tmp_path):
    (tmp_path / "guard.py").write_text("X = 1\n")
    snapshot = git_snapshot(tmp_path)
    assert snapshot.commit is None and snapshot.label("l") == "uncommitted:none"


def test_the_callers_git_environment_does_not_leak_in(repo, monkeypatch):
    monkeypatch.setenv("GIT_DIR", "/dev/null")  # what the builder sets for nearc
    assert git_snapshot(repo / "contract").clean


def test_metadata_is_nep330_1_3_and_a_pure_function_of_its_inputs():
    config = source_metadata.MetadataConfig("0.1.0", "https://example.org/r",
                                            (("jwt_guard", "1.0.0"),))
    snapshot = Snapshot(COMMIT, True, "contract")
    text = source_metadata.metadata_json(config, snapshot, "env", ["python", "-m", "nearwasm.build", "contract"],
                                         "contract/build/guard.wasm")
    assert text == source_metadata.metadata_json(config, snapshot, "env", ["python", "-m", "nearwasm.build", "contract"],
                                                 "contract/build/guard.wasm")
    assert json.loads(text) == {
        "version": "0.1.0",
        "link": "https://example.org/r",
        "standards": [{"standard": "nep330", "version": "1.3.0"}, {"standard": "jwt_guard", "version": "1.0.0"}],
        "build_info": {
            "build_environment": "env",
            "build_command": ["python", "-m", "nearwasm.build", "contract"],
            "contract_path": "contract",
            "source_code_snapshot": f"git+https://example.org/r?rev={COMMIT}",
            "output_wasm_path": "contract/build/guard.wasm",
        },
    }


def test_build_environment_pins_the_toolchain_patches_and_flags():
    settings = builder.BuildSettings(extra_cflags=("-DA=1",))
    environment = source_metadata.build_environment("patched", builder.runtime_tree_hash("patched"),
                                                    [settings.key().decode()])
    for name in ("debian emscripten=", "debian clang-14=", "debian binaryen=", "nearc=", "near-sdk-py=",
                 f"runtime=patched-{builder.runtime_tree_hash('patched')}", "flags=sha256:"):
        assert name in environment
    assert "emscripten=absent" not in environment  # the machine that builds has Debian's emscripten
    other = source_metadata.build_environment("patched", builder.runtime_tree_hash("patched"), ["other flags"])
    assert other != environment
    assert str(REPO) not in environment and "/tmp" not in environment


def test_the_guards_staged_entry_carries_the_metadata_and_it_enters_the_cache_key():
    entry = builder.find_entry(REPO / "contract").resolve()
    settings = builder.build_settings(entry)
    generated = builder.generated_files(entry, settings)
    assert list(generated) == [Path("guard.py")]
    staged = generated[Path("guard.py")].decode()
    source = entry.read_text()
    changed = [(a, b) for a, b in zip(source.splitlines(), staged.splitlines()) if a != b]
    assert len(staged.splitlines()) == len(source.splitlines()) and len(changed) == 1  # line numbers stay true
    literal = changed[0][1].split("near.value_return(", 1)[1].rsplit(")", 1)[0]
    metadata = json.loads(ast.literal_eval(literal))
    assert metadata == json.loads(builder.contract_metadata(entry, settings))
    assert metadata["build_info"]["contract_path"] == "contract"
    assert metadata["build_info"]["build_command"] == ["python", "-m", "nearwasm.build", "contract"]
    assert str(REPO) not in staged

    key = builder.source_hash(entry, settings, generated)
    other = {Path("guard.py"): staged.replace("0.1.0", "0.1.1").encode()}
    assert builder.source_hash(entry, settings, other) != key


@pytest.mark.parametrize("source, found", [
    ("def f():\n    pass\n", 0),
    ("near.value_return('{}')  # nep330-metadata\nnear.value_return('{}')  # nep330-metadata\n", 2),
    ("near.value_return(X)  # nep330-metadata\n", 0),  # a literal, not a name
])
def test_the_placeholder_line_must_be_there_exactly_once(source, found):
    with pytest.raises(source_metadata.MetadataError, match=f"found {found}"):
        source_metadata.fill_placeholder(source, "{}", "contract.py")


def test_the_placeholder_is_replaced_by_a_literal_of_the_metadata():
    source = "    near.value_return('{}')  # nep330-metadata\n"
    filled = source_metadata.fill_placeholder(source, '{"a":"it\'s"}', "c.py")
    assert filled == "    near.value_return('{\"a\":\"it\\'s\"}')  # nep330-metadata\n"


def test_caller_flags_appear_in_the_build_command():
    entry = builder.find_entry(REPO / "contract")
    own = builder.contract_own_cflags(entry.parent)
    settings = builder.BuildSettings(extra_cflags=own + ("-DX=1",), extra_ldflags=("--profiling-funcs",))
    assert builder._build_command(entry.resolve(), "contract", settings, len(own)) == [
        "python", "-m", "nearwasm.build", "contract", "--cflag=-DX=1", "--ldflag=--profiling-funcs"]


def test_contracts_without_the_setting_get_no_generated_module(tmp_path):
    (tmp_path / "contract.py").write_text("import near\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 't'\nversion = '0.1.0'\n")
    assert builder.generated_files(tmp_path / "contract.py", builder.BuildSettings()) == {}


def test_an_incomplete_setting_is_a_build_error(tmp_path):
    (tmp_path / "contract.py").write_text("import near\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nversion = '0.1.0'\n\n"
                                             "[tool.guardctl]\nsource-metadata = true\n")
    with pytest.raises(builder.BuildError, match="repository"):
        builder.generated_files(tmp_path / "contract.py", builder.BuildSettings())
