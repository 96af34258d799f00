"""The storage layer on both backends: every test here runs on SQLite and on a real PostgreSQL server
(Debian's postgresql, a throwaway cluster on a local port; see postgres_server.py)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from issuer.accounts import AccountError
from issuer.errors import NotAuthenticated
from issuer.config import Limit
from issuer.ratelimit import DatabaseRateLimiter
from issuer.secrets_box import MasterSecretError
from issuer.storage import Store, signing_keys
from tests.issuer.issuer_support import MASTER_SECRET, PASSWORD, fast_settings


def test_backend_is_the_one_asked_for(make_service, database_url):
    service = make_service(url=database_url)
    expected = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    assert service.store.dialect == expected
    assert service.store.get_meta("schema_version") == "1"
    # Creating the schema again is harmless.
    service.store.create_schema()


def test_users_sessions_and_refresh_rotation(make_service, database_url):
    service = make_service(url=database_url)
    accounts = service.accounts
    user = accounts.add_user("alice", PASSWORD, subject="alice-sub", near_account="alice.test.near")
    assert user["subject"] == "alice-sub" and user["disabled"] is False
    with pytest.raises(AccountError, match="taken"):
        accounts.add_user("alice", PASSWORD)
    with pytest.raises(AccountError, match="taken"):
        accounts.add_user("alice2", PASSWORD, subject="alice-sub")
    first = accounts.login("alice", PASSWORD)
    second = accounts.refresh(first.refresh_token)
    assert accounts.authenticate_access(second.access_token).subject == "alice-sub"
    with pytest.raises(NotAuthenticated) as reused:
        accounts.refresh(first.refresh_token)
    assert reused.value.code == "refresh_token_reused"
    with pytest.raises(NotAuthenticated) as revoked:
        accounts.authenticate_access(second.access_token)
    assert revoked.value.code == "session_revoked"
    # The stored password is an Argon2id hash, and no token is stored in the clear.
    with service.store.read() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users")).scalar_one()
        hashes = [row[0] for row in conn.execute(text("SELECT token_hash FROM refresh_tokens"))]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert first.refresh_token not in hashes and len(hashes[0]) == 64


def test_rate_limit_counter_is_atomic_under_concurrency(make_service, database_url):
    service = make_service(url=database_url)
    limiter = DatabaseRateLimiter(service.store, service.clock)
    limit = Limit(limit=50, window_seconds=3600)
    verdicts, barrier = [], threading.Barrier(8)

    def hammer():
        barrier.wait()
        for _ in range(10):
            verdicts.append(limiter.hit("test:bucket", limit))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = sorted(v.count for v in verdicts)
    assert counts == list(range(1, 81))  # every hit counted exactly once
    assert sum(v.allowed for v in verdicts) == 50
    assert limiter.peek("test:bucket", limit).count == 80


def test_at_most_one_active_key_even_at_the_database_level(make_service, database_url):
    service = make_service(url=database_url)
    pending = service.keys.generate(alg="EdDSA")
    # A direct write that would make two keys active is refused by the partial unique index.
    with pytest.raises(IntegrityError):
        with service.store.write() as conn:
            conn.execute(signing_keys.update().where(signing_keys.c.kid == pending.kid).values(state="active"))
    assert [k.state for k in service.keys.list()].count("active") == 1


def test_private_keys_are_encrypted_at_rest(make_service, database_url):
    from cryptography.hazmat.primitives import serialization

    service = make_service(url=database_url)
    signer = service.keys.signer()
    der = signer.private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption())
    with service.store.read() as conn:
        blob = bytes(conn.execute(select(signing_keys.c.private_blob)).scalar_one())
    assert der not in blob and der[-64:] not in blob and blob[0] == 1
    assert len(blob) == 1 + 16 + 12 + len(der) + 16  # version, salt, nonce, ciphertext, tag


def test_wrong_master_secret_fails_at_start(make_service, database_url):
    from issuer.service import IssuerService

    make_service(url=database_url)
    with pytest.raises(MasterSecretError, match="not the one"):
        IssuerService(fast_settings(database_url), secret=b"another secret of enough length, 32+ chars")


def test_a_blob_moved_to_another_key_row_does_not_decrypt(make_service, database_url):
    service = make_service(url=database_url)
    other = service.keys.generate()
    active = service.keys.active()
    with service.store.write() as conn:
        blob = conn.execute(select(signing_keys.c.private_blob).where(signing_keys.c.kid == other.kid)).scalar_one()
        conn.execute(signing_keys.update().where(signing_keys.c.kid == active.kid).values(private_blob=blob))
    service.keys._cache.clear()
    with pytest.raises(MasterSecretError):
        service.keys.signer()


def test_master_secret_rewrap(make_service, database_url):
    from issuer.service import IssuerService

    service = make_service(url=database_url)
    service.keys.generate()
    before = service.keys.signer().kid
    new_secret = b"the new master secret, also 32+ characters"
    assert service.keys.rewrap(new_secret) == 2
    service.keys._cache.clear()
    assert service.keys.signer().kid == before
    with pytest.raises(MasterSecretError):
        IssuerService(fast_settings(database_url), secret=MASTER_SECRET)
    reopened = IssuerService(fast_settings(database_url), secret=new_secret)
    assert reopened.keys.signer().kid == before
    reopened.close()


def test_audit_log_on_both_backends(make_service, database_url):
    service = make_service(url=database_url)
    service.audit.record("token_issued", subject="s", tx_sha256="ab" * 32, kid="k", jti="j", client_ip="127.0.0.1")
    service.audit.record("token_refused", subject="s", detail="x" * 2000)
    rows = service.audit.tail()
    assert [r["event"] for r in rows] == ["token_issued", "token_refused"]
    assert len(rows[1]["detail"]) == 500


def test_prune_removes_expired_rows(make_service, database_url):
    from issuer.clock import Clock

    clock = Clock()
    service = make_service(url=database_url, clock=clock)
    service.accounts.add_user("alice", PASSWORD)
    service.accounts.login("alice", PASSWORD)
    assert service.accounts.prune() == 0
    clock.advance(91 * 86400)
    assert service.accounts.prune() == 3  # access token, refresh token, family


def test_postgres_url_forms(postgres_server):
    from issuer.storage import normalise_url

    assert normalise_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"
    store = Store(postgres_server.url("postgres"))
    assert store.ping() and store.dialect == "postgresql"
    store.dispose()
