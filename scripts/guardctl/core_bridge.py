"""Access to the guard's own pure core (`contract/guard_core`) for offline checks.

The CLI validates keys with exactly the code the contract runs, so a key the
guard would refuse is refused before a transaction is paid for. guard_core is
not an installed package (nearc freezes it into the contract), so its folder is
put on `sys.path` here, and only here. `GUARDCTL_CONTRACT_DIR` points at
another checkout's `contract/` when guardctl runs from elsewhere.
"""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

from .errors import GuardctlError

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACT_DIR_ENV = "GUARDCTL_CONTRACT_DIR"


def contract_dir() -> Path:
    configured = os.environ.get(CONTRACT_DIR_ENV)
    return Path(configured) if configured else REPO_ROOT / "contract"


def guard_core_module(name: str):
    """Import `guard_core.<name>` from the contract folder."""
    folder = contract_dir()
    if not (folder / "guard_core" / "__init__.py").is_file():
        raise GuardctlError(f"guard_core not found in {folder}; set {CONTRACT_DIR_ENV} to the guard's contract/ folder")
    if str(folder) not in sys.path:
        sys.path.append(str(folder))
    return importlib.import_module(f"guard_core.{name}")
