"""Per-database state of this process (vector matrix, vocabulary) and the connections its threads read with.

State is keyed by the database URL, not the engine: job handlers write through the read-write engine while
requests read through another (plain BEGIN on SQLite), and both must reach the same in-process index.
Background threads read through their own engine without a pool (no idle connections are held) and, on
SQLite, with plain BEGIN, so a background reload never takes or waits for the write lock.
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from pinhaven.db.engine import make_engine


def engine_of(db: Session) -> Engine:
    bind = db.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def database_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def background_reader(engine: Engine) -> Engine:
    """A pool-less, read-only engine on the same database for background threads."""
    url = database_key(engine)
    if engine.dialect.name == "sqlite":
        return make_engine(url, sqlite_read_only=True, poolclass=NullPool)
    return create_engine(url, poolclass=NullPool)
