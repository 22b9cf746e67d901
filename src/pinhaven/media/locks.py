"""Leases in the database (`media_locks`), shared by every process on every host.

A lease is one row keyed by what it guards. Taking it is an INSERT (the primary key lets exactly one
process win, on SQLite, PostgreSQL and MariaDB alike) or, once the row has expired because its holder died,
a conditional UPDATE that only one process can match. Each step is its own short transaction on the
writable engine, never the caller's request transaction: other hosts must see it at once.

    try_acquire(engine, name, holder, ttl)   True when `holder` now holds `name` until now + ttl
    release(engine, name, holder)            drop it (only if still held by `holder`)
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from pinhaven.db.base import utcnow
from pinhaven.media.models import MediaLock

__all__ = ["release", "try_acquire"]


def try_acquire(engine: Engine, name: str, holder: str, ttl_seconds: float) -> bool:
    """Take the lease `name` for `ttl_seconds` unless someone else holds an unexpired one."""
    now = utcnow()
    until = now + timedelta(seconds=ttl_seconds)
    try:
        with engine.begin() as conn:  # the common case: nobody ever held it, or it was released
            conn.execute(insert(MediaLock).values(name=name, holder=holder, expires_at=until))
        return True
    except IntegrityError:
        pass
    try:
        with engine.begin() as conn:  # an expired lease: exactly one contender's UPDATE matches it
            taken = conn.execute(
                update(MediaLock)
                .where(MediaLock.name == name, MediaLock.expires_at < now)
                .values(holder=holder, expires_at=until)
            )
            return taken.rowcount == 1
    except OperationalError:  # a deadlock/lock timeout against another contender: it won
        return False


def release(engine: Engine, name: str, holder: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(MediaLock).where(MediaLock.name == name, MediaLock.holder == holder))
