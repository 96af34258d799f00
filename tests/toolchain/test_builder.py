"""nearwasm.build: content-addressed caching, staging, entry lookup, CLI, lean stdlib settings."""
from __future__ import annotations

import ast
import shutil
import tomllib
import uuid
from pathlib import Path

import pytest
from nearc.analyzer import MPY_STDLIB_PACKAGES

from devkit.ports import PORTS_DIR
from nearwasm import build as builder
from nearwasm.build import BuildError, BuildSettings, build_contract, find_entry, source_hash

from .conftest import call, returned_text
from tests.buildfixtures import guard_wasm  # noqa: F401  (fixture)

# A fixed location, so the staging build dir survives between sessions and a
# rebuild of the tiny contract compiles only its frozen Python (a few seconds).
TINY_DIR = builder.CACHE_DIR / "test-scratch" / "tiny"
LEAN = "exclude-micropython-stdlib-packages = " + repr(list(MPY_STDLIB_PACKAGES))

TINY_ENTRY = '''
import near

from greeting import text


@near.export
def greet():
    near.value_return(text())
'''


def write_greeting(folder: Path, value: str) -> None:
    (folder / "greeting").mkdir(exist_ok=True)
    (folder / "greeting" / "__init__.py").write_text(f"def text():\n    return {value!r}\n")


@pytest.fixture
def tiny() -> Path:
    """An entry module plus a local package, with every micropython-lib package excluded."""
    TINY_DIR.mkdir(parents=True, exist_ok=True)
    for leftover in TINY_DIR.iterdir():
        if leftover.name not in ("contract.py", "greeting", "pyproject.toml"):
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    (TINY_DIR / "contract.py").write_text(TINY_ENTRY)
    (TINY_DIR / "pyproject.toml").write_text(f'[project]\nname = "tiny"\nversion = "0.1.0"\n\n[tool.near-py-tool]\n{LEAN}\n')
    write_greeting(TINY_DIR, "hello")
    return TINY_DIR


def test_changed_source_rebuilds_and_same_source_comes_from_the_cache(tiny, tmp_path):
    entry = tiny / "contract.py"
    nonce = uuid.uuid4().hex  # never built before, so this must compile
    write_greeting(tiny, nonce)
    first = build_contract(entry, tmp_path / "first.wasm")
    assert not first.cache_hit
    assert returned_text(call(first.path.read_bytes(), "greet")) == nonce

    again = build_contract(entry, tmp_path / "again.wasm")
    assert again.cache_hit
    assert again.source_hash == first.source_hash
    assert again.path.read_bytes() == first.path.read_bytes()

    write_greeting(tiny, nonce + " changed")  # a module of the local package
    changed = build_contract(entry, tmp_path / "changed.wasm")
    assert not changed.cache_hit
    assert changed.source_hash != first.source_hash
    assert returned_text(call(changed.path.read_bytes(), "greet")) == nonce + " changed"

    write_greeting(tiny, nonce)  # back to the first content: cached by content
    back = build_contract(entry, tmp_path / "back.wasm")
    assert back.cache_hit and back.source_hash == first.source_hash


def test_building_leaves_the_contract_folder_untouched(tiny, tmp_path):
    before = sorted(p.relative_to(tiny) for p in tiny.rglob("*") if "__pycache__" not in p.parts)
    build_contract(tiny / "contract.py", tmp_path / "tiny.wasm")
    after = sorted(p.relative_to(tiny) for p in tiny.rglob("*") if "__pycache__" not in p.parts)
    assert after == before  # no build/, no *_with_exports.py, no *_with_abi.py


def test_the_entry_is_frozen_once(tiny, tmp_path):
    # nearc freezes every .py of the folder besides its final generated entry
    # (contract_with_abi_with_metadata.py); the staging .gitignore keeps the
    # original entry out, which would otherwise be frozen as dead weight.
    code = build_contract(tiny / "contract.py", tmp_path / "tiny.wasm").path.read_bytes()
    assert b"contract_with_abi_with_metadata.py" in code
    assert b"greeting/__init__.py" in code
    assert b"contract.py" not in code


def test_cache_key_covers_sources_config_runtime_and_settings(tiny):
    entry = tiny / "contract.py"
    base = source_hash(entry, BuildSettings())
    assert source_hash(entry, BuildSettings()) == base

    (tiny / "NOTES.md").write_text("not part of the contract")
    (tiny / "greeting" / "__pycache__").mkdir(exist_ok=True)
    (tiny / "greeting" / "__pycache__" / "x.pyc").write_bytes(b"junk")
    assert source_hash(entry, BuildSettings()) == base

    assert source_hash(entry, BuildSettings(runtime="stock")) != base
    assert source_hash(entry, BuildSettings(heap_size=128 * 1024)) != base
    assert source_hash(entry, BuildSettings(extra_cflags=("-DX=1",))) != base

    pyproject = tiny / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n# comment\n")
    assert source_hash(entry, BuildSettings()) != base

    (tiny / "pyproject.toml").write_text(pyproject.read_text().replace("\n# comment\n", ""))
    assert source_hash(entry, BuildSettings()) == base
    (tiny / "extra.py").write_text("X = 1\n")  # nearc would freeze it too
    assert source_hash(entry, BuildSettings()) != base


