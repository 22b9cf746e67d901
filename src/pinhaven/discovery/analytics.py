"""Creator analytics: the last days of impressions, close-ups, outbound clicks and saves of one's own pins.

Reads the per-day rollups (`pin_stats_daily`), never the raw event log, so a page costs two grouped
queries however many events there were. Only the pins' owner sees them (creator or board owner).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import access_pin, visible_pin_ids, visible_pins_clause
from pinhaven.boards.models import Board
from pinhaven.db.base import utcnow
from pinhaven.errors import Forbidden, InvalidInput, Unauthorized
from pinhaven.events import counters
from pinhaven.events.models import COUNTERS, PinStatsDaily
from pinhaven.events.visible_saves import saves_by_day
from pinhaven.pins.models import Pin
from pinhaven.search.visual.groups import group_pin_ids
from pinhaven.search.visual.visible_groups import visible_group_id

__all__ = [
    "CreatorSummary",
    "DayPoint",
    "GroupStats",
    "PinStatsView",
    "PinTotals",
    "creator_summary",
    "pin_stats",
]

SHOWN = ("impressions", "closeups", "outbound_clicks", "saves")
MAX_DAYS = 90


@dataclass(frozen=True)
class DayPoint:
    day: date
    impressions: int
    closeups: int
    outbound_clicks: int
    saves: int


@dataclass(frozen=True)
class PinTotals:
    pin: Pin
    impressions: int
    closeups: int
    outbound_clicks: int
    saves: int


@dataclass(frozen=True)
class CreatorSummary:
    days: int
    series: list[DayPoint]
    totals: dict[str, int]
    pins: list[PinTotals]  # the pins with any activity in the window, most seen first


@dataclass(frozen=True)
class GroupStats:
    """The same picture across every pin of its duplicate group that the viewer may see."""

    group_id: int
    pin_count: int
    window: dict[str, int]
    lifetime: dict[str, int]


@dataclass(frozen=True)
class PinStatsView:
    pin: Pin
    days: int
    series: list[DayPoint]
    window: dict[str, int]
    lifetime: dict[str, int]
    group: GroupStats | None  # None when no other visible pin shows this picture


def _check_days(days: int) -> None:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"must be between 1 and {MAX_DAYS}", field="days")


def _points(series: dict[date, dict[str, int]]) -> list[DayPoint]:
    return [DayPoint(day, *(values[c] for c in SHOWN)) for day, values in sorted(series.items())]


def creator_summary(*, db: Session, viewer: Viewer, days: int = 30, limit: int = 50) -> CreatorSummary:
    """The viewer's own pins over the last `days` UTC days: a daily series, totals and the top pins."""
    if viewer.user_id is None:
        raise Unauthorized("Sign in to see your analytics.")
    _check_days(days)
    first = utcnow().date() - timedelta(days=days - 1)
    mine = (
        select(Pin.id)
        .join(Board, Board.id == Pin.board_id)
        .where(Pin.creator_id == viewer.user_id, visible_pins_clause(viewer))
    )
    sums = [func.sum(getattr(PinStatsDaily, c)) for c in COUNTERS]
    by_day = (
        select(PinStatsDaily.day, *sums)
        .where(PinStatsDaily.pin_id.in_(mine), PinStatsDaily.day >= first)
        .group_by(PinStatsDaily.day)
    )
    series = {first + timedelta(days=i): dict.fromkeys(COUNTERS, 0) for i in range(days)}
    for day, *values in db.execute(by_day):
        if day in series:
            series[day] = {c: int(v or 0) for c, v in zip(COUNTERS, values, strict=True)}
    # Saves come from the saves the viewer may see, never from the rollup (which counts secret boards' too).
    saves = saves_by_day(db=db, pin_ids=db.scalars(mine), owner_id=viewer.user_id, since=first)
    for counts in series.values():
        counts["saves"] = 0
    for per_day in saves.values():
        for day, count in per_day.items():
            if day in series:
                series[day]["saves"] += count
    by_pin = (
        select(PinStatsDaily.pin_id, *sums)
        .where(PinStatsDaily.pin_id.in_(mine), PinStatsDaily.day >= first)
        .group_by(PinStatsDaily.pin_id)
        .order_by(sums[0].desc(), PinStatsDaily.pin_id.desc())
        .limit(limit)
    )
    rows = [(int(pin_id), {c: int(v or 0) for c, v in zip(COUNTERS, values, strict=True)})
            for pin_id, *values in db.execute(by_pin)]  # fmt: skip
    for pin_id, counts in rows:
        counts["saves"] = sum(saves.get(pin_id, {}).values())
    # a pin whose only activity was a save into someone's secret board is not listed at all
    rows = [(pin_id, counts) for pin_id, counts in rows if any(counts[c] for c in SHOWN)]
    pins = {p.id: p for p in db.scalars(select(Pin).where(Pin.id.in_([r[0] for r in rows])))} if rows else {}
    top = [PinTotals(pins[pid], *(c[k] for k in SHOWN)) for pid, c in rows if pid in pins]
    totals = {c: sum(values[c] for values in series.values()) for c in SHOWN}
    return CreatorSummary(days, _points(series), totals, top)


def pin_stats(*, db: Session, viewer: Viewer, pin_id: int | None, days: int = 30) -> PinStatsView:
    """One pin's counters (window and lifetime) and daily series; its owner only (others: Forbidden)."""
    _check_days(days)
    pin = access_pin(db=db, viewer=viewer, pin_id=pin_id)
    owner = db.scalar(select(Board.owner_id).where(Board.id == pin.board_id))
    if viewer.user_id is None or viewer.user_id not in (pin.creator_id, owner):
        raise Forbidden("Only the pin's owner can see its stats.")
    series = counters.daily_series(db=db, pin_ids=[pin.id], days=days, saves_owner=viewer.user_id)
    window = {c: sum(v[c] for v in series.values()) for c in SHOWN}
    life = counters.totals_for_pins(db=db, pin_ids=[pin.id], saves_owner=viewer.user_id).get(
        pin.id, dict.fromkeys(COUNTERS, 0)
    )
    group = _group_stats(db=db, viewer=viewer, pin=pin, days=days)
    return PinStatsView(pin, days, _points(series), window, {c: life[c] for c in SHOWN}, group)


def _group_stats(*, db: Session, viewer: Viewer, pin: Pin, days: int) -> GroupStats | None:
    """Totals over the pins of the picture's group that the viewer may see (others' secret pins never count)."""
    members = visible_pin_ids(db=db, viewer=viewer, pin_ids=group_pin_ids(db, pin.image_id)) | {pin.id}
    if len(members) < 2:
        return None
    series = counters.daily_series(db=db, pin_ids=sorted(members), days=days, saves_owner=viewer.user_id)
    lifetime = dict.fromkeys(SHOWN, 0)
    for counts in counters.totals_for_pins(db=db, pin_ids=members, saves_owner=viewer.user_id).values():
        for c in SHOWN:
            lifetime[c] += counts[c]
    return GroupStats(
        group_id=visible_group_id(db, viewer, pin.image_id),
        pin_count=len(members),
        window={c: sum(v[c] for v in series.values()) for c in SHOWN},
        lifetime=lifetime,
    )
