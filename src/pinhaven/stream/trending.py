"""The trending consumer: sliding windows of engagement per pin, and the trending source built on them.

Engagement events are summed into one row per pin and UTC hour (`trending_hourly`, additive upserts, so
arrival order and the processes sharing the durable do not matter). From those buckets:

* `windows` gives each pin's engagement over the last hour and the last 24 hours, sliding: the oldest
  bucket counts for the part of its hour still inside the window.
* `trending` ranks public pins by their decayed 24-hour count (saves > clicks > close-ups > impressions,
  half-life TRENDING_HALF_LIFE_HOURS), in SQL. With the bus on, the home feed's trending source reads this
  instead of scanning `pin_stats_daily` (discovery/sources.py).

Buckets older than KEPT_HOURS are deleted by the consumer now and then; an event older than that (a
replay of old retention) lands in no window and is skipped.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from pinhaven.boards.access import PUBLIC
from pinhaven.boards.models import Board
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import dialect_name
from pinhaven.pins.models import Pin
from pinhaven.stream.consumer import Event
from pinhaven.stream.models import TrendingHourly

__all__ = [
    "KEPT_HOURS",
    "TRENDING_HALF_LIFE_HOURS",
    "TrendingConsumer",
    "hour_of",
    "trending",
    "windows",
]

WINDOW_HOURS = 24
KEPT_HOURS = WINDOW_HOURS + 24  # a day of slack for late events and for inspection
TRENDING_HALF_LIFE_HOURS = 6.0
PRUNE_EVERY_SECONDS = 600.0
COUNTED = {"impression": "impressions", "closeup": "closeups", "click": "outbound_clicks", "save": "saves"}
WEIGHTS = {"saves": 3.0, "outbound_clicks": 2.0, "closeups": 1.0, "impressions": 0.02}
_last_prune = 0.0


def hour_of(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _event_time(event: Event) -> datetime:
    at = event.payload.get("at")
    return datetime.fromisoformat(str(at)) if at else event.at


def _insert_for(db: Session) -> Any:
    from sqlalchemy.dialects import mysql, postgresql, sqlite

    name = dialect_name(db)
    if name == "postgresql":
        return postgresql.insert
    if name in ("mysql", "mariadb"):
        return mysql.insert
    return sqlite.insert


def _add(db: Session, rows: list[dict[str, Any]]) -> None:
    """Add the rows' counts to their buckets (one upsert; rows sorted by key so batches never deadlock)."""
    table = TrendingHourly.__table__
    names = list(COUNTED.values())
    stmt = _insert_for(db)(table).values(rows)
    if dialect_name(db) in ("mysql", "mariadb"):
        stmt = stmt.on_duplicate_key_update({c: table.c[c] + stmt.inserted[c] for c in names})
    else:
        stmt = stmt.on_conflict_do_update(
            index_elements=["pin_id", "hour"], set_={c: table.c[c] + stmt.excluded[c] for c in names}
        )
    db.execute(stmt)


class TrendingConsumer:
    name = "trending"
    filter = "engagement.>"

    def apply(self, ctx: AppContext, db: Session, events: Sequence[Event]) -> None:
        now = utcnow()
        oldest = hour_of(now - timedelta(hours=KEPT_HOURS))
        buckets: dict[tuple[int, datetime], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(COUNTED.values(), 0)
        )
        for event in events:
            name = COUNTED.get(event.type.removeprefix("engagement."))
            hour = hour_of(_event_time(event))
            if name is None or hour < oldest:
                continue  # hides are no trend; an event older than every window changes none
            buckets[(int(event.payload["pin_id"]), hour)][name] += 1
        rows = [{"pin_id": pin, "hour": hour, **counts} for (pin, hour), counts in sorted(buckets.items())]
        for start in range(0, len(rows), 300):  # 6 parameters a row: under SQLite's limit
            _add(db, rows[start : start + 300])
        _prune_now_and_then(db, oldest)

    def reset(self, ctx: AppContext, db: Session) -> Callable[[], None] | None:
        db.execute(delete(TrendingHourly))
        return None


def _prune_now_and_then(db: Session, oldest: datetime) -> None:
    global _last_prune
    if time.monotonic() - _last_prune > PRUNE_EVERY_SECONDS:
        _last_prune = time.monotonic()
        db.execute(delete(TrendingHourly).where(TrendingHourly.hour < oldest))


def windows(*, db: Session, pin_ids: Iterable[int], now: datetime) -> dict[int, dict[str, float]]:
    """Each pin's engagement (all counted types) over the last hour and the last 24 hours, sliding."""
    current = hour_of(now)
    elapsed = (now - current).total_seconds() / 3600.0  # how much of this hour has passed
    ids = sorted(set(pin_ids))
    out: dict[int, dict[str, float]] = {p: {"1h": 0.0, "24h": 0.0} for p in ids}
    columns = TrendingHourly.__table__.c
    total = columns.impressions + columns.closeups + columns.outbound_clicks + columns.saves
    since = current - timedelta(hours=WINDOW_HOURS)
    for start in range(0, len(ids), 900):
        query = select(TrendingHourly.pin_id, TrendingHourly.hour, total).where(
            TrendingHourly.pin_id.in_(ids[start : start + 900]), TrendingHourly.hour >= since
        )
        for pin_id, hour, count in db.execute(query):
            age = round((current - hour).total_seconds() / 3600.0)  # 0 = this hour
            for label, span in (("1h", 1), ("24h", WINDOW_HOURS)):
                if age < span:
                    out[int(pin_id)][label] += float(count)
                elif age == span:  # the bucket the window's start falls in: only its remaining part
                    out[int(pin_id)][label] += float(count) * (1.0 - elapsed)
    return out


def trending(*, db: Session, now: datetime, limit: int = 300) -> list[tuple[int, float]]:
    """Public pins by decayed engagement over the last 24 hours (the score as of `now`)."""
    current = hour_of(now)
    t = TrendingHourly
    decay = case(
        *(
            (t.hour == current - timedelta(hours=age), 0.5 ** (age / TRENDING_HALF_LIFE_HOURS))
            for age in range(WINDOW_HOURS + 1)
        ),
        else_=0.0,
    )
    weighted = sum(weight * t.__table__.c[name] for name, weight in WEIGHTS.items())
    score = func.sum(weighted * decay)
    query = (
        select(t.pin_id, score)
        .join(Pin, Pin.id == t.pin_id)
        .join(Board, Board.id == Pin.board_id)
        .where(t.hour >= current - timedelta(hours=WINDOW_HOURS), Board.privacy == PUBLIC)
        .group_by(t.pin_id)
        .order_by(score.desc(), t.pin_id.desc())
        .limit(limit)
    )
    return [(int(p), float(v)) for p, v in db.execute(query) if v and v > 0]
