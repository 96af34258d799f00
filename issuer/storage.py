"""The storage layer: SQLAlchemy Core tables over SQLite (default) or PostgreSQL.

One schema, one set of statements, two backends; no ORM. What differs is
kept here and is small:

- SQLite: foreign keys on, WAL journal, a busy timeout, and write
  transactions opened with `BEGIN IMMEDIATE` (so two writers queue instead of
  one failing with "database is locked" when it upgrades a read lock);
- PostgreSQL (psycopg 3): `postgresql://` URLs are given the psycopg driver;
  reads and single-statement writes run in autocommit (one round trip each,
  instead of BEGIN, statement, COMMIT): under PostgreSQL's READ COMMITTED a
  transaction gives separate statements no common snapshot anyway.

Atomic steps rely only on what both engines do the same way: a conditional
`UPDATE … WHERE used_at IS NULL` and its row count (refresh-token rotation),
`INSERT … ON CONFLICT DO UPDATE … RETURNING` (rate-limit counters), and a
partial unique index (at most one active signing key).

Times are whole unix seconds (BIGINT) from the issuer's clock.

Nothing but `issuer init` creates a database: every other command, and
`serve`, opens an existing one (`Store(url)`) and refuses with one line when the
SQLite file is missing or the database has no issuer schema, instead of
quietly starting on an empty one. A SQLite file is created mode 0600 (SQLite
gives its -wal and -shm files the same mode).
"""
from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Iterator

from sqlalchemy import (BigInteger, Boolean, Column, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table,
                        Text, create_engine, event, inspect, text)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

SCHEMA_VERSION = "1"

metadata = MetaData()

