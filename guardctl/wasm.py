"""The guard's Wasm: built from the checkout's contract/ (cached by nearwasm), or read from a file."""
from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

from nearwasm import build

from .context import Context
from .errors import GuardctlError

DEFAULT_CONTRACT = build.REPO_ROOT / "contract" / "guard.py"
DEFAULT_WASM = build.REPO_ROOT / "build" / "guard.wasm"
WASM_MAGIC = b"\0asm"

# A transaction may be at most 1.5 MiB; leave room for the rest of it.
MAX_WASM_IN_TRANSACTION = 1_500_000


def read_wasm(path: str) -> bytes:
    try:
        code = Path(path).expanduser().read_bytes()
    except FileNotFoundError:
        raise GuardctlError(f"Wasm file {path} does not exist ('guardctl build' writes {DEFAULT_WASM})") from None
    except OSError as err:
        raise GuardctlError(f"cannot read Wasm file {path}: {err.strerror}") from None
    if not code.startswith(WASM_MAGIC):
        raise GuardctlError(f"{path} is not a Wasm module (no \\0asm header)")
    if len(code) > MAX_WASM_IN_TRANSACTION:
        raise GuardctlError(f"{path} is {len(code)} bytes; a NEAR transaction carries at most ~1.5 MB")
    return code


def build_wasm(ctx: Context, contract: Path, output: Path, *, runtime: str = "patched", force: bool = False):
    ctx.out.progress(f"building {contract} (the first build takes a few minutes; later ones are cached)")
    # The builder reports on stdout, which belongs to guardctl's result (and
    # --json); its lines are progress, so they go where progress goes.
    builder_log = sys.stderr if ctx.out.show_progress else io.StringIO()
    try:
        with contextlib.redirect_stdout(builder_log):
            return build.build_contract(contract, output, runtime=runtime, force=force)
    except (build.BuildError, ValueError) as err:
        raise GuardctlError(f"build failed: {err}") from None
