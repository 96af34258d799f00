"""The guard's own pure core (`contract/guard_core`), imported by the issuer.

The issuer checks what it signs with exactly the code the guard runs on-chain:
key shapes (`guard_core.keys`), the token size limit (`guard_core.jws`) and
the transaction decoder and policy (`guard_core.txdecode`, `guard_core.policy`).
guard_core is not an installed package (nearc freezes it into the contract),
so its folder goes on `sys.path` here, and only here. `ISSUER_CONTRACT_DIR`
points at another checkout's `contract/` when the issuer runs from elsewhere.
"""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CONTRACT_DIR_ENV = "ISSUER_CONTRACT_DIR"


class GuardCoreMissing(ImportError):
    pass


def contract_dir() -> Path:
    configured = os.environ.get(CONTRACT_DIR_ENV)
    return Path(configured) if configured else REPO_ROOT / "contract"


def guard_core(name: str):
    """`guard_core.<name>` from the contract folder."""
    folder = contract_dir()
    if not (folder / "guard_core" / "__init__.py").is_file():
        raise GuardCoreMissing(f"guard_core not found in {folder}; set {CONTRACT_DIR_ENV} to the guard's "
                               "contract/ folder")
    if str(folder) not in sys.path:
        sys.path.append(str(folder))
    try:
        return importlib.import_module(f"guard_core.{name}")
    except ModuleNotFoundError as err:
        if err.name == f"guard_core.{name}":
            raise GuardCoreMissing(f"guard_core.{name} is not in {folder / 'guard_core'}") from None
        raise


def has_module(name: str) -> bool:
    try:
        guard_core(name)
        return True
    except GuardCoreMissing:
        return False
