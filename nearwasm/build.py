"""Build a Python contract to NEAR Wasm with nearc, against a patched MicroPython runtime.

nearc freezes the contract into MicroPython and builds that with Emscripten.  This
module drives `nearc.builder.compile_contract` directly (nearc's CLI would run
`pip install -e .` in the contract folder first) and adds what the project needs:

* a *runtime* choice: "patched" compiles against a copy of nearc's MicroPython tree
  with the patches in `contract/runtime/*.patch` applied (see its README); "stock"
  against an unmodified copy.  The installed nearc package is never written to.
* a content-addressed cache: the Wasm is a function of the contract's sources, its
  pyproject, the runtime tree, the tool versions and the build settings.  A cache
  hit copies `.cache/wasm/<hash>.wasm`; any changed input rebuilds.
* a staging copy of the contract under `.cache/stage/`, so nearc's generated files
  (`*_with_exports.py`, `build/`) never appear in the source folder, concurrent
  builds of one contract cannot collide, and the compiled C objects are reused by
  the next build of the same contract (only the frozen Python is recompiled; the
  result is byte-identical to a clean build).  Its .gitignore also keeps nearc
  from freezing the original entry module a second time.
* one MicroPython cross-compiler per runtime tree, shared by every contract.
* NEP-330 source metadata for contracts that ask for it (`source_metadata.py`):
  written into the staging copy of the entry module, part of the cache key.
* builds that do not depend on where, when or by whom they run: nothing
  outside the inputs above reaches the Wasm (tests/toolchain/test_reproducible.py).

Usable as `python -m nearwasm.build CONTRACT [OUT.wasm]` (see `--help`).
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import fcntl
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional, Sequence

from . import source_metadata

REPO_ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = REPO_ROOT / ".cache"
RUNTIME_PATCH_DIR = REPO_ROOT / "contract" / "runtime"
RUNTIMES = ("patched", "stock")

# Bump when the staging or cache layout changes in a way that alters the Wasm.
BUILDER_FORMAT = "2"

# nearc's own copy of MicroPython is 66 MB; the build needs the core, the
# Wasm ports and micropython-lib, not the docs, tests or other boards.
_TREE_TOP_LEVEL_SKIP = {"docs", "tests", "examples", "logo"}
_TREE_PORTS_KEEP = {"webassembly-near", "webassembly"}

# Files of a contract folder that nearc reads.  Anything else (the runtime
# patches, READMEs, build output) does not reach the Wasm.
_CONFIG_FILES = ("pyproject.toml", ".gitignore")
_NEVER_MIRROR_DIRS = {"build", "__pycache__", ".git", ".venv", "venv", ".pytest_cache"}


class BuildError(RuntimeError):
    """The contract did not compile; the message carries the tail of nearc's log."""


@dataclass(frozen=True)
class BuildResult:
    path: Path  # the Wasm written to the requested output
    size: int  # bytes
    cache_hit: bool  # True when copied from the cache without compiling
    source_hash: str  # the cache key: sha256 over every input of the build


@dataclass(frozen=True)
class BuildSettings:
    """Everything besides the sources that changes the Wasm; all of it is hashed."""

    runtime: str = "patched"
    # First MicroPython heap area of a call, in bytes; None keeps the runtime's
    # default (stock: 32 KB, fixed; patched: 256 KB, grows when full).  Only
    # the patched runtime lets it be set.
    heap_size: Optional[int] = None
    extra_cflags: tuple[str, ...] = ()
    # Link-only flags, e.g. `--profiling-funcs` to get function names in traps.
    extra_ldflags: tuple[str, ...] = ()
    mpy_tool_flags: tuple[str, ...] = ()
    # The contract's own mpy-cross flags (`[tool.guardctl] mpy-cross-flags`), e.g. -O3:
    # frozen bytecode without line numbers.
    mpy_cross_flags: tuple[str, ...] = ()

    def key(self) -> bytes:
        fields = (self.heap_size, self.extra_cflags, self.extra_ldflags, self.mpy_tool_flags)
        if self.mpy_cross_flags:
            fields += (self.mpy_cross_flags,)
        return repr(fields).encode()

    def cflags(self) -> list[str]:
        flags = list(self.extra_cflags)
        if self.heap_size is not None:
            flags.append(f"-DPYTHON_HEAP_SIZE={int(self.heap_size)}")
        return flags

    def describe(self) -> str:
        parts = [self.runtime]
        if self.heap_size is not None:
            parts.append(f"heap={self.heap_size}")
        kept_near = [flag for flag in self.extra_cflags if flag.startswith(_NEAR_KEEP_PREFIX)]
        parts += [flag for flag in self.extra_cflags if flag not in kept_near and flag != _NEAR_LISTED_ONLY]
        if kept_near:
            parts.append(f"near-functions: {len(kept_near)}")
        parts += list(self.extra_ldflags) + list(self.mpy_tool_flags)
        parts += [f"mpy-cross {flag}" for flag in self.mpy_cross_flags]
        return " ".join(parts)


# --------------------------------------------------------------------------- helpers