def test_cache_key_covers_the_runtime_patches(tiny, tmp_path, monkeypatch):
    entry = tiny / "contract.py"
    base = source_hash(entry, BuildSettings())
    patches = tmp_path / "runtime"
    shutil.copytree(builder.RUNTIME_PATCH_DIR, patches)
    monkeypatch.setattr(builder, "RUNTIME_PATCH_DIR", patches)
    assert source_hash(entry, BuildSettings()) == base
    first_patch = sorted(patches.glob("*.patch"))[0]
    first_patch.write_text(first_patch.read_text() + "\n")
    assert source_hash(entry, BuildSettings()) != base
    assert source_hash(entry, BuildSettings(runtime="stock")) == source_hash(
        entry, BuildSettings(runtime="stock"))


def test_heap_size_needs_the_patched_runtime(tiny, tmp_path):
    with pytest.raises(ValueError):
        build_contract(tiny / "contract.py", tmp_path / "x.wasm", runtime="stock", heap_size=65536)
    with pytest.raises(ValueError):
        build_contract(tiny / "contract.py", tmp_path / "x.wasm", runtime="unknown")


def test_prune_removes_what_outdated_patches_left(tmp_path, monkeypatch):
    monkeypatch.setattr(builder, "CACHE_DIR", tmp_path)
    current = tmp_path / "runtime" / f"patched-{builder.runtime_tree_hash('patched')}"
    outdated = tmp_path / "runtime" / "patched-0123456789abcdef"
    live_stage = tmp_path / "stage" / "guard-live"
    old_stage = tmp_path / "stage" / "guard-old"
    for folder in (current, outdated, live_stage, old_stage):
        folder.mkdir(parents=True)
    (live_stage / ".runtime").write_text(current.name + "\n")
    (old_stage / ".runtime").write_text(outdated.name + "\n")
    assert sorted(builder.prune_cache()) == sorted([outdated, old_stage])
    assert current.exists() and live_stage.exists()


def test_find_entry(tmp_path):
    configured = tmp_path / "configured"
    configured.mkdir()
    (configured / "guard.py").write_text("")
    (configured / "other.py").write_text("")
    (configured / "pyproject.toml").write_text('[tool.guardctl]\nentry = "guard.py"\n')
    assert find_entry(configured) == configured / "guard.py"

    conventional = tmp_path / "conventional"
    conventional.mkdir()
    (conventional / "contract.py").write_text("")
    (conventional / "helpers.py").write_text("")
    assert find_entry(conventional) == conventional / "contract.py"

    single = tmp_path / "single"
    single.mkdir()
    (single / "router.py").write_text("")
    assert find_entry(single) == single / "router.py"
    assert find_entry(single / "router.py") == single / "router.py"

    ambiguous = tmp_path / "ambiguous"
    ambiguous.mkdir()
    (ambiguous / "a.py").write_text("")
    (ambiguous / "b.py").write_text("")
    with pytest.raises(BuildError, match="a.py, b.py"):
        find_entry(ambiguous)


def test_command_line_builds_a_folder(tiny, tmp_path, capsys):
    output = tmp_path / "cli.wasm"
    assert builder.main([str(tiny), str(output)]) == 0
    assert output.exists()
    assert str(output) in capsys.readouterr().out
    assert builder.main([str(tmp_path / "missing"), str(output)]) == 1


# --------------------------------------------------------------------------- lean stdlib settings

CONTRACT_FOLDERS = [builder.REPO_ROOT / "contract"] + sorted(
    path.parent for path in (builder.REPO_ROOT / "tests" / "contracts").glob("*/pyproject.toml")) + sorted(
    path.parent for path in PORTS_DIR.glob("*/pyproject.toml"))


def imported_modules(folder: Path) -> set[str]:
    return {module for source in folder.rglob("*.py") if "build" not in source.relative_to(folder).parts
            for module, _ in builder.imported_modules(source)}


