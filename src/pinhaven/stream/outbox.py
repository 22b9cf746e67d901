"""The transactional outbox: services call `emit` inside their transaction; rows are written at commit.

The ids are taken in a `before_commit` listener (like discovery's graph change log), so id order follows
commit order closely and rolled-back work writes nothing. Only engines whose instance has an event bus
(`enable`) get rows: with `PINHAVEN_EVENT_BUS_URL` empty, `emit` is one dictionary lookup and returns.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import Engine, event, insert
from sqlalchemy.orm import Session

from pinhaven.db.base import utcnow
from pinhaven.db.ids import new_id
from pinhaven.stream.models import OutboxEvent

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
    rows = [
        {"id": new_id(), "key": key, "type": kind, "payload": payload, "created_at": now, "sent_at": None}
        for kind, key, payload in pending
    ]
    for start in range(0, len(rows), 500):
        session.execute(insert(OutboxEvent), rows[start : start + 500])


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
