"""NEP-330 source metadata of a build, written into the contract by the builder.

A contract opts in with `[tool.guardctl] source-metadata = true` in its
pyproject.toml and one line in its entry module that returns a placeholder:

    near.value_return('{...}')  # nep330-metadata

`nearwasm.build` writes the build's metadata over that string literal in its
staging copy (the source keeps the placeholder; the line count is kept, so
line numbers in tracebacks stay true).  The metadata is then a constant of
that one function: no other method executes, imports or copies anything for
it (a separate frozen module would cost every call a longer frozen-module
search).

The metadata is a pure function of (commit, toolchain, build flags, the
contract's pyproject): no path, user, time or locale enters it, so two builds
of one commit with one toolchain give the same bytes wherever they run.

How a build is labelled (`build_info.source_code_snapshot`):

* clean checkout: `git+LINK?rev=COMMIT` (NEP-330's form), reproducible;
* build inputs differ from HEAD (the contract's sources, its pyproject, the
  runtime patches or the builder): `uncommitted:COMMIT`, i.e. "changes on top
  of COMMIT that no public snapshot holds";
* not inside a git repository: `uncommitted:none`.

`guardctl verify-code` refuses to vouch for either `uncommitted:` label.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import subprocess
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

NEP330_VERSION = "1.3.0"
UNCOMMITTED_PREFIX = "uncommitted:"
# The Debian packages that turn C into Wasm: Debian's emscripten drives the
# system LLVM 14 and binaryen, so their versions pin the compiler as well.
TOOLCHAIN_DEBIAN_PACKAGES = ("emscripten", "clang-14", "lld-14", "llvm-14", "binaryen")
# The Python packages that generate and freeze the contract's code.
TOOLCHAIN_PYTHON_PACKAGES = ("nearc", "near-sdk-py")
# The builder's own files: a change in them can change the bytes.
BUILDER_FILES = ("nearwasm/build.py", "nearwasm/source_metadata.py")


class MetadataError(RuntimeError):
    """The contract's source-metadata settings are unusable."""


@dataclass(frozen=True)
class Snapshot:
    """Where the sources of a build come from."""

    commit: Optional[str]  # HEAD, or None outside git
    clean: bool  # the build inputs equal HEAD's
    contract_path: str  # the contract folder, relative to the repository root ("" = the root)

    def label(self, link: str) -> str:
        if self.commit is None:
            return UNCOMMITTED_PREFIX + "none"
        if not self.clean:
            return UNCOMMITTED_PREFIX + self.commit
        return f"git+{link}?rev={self.commit}"


def commit_of(snapshot_label: str) -> Optional[str]:
    """The commit a `source_code_snapshot` names (`?rev=` or `#`), or None for `uncommitted:`."""
    if snapshot_label.startswith(UNCOMMITTED_PREFIX):
        return None
    for separator in ("?rev=", "#"):
        if separator in snapshot_label:
            return snapshot_label.rsplit(separator, 1)[1] or None
    return None


def _git(directory: Path, *args: str) -> Optional[str]:
    # The repository is found from `directory` alone, whatever GIT_DIR the caller has set.
    env = {name: value for name, value in os.environ.items() if not name.startswith("GIT_")}
    env["LC_ALL"] = "C"
    try:
        completed = subprocess.run(["git", "-C", str(directory), *args], capture_output=True, text=True, env=env)
    except OSError:
        return None
    return completed.stdout if completed.returncode == 0 else None


def _is_build_input(relative: str, contract_path: str) -> bool:
    """Whether a repository path (as git prints it) can change the Wasm."""
    if relative in BUILDER_FILES:
        return True
    prefix = contract_path + "/" if contract_path else ""
    if not relative.startswith(prefix):
        return False
    inner = relative[len(prefix):]
    if inner.startswith("runtime/") and inner.endswith(".patch"):
        return True
    if "/" not in inner and inner in ("pyproject.toml", ".gitignore"):
        return True
    return inner.endswith(".py") and not any(part in ("build", "__pycache__") for part in inner.split("/")[:-1])


def git_snapshot(contract_dir: Path) -> Snapshot:
    """HEAD of the repository holding `contract_dir`, and whether the build inputs match it."""
    contract_dir = Path(contract_dir).resolve()
    top = _git(contract_dir, "rev-parse", "--show-toplevel")
    head = _git(contract_dir, "rev-parse", "--verify", "HEAD")
    if top is None or head is None:
        return Snapshot(None, False, contract_dir.name)
    root = Path(top.strip()).resolve()
    contract_path = contract_dir.relative_to(root).as_posix() if contract_dir != root else ""
    pathspecs = [contract_path or "."] + [path for path in BUILDER_FILES if (root / path).exists()]
    status = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *pathspecs)
    if status is None:
        return Snapshot(head.strip(), False, contract_path)
    # -z: "XY path\0", a rename adds "\0old path"; each entry's path starts at column 3.
    changed = [entry[3:] for entry in status.split("\0") if len(entry) > 3]
    clean = not any(_is_build_input(path, contract_path) for path in changed)
    return Snapshot(head.strip(), clean, contract_path)


