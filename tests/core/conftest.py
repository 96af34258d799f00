import pytest

from tests.core import core_support


@pytest.fixture(scope="session", params=[2048, 3072, 4096], ids=lambda bits: f"rsa{bits}")
def rsa_key_any_size(request):
    return core_support.rsa_private_key(request.param)


@pytest.fixture(scope="session")
def rsa_key():
    return core_support.rsa_private_key(2048)


@pytest.fixture(scope="session")
def ed_key():
    return core_support.ed25519_private_key()
