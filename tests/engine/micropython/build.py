"""Build the test contract with nearc once and keep the Wasm in a cache keyed by its source.

A build takes about two minutes (MicroPython cross-compiler, then Emscripten),
so the result is kept under $LOCALNET_TEST_CONTRACT_CACHE (default
/tmp/localnet-engine-contracts) and reused while the source is unchanged.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Optional

SOURCE = Path(__file__).with_name("contract.py")


def cache_dir() -> Path:
    return Path(os.environ.get("LOCALNET_TEST_CONTRACT_CACHE", "/tmp/localnet-engine-contracts"))


def cached_wasm_path() -> Path:
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    return cache_dir() / digest / "contract.wasm"


def build_or_cached() -> Optional[Path]:
    """The contract's Wasm, building it if emscripten is available; None when it cannot be built."""
    wasm = cached_wasm_path()
    if wasm.exists():
        return wasm
    if shutil.which("emcc") is None:
        return None
    import nearc
    import nearc.builder

    workdir = wasm.parent
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(SOURCE, workdir / "contract.py")
    venv = Path(os.environ.get("VIRTUAL_ENV") or Path(__file__).resolve().parents[3] / ".venv")
    built = workdir / "contract.build.wasm"
    ok = nearc.builder.compile_contract(
        workdir / "contract.py", built, venv_path=venv, assets_dir=Path(nearc.__file__).parent
    )
    if not ok or not built.exists():
        return None
    built.rename(wasm)
    return wasm


if __name__ == "__main__":
    print(build_or_cached())