@lru_cache(maxsize=None)
def _debian_version(package: str) -> str:
    try:
        completed = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package],
                                   capture_output=True, text=True)
    except OSError:
        return "unknown"
    return completed.stdout.strip() if completed.returncode == 0 and completed.stdout.strip() else "absent"


def _python_version(package: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def build_environment(runtime: str, runtime_hash: str, flags: Sequence[str]) -> str:
    """The pinned toolchain, the runtime patches and the build flags, in one line.

    Everything that, besides the sources, decides the bytes: the Debian
    packages of the C toolchain, the Python that runs nearc (its version
    decides nothing in the Wasm today, but nearc is only tested per version),
    nearc and near-sdk-py, the patched MicroPython tree (a hash of nearc's
    version and every patch) and a hash of the flags.
    """
    parts = [f"debian {name}={_debian_version(name)}" for name in TOOLCHAIN_DEBIAN_PACKAGES]
    parts.append(f"python={'.'.join(platform.python_version_tuple()[:2])}")
    parts += [f"{name}={_python_version(name)}" for name in TOOLCHAIN_PYTHON_PACKAGES]
    parts.append(f"runtime={runtime}-{runtime_hash}")
    parts.append("flags=sha256:" + hashlib.sha256("\0".join(flags).encode()).hexdigest()[:16])
    return "; ".join(parts)


@dataclass(frozen=True)
class MetadataConfig:
    version: str
    link: str
    standards: tuple[tuple[str, str], ...]


def read_config(contract_dir: Path) -> Optional[MetadataConfig]:
    """The contract's `[tool.guardctl] source-metadata` settings, or None when it does not opt in."""
    pyproject = Path(contract_dir) / "pyproject.toml"
    if not pyproject.exists():
        return None
    data = tomllib.loads(pyproject.read_text())
    tool = data.get("tool", {}).get("guardctl", {})
    enabled = tool.get("source-metadata", False)
    if enabled is False:
        return None
    project = data.get("project", {})
    link = project.get("urls", {}).get("repository")
    standards = tool.get("standards", [])
    if enabled is not True:
        raise MetadataError(f"{pyproject}: [tool.guardctl] source-metadata must be true or false")
    if not isinstance(link, str) or not link:
        raise MetadataError(f"{pyproject}: [project.urls] repository (NEP-330's link) is required with source-metadata")
    if not isinstance(project.get("version"), str):
        raise MetadataError(f"{pyproject}: [project] version is required with source-metadata")
    if not isinstance(standards, list) or not all(
            isinstance(item, dict) and isinstance(item.get("standard"), str) and isinstance(item.get("version"), str)
            for item in standards):
        raise MetadataError(f"{pyproject}: [tool.guardctl] standards must be a list of {{standard, version}} tables")
    return MetadataConfig(project["version"], link,
                          tuple((item["standard"], item["version"]) for item in standards))


def metadata_json(config: MetadataConfig, snapshot: Snapshot, environment: str,
                  build_command: Sequence[str], output_wasm_path: str) -> str:
    """The exact text `contract_source_metadata` returns (compact, key order fixed)."""
    standards = [{"standard": "nep330", "version": NEP330_VERSION}]
    standards += [{"standard": name, "version": version} for name, version in config.standards]
    metadata = {
        "version": config.version,
        "link": config.link,
        "standards": standards,
        "build_info": {
            "build_environment": environment,
            "build_command": list(build_command),
            "contract_path": snapshot.contract_path,
            "source_code_snapshot": snapshot.label(config.link),
            "output_wasm_path": output_wasm_path,
        },
    }
    return json.dumps(metadata, separators=(",", ":"))


PLACEHOLDER_MARKER = "# nep330-metadata"
_PLACEHOLDER_LINE = re.compile(r"^(?P<head>[ \t]*near\.value_return\()(?P<literal>'[^'\\\n]*'|\"[^\"\\\n]*\")"
                               r"(?P<tail>\)[ \t]*" + re.escape(PLACEHOLDER_MARKER) + r"[ \t]*)$", re.M)


def fill_placeholder(source: str, metadata: str, where: str) -> str:
    """`source` with the placeholder literal of its one `# nep330-metadata` line replaced by `metadata`."""
    matches = list(_PLACEHOLDER_LINE.finditer(source))
    if len(matches) != 1:
        raise MetadataError(f"{where}: expected exactly one line `near.value_return('...')  {PLACEHOLDER_MARKER}` "
                            f"(found {len(matches)})")
    match = matches[0]
    return source[:match.start("literal")] + repr(metadata) + source[match.end("literal"):]
