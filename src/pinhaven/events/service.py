"""Engagement events: validate and record batches, record saves and hides from the write paths, read them back.

Policy (documented in docs/API.md terms):
  * Clients report impressions, close-ups and outbound clicks. Saves and hides are recorded by the write
    paths themselves (a save, `POST /ext/v1/pins/{id}/hide`) in the same transaction as the action, so a
    client-sent `save`/`hide` event is dropped ("recorded_by_server") instead of being counted twice.
  * Signed-out visitors may report impressions only (stored without a user, limited per address), and each
    counts once per visitor, pin and day, a few visitors per address at most (`events.visitors`): anonymous
    callers cannot move someone's analytics beyond that.
  * Bad events never fail the batch: each is dropped and counted under a reason. Pins that do not exist
    and pins the caller may not see share the reason "unknown_pin", so the answer never reveals that a
    secret pin exists.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import access_pin, visible_pin_ids
from pinhaven.boards.models import Board
from pinhaven.db.base import utcnow
from pinhaven.db.ids import new_id, parse_id
from pinhaven.errors import InvalidInput, Unauthorized
from pinhaven.events import counters, visitors
from pinhaven.events.models import COUNTER_OF, EVENT_TYPES, SURFACES, EngagementEvent, PinHide
from pinhaven.pins.models import Pin

__all__ = [
    "MAX_BATCH",
    "MAX_POSITION",
    "BatchResult",
    "hidden_pin_ids",
    "hide",
    "pin_metrics",
    "recent_actions",
    "record_batch",
    "record_save",
    "seen_pin_ids",
    "unhide",
]

MAX_BATCH = 100
MAX_POSITION = 10_000
CLIENT_TYPES = frozenset({"impression", "closeup", "click"})
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_AGE = timedelta(days=1)  # events older than this are not "what just happened": dropped
MAX_SKEW = timedelta(minutes=5)  # client clocks run a little ahead

# (request_id, pin_id, type) -> metadata to store with the event (e.g. which feed source showed the pin)
Annotator = Callable[[str, int, str], dict[str, Any] | None]


@dataclass
class BatchResult:
    accepted: int = 0
    dropped: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Parsed:
    type: str
    pin_id: int
    surface: str
    position: int
    request_id: str | None
    at: datetime


def _parse_time(value: Any, now: datetime) -> datetime | None:
    if value is None:
        return now
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            if not math.isfinite(value):
                return None
            seconds = value / 1000 if value > 1e11 else value  # epoch milliseconds or seconds
            at = datetime.fromtimestamp(seconds, tz=UTC)
        elif isinstance(value, str) and len(value) <= 40:
            at = datetime.fromisoformat(value.replace("Z", "+00:00"))
            at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    return at if now - MAX_AGE <= at <= now + MAX_SKEW else None


def _parse(raw: Any, viewer: Viewer, now: datetime) -> _Parsed | str:
    """The event, or the reason it is dropped."""
    if not isinstance(raw, dict):
        return "malformed"
    kind = raw.get("type")
    if kind not in EVENT_TYPES:
        return "unknown_type"
    if kind not in CLIENT_TYPES:
        return "recorded_by_server"
    if viewer.user_id is None and kind != "impression":
        return "sign_in_required"
    surface = raw.get("surface")
    if surface not in SURFACES:
        return "unknown_surface"
    position = raw.get("position", 0)
    if isinstance(position, float) and position.is_integer():
        position = int(position)
    if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= MAX_POSITION:
        return "bad_position"
    request_id = raw.get("request_id")
    if request_id is not None and (not isinstance(request_id, str) or not REQUEST_ID_RE.match(request_id)):
        return "bad_request_id"
    pin_value = raw.get("pin_id")
    pin_id = (
        parse_id(pin_value) if isinstance(pin_value, str | int) and not isinstance(pin_value, bool) else None
    )
    if pin_id is None:
        return "unknown_pin"
    at = _parse_time(raw.get("at"), now)
    if at is None:
        return "bad_time"
    return _Parsed(str(kind), pin_id, str(surface), position, request_id, at)


def record_batch(
    *,
    db: Session,
    viewer: Viewer,
    events: Sequence[Any],
    annotate: Annotator | None = None,
    now: datetime | None = None,
    visitor: visitors.Visitor | None = None,
) -> BatchResult:
    """Validate a client batch, store the good events and bump the pins' counters; report what was dropped.

    `visitor` (from the HTTP layer) identifies a signed-out caller: their impressions count once per pin and day.
    """
    if len(events) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} events per batch, got {len(events)}", field="events")
    now = now or utcnow()
    result = BatchResult()
    dropped: Counter[str] = Counter()
    parsed: list[_Parsed] = []
    seen: set[tuple[str, int, str, int, str | None]] = set()
    for raw in events:
        item = _parse(raw, viewer, now)
        if isinstance(item, str):
            dropped[item] += 1
            continue
        key = (item.type, item.pin_id, item.surface, item.position, item.request_id)
        if key in seen:
            dropped["duplicate"] += 1
            continue
        seen.add(key)
        parsed.append(item)
    visible = visible_pin_ids(db=db, viewer=viewer, pin_ids=[e.pin_id for e in parsed])
    kept = [e for e in parsed if e.pin_id in visible]
    if len(kept) < len(parsed):
        dropped["unknown_pin"] += len(parsed) - len(kept)
    if viewer.user_id is None and visitor is not None:
        verdicts = visitors.admit(db=db, visitor=visitor, events=kept)
        if not all(verdicts):
            dropped["already_counted"] += verdicts.count(False)
            kept = [e for e, ok in zip(kept, verdicts, strict=True) if ok]
    rows = []
    for e in kept:
        meta = annotate(e.request_id, e.pin_id, e.type) if annotate and e.request_id else None
        rows.append(
            {
                "id": new_id(),
                "user_id": viewer.user_id,
                "pin_id": e.pin_id,
                "type": e.type,
                "surface": e.surface,
                "position": e.position,
                "request_id": e.request_id,
                "at": e.at,
                "meta": meta,
            }
        )
    _store(db, rows)
    result.accepted = len(rows)
    result.dropped = dict(sorted(dropped.items()))
    return result


def _store(db: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    db.execute(insert(EngagementEvent), rows)
    from pinhaven.stream import events as stream_events

    if stream_events.engagement(db=db, rows=rows):
        return  # with the bus on, the stream's counters consumer is the one writer of engagement counters
    deltas: dict[tuple[int, date], dict[str, int]] = defaultdict(dict)
    for row in rows:
        bucket = deltas[(row["pin_id"], row["at"].date())]
        name = COUNTER_OF[row["type"]]
        bucket[name] = bucket.get(name, 0) + 1
    counters.bump(db=db, deltas=deltas)


def _server_event(
    db: Session, *, user_id: int, pin_id: int, kind: str, surface: str, at: datetime | None
) -> None:
    at = at or utcnow()
    row = {
        "id": new_id(),
        "user_id": user_id,
        "pin_id": pin_id,
        "type": kind,
        "surface": surface,
        "position": 0,
        "request_id": None,
        "at": at,
        "meta": None,
    }
    _store(db, [row])


def record_save(
    *, db: Session, user_id: int, pin_id: int, surface: str = "pin", at: datetime | None = None
) -> None:
    """A user saved `pin_id` (the source pin): log it and count it, in the saving transaction."""
    _server_event(db, user_id=user_id, pin_id=pin_id, kind="save", surface=surface, at=at)


def hide(*, db: Session, viewer: Viewer, pin_id: int | None, surface: str = "home") -> bool:
    """Never show this pin (nor its exact duplicates) in the viewer's feeds again; False if already hidden."""
    if viewer.user_id is None:
        raise Unauthorized("Sign in to hide pins.")
    if surface not in SURFACES:
        raise InvalidInput(f"must be one of {', '.join(SURFACES)}", field="surface")
    pin = access_pin(db=db, viewer=viewer, pin_id=pin_id)
    if db.get(PinHide, (viewer.user_id, pin.id)) is not None:
        return False
    db.add(PinHide(user_id=viewer.user_id, pin_id=pin.id))
    db.flush()
    _server_event(db, user_id=viewer.user_id, pin_id=pin.id, kind="hide", surface=surface, at=None)
    return True