def _log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def _sha256_hex(*chunks: bytes) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(len(chunk).to_bytes(8, "little"))
        digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing): serialises builders, test
    workers and other processes on one cache entry or shared folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _nearc_root() -> Path:
    import nearc

    return Path(nearc.__file__).resolve().parent


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


@lru_cache(maxsize=None)
def _emcc_version() -> str:
    try:
        completed = subprocess.run(["emcc", "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise BuildError(f"emcc is not usable ({exc}); run `make setup` (Debian package `emscripten`)") from exc
    return completed.stdout.splitlines()[0].strip()


def _toolchain_fingerprint() -> bytes:
    return "\n".join(
        [
            f"builder {BUILDER_FORMAT}",
            f"nearc {_package_version('nearc')}",
            f"near-sdk-py {_package_version('near-sdk-py')}",
            f"near-abi-py {_package_version('near-abi-py')}",
            f"emcc {_emcc_version()}",
        ]
    ).encode()


# --------------------------------------------------------------------------- runtime tree


def runtime_patches(runtime: str) -> list[Path]:
    """The patch files applied for `runtime`, in application order."""
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {RUNTIMES}, not {runtime!r}")
    if runtime == "stock":
        return []
    patches = sorted(RUNTIME_PATCH_DIR.glob("*.patch"))
    if not patches:
        raise BuildError(f"no runtime patches found in {RUNTIME_PATCH_DIR}")
    return patches


def runtime_tree_hash(runtime: str) -> str:
    chunks = [b"runtime", runtime.encode(), _package_version("nearc").encode()]
    for patch in runtime_patches(runtime):
        chunks += [patch.name.encode(), patch.read_bytes()]
    return _sha256_hex(*chunks)[:16]


def _copy_micropython_tree(source: Path, destination: Path) -> None:
    def ignore(directory: str, names: list[str]) -> set[str]:
        here = Path(directory)
        skipped = {"__pycache__"} & set(names)
        if here == source:
            skipped |= _TREE_TOP_LEVEL_SKIP & set(names)
        elif here == source / "ports":
            skipped |= {name for name in names if name not in _TREE_PORTS_KEEP}
        return skipped

    shutil.copytree(source, destination, ignore=ignore, symlinks=True)


def materialise_runtime(runtime: str) -> Path:
    """Return the assets dir (parent of `micropython/`) for `runtime`, creating it once.

    The tree is copied from the installed nearc package, patched, and renamed
    into place atomically, so a half-patched tree is never used.
    """
    tree_hash = runtime_tree_hash(runtime)
    assets_dir = CACHE_DIR / "runtime" / f"{runtime}-{tree_hash}"
    ready_marker = assets_dir / ".ready"
    if ready_marker.exists():
        return assets_dir
    with file_lock(CACHE_DIR / "locks" / f"runtime-{runtime}-{tree_hash}.lock"):
        if ready_marker.exists():
            return assets_dir
        _log(f"preparing {runtime} MicroPython runtime ({tree_hash})")
        scratch = assets_dir.with_name(assets_dir.name + ".tmp")
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(assets_dir, ignore_errors=True)
        scratch.mkdir(parents=True)
        _copy_micropython_tree(_nearc_root() / "micropython", scratch / "micropython")
        for patch in runtime_patches(runtime):
            completed = subprocess.run(
                ["patch", "-p1", "--forward", "--batch", "--fuzz=0", "--no-backup-if-mismatch",
                 "-d", str(scratch / "micropython"), "-i", str(patch)],
                capture_output=True,
                text=True,
            )
            if completed.returncode != 0:
                raise BuildError(f"runtime patch {patch.name} does not apply:\n{completed.stdout}{completed.stderr}")
        (scratch / ".ready").write_text(tree_hash + "\n")
        scratch.rename(assets_dir)
    return assets_dir


def shared_mpy_cross(runtime: str) -> Path:
    """Build MicroPython's cross-compiler once per runtime tree (≈25 s) for all contracts."""
    assets_dir = materialise_runtime(runtime)
    build_dir = assets_dir / "mpy-cross-build"
    executable = build_dir / "mpy-cross"
    if executable.exists():
        return executable
    with file_lock(CACHE_DIR / "locks" / f"mpy-cross-{assets_dir.name}.lock"):
        if executable.exists():
            return executable
        _log(f"building the MicroPython cross-compiler for {assets_dir.name}")
        scratch = build_dir.with_name(build_dir.name + ".tmp")
        shutil.rmtree(scratch, ignore_errors=True)
        completed = subprocess.run(
            ["make", "-C", str(assets_dir / "micropython" / "mpy-cross"), f"BUILD={scratch}"],
            capture_output=True,
            text=True,
            env=_build_environment(BuildSettings(runtime=runtime), include_cflags=False),
        )
        if completed.returncode != 0 or not (scratch / "mpy-cross").exists():
            raise BuildError("mpy-cross build failed:\n" + _tail(completed.stdout + completed.stderr))
        shutil.rmtree(build_dir, ignore_errors=True)
        scratch.rename(build_dir)
    return executable


# --------------------------------------------------------------------------- contract sources


def _mirrored_files(contract_dir: Path) -> list[Path]:
    """Paths (relative to the contract dir) nearc would read: every .py plus its config."""
    files = []
    for path in sorted(contract_dir.rglob("*")):
        relative = path.relative_to(contract_dir)
        if any(part in _NEVER_MIRROR_DIRS for part in relative.parts[:-1]):
            continue
        if not path.is_file():
            continue
        if path.suffix == ".py" or (len(relative.parts) == 1 and path.name in _CONFIG_FILES):
            files.append(relative)
    return files


# A file built in place of the repository's contract/custom_rules.py. The test
# suite points it at tests/default_custom_rules.py, so the guard it tests keeps
# the accept-all default while an integrator's own rule sits in contract/.
# Not a GUARDCTL_* variable: the tests and the demo clear those (connection
# settings) for the guardctl they run, and this one must reach every build.
CUSTOM_RULES_ENV = "GUARD_CUSTOM_RULES"
GUARD_DIR = REPO_ROOT / "contract"


def _source_file(contract_dir: Path, relative: Path) -> Path:
    """Where the build reads `relative` from: the contract folder, or ${CUSTOM_RULES_ENV}."""
    replacement = os.environ.get(CUSTOM_RULES_ENV)
    if replacement and relative.as_posix() == "custom_rules.py" and contract_dir.resolve() == GUARD_DIR.resolve():
        path = Path(replacement).expanduser()
        if not path.is_file():
            raise BuildError(f"${CUSTOM_RULES_ENV} names {path}, which is not a file")
        return path
    return contract_dir / relative


def _staging_gitignore(contract_dir: Path, entry: Path) -> str:
    """The contract's .gitignore plus nearc's intermediate copies of the entry module.

    nearc freezes every .py in the folder as a "local module" except the final
    generated entry, so without this the original entry and its
    `*_with_exports.py` copy would be frozen too, as dead weight in the Wasm.
    """
    own = contract_dir / ".gitignore"
    lines = own.read_text().splitlines() if own.exists() else []
    lines += [f"/{entry.name}", f"/{entry.stem}_with_exports.py"]
    return "\n".join(lines) + "\n"


def source_hash(entry: Path, settings: BuildSettings, generated: Optional[dict[Path, bytes]] = None) -> str:
    """The cache key of one build: contract sources, runtime, toolchain, settings and generated files."""
    entry = entry.resolve()
    contract_dir = entry.parent
    chunks = [
        _toolchain_fingerprint(),
        runtime_tree_hash(settings.runtime).encode(),
        settings.key(),
        entry.name.encode(),
    ]
    for relative in _mirrored_files(contract_dir):
        chunks += [relative.as_posix().encode(), _source_file(contract_dir, relative).read_bytes()]
    for relative, content in sorted((generated or {}).items()):
        chunks += [b"generated", relative.as_posix().encode(), content]
    return _sha256_hex(*chunks)


def _build_command(entry: Path, contract_path: str, settings: BuildSettings, own_cflags: int) -> list[str]:
    """The command that repeats this build (NEP-330 `build_command`), flags beyond the contract's own included."""
    target = contract_path or "."
    if find_entry(entry.parent).resolve() != entry:
        target = f"{contract_path}/{entry.name}" if contract_path else entry.name
    command = ["python", "-m", "nearwasm.build", target]
    if settings.runtime != "patched":
        command += ["--runtime", settings.runtime]
    if settings.heap_size is not None:
        command += ["--heap-size", str(settings.heap_size)]
    for flag in settings.extra_cflags[own_cflags:]:
        command.append(f"--cflag={flag}")
    for flag in settings.extra_ldflags:
        command.append(f"--ldflag={flag}")
    for flag in settings.mpy_tool_flags:
        command.append(f"--mpy-tool-flag={flag}")
    return command


def contract_metadata(entry: Path, settings: BuildSettings) -> Optional[tuple[str, str]]:
    """The NEP-330 JSON of the contract's build with `settings`, or None when it does not ask for it."""
    entry = Path(entry).resolve()
    try:
        config = source_metadata.read_config(entry.parent)
    except source_metadata.MetadataError as exc:
        raise BuildError(str(exc)) from None
    if config is None:
        return None
    snapshot = source_metadata.git_snapshot(entry.parent)
    environment = source_metadata.build_environment(settings.runtime, runtime_tree_hash(settings.runtime),
                                                    [settings.key().decode()])
    command = _build_command(entry, snapshot.contract_path, settings, len(contract_own_cflags(entry.parent)))
    prefix = f"{snapshot.contract_path}/" if snapshot.contract_path else ""
    metadata = source_metadata.metadata_json(config, snapshot, environment, command,
                                             f"{prefix}build/{entry.stem}.wasm")
    return metadata


def generated_files(entry: Path, settings: BuildSettings) -> dict[Path, bytes]:
    """Files the staging copy holds instead of the source's: the entry with its NEP-330 metadata, if it asks for it."""
    entry = Path(entry).resolve()
    metadata = contract_metadata(entry, settings)
    if metadata is None:
        return {}
    try:
        filled = source_metadata.fill_placeholder(entry.read_text(), metadata, str(entry))
    except source_metadata.MetadataError as exc:
        raise BuildError(str(exc)) from None
    return {Path(entry.name): filled.encode()}


def _sync_stage(contract_dir: Path, entry: Path, stage: Path, generated: dict[Path, bytes]) -> None:
    """Mirror the contract's sources into `stage`, touching only files whose content changed.

    Unchanged files keep their mtime so make reuses their compiled output;
    files that vanished from the source (or nearc leftovers of a failed build)
    are deleted so they are not frozen.  A `generated` file replaces the
    source folder's file of that name in the stage.
    """
    wanted = set(_mirrored_files(contract_dir)) | set(generated)
    stage.mkdir(parents=True, exist_ok=True)
    for existing in _mirrored_files(stage):
        if existing not in wanted:
            (stage / existing).unlink()
    for relative in wanted:
        if relative.as_posix() == ".gitignore":
            continue  # written below with the staging additions
        source_bytes = generated.get(relative) or _source_file(contract_dir, relative).read_bytes()
        target = stage / relative
        if target.exists() and target.read_bytes() == source_bytes:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source_bytes)
    gitignore = stage / ".gitignore"
    text = _staging_gitignore(contract_dir, entry)
    if not gitignore.exists() or gitignore.read_text() != text:
        gitignore.write_text(text)


# --------------------------------------------------------------------------- compiling


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _build_environment(settings: BuildSettings, *, include_cflags: bool = True, jobs: int = 2) -> dict:
    env = dict(os.environ)
    # nearc embeds `git+<remote>#<commit>` in the contract metadata when it finds
    # a repository; the Wasm must depend on the sources only, not on HEAD.
    env["GIT_CEILING_DIRECTORIES"] = str(CACHE_DIR)
    env["GIT_DIR"] = os.devnull
    env["MAKEFLAGS"] = f"-j{jobs}"
    env.pop("CFLAGS", None)
    env.pop("MPY_TOOL_FLAGS", None)
    env.pop("MPY_CROSS_FLAGS", None)
    env.pop("LDFLAGS", None)
    if include_cflags and settings.cflags():
        env["CFLAGS"] = " ".join(settings.cflags())
    if include_cflags and settings.extra_ldflags:
        env["LDFLAGS"] = " ".join(settings.extra_ldflags)
    if include_cflags and settings.mpy_tool_flags:
        env["MPY_TOOL_FLAGS"] = " ".join(settings.mpy_tool_flags)
    if include_cflags and settings.mpy_cross_flags:
        env["MPY_CROSS_FLAGS"] = " ".join(settings.mpy_cross_flags)
    # Nothing about who, where or when the build runs may reach the Wasm: one
    # locale, one time zone, a fixed SOURCE_DATE_EPOCH for any tool that would
    # stamp a date, and a fixed hash seed for nearc's own Python.
    env.update(LC_ALL="C", LANG="C", TZ="UTC", SOURCE_DATE_EPOCH="0", PYTHONHASHSEED="0")
    # rich: plain output in the log file, no live progress bars
    env["TERM"] = "dumb"
    env["COLUMNS"] = "160"
    return env


# nearc freezes its `typing` and `typing_extensions` stand-ins into every
# contract; with "no-typing" they are left out of the manifest (see
# freezes_typing).
_NEARC_CHILD = """
import sys
from pathlib import Path
import nearc.builder
from nearc.builder import compile_contract
entry, output, venv, assets = map(Path, sys.argv[1:5])
if sys.argv[5:] == ["no-typing"]:
    prepare = nearc.builder.prepare_build_files

    def prepare_without_typing(*args, **kwargs):
        manifest, wrappers = prepare(*args, **kwargs)
        lines = Path(manifest).read_text().splitlines(keepends=True)
        kept = [line for line in lines if not line.startswith(('module("typing.py"', 'module("typing_extensions.py"'))]
        assert len(lines) - len(kept) == 2, "nearc's manifest no longer lists typing as expected"
        Path(manifest).write_text("".join(kept))
        return manifest, wrappers

    nearc.builder.prepare_build_files = prepare_without_typing
ok = compile_contract(entry, output, venv, assets, rebuild=False, single_file=False)
sys.exit(0 if ok else 1)
"""


def freezes_typing(contract_dir: Path) -> bool:
    """Whether the contract's Wasm carries nearc's `typing`/`typing_extensions`.

    A contract that declares its runtime's modules (`[tool.guardctl]
    builtin-modules`) without them cannot import them (check_runtime_imports
    refuses the build), so they are left out: ~5 KB of Wasm and two frozen
    names fewer for every import to search. Any other contract keeps them."""
    provided = runtime_modules(contract_dir)
    return provided is None or bool({"typing", "typing_extensions"} & provided)


def _venv_with_sdk() -> Path:
    """The environment whose site-packages hold near_sdk_py (frozen into the contract)."""
    import near_sdk_py

    site_packages = Path(near_sdk_py.__file__).resolve().parents[1]
    # <venv>/lib/pythonX.Y/site-packages -> <venv>
    return site_packages.parents[2]


def _compile(entry: Path, settings: BuildSettings, stage: Path, wasm_out: Path, log_path: Path, verbose: bool) -> None:
    assets_dir = materialise_runtime(settings.runtime)
    mpy_cross = shared_mpy_cross(settings.runtime)
    # nearc reuses `build/mpy-cross/mpy-cross` when it exists.
    stage_mpy_cross = stage / "build" / "mpy-cross" / "mpy-cross"
    if not stage_mpy_cross.exists():
        stage_mpy_cross.parent.mkdir(parents=True, exist_ok=True)
        stage_mpy_cross.symlink_to(mpy_cross)

    command = [sys.executable, "-c", _NEARC_CHILD, str(stage / entry.name), str(wasm_out),
               str(_venv_with_sdk()), str(assets_dir)]
    if not freezes_typing(entry.parent):
        command.append("no-typing")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=stage, env=_build_environment(settings),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            if verbose:
                sys.stdout.write(line)
        returncode = process.wait()
    if returncode != 0 or not wasm_out.exists():
        log_text = log_path.read_text()
        errors = [line for line in log_text.splitlines() if "error" in line.lower()][:12]
        raise BuildError(f"nearc failed for {entry} ({settings.describe()}); log {log_path}:\n"
                         + "\n".join(errors) + "\n...\n" + _tail(log_text, 15))


def build_settings(entry: Path, *, runtime: str = "patched", heap_size: Optional[int] = None,
                   extra_cflags: Sequence[str] = (), extra_ldflags: Sequence[str] = (),
                   mpy_tool_flags: Sequence[str] = ()) -> BuildSettings:
    """The settings `build_contract` uses: the contract's own C flags first, then the caller's."""
    return BuildSettings(runtime=runtime, heap_size=heap_size,
                         extra_cflags=contract_own_cflags(Path(entry).resolve().parent) + tuple(extra_cflags),
                         extra_ldflags=tuple(extra_ldflags), mpy_tool_flags=tuple(mpy_tool_flags),
                         mpy_cross_flags=contract_mpy_cross_flags(Path(entry).resolve().parent))


def build_contract(
    entry: Path,
    output: Path,
    *,
    runtime: str = "patched",
    heap_size: Optional[int] = None,
    extra_cflags: Sequence[str] = (),
    extra_ldflags: Sequence[str] = (),
    mpy_tool_flags: Sequence[str] = (),
    force: bool = False,
    verbose: bool = False,
) -> BuildResult:
    """Compile the contract whose entry module is `entry` to `output` (cached).

    `entry` is the module nearc compiles (its exported functions become Wasm
    exports); every other .py in its folder, packages included, is frozen with
    it, and the folder's pyproject.toml supplies nearc's settings (notably
    `[tool.near-py-tool] exclude-micropython-stdlib-packages`).
    `force` rebuilds even on a cache hit (the staging build dir is reused).
    """
    entry = Path(entry).resolve()
    output = Path(output)
    if not entry.is_file():
        raise BuildError(f"contract entry module {entry} does not exist")
    settings = build_settings(entry, runtime=runtime, heap_size=heap_size, extra_cflags=extra_cflags,
                              extra_ldflags=extra_ldflags, mpy_tool_flags=mpy_tool_flags)
    if settings.heap_size is not None and runtime == "stock":
        raise ValueError("heap_size needs the patched runtime; the stock port hard-codes 32 KB")
    runtime_patches(runtime)  # validates `runtime`
    for folder in (CACHE_DIR, _venv_with_sdk()):
        if any(character.isspace() for character in str(folder.resolve())):
            raise BuildError(f"{folder} has a space in its path, which MicroPython's makefiles cannot build in; "
                             f"move the checkout (or the venv) to a path without spaces")
    check_runtime_imports(entry)
    check_runtime_names(entry)
    generated = generated_files(entry, settings)
    key = source_hash(entry, settings, generated)
    cached = CACHE_DIR / "wasm" / f"{key}.wasm"
    label = f"{entry.parent.name}/{entry.name} ({settings.describe()})"

    if cached.exists() and not force:
        _place(cached, output)
        _log(f"{label}: cached {key[:12]}, {cached.stat().st_size / 1024:.1f} KB -> {output}")
        return BuildResult(output, cached.stat().st_size, True, key)

    stage_key = _sha256_hex(str(entry).encode(), runtime_tree_hash(runtime).encode(),
                            settings.key())[:12]
    stage = CACHE_DIR / "stage" / f"{entry.parent.name}-{entry.stem}-{stage_key}"
    with file_lock(CACHE_DIR / "locks" / f"stage-{stage.name}.lock"):
        # Another process may have built the same sources while we waited.
        if cached.exists() and not force:
            _place(cached, output)
            _log(f"{label}: cached {key[:12]} (built concurrently) -> {output}")
            return BuildResult(output, cached.stat().st_size, True, key)
        # Snapshot the sources now; hash again afterwards so a file edited
        # mid-build is never cached under the wrong key.
        _sync_stage(entry.parent, entry, stage, generated)
        (stage / _STAGE_RUNTIME_FILE).write_text(f"{runtime}-{runtime_tree_hash(runtime)}\n")
        started = time.monotonic()
        _log(f"{label}: compiling (key {key[:12]}) ...")
        fresh = stage / "out.wasm"
        fresh.unlink(missing_ok=True)
        _compile(entry, settings, stage, fresh, CACHE_DIR / "logs" / f"{stage.name}.log", verbose)
        if source_hash(entry, settings, generated_files(entry, settings)) == key:
            cached.parent.mkdir(parents=True, exist_ok=True)
            temporary = cached.with_suffix(f".{os.getpid()}.tmp")
            shutil.copyfile(fresh, temporary)
            temporary.replace(cached)
        else:
            _log(f"{label}: sources changed during the build; not caching it")
        _place(fresh, output)
        size = output.stat().st_size
        _log(f"{label}: built in {time.monotonic() - started:.0f} s, {size / 1024:.1f} KB -> {output}")
        return BuildResult(output, size, False, key)


_STAGE_RUNTIME_FILE = ".runtime"


def prune_cache() -> list[Path]:
    """Delete runtime trees and staging folders that the current patches no longer use.

    Each is tens of MB and becomes garbage whenever a patch changes.  Built
    Wasm files stay (they are small and content-addressed).  Do not run this
    while a build with an older checkout of the patches is in progress.
    """
    current = {f"{runtime}-{runtime_tree_hash(runtime)}" for runtime in RUNTIMES}
    removed = []
    for tree in sorted((CACHE_DIR / "runtime").glob("*")):
        if tree.name not in current:
            shutil.rmtree(tree, ignore_errors=True)
            removed.append(tree)
    for stage in sorted((CACHE_DIR / "stage").glob("*")):
        with file_lock(CACHE_DIR / "locks" / f"stage-{stage.name}.lock"):  # not mid-build
            marker = stage / _STAGE_RUNTIME_FILE
            if not marker.exists() or marker.read_text().strip() not in current:
                shutil.rmtree(stage, ignore_errors=True)
                removed.append(stage)
    return removed


def _place(source: Path, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    if source.resolve() == output.resolve():
        return
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, temporary)
    temporary.replace(output)


# --------------------------------------------------------------------------- entry module lookup


def _pyproject_tools(contract_dir: Path) -> tuple[Path, dict]:
    """The contract's pyproject.toml and its `[tool]` table (empty without the file)."""
    pyproject = Path(contract_dir) / "pyproject.toml"
    return pyproject, tomllib.loads(pyproject.read_text()).get("tool", {}) if pyproject.exists() else {}


def contract_cflags(contract_dir: Path) -> tuple[str, ...]:
    """The contract's own C flags: `[tool.guardctl] cflags` of its pyproject.toml.

    They come before the caller's `extra_cflags` and are part of the build
    settings (cache key, staging folder).  The guard uses this to build without
    MicroPython's compiler; contracts that `eval` or `exec` simply omit it.
    """
    pyproject, tools = _pyproject_tools(contract_dir)
    flags = tools.get("guardctl", {}).get("cflags", [])
    if not isinstance(flags, list) or not all(isinstance(flag, str) for flag in flags):
        raise BuildError(f"{pyproject}: [tool.guardctl] cflags must be a list of strings")
    return tuple(flags)


_NEAR_LISTED_ONLY = "-DMICROPY_PY_NEAR_LISTED_ONLY=1"
_NEAR_KEEP_PREFIX = "-DMICROPY_PY_NEAR_KEEP_"


def near_function_cflags(contract_dir: Path) -> tuple[str, ...]:
    """The C flags of the contract's near-functions (runtime patch 20); none when undeclared."""
    kept = near_functions(contract_dir)
    if kept is None:
        return ()
    return (_NEAR_LISTED_ONLY,) + tuple(f"{_NEAR_KEEP_PREFIX}{name}=1" for name in sorted(kept))


def contract_own_cflags(contract_dir: Path) -> tuple[str, ...]:
    """Every C flag the contract's pyproject gives its build: cflags, then near-functions."""
    return contract_cflags(contract_dir) + near_function_cflags(contract_dir)


def contract_mpy_cross_flags(contract_dir: Path) -> tuple[str, ...]:
    """`[tool.guardctl] mpy-cross-flags` of the contract's pyproject.toml: how its Python is
    compiled to frozen bytecode (the guard: -O3, no line numbers)."""
    pyproject, tools = _pyproject_tools(contract_dir)
    flags = tools.get("guardctl", {}).get("mpy-cross-flags", [])
    if not isinstance(flags, list) or not all(isinstance(flag, str) and flag.startswith("-") for flag in flags):
        raise BuildError(f"{pyproject}: [tool.guardctl] mpy-cross-flags must be a list of flags")
    return tuple(flags)


def near_functions(contract_dir: Path) -> Optional[frozenset[str]]:
    """The `near` functions a contract's runtime keeps (`[tool.guardctl] near-functions`,
    runtime patch 20), or None when undeclared: all of them."""
    pyproject, tools = _pyproject_tools(contract_dir)
    names = tools.get("guardctl", {}).get("near-functions")
    if names is None:
        return None
    if not isinstance(names, list) or not all(isinstance(name, str) and name.isidentifier() for name in names):
        raise BuildError(f"{pyproject}: [tool.guardctl] near-functions must be a list of function names")
    return frozenset(names)


def _module_name(package: str) -> str:
    """micropython-lib package name → the module it provides ("hashlib-sha256" → "hashlib")."""
    return package.split("-")[0].split(".")[0]


def _parse(source: Path) -> ast.Module:
    try:
        return ast.parse(source.read_text(), filename=str(source))
    except SyntaxError as err:
        raise BuildError(f"{source}:{err.lineno}: syntax error: {err.msg}") from None


def imported_modules(source: Path) -> list[tuple[str, int]]:
    """(top-level module, line) of every absolute import in a Python file, function-level ones included."""
    found = []
    for node in ast.walk(_parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name.split(".")[0], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], node.lineno))
    return sorted(found, key=lambda item: item[1])


