"""Fixtures for the issuer's tests (issuer/).

- `sqlite_url`: a fresh SQLite file per test.
- `postgres_server` (session): a real PostgreSQL from Debian's package on a
  throwaway data dir and local port (installed with apt-get when missing);
  skipped with the reason only when that is impossible.
- `database_url`: parametrised over both backends (tests that use it run twice).
- `make_service` / `make_client`: an IssuerService / FastAPI TestClient with
  test settings (cheap KDF costs) over a given database.
- `idp`: the identity-provider TEST DOUBLE (a real local HTTP server).
"""
from __future__ import annotations

import logging
import uuid
import warnings

import pytest

with warnings.catch_warnings():
    # Starlette 1.x asks TestClient users to move from httpx to its successor; httpx is what we ship.
    warnings.simplefilter("ignore")
    import fastapi.testclient  # noqa: F401

from tests.issuer.issuer_support import MASTER_SECRET, PASSWORD, FakeIdentityProvider, fast_settings
from tests.issuer.postgres_server import PostgresUnavailable, create_database, drop_database, start_postgres


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'issuer.db'}"


@pytest.fixture(scope="session")
def postgres_server():
    try:
        with start_postgres() as server:
            yield server
    except PostgresUnavailable as err:
        pytest.skip(f"no PostgreSQL server for the tests: {err}")


@pytest.fixture
def postgres_url(postgres_server) -> str:
    name = f"issuer_{uuid.uuid4().hex[:12]}"
    url = create_database(postgres_server, name)
    yield url
    drop_database(postgres_server, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def make_service(sqlite_url):
    from issuer.service import IssuerService

    made = []

    def make(settings=None, *, url=None, activate_key=True, **kwargs):
        settings = settings or fast_settings(url or sqlite_url)
        kwargs.setdefault("initialise", True)
        service = IssuerService(settings, secret=MASTER_SECRET, **kwargs)
        if activate_key and service.keys.active() is None:
            info = service.keys.generate()
            service.keys.activate(info.kid)
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()


@pytest.fixture
def make_client(make_service):
    from fastapi.testclient import TestClient

    from issuer.app import create_app

    clients = []

    def make(settings=None, **kwargs):
        service = make_service(settings, **kwargs)
        client = TestClient(create_app(service=service), base_url="http://testserver")
        client.service = service
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client):
    """A client of a default issuer with one active RS256 key and the user alice."""
    client = make_client()
    client.service.accounts.add_user("alice", PASSWORD, subject="alice-sub", near_account="alice.test.near")
    return client


@pytest.fixture
def idp():
    with FakeIdentityProvider() as provider:
        yield provider


@pytest.fixture
def captured_logs(caplog):
    """Every log record of the issuer and uvicorn at DEBUG and up."""
    caplog.set_level(logging.DEBUG)
    return caplog