@pytest.mark.parametrize("folder", CONTRACT_FOLDERS, ids=lambda path: path.name)
def test_contract_freezes_only_the_micropython_lib_packages_it_imports(folder):
    settings = tomllib.loads((folder / "pyproject.toml").read_text())
    excluded = set(settings["tool"]["near-py-tool"]["exclude-micropython-stdlib-packages"])
    assert excluded <= set(MPY_STDLIB_PACKAGES), "unknown package names: typos exclude nothing"
    frozen = set(MPY_STDLIB_PACKAGES) - excluded
    imports = imported_modules(folder)
    needed = {package for package in MPY_STDLIB_PACKAGES
              if package.split("-")[0].split(".")[0] in imports}
    if "near_sdk_py" in imports:
        needed.add("functools")  # near_sdk_py.decorators imports functools.wraps
        assert "functools" in frozen, "near-sdk-py needs micropython-lib's functools"
    # micropython-lib's pure-Python binascii shadows the C module and rejects str.
    assert "binascii" not in frozen
    assert frozen <= needed, f"frozen but never imported: {sorted(frozen - needed)}"


def test_contract_cflags_come_from_its_pyproject(tmp_path):
    # The guard is built without MicroPython's compiler; contracts without the
    # setting (near-sdk-py's eval-based helpers) keep it.
    guard_flags = builder.contract_cflags(builder.REPO_ROOT / "contract")
    assert "-DMICROPY_ENABLE_COMPILER=0" in guard_flags
    assert builder.contract_cflags(tmp_path) == ()
    (tmp_path / "pyproject.toml").write_text('[tool.guardctl]\nentry = "c.py"\n')
    assert builder.contract_cflags(tmp_path) == ()
    (tmp_path / "pyproject.toml").write_text('[tool.guardctl]\ncflags = "-DX=1"\n')
    with pytest.raises(BuildError):
        builder.contract_cflags(tmp_path)


def test_the_guard_calls_no_compiler():
    # eval/exec/compile raise "script compilation not supported" in the guard's build.
    sources = [builder.REPO_ROOT / "contract" / "guard.py", builder.REPO_ROOT / "contract" / "custom_rules.py",
               *sorted((builder.REPO_ROOT / "contract" / "guard_core").glob("*.py"))]
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Name):
                assert node.id not in {"eval", "exec", "compile", "__import__"}, path
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
                assert not any(name.startswith("near_sdk_py") for name in names), path


def test_the_guards_cflags_name_real_runtime_switches():
    """A misspelt -D switches nothing off, silently: every macro the guard's lean build
    sets (contract/pyproject.toml) must be a switch the patched runtime defines with
    #ifndef, in py/mpconfig.h or the port's mpconfigport.h (patch 10)."""
    tree = builder.materialise_runtime("patched") / "micropython"
    headers = (tree / "py" / "mpconfig.h").read_text() + (tree / "ports" / "webassembly-near" / "mpconfigport.h").read_text()
    flags = builder.contract_own_cflags(builder.REPO_ROOT / "contract")
    names = [flag[2:].split("=")[0] for flag in flags]
    assert all(flag.startswith("-D") for flag in flags), flags
    assert len(names) == len(set(names)), "a switch set twice"
    for flag in builder.contract_cflags(builder.REPO_ROOT / "contract"):
        switch = flag[2:].split("=")[0]
        assert f"#ifndef {switch}\n" in headers, f"{switch} is not a runtime switch"
    assert "#ifndef MICROPY_PY_NEAR_LISTED_ONLY\n" in headers
    # near-functions (patch 20): each one a function of the `near` module's table.
    modnear = (tree / "ports" / "webassembly-near" / "modnear.c").read_text()
    for name in builder.near_functions(builder.REPO_ROOT / "contract"):
        assert f"    #if NEAR_KEEPS({name})\n" in modnear, f"near.{name} is not in the near module"