def runtime_modules(contract_dir: Path) -> Optional[frozenset[str]]:
    """The modules a contract's runtime provides, when its pyproject declares its
    built-in ones (`[tool.guardctl] builtin-modules`): those, plus the
    micropython-lib packages nearc freezes in (the ones not in
    `exclude-micropython-stdlib-packages`). None when undeclared."""
    pyproject, tools = _pyproject_tools(contract_dir)
    builtin = tools.get("guardctl", {}).get("builtin-modules")
    if builtin is None:
        return None
    if not isinstance(builtin, list) or not all(isinstance(name, str) for name in builtin):
        raise BuildError(f"{pyproject}: [tool.guardctl] builtin-modules must be a list of module names")
    from nearc.analyzer import MPY_STDLIB_PACKAGES

    excluded = set(tools.get("near-py-tool", {}).get("exclude-micropython-stdlib-packages", []))
    frozen = {_module_name(package) for package in MPY_STDLIB_PACKAGES if package not in excluded}
    return frozenset(builtin) | frozen


def check_runtime_imports(entry: Path) -> None:
    """BuildError naming the first module a contract imports that its runtime lacks.

    nearc builds such a contract without a word; on chain the import fails when
    the code that needs it first runs (for the guard: every verify answers
    "Verification error"). Checked for contracts that declare their runtime's
    modules (the guard: its lean runtime leaves most of MicroPython's modules
    out, contract/pyproject.toml).
    """
    contract_dir = Path(entry).resolve().parent
    provided = runtime_modules(contract_dir)
    if provided is None:
        return
    local = {path.stem for path in contract_dir.glob("*.py")} | {
        path.parent.name for path in contract_dir.glob("*/__init__.py")}
    for relative in _mirrored_files(contract_dir):
        if relative.suffix != ".py":
            continue
        for module, line in imported_modules(_source_file(contract_dir, relative)):
            if module not in provided and module not in local:
                raise BuildError(
                    f"{contract_dir.name}/{relative.as_posix()}:{line} imports {module!r}, which the contract's "
                    f"runtime leaves out (it has {', '.join(sorted(provided))} and the contract's own modules; "
                    f"see builtin-modules and cflags in {contract_dir.name}/pyproject.toml): on chain that "
                    f"import would fail every call that reaches it")


