"""The node's engine: runs one contract method with NEAR's host functions and gas."""
from .api import StorageReader, VMContext, VMError, VMOutcome
from .config import ACTION_COST_NAMES, DEFAULT_CONFIG, LimitConfig, RuntimeConfig
from .runner import run

__all__ = [
    "ACTION_COST_NAMES",
    "DEFAULT_CONFIG",
    "LimitConfig",
    "RuntimeConfig",
    "StorageReader",
    "VMContext",
    "VMError",
    "VMOutcome",
    "run",
]
