"""Fixtures for the router / FastAuth port tests: one deployed world per session, reset per test."""
from __future__ import annotations

import pytest

from .harness import World


@pytest.fixture(scope="session")
def _world_and_snapshot():
    world = World.create()
    yield world, world.chain.snapshot()
    world.chain.close()


@pytest.fixture
def world(_world_and_snapshot):
    """The deployed world, back in its just-deployed state for every test."""
    world, snapshot = _world_and_snapshot
    world.chain.restore(snapshot)
    return world