# Built-ins a C switch of the contract's runtime leaves out, by switch (the
# contract's cflags set it to 0).
_SWITCHED_BUILTINS = {
    "MICROPY_PY_BUILTINS_ENUMERATE": "enumerate",
    "MICROPY_PY_BUILTINS_FILTER": "filter",
    "MICROPY_PY_BUILTINS_REVERSED": "reversed",
    "MICROPY_PY_BUILTINS_PROPERTY": "property",
    "MICROPY_PY_BUILTINS_STR_FORMAT": "bin",  # bin() is str.format("{:#b}") (runtime patch 22)
}


def _switched_off(flags: Sequence[str]) -> set[str]:
    return {flag[2:-2] for flag in flags if flag.startswith("-D") and flag.endswith("=0")}


def _bound_names(tree: ast.AST) -> set[str]:
    """Every name a module binds anywhere (assignments, definitions, parameters, imports)."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return bound


def runtime_gaps(source: Path, switched_off: set[str], kept_near: Optional[frozenset[str]]) -> list[tuple[int, str]]:
    """(line, what) for each use in a Python file of something the contract's runtime leaves out:
    a switched-off built-in, an f-string or .format() without str.format, dict.fromkeys without
    it, a `near` function outside near-functions."""
    tree = _parse(source)
    missing_builtins = {name for switch, name in _SWITCHED_BUILTINS.items() if switch in switched_off}
    missing_builtins -= _bound_names(tree)
    no_format = "MICROPY_PY_BUILTINS_STR_FORMAT" in switched_off
    no_fromkeys = "MICROPY_PY_BUILTINS_DICT_FROMKEYS" in switched_off
    gaps = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in missing_builtins:
            gaps.append((node.lineno, f"the built-in {node.id}()"))
        elif isinstance(node, ast.JoinedStr) and no_format:
            gaps.append((node.lineno, "an f-string (str.format)"))
        elif isinstance(node, ast.Attribute) and node.attr == "format" and no_format:
            gaps.append((node.lineno, "str.format"))
        elif isinstance(node, ast.Attribute) and node.attr == "fromkeys" and no_fromkeys:
            gaps.append((node.lineno, "dict.fromkeys"))
        elif (kept_near is not None and isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id == "near" and node.attr not in kept_near):
            gaps.append((node.lineno, f"near.{node.attr}"))
        elif kept_near is not None and isinstance(node, ast.ImportFrom) and node.module == "near":
            gaps += [(node.lineno, f"near.{alias.name}") for alias in node.names if alias.name not in kept_near]
    return sorted(gaps)


def check_runtime_names(entry: Path) -> None:
    """BuildError naming the first built-in, method or `near` function a contract uses that
    its lean runtime leaves out (its cflags and near-functions, contract/pyproject.toml).

    Such a contract would build, and on chain the name would fail each call that
    reaches it (for the guard: every verify answers "Verification error")."""
    contract_dir = Path(entry).resolve().parent
    switched_off = _switched_off(contract_cflags(contract_dir))
    kept_near = near_functions(contract_dir)
    for relative in _mirrored_files(contract_dir):
        if relative.suffix != ".py":
            continue
        for line, what in runtime_gaps(_source_file(contract_dir, relative), switched_off, kept_near):
            raise BuildError(
                f"{contract_dir.name}/{relative.as_posix()}:{line} uses {what}, which the contract's runtime "
                f"leaves out (see cflags and near-functions in {contract_dir.name}/pyproject.toml): on chain "
                f"it would fail every call that reaches it")


def find_entry(contract: Path) -> Path:
    """Resolve a contract argument (a .py file or a folder) to its entry module.

    A folder names its entry in `[tool.guardctl] entry` of its pyproject.toml;
    otherwise `contract.py`, otherwise its only top-level module.
    """
    contract = Path(contract)
    if contract.is_file():
        return contract
    if not contract.is_dir():
        raise BuildError(f"{contract} is neither a contract module nor a folder")
    pyproject = contract / "pyproject.toml"
    if pyproject.exists():
        configured = tomllib.loads(pyproject.read_text()).get("tool", {}).get("guardctl", {}).get("entry")
        if configured:
            return contract / configured
    if (contract / "contract.py").exists():
        return contract / "contract.py"
    candidates = [path for path in contract.glob("*.py") if path.name != "__init__.py"]
    if len(candidates) == 1:
        return candidates[0]
    raise BuildError(f"cannot tell the entry module of {contract} (candidates: "
                     f"{', '.join(sorted(p.name for p in candidates)) or 'none'}); "
                     f"set [tool.guardctl] entry in its pyproject.toml")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nearwasm.build", description=__doc__.splitlines()[0])
    parser.add_argument("contract", type=Path, nargs="?", help="contract folder or entry module")
    parser.add_argument("output", type=Path, nargs="?", help="Wasm to write (default: <folder>/build/<entry>.wasm)")
    parser.add_argument("--runtime", choices=RUNTIMES, default="patched")
    parser.add_argument("--heap-size", type=int, help="first MicroPython heap area of a call, bytes (patched runtime; default 256 KB)")
    parser.add_argument("--cflag", action="append", default=[], help="extra C flag for the runtime build")
    parser.add_argument("--ldflag", action="append", default=[], help="extra link flag (e.g. --profiling-funcs)")
    parser.add_argument("--mpy-tool-flag", action="append", default=[], help="extra flag for MicroPython's mpy-tool")
    parser.add_argument("--force", action="store_true", help="compile even when cached")
    parser.add_argument("-v", "--verbose", action="store_true", help="stream nearc's output")
    parser.add_argument("--prune", action="store_true",
                        help="delete cached runtime trees and staging folders of outdated patches")
    args = parser.parse_args(argv)
    if args.prune:
        for path in prune_cache():
            print(f"removed {path}")
        if args.contract is None:
            return 0
    if args.contract is None:
        parser.error("a contract folder or entry module is required")
    try:
        entry = find_entry(args.contract)
        output = args.output or entry.parent / "build" / f"{entry.stem}.wasm"
        result = build_contract(entry, output, runtime=args.runtime, heap_size=args.heap_size,
                                extra_cflags=args.cflag, extra_ldflags=args.ldflag,
                                mpy_tool_flags=args.mpy_tool_flag, force=args.force, verbose=args.verbose)
    except (BuildError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{result.path} {result.size} bytes sha256-key {result.source_hash[:16]}"
          f"{' (cached)' if result.cache_hit else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