meta = Table(
    "issuer_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

users = Table(
    "users", metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(128), nullable=False, unique=True),
    Column("subject", String(256), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("near_account_id", String(64), nullable=True),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

session_families = Table(
    "session_families", metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
    Column("revoked_reason", String(64), nullable=True),
)

access_tokens = Table(
    "access_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("family_id", String(32), ForeignKey("session_families.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
)

refresh_tokens = Table(
    "refresh_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("family_id", String(32), ForeignKey("session_families.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger, nullable=True),
)

signing_keys = Table(
    "signing_keys", metadata,
    Column("kid", String(128), primary_key=True),
    # Creation order (created_at has one-second resolution).
    Column("seq", Integer, nullable=False, unique=True),
    Column("alg", String(16), nullable=False),
    # pending → active → retiring → retired; any → revoked (see issuer.signing_keys)
    Column("state", String(16), nullable=False),
    Column("public_jwk", Text, nullable=False),
    Column("private_blob", LargeBinary, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("activated_at", BigInteger, nullable=True),
    Column("deactivated_at", BigInteger, nullable=True),
    Column("retire_after", BigInteger, nullable=True),
    Column("retired_at", BigInteger, nullable=True),
    Column("revoked_at", BigInteger, nullable=True),
    Column("revoked_reason", String(256), nullable=True),
)
# At most one key signs at a time, whatever two concurrent `activate`s do.
Index("one_active_signing_key", signing_keys.c.state, unique=True,
      sqlite_where=signing_keys.c.state == "active", postgresql_where=signing_keys.c.state == "active")

rate_counters = Table(
    "rate_counters", metadata,
    Column("bucket", String(400), primary_key=True),
    Column("window_start", BigInteger, primary_key=True),
    Column("count", Integer, nullable=False),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", BigInteger, nullable=False, index=True),
    Column("event", String(32), nullable=False),
    Column("subject", String(300), nullable=True, index=True),
    Column("auth_method", String(64), nullable=True),
    Column("tx_sha256", String(64), nullable=True),
    Column("kid", String(128), nullable=True),
    Column("jti", String(64), nullable=True),
    Column("client_ip", String(64), nullable=True),
    Column("detail", Text, nullable=True),
)


class StorageError(Exception):
    """The database is not there, or not an issuer's; the message says what to do."""


def sqlite_file(url: str):
    """The SQLite database file a URL names (absolute), or None for PostgreSQL and in-memory databases."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or "mode=memory" in url:
        return None
    return Path(database).resolve()


def _returns_rows(statement) -> bool:
    return bool(getattr(statement, "_returning", None))


def normalise_url(url: str) -> str:
    """postgres:// and postgresql:// get the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, echo: bool = False) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url
        kwargs = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if in_memory:
            kwargs["poolclass"] = StaticPool
        else:
            kwargs["pool_size"] = 8
            kwargs["max_overflow"] = 16
        engine = create_engine(url, echo=echo, **kwargs)
        _configure_sqlite(engine, in_memory)
        return engine
    # No pre-ping: it is a round trip on every checkout. A connection that died with the server fails one
    # request (503), and SQLAlchemy then drops every older connection of the pool.
    return create_engine(url, echo=echo, pool_size=8, max_overflow=16)


def _configure_sqlite(engine: Engine, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # We issue BEGIN ourselves (below), so pysqlite must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection):
        immediate = connection.get_execution_options().get("issuer_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Store:
    """The engine and the two ways in: `read()` and `write()` transactions.

    `create=True` (only `issuer init` and tests) may create the SQLite file; otherwise it must exist.
    """

    def __init__(self, url: str, echo: bool = False, *, create: bool = False):
        self.url = url
        path = sqlite_file(url)
        if path is not None:
            if not path.parent.is_dir():
                raise StorageError(f"the directory of the database file {path} does not exist "
                                   "(database.url; SQLite URLs take an absolute path: sqlite:////var/lib/…)")
            if not path.exists():
                if not create:
                    raise StorageError(f"no database at {path}: run `issuer init` to create it, or fix database.url "
                                       "(an absolute path is sqlite:////path/issuer.db, four slashes)")
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        self.engine = make_engine(url, echo)
        self.dialect = self.engine.dialect.name  # "sqlite" | "postgresql"
        self._writer = self.engine.execution_options(issuer_write=True)
        self._autocommit = (self.engine.execution_options(isolation_level="AUTOCOMMIT")
                            if self.dialect == "postgresql" else None)
        # SQLite has one writer at a time. Queueing this process's writers on a lock costs
        # nothing, where letting them collide makes SQLite's busy handler sleep (1, 2, 5 … 100 ms).
        self._write_lock = threading.Lock() if self.dialect == "sqlite" else None

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        if self._autocommit is not None:
            with self._autocommit.connect() as conn:
                yield conn
            return
        with self.engine.begin() as conn:
            yield conn

    def write_one(self, statement, parameters=None):
        """One write statement, atomic on its own; returns its result with the rows fetched."""
        if self._autocommit is not None:
            with self._autocommit.connect() as conn:
                return conn.execute(statement, parameters).all() if _returns_rows(statement) else \
                    conn.execute(statement, parameters)
        with self.write() as conn:
            result = conn.execute(statement, parameters)
            return result.all() if _returns_rows(statement) else result

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        if self._write_lock is None:
            with self._writer.begin() as conn:
                yield conn
            return
        with self._write_lock:
            with self._writer.begin() as conn:
                yield conn

    def require_schema(self) -> None:
        """Refuse a database that `issuer init` has not set up (or set up for another schema version)."""
        found = None
        if inspect(self.engine).has_table(meta.name):
            with self.read() as conn:
                found = conn.execute(meta.select().where(meta.c.key == "schema_version")).first()
        if found is None:
            raise StorageError("the database has no issuer schema: run `issuer init` to set it up, or fix "
                               "database.url")
        if found.value != SCHEMA_VERSION:
            raise StorageError(f"database schema version {found.value} is not {SCHEMA_VERSION}")

    def create_schema(self) -> None:
        metadata.create_all(self.engine)
        with self.write() as conn:
            found = conn.execute(meta.select().where(meta.c.key == "schema_version")).first()
            if found is None:
                conn.execute(meta.insert().values(key="schema_version", value=SCHEMA_VERSION))
            elif found.value != SCHEMA_VERSION:
                raise StorageError(f"database schema version {found.value} is not {SCHEMA_VERSION}")

    def insert_or_ignore(self, table: Table):
        """INSERT … ON CONFLICT DO NOTHING for this backend."""
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        return dialect_insert(table).on_conflict_do_nothing()

    def upsert(self, table: Table):
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def get_meta(self, key: str):
        with self.read() as conn:
            row = conn.execute(meta.select().where(meta.c.key == key)).first()
        return None if row is None else row.value

    def set_meta_once(self, key: str, value: str) -> str:
        """Store `value` under `key` unless something is there already; return what is stored."""
        with self.write() as conn:
            conn.execute(self.insert_or_ignore(meta).values(key=key, value=value))
            return conn.execute(meta.select().where(meta.c.key == key)).first().value

    def set_meta(self, key: str, value: str) -> None:
        with self.write() as conn:
            stmt = self.upsert(meta).values(key=key, value=value)
            conn.execute(stmt.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": value}))

    def ping(self) -> bool:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True

    def dispose(self) -> None:
        self.engine.dispose()
