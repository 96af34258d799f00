"""Test-only contracts, built on demand by nearwasm (cached by content).

Each contract is a folder here with its own pyproject.toml (entry module and
lean stdlib excludes).  The node's own contracts:

* `state`: storage, registers, context, hashes, logs.
* `caller` / `callee`: cross-contract calls with callbacks, promise_and and
  promise_return; near-sdk-style 0 static gas with weight 1.
* `panicker`: panics, an uncaught exception, a stack-overflow trap, memory
  exhaustion, gas exhaustion.
* `runtime_probe`: the MicroPython runtime patches' probes (tests/toolchain).
* `int_probe`: integer operations on sent operands, for the differential tests
  against CPython (tests/toolchain/test_int_differential.py).
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from nearwasm.build import build_contract, contract_cflags, find_entry, source_hash, BuildSettings

CONTRACTS_DIR = Path(__file__).resolve().parent
NODE_CONTRACTS = ("state", "caller", "callee", "panicker")


def contract_entry(name: str) -> Path:
    folder = CONTRACTS_DIR / name
    if not folder.is_dir():
        raise ValueError(f"no test contract {name!r} in {CONTRACTS_DIR}")
    return find_entry(folder)


def built_contract(name: str, runtime: str = "patched", cflags_of: Path | None = None) -> Path:
    """Build (or take from the cache) contract `name` and return its Wasm path.

    The Wasm lands in `tests/contracts/<name>/build/` (gitignored); a rebuild
    happens only when the contract's sources, the runtime patches, the
    toolchain or the runtime choice changed.  `cflags_of` (a contract folder,
    e.g. the guard's) adds that contract's `[tool.guardctl] cflags`, so a probe
    can run on the runtime exactly as that contract is built. Not its
    `near-functions`: a probe calls `near` functions the guard leaves out, and
    that subset changes nothing else.
    """
    entry = contract_entry(name)
    extra = contract_cflags(cflags_of) if cflags_of is not None else ()
    key = source_hash(entry, BuildSettings(runtime=runtime, extra_cflags=extra))
    return _built(entry, runtime, extra, key)


@functools.lru_cache(maxsize=None)
def _built(entry: Path, runtime: str, extra_cflags: tuple[str, ...], key: str) -> Path:
    suffix = "" if runtime == "patched" else f".{runtime}"
    if extra_cflags:
        suffix += "." + hashlib.sha256(repr(extra_cflags).encode()).hexdigest()[:8]
    output = entry.parent / "build" / f"{entry.stem if entry.stem != 'contract' else entry.parent.name}{suffix}.wasm"
    return build_contract(entry, output, runtime=runtime, extra_cflags=extra_cflags).path
