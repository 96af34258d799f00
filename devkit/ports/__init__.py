"""Python ports of the contracts around the guard, built to Wasm like the guard itself.

* `jwt_guard_router`: Peersyst/fast-auth's `JwtGuardRouter`;
* `fastauth`: Peersyst/fast-auth's `FastAuth`;
* `mpc_mock`: answers FastAuth's `sign` with a signature-shaped value (it signs nothing).

The router and FastAuth behave as upstream does, each behaviour beside the upstream line it
follows (tests/ports/README.md has the parity table); near-sdk's generated wrapper, which both
use, is `near_sdk_wrapper.py` here, linked into each folder.
"""
from __future__ import annotations

import functools
from pathlib import Path

from nearwasm.build import build_contract, find_entry

PORTS_DIR = Path(__file__).resolve().parent
PORTS = ("jwt_guard_router", "fastauth", "mpc_mock")


def port_entry(name: str) -> Path:
    """The entry module of port `name` (one of PORTS)."""
    if name not in PORTS:
        raise ValueError(f"no port {name!r}; the ports are {', '.join(PORTS)}")
    return find_entry(PORTS_DIR / name)


@functools.lru_cache(maxsize=None)
def built_port(name: str, output: Path | None = None) -> Path:
    """Build port `name` (or take it from the build cache) and return its Wasm: `output`, or
    `<port>/build/<entry>.wasm` (git-ignored)."""
    entry = port_entry(name)
    return build_contract(entry, output or entry.parent / "build" / f"{entry.stem}.wasm").path
