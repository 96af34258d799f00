import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import core_support  # noqa: E402


@pytest.fixture(scope="session", params=[2048, 3072, 4096], ids=lambda bits: f"rsa{bits}")
def rsa_key_any_size(request):
    return core_support.rsa_private_key(request.param)


@pytest.fixture(scope="session")
def rsa_key():
    return core_support.rsa_private_key(2048)


@pytest.fixture(scope="session")
def ed_key():
    return core_support.ed25519_private_key()
