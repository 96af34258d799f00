"""Same commit and toolchain, same bytes: whatever the folder, user, time, time zone or locale.

A fresh clone of HEAD in a temporary folder is built from scratch by its own
builder, with its own cache (its own copy of the MicroPython tree, its own
cross-compiler and C objects: nothing compiled elsewhere is reused, since
those are where a path or a date would hide), under another locale, time
zone, SOURCE_DATE_EPOCH, HOME, USER and umask.  Its Wasm is compared with the
suite's own build of the checkout (cached in .cache/, compiled in another
folder at another time) when the checkout's build inputs are committed, and
otherwise with a second fresh clone built under the default settings.
Several minutes on a cold machine: it compiles the whole runtime once or twice.
A from-scratch build is kept in .cache/reproducible/ under its commit, toolchain
and settings (with the folder it was made in), so a warm run compares the
checkout's build against it again instead of compiling the same commit anew;
a new commit or toolchain builds afresh.
(A folder with a space is refused by the builder: MicroPython's makefiles cannot build there.)
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from nearwasm.build import _toolchain_fingerprint, build_contract, find_entry
from nearwasm.source_metadata import git_snapshot

REPO = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 3600
FRESH_BUILDS = REPO / ".cache" / "reproducible"


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def _fresh_build(folder: Path, commit: str, env_changes: dict, umask: int) -> tuple[bytes, list[str]]:
    """The guard of `commit` built from scratch in a clone, and the folders (clone, HOME) it was built with.

    Kept under FRESH_BUILDS by commit, toolchain and settings (HOME only as "somewhere
    else"): the same commit built the same way is compiled once, whichever run asks first.
    """
    settings = sorted((name, "<elsewhere>" if name == "HOME" else value) for name, value in env_changes.items())
    key = hashlib.sha256(json.dumps([commit, _toolchain_fingerprint().decode(), sys.version, settings, umask])
                         .encode()).hexdigest()[:24]
    kept, record = FRESH_BUILDS / f"{key}.wasm", FRESH_BUILDS / f"{key}.json"
    if kept.is_file() and record.is_file():
        return kept.read_bytes(), json.loads(record.read_text())["folders"]
    wasm = _build_in_clone(folder, commit, env_changes, umask)
    folders = [str(folder)] + ([env_changes["HOME"]] if "HOME" in env_changes else [])
    FRESH_BUILDS.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(wasm)
    record.write_text(json.dumps({"commit": commit, "folders": folders}))
    return wasm, folders


def _build_in_clone(folder: Path, commit: str, env_changes: dict, umask: int) -> bytes:
    """Clone `commit` into `folder` and build its guard with the clone's own builder and cache."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    _git("clone", "--quiet", "--no-checkout", "--no-hardlinks", str(REPO), str(folder), cwd=folder.parent)
    _git("checkout", "--quiet", "--detach", commit, cwd=folder)
    env = {name: value for name, value in os.environ.items() if not name.startswith(("GIT_", "GUARDCTL_"))}
    env.update(env_changes)
    env["PYTHONPATH"] = str(folder)  # the clone's builder (not installed), so the clone's .cache
    completed = subprocess.run([sys.executable, "-m", "nearwasm.build", "contract", "out.wasm"], cwd=folder,
                               env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
                               preexec_fn=lambda: os.umask(umask))
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert (folder / ".cache" / "stage").is_dir()  # built by the clone's builder, from scratch
    return (folder / "out.wasm").read_bytes()


def test_same_commit_same_bytes_in_another_folder_time_zone_locale_and_user(tmp_path):
    commit = _git("rev-parse", "HEAD", cwd=REPO)
    checkout = git_snapshot(REPO / "contract")
    if checkout.clean and checkout.commit == commit:
        reference = build_contract(find_entry(REPO / "contract"), tmp_path / "reference.wasm").path.read_bytes()
    else:  # the suite's build carries `uncommitted:`; compare two clones of HEAD instead
        reference, _ = _fresh_build(tmp_path / "b", commit, {}, umask=0o022)

    elsewhere, built_with = _fresh_build(tmp_path / "a-much-longer-folder-name" / "for-the-checkout" / "guard", commit, {
        "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "TZ": "Pacific/Kiritimati", "SOURCE_DATE_EPOCH": "1700000000",
        "HOME": str(tmp_path / "home-of-someone-else"), "USER": "someone-else", "LOGNAME": "someone-else",
    }, umask=0o077)

    assert commit.encode() in reference and commit.encode() in elsewhere  # both name the commit they were built from
    assert elsewhere == reference
    for folder in (*built_with, str(tmp_path), str(REPO), os.environ.get("HOME", "/root"), "/tmp/", "/home/"):
        assert folder.encode() not in elsewhere, folder


def test_a_folder_with_a_space_is_refused_in_one_line(tmp_path):
    clone = tmp_path / "with space" / "guard"
    clone.parent.mkdir()
    _git("clone", "--quiet", "--no-hardlinks", str(REPO), str(clone), cwd=tmp_path)
    env = {name: value for name, value in os.environ.items() if not name.startswith(("GIT_", "GUARDCTL_"))}
    env["PYTHONPATH"] = str(clone)
    completed = subprocess.run([sys.executable, "-m", "nearwasm.build", "contract", "out.wasm"], cwd=clone,
                               env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 1
    assert completed.stderr.startswith("error: ") and "has a space in its path" in completed.stderr
    assert not (clone / ".cache" / "runtime").exists()  # refused before any work
