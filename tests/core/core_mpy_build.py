"""Build (once, cached) a unix MicroPython from the tree bundled with nearc.

The build uses the variant in `micropython_variant/` (configured like nearc's
NEAR Wasm port, including its non-unwinding exception scheme) and works on a
copy of the sources under `.cache/`, so the installed nearc package is never
touched. About 20-30 s on two cores; later calls reuse the binary.

    python tests/core/core_mpy_build.py    # build now, print the path
"""

import fcntl
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VARIANT_DIR = Path(__file__).resolve().parent / "micropython_variant"
CACHE_DIR = ROOT / ".cache" / "micropython-unix-nearlike"

# What the unix port needs from the tree (the rest is other ports and docs).
_SOURCE_PARTS = ["py", "extmod", "shared", "tools", "ports/unix"] + [
    f"lib/{name}"
    for name in ("re1.5", "uzlib", "libm", "libm_dbl", "crypto-algorithms", "mbedtls_errors", "littlefs", "oofatfs")
]


class BuildUnavailable(Exception):
    """MicroPython cannot be built here; the message says why."""


def nearc_micropython_tree():
    try:
        import nearc
    except ImportError as error:
        raise BuildUnavailable(f"nearc is not installed: {error}") from error
    tree = Path(nearc.__file__).resolve().parent / "micropython"
    if not (tree / "ports" / "unix" / "Makefile").is_file():
        raise BuildUnavailable(f"nearc has no MicroPython unix port at {tree}")
    return tree


def _fingerprint(tree):
    digest = hashlib.sha256()
    for path in sorted(VARIANT_DIR.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for relative in ("py/mpconfig.h", "py/nlr.h", "py/vm.c", "py/mpz.c", "extmod/modjson.c"):
        digest.update((tree / relative).read_bytes())
    return digest.hexdigest()[:16]


def micropython_binary(verbose=False):
    """Path of the built interpreter; builds it if needed."""
    for tool in ("make", "cc"):
        if shutil.which(tool) is None:
            raise BuildUnavailable(f"`{tool}` is not available")
    tree = nearc_micropython_tree()
    fingerprint = _fingerprint(tree)
    build_root = CACHE_DIR / fingerprint
    binary = build_root / "build" / "micropython"
    if binary.is_file():
        return binary
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time across processes
        if binary.is_file():
            return binary
        source = build_root / "src"
        if source.exists():
            shutil.rmtree(source)
        for part in _SOURCE_PARTS:
            if (tree / part).exists():
                shutil.copytree(tree / part, source / part, ignore=shutil.ignore_patterns("__pycache__", "build*"))
        command = [
            "make",
            "-C",
            str(source / "ports" / "unix"),
            "-j2",
            f"VARIANT_DIR={VARIANT_DIR}",
            f"BUILD={build_root / 'build'}",
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        log = build_root / "build.log"
        log.write_text(result.stdout + result.stderr)
        if verbose:
            print(result.stdout[-2000:], result.stderr[-2000:])
        if result.returncode != 0 or not binary.is_file():
            tail = (result.stdout + result.stderr)[-1500:]
            raise BuildUnavailable(f"MicroPython build failed (log: {log}):\n{tail}")
    return binary


if __name__ == "__main__":
    try:
        print(micropython_binary(verbose="-v" in sys.argv))
    except BuildUnavailable as error:
        print(error, file=sys.stderr)
        sys.exit(1)
