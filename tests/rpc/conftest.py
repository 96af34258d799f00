"""Fixtures for tests that need a running NEAR network.

`network` is session-scoped and self-contained, so it can move to
tests/conftest.py as is.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# tests/ is not a package; make `tests.network` importable however pytest is invoked.
REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.network import NetworkHandle, start_network  # noqa: E402


@pytest.fixture(scope="session")
def network(tmp_path_factory) -> NetworkHandle:
    """A running NEAR node and its funded root account (see tests/network.py for the choice)."""
    with start_network(tmp_path_factory.mktemp("network")) as handle:
        yield handle
