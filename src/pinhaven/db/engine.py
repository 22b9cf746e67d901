"""Engine and session factory for SQLite (default), PostgreSQL and MySQL/MariaDB/TiDB."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["SessionFactory", "dialect_name", "make_engine", "make_session_factory", "session_scope"]

SessionFactory = sessionmaker[Session]


def make_engine(url: str, *, sqlite_read_only: bool = False, **kwargs: Any) -> Engine:
    """An engine with the per-dialect settings Pinhaven relies on (WAL + foreign keys on SQLite, utf8mb4 on MySQL).

    On SQLite, writer engines open every transaction with BEGIN IMMEDIATE: a deferred transaction that reads,
    then writes, fails at once with "database is locked" when another connection committed in between (the busy
    timeout does not apply to that upgrade). Reader engines (`sqlite_read_only`) use plain BEGIN, so reads never
    wait for writers.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        if sqlite_read_only:
            event.listen(engine, "begin", _sqlite_begin)
        else:  # writers take turns in arrival order, then BEGIN IMMEDIATE (db/sqlite_writer.py)
            from pinhaven.db import sqlite_writer

            sqlite_writer.install(engine, engine.url.database)
        return engine
    if url.startswith("mysql"):
        kwargs.setdefault("pool_recycle", 3600)
        if "charset=" not in url:
            url += ("&" if "?" in url else "?") + "charset=utf8mb4"
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy manage transactions (pysqlite's implicit BEGIN misbehaves with SAVEPOINT).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Pages re-read after another connection's write come from the OS page cache without a read() and a
    # copy each; a larger per-connection cache keeps hot pages (boards, a page of pins) across requests.
    cursor.execute(f"PRAGMA mmap_size={256 * 1024 * 1024}")
    cursor.execute("PRAGMA cache_size=-16000")  # KiB
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # Straight on the driver: `exec_driver_sql` costs a whole statement execution (context, events, result),
    # a visible share of a short read request. A deferred BEGIN takes no lock, so it has no error to wrap.
    connection.connection.driver_connection.execute("BEGIN")


def make_session_factory(engine: Engine, *, info: dict[str, Any] | None = None) -> SessionFactory:
    """`info` is copied into every session's `Session.info` (the context's cache, for invalidation on commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True, info=info)


def dialect_name(session_or_engine: Session | Engine) -> str:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name


@contextmanager
def session_scope(factory: SessionFactory) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
