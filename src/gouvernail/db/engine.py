"""The database handle: one engine and one session factory, owned by the runtime.

SQLite is the embedded default (WAL journal, foreign keys on, ``synchronous=FULL`` so that a
committed audit record survives a power cut), with the sqlite-vec extension loaded on every
connection for insight's vectors; PostgreSQL through psycopg 3 is the scale backend.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlite_vec
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def sqlite_driver() -> ModuleType:
    """The SQLite driver: the standard library's when it can load extensions, else pysqlite3
    (some Python builds, this project's CI among them, leave extension loading out; the
    ``pysqlite3-binary`` wheel brings a recent SQLite that can)."""
    if hasattr(sqlite3.Connection, "enable_load_extension"):
        return sqlite3
    try:
        import pysqlite3.dbapi2 as driver
    except ImportError as missing:  # pragma: no cover - installed on Linux by the package
        raise RuntimeError(
            "this Python's sqlite3 cannot load extensions (sqlite-vec): install pysqlite3-binary "
            "or use a Python built with extension loading"
        ) from missing
    module: ModuleType = driver
    return module


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.enable_load_extension(True)
    sqlite_vec.load(dbapi_connection)
    dbapi_connection.enable_load_extension(False)
    # Let SQLAlchemy issue BEGIN itself (see _sqlite_begin) instead of pysqlite's implicit one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock at BEGIN: two processes never interleave read-then-write.
    write = conn.get_execution_options().get("write")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """Owns the engine and the session factory for one database URL."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        parsed = make_url(url)
        self.url = url
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"future": True}
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            kwargs["module"] = sqlite_driver()
        elif self.dialect == "postgresql":
            if parsed.drivername == "postgresql":
                parsed = parsed.set(drivername="postgresql+psycopg")
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        else:
            raise ValueError(
                f"unsupported database {parsed.drivername!r}: use sqlite or postgresql"
            )
        self.engine: Engine = create_engine(parsed, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            self.engine.execution_options(write=True), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; closed (its transaction rolled back) at the end, leaving the
        objects read usable."""
        with self.sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on success."""
        with self._write_sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
