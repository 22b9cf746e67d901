"""The transactional outbox: services call `emit` inside their transaction; rows are written at commit.

The ids are taken in a `before_commit` listener, so rolled-back work writes nothing. Order per key is
exact: the listener first locks the key's `outbox_keys` row (one upsert for all the transaction's keys,
in key order so two transactions never wait on each other crosswise), then takes ids above the key's last
one and stores the new last id. A second transaction emitting for the same key waits on that lock until
the first commits, so per key, id order is commit order, and the relay publishes in id order. The lock is
held only from the start of COMMIT to its end. Only engines whose instance has an event bus (`enable`) get
rows: with `PINHAVEN_EVENT_BUS_URL` empty, `emit` is one dictionary lookup and returns.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import Engine, event, insert, select
from sqlalchemy.orm import Session

from pinhaven.db.base import utcnow
from pinhaven.db.engine import dialect_name
from pinhaven.db.ids import new_id_after
from pinhaven.stream.models import OutboxEvent, OutboxKey

__all__ = ["EVENT_TYPES", "disable", "emit", "enable", "enabled"]

# Every type the services emit (the subject is pinhaven.<instance>.<type>).
EVENT_TYPES = (
    "pin.created",  # payload: pin_id, board_id, section_id, parent_pin_id (a save), creator_id
    "pin.updated",  # edited, moved to another board/section
    "pin.deleted",
    "board.created",
    "board.updated",  # renamed, privacy changed (payload: privacy)
    "board.deleted",
    "section.created",
    "section.updated",
    "section.deleted",
    "follow.user",  # payload: follower_id, followee_id, on (True: follow, False: unfollow)
    "follow.board",
    "engagement.impression",  # validated engagement events: event_id, user_id, pin_id, surface, position, at
    "engagement.closeup",
    "engagement.click",
    "engagement.save",
    "engagement.hide",
)

_PENDING = "stream.outbox"  # key in Session.info: list of (type, key, payload)
_enabled: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def enable(engine: Engine, instance: str) -> None:
    """Sessions bound to `engine` write outbox rows (the instance has an event bus)."""
    _enabled[engine] = instance


def disable(engine: Engine) -> None:
    _enabled.pop(engine, None)


def enabled(db: Session) -> bool:
    """Whether this session's instance streams its changes (callers then skip work a consumer owns)."""
    if not _enabled:
        return False
    bind = db.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return engine in _enabled


def emit(*, db: Session, type: str, key: int | str, payload: dict[str, Any]) -> None:
    """Record that `type` happened to `key`; the row is written when (and only if) the transaction commits."""
    if not enabled(db):
        return
    db.info.setdefault(_PENDING, []).append((type, str(key), payload))


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    now = utcnow()
    last = _lock_keys(session, sorted({key for _, key, _ in pending}))
    rows = []
    for kind, key, payload in pending:
        last[key] = new_id_after(last[key])
        rows.append(
            {
                "id": last[key],
                "key": key,
                "type": kind,
                "payload": payload,
                "created_at": now,
                "sent_at": None,
            }
        )
    _store_last_ids(session, last)
    for start in range(0, len(rows), 500):
        session.execute(insert(OutboxEvent), rows[start : start + 500])


def _upsert(session: Session, rows: list[dict[str, Any]], *, keep: bool) -> None:
    """Insert the keys' rows or update them (`keep`: rewrite last_id with itself, which only locks)."""
    from sqlalchemy.dialects import mysql, postgresql, sqlite

    table: Any = OutboxKey.__table__
    name = dialect_name(session)
    stmt: Any
    if name in ("mysql", "mariadb"):
        stmt = mysql.insert(table).values(rows)
        stmt = stmt.on_duplicate_key_update(last_id=table.c.last_id if keep else stmt.inserted.last_id)
    else:
        stmt = (postgresql.insert if name == "postgresql" else sqlite.insert)(table).values(rows)
        value = table.c.last_id if keep else stmt.excluded.last_id
        stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={"last_id": value})
    session.execute(stmt)


def _lock_keys(session: Session, keys: list[str]) -> dict[str, int]:
    """Lock (creating them when new) the keys' rows, in key order; each key's last id."""
    last: dict[str, int] = {}
    for start in range(0, len(keys), 400):
        chunk = keys[start : start + 400]
        _upsert(session, [{"key": key, "last_id": 0} for key in chunk], keep=True)
        # A locking read: under MariaDB's REPEATABLE READ a plain one could return the snapshot's value.
        query = select(OutboxKey.key, OutboxKey.last_id).where(OutboxKey.key.in_(chunk)).with_for_update()
        last.update({str(k): int(v) for k, v in session.execute(query)})
    return last


def _store_last_ids(session: Session, last: dict[str, int]) -> None:
    rows = [{"key": key, "last_id": value} for key, value in sorted(last.items())]
    for start in range(0, len(rows), 400):
        _upsert(session, rows[start : start + 400], keep=False)


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