def unhide(*, db: Session, viewer: Viewer, pin_id: int | None) -> bool:
    """Undo `hide`; False if the pin was not hidden. (The hide event stays in the log.)"""
    if viewer.user_id is None:
        raise Unauthorized("Sign in to hide pins.")
    pin = access_pin(db=db, viewer=viewer, pin_id=pin_id)
    row = db.get(PinHide, (viewer.user_id, pin.id))
    if row is None:
        return False
    db.delete(row)
    db.flush()
    return True


def hidden_pin_ids(*, db: Session, user_id: int) -> set[int]:
    """Pins the user hid."""
    return set(db.scalars(select(PinHide.pin_id).where(PinHide.user_id == user_id)))


def recent_actions(
    *,
    db: Session,
    user_id: int,
    since: datetime,
    types: Sequence[str] = ("save", "closeup", "click"),
    limit: int = 200,
) -> list[tuple[int, str, datetime]]:
    """(pin_id, type, at) of the user's latest actions of the given types since `since`, newest first."""
    query = (
        select(EngagementEvent.pin_id, EngagementEvent.type, EngagementEvent.at)
        .where(
            EngagementEvent.user_id == user_id, EngagementEvent.at >= since, EngagementEvent.type.in_(types)
        )
        .order_by(EngagementEvent.at.desc())
        .limit(limit)
    )
    return [(int(p), str(t), at) for p, t, at in db.execute(query)]


def seen_pin_ids(*, db: Session, user_id: int, since: datetime, limit: int = 5000) -> set[int]:
    """Pins the user was shown (impressions) since `since` (the newest `limit` impressions)."""
    query = (
        select(EngagementEvent.pin_id)
        .where(
            EngagementEvent.user_id == user_id,
            EngagementEvent.at >= since,
            EngagementEvent.type == "impression",
        )
        .order_by(EngagementEvent.at.desc())
        .limit(limit)
    )
    return set(db.scalars(query))


def pin_metrics(*, db: Session, viewer: Viewer, pins: Sequence[Pin]) -> dict[int, dict[str, Any] | None]:
    """v5 `pin_metrics` for the pins the viewer owns (creator or board owner); None for the others."""
    if viewer.user_id is None or not pins:
        return {p.id: None for p in pins}
    board_owner = {
        int(b): int(o)
        for b, o in db.execute(
            select(Board.id, Board.owner_id).where(Board.id.in_({p.board_id for p in pins}))
        )
    }
    owned = [p.id for p in pins if viewer.user_id in (p.creator_id, board_owner.get(p.board_id))]
    metrics = counters.metrics_for_pins(db=db, pin_ids=owned, saves_owner=viewer.user_id) if owned else {}
    return {p.id: metrics.get(p.id) for p in pins}