def test_the_guard_keeps_exactly_the_near_functions_it_calls():
    """near-functions (contract/pyproject.toml) lists what guard.py calls, plus used_gas
    for the profiling build: nothing the guard needs is left out, nothing unused stays."""
    contract = builder.REPO_ROOT / "contract"
    called = set()
    for path in [contract / "guard.py", contract / "custom_rules.py", *sorted((contract / "guard_core").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "near":
                called.add(node.attr)
    assert builder.near_functions(contract) == called | {"used_gas"}
    flags = builder.contract_own_cflags(contract)
    assert "-DMICROPY_PY_NEAR_LISTED_ONLY=1" in flags and "-DMICROPY_PY_NEAR_KEEP_sha256=1" in flags


def test_the_guards_runtime_leaves_out_what_it_declares(guard_wasm):
    """The built guard's imports: only the host functions its near-functions call."""
    import wasmtime

    imported = {item.name for item in wasmtime.Module(wasmtime.Engine(), guard_wasm.read_bytes()).imports}
    assert "sha256" in imported and "ed25519_verify" in imported and "storage_write" in imported
    for left_out in ("keccak256", "ripemd160", "ecrecover", "alt_bn128_g1_sum", "promise_then", "validator_stake",
                     "promise_batch_action_add_key_with_full_access", "promise_yield_create"):
        assert left_out not in imported


def test_the_guard_imports_only_modules_its_lean_build_keeps():
    # nearwasm.build checks this on every build; here for the repository's own guard.
    builder.check_runtime_imports(builder.REPO_ROOT / "contract" / "guard.py")
    provided = builder.runtime_modules(builder.REPO_ROOT / "contract")
    assert provided == {"near", "json", "binascii", "ubinascii", "sys"}, "no micropython-lib package is frozen in"


@pytest.fixture
def guard_copy(tmp_path) -> Path:
    """The guard's contract folder, copied (sources and pyproject only)."""
    copy = tmp_path / "contract"
    shutil.copytree(builder.REPO_ROOT / "contract", copy,
                    ignore=shutil.ignore_patterns("build", "__pycache__", "runtime", "*.md"))
    return copy


def test_a_custom_rule_importing_a_module_the_runtime_lacks_fails_the_build(guard_copy, tmp_path):
    rules = guard_copy / "custom_rules.py"
    rules.write_text('"""A rule that needs a regular expression."""\n\n\n'
                     "def check_custom_rules(claims, sign_payload, predecessor):\n"
                     "    import re\n"
                     "    return None\n")
    line = 5
    with pytest.raises(BuildError) as refused:
        build_contract(guard_copy / "guard.py", tmp_path / "out.wasm")
    message = str(refused.value)
    assert message.startswith(f"contract/custom_rules.py:{line} imports 're', which the contract's runtime leaves out")
    assert "\n" not in message and not (tmp_path / "out.wasm").exists()
    # A module micropython-lib would provide is refused too unless it is frozen in.
    rules.write_text(rules.read_text().replace("    import re\n", "    from collections import OrderedDict\n"))
    with pytest.raises(BuildError, match="imports 'collections'"):
        build_contract(guard_copy / "guard.py", tmp_path / "out.wasm")


@pytest.mark.parametrize("rule, line, what", [
    ("    for i, claim in enumerate(claims):\n        pass\n", 5, "the built-in enumerate()"),
    ("    return f\"rejected {predecessor}\"\n", 5, "an f-string (str.format)"),
    ("    return \"rejected {}\".format(predecessor)\n", 5, "str.format"),
    ("    if near.keccak256(b\"x\"):\n        return None\n", 5, "near.keccak256"),
    ("    x = dict.fromkeys(claims)\n", 5, "dict.fromkeys"),
])
def test_a_custom_rule_using_what_the_runtime_leaves_out_fails_the_build(guard_copy, tmp_path, rule, line, what):
    rules = guard_copy / "custom_rules.py"
    rules.write_text('"""A rule."""\nimport near\n\ndef check_custom_rules(claims, sign_payload, predecessor):\n'
                     + rule + "    return None\n")
    with pytest.raises(BuildError) as refused:
        build_contract(guard_copy / "guard.py", tmp_path / "out.wasm")
    message = str(refused.value)
    assert message == (f"contract/custom_rules.py:{line} uses {what}, which the contract's runtime leaves out (see "
                       f"cflags and near-functions in contract/pyproject.toml): on chain it would fail every call "
                       f"that reaches it")
    assert not (tmp_path / "out.wasm").exists()


def test_a_rule_may_define_its_own_function_named_like_a_left_out_built_in(guard_copy):
    rules = guard_copy / "custom_rules.py"
    rules.write_text("def enumerate(items):\n    return items\n\n\n"
                     "def check_custom_rules(claims, sign_payload, predecessor):\n"
                     "    return None if enumerate(claims) else \"empty\"\n")
    builder.check_runtime_names(guard_copy / "guard.py")


def test_contracts_that_do_not_declare_their_runtime_modules_are_not_checked(tiny):
    assert builder.runtime_modules(tiny.parent) is None
    builder.check_runtime_imports(tiny)


def test_typing_is_frozen_only_where_it_could_be_imported(tmp_path):
    # The guard declares its built-in modules without typing: nearc's stand-ins are left out.
    assert not builder.freezes_typing(builder.REPO_ROOT / "contract")
    assert builder.freezes_typing(tmp_path)  # no pyproject: nothing declared, nearc's default
    (tmp_path / "pyproject.toml").write_text('[tool.guardctl]\nbuiltin-modules = ["near", "typing"]\n')
    assert builder.freezes_typing(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.guardctl]\nbuiltin-modules = ["near"]\n')
    assert not builder.freezes_typing(tmp_path)
