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
from pinhaven.db.ids import new_id, new_id_after
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
    ids = _take_ids(session, [key for _, key, _ in pending])
    rows = [
        {"id": id_, "key": key, "type": kind, "payload": payload, "created_at": now, "sent_at": None}
        for id_, (kind, key, payload) in zip(ids, pending, strict=True)
    ]
    for start in range(0, len(rows), 500):
        session.execute(insert(OutboxEvent), rows[start : start + 500])


def _take_ids(session: Session, keys: list[str]) -> list[int]:
    """An id for each pending event (by position), above its key's last id, with the keys' rows locked.

    PostgreSQL and SQLite: one upsert per 400 keys proposes each key's first fresh id and keeps the larger
    of it and the stored one (RETURNING tells which); only a key with several events, or whose stored id is
    ahead of this clock, needs a second statement. MariaDB: lock, locking read, store (three statements).
    """
    ids = [new_id() for _ in keys]  # increasing in emission order (one generator per process)
    first: dict[str, int] = {}
    for key, id_ in zip(keys, ids, strict=True):
        first.setdefault(key, id_)
    dialect = dialect_name(session)
    if dialect in ("postgresql", "sqlite"):
        stored = _propose(session, dialect, first)
        behind = {key for key, value in stored.items() if value != first[key]}  # a clock ran ahead of ours
        if not behind and len(first) == len(keys):
            return ids  # the common case: one statement
    else:
        stored = _lock_and_read(session, sorted(first))
        behind = set(stored)  # ids are taken above the stored ones
    last = {key: stored[key] for key in behind}
    for index, key in enumerate(keys):
        if key in behind:
            ids[index] = last[key] = new_id_after(last[key])
        else:
            last[key] = ids[index]
    _store_last_ids(session, last)
    return ids


_STATEMENTS: dict[tuple[str, str], Any] = {}


def _statement(dialect: str, purpose: str) -> Any:
    """The upserts on outbox_keys, built once per dialect and run with a list of parameter sets (their
    compiled form is cached; a multi-row VALUES would compile on every commit). `propose`: keep the larger
    last id, returning it; `lock`: rewrite last_id with itself (MariaDB; only locks); `store`: set it."""
    statement = _STATEMENTS.get((dialect, purpose))
    if statement is None:
        from sqlalchemy import case
        from sqlalchemy.dialects import mysql, postgresql, sqlite

        table: Any = OutboxKey.__table__
        if dialect in ("mysql", "mariadb"):
            mariadb: Any = mysql.insert(table)
            value = table.c.last_id if purpose == "lock" else mariadb.inserted.last_id
            statement = mariadb.on_duplicate_key_update(last_id=value)
        else:
            base: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
            value = {
                "propose": case(
                    (table.c.last_id < base.excluded.last_id, base.excluded.last_id), else_=table.c.last_id
                ),
                "lock": table.c.last_id,
                "store": base.excluded.last_id,
            }[purpose]
            statement = base.on_conflict_do_update(index_elements=["key"], set_={"last_id": value})
            if purpose == "propose":
                statement = statement.returning(table.c.key, table.c.last_id)
        _STATEMENTS[(dialect, purpose)] = statement
    return statement


def _propose(session: Session, dialect: str, first: dict[str, int]) -> dict[str, int]:
    """Lock (creating them when new) the keys' rows in key order, storing each proposed id unless the stored
    one is larger; each key's last id afterwards."""
    stored: dict[str, int] = {}
    rows = [{"key": key, "last_id": value} for key, value in sorted(first.items())]
    for start in range(0, len(rows), 400):
        result = session.execute(_statement(dialect, "propose"), rows[start : start + 400])
        stored.update({str(k): int(v) for k, v in result})
    return stored


def _lock_and_read(session: Session, keys: list[str]) -> dict[str, int]:
    """MariaDB: lock (creating them when new) the keys' rows, in key order; each key's last id."""
    last: dict[str, int] = {}
    for start in range(0, len(keys), 400):
        chunk = keys[start : start + 400]
        session.execute(_statement(dialect_name(session), "lock"), [{"key": k, "last_id": 0} for k in chunk])
        # A locking read: under MariaDB's REPEATABLE READ a plain one could return the snapshot's value.
        query = select(OutboxKey.key, OutboxKey.last_id).where(OutboxKey.key.in_(chunk)).with_for_update()
        last.update({str(k): int(v) for k, v in session.execute(query)})
    return last


def _store_last_ids(session: Session, last: dict[str, int]) -> None:
    rows = [{"key": key, "last_id": value} for key, value in sorted(last.items())]
    for start in range(0, len(rows), 400):
        session.execute(_statement(dialect_name(session), "store"), rows[start : start + 400])


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
