"""A lease row in the database: one holder of a role (the relay) across every host, taken over on expiry.

Portable (SQLite, PostgreSQL, MariaDB): a conditional UPDATE, or an INSERT for the first holder.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pinhaven.db.base import utcnow
from pinhaven.db.engine import SessionFactory, session_scope
from pinhaven.stream.models import StreamLease

__all__ = ["acquire", "release"]


def acquire(sessions: SessionFactory, *, name: str, holder: str, seconds: float) -> bool:
    """Take or renew the lease; False while another holder's lease runs."""
    now = utcnow()
    until = now + timedelta(seconds=seconds)
    with session_scope(sessions) as db:
        taken = db.execute(  # type: ignore[attr-defined]
            update(StreamLease)
            .where(StreamLease.name == name, (StreamLease.holder == holder) | (StreamLease.expires_at < now))
            .values(holder=holder, expires_at=until)
        ).rowcount
        if taken:
            return True
    try:
        with session_scope(sessions) as db:
            _insert(db, name=name, holder=holder, until=until)
        return True
    except IntegrityError:  # someone else holds it (or took it between our two statements)
        return False


def _insert(db: Session, *, name: str, holder: str, until: object) -> None:
    db.add(StreamLease(name=name, holder=holder, expires_at=until))
    db.flush()


def release(sessions: SessionFactory, *, name: str, holder: str) -> None:
    with session_scope(sessions) as db:
        db.execute(delete(StreamLease).where(StreamLease.name == name, StreamLease.holder == holder))
