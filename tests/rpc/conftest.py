"""The RPC tests' connection to the session's node and its root key."""
from __future__ import annotations

import pytest

from tests.rpc.wallet import KeyPair, RawRpc


@pytest.fixture(scope="module")
def rpc(network):
    connection = RawRpc(network.rpc_url)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def root_key(network) -> KeyPair:
    return KeyPair.from_secret_text(network.root_secret_key)
