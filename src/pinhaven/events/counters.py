"""Per-pin counters: atomic upserts into pin_stats / pin_stats_daily, and the reads built on them.

Upserts are one multi-row INSERT ... ON CONFLICT (SQLite, PostgreSQL) or ON DUPLICATE KEY UPDATE (MySQL)
per table, with rows aggregated and sorted by key first: PostgreSQL refuses to touch a row twice in one
statement, and a fixed key order keeps concurrent batches from deadlocking each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from pinhaven.db.base import utcnow
from pinhaven.db.engine import dialect_name
from pinhaven.events.models import COUNTERS, PinStats, PinStatsDaily

__all__ = ["CounterDeltas", "bump", "daily_series", "metrics_for_pins", "totals_for_pins"]

# (pin_id, day) -> counter name -> delta
CounterDeltas = Mapping[tuple[int, date], Mapping[str, int]]
V5_NAMES = {
    "impressions": "impression",
    "closeups": "pin_click",
    "outbound_clicks": "outbound_click",
    "saves": "save",
}


def _insert_for(db: Session) -> Any:
    from sqlalchemy.dialects import mysql, postgresql, sqlite

    name = dialect_name(db)
    if name == "postgresql":
        return postgresql.insert
    if name in ("mysql", "mariadb"):
        return mysql.insert
    return sqlite.insert


def _upsert(db: Session, table: Table, keys: list[str], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    insert = _insert_for(db)
    stmt = insert(table).values(rows)
    if dialect_name(db) in ("mysql", "mariadb"):
        stmt = stmt.on_duplicate_key_update({c: table.c[c] + stmt.inserted[c] for c in COUNTERS})
    else:
        stmt = stmt.on_conflict_do_update(
            index_elements=keys, set_={c: table.c[c] + stmt.excluded[c] for c in COUNTERS}
        )
    db.execute(stmt)


def bump(*, db: Session, deltas: CounterDeltas) -> None:
    """Add `deltas` to the lifetime and daily counters, in the caller's transaction."""
    lifetime: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    daily: list[dict[str, Any]] = []
    for (pin_id, day), changes in sorted(deltas.items()):
        row: dict[str, Any] = {"pin_id": pin_id, "day": day, **dict.fromkeys(COUNTERS, 0)}
        for name, delta in changes.items():
            row[name] += delta
            lifetime[pin_id][name] += delta
        daily.append(row)
    life_rows = [{"pin_id": pin_id, **counts} for pin_id, counts in sorted(lifetime.items())]
    for start in range(0, len(life_rows), 400):  # 6 parameters a row: under SQLite's limit
        _upsert(db, PinStats.__table__, ["pin_id"], life_rows[start : start + 400])  # type: ignore[arg-type]
    for start in range(0, len(daily), 300):
        _upsert(db, PinStatsDaily.__table__, ["pin_id", "day"], daily[start : start + 300])  # type: ignore[arg-type]


def _window(days: int) -> date:
    return utcnow().date() - timedelta(days=days - 1)


def _visible_saves(
    db: Session, pin_ids: Iterable[int], owner_id: int, since: date | None
) -> dict[int, dict[date, int]]:
    from pinhaven.events.visible_saves import saves_by_day  # (imports pins and boards, which import events)

    return saves_by_day(db=db, pin_ids=pin_ids, owner_id=owner_id, since=since)


def totals_for_pins(
    *, db: Session, pin_ids: Iterable[int], saves_owner: int | None, days: int | None = None
) -> dict[int, dict[str, int]]:
    """Counters of each pin: lifetime (days=None) or summed over the last `days` UTC days (today included).

    `saves_owner`: the person the counts are for (the pins' owner): `saves` then counts only saves onto
    boards that person may see (events/visible_saves.py). None: the raw rollup, for ranking only.
    """
    ids = list(set(pin_ids))
    out: dict[int, dict[str, int]] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        if days is None:
            query = select(PinStats.pin_id, *(getattr(PinStats, c) for c in COUNTERS)).where(
                PinStats.pin_id.in_(chunk)
            )
        else:
            query = (
                select(PinStatsDaily.pin_id, *(func.sum(getattr(PinStatsDaily, c)) for c in COUNTERS))
                .where(PinStatsDaily.pin_id.in_(chunk), PinStatsDaily.day >= _window(days))
                .group_by(PinStatsDaily.pin_id)
            )
        for pin_id, *values in db.execute(query):
            out[int(pin_id)] = {c: int(v or 0) for c, v in zip(COUNTERS, values, strict=True)}
    if saves_owner is not None:
        saves = _visible_saves(db, ids, saves_owner, None if days is None else _window(days))
        for pin_id in ids:
            counted = sum(saves.get(pin_id, {}).values())
            if pin_id in out:
                out[pin_id]["saves"] = counted
            elif counted:
                out[pin_id] = {**dict.fromkeys(COUNTERS, 0), "saves": counted}
    return out


def _v5(counts: dict[str, int] | None) -> dict[str, int]:
    counts = counts or dict.fromkeys(COUNTERS, 0)
    return {v5: counts.get(name, 0) for name, v5 in V5_NAMES.items()}


def metrics_for_pins(
    *, db: Session, pin_ids: list[int], saves_owner: int
) -> dict[int, dict[str, dict[str, int]]]:
    """v5-style `pin_metrics` objects: {"30d": {...}, "90d": {...}, "lifetime_metrics": {...}}."""
    lifetime = totals_for_pins(db=db, pin_ids=pin_ids, saves_owner=saves_owner)
    last90 = totals_for_pins(db=db, pin_ids=pin_ids, saves_owner=saves_owner, days=90)
    last30 = totals_for_pins(db=db, pin_ids=pin_ids, saves_owner=saves_owner, days=30)
    return {
        pin_id: {
            "30d": _v5(last30.get(pin_id)),
            "90d": _v5(last90.get(pin_id)),
            "lifetime_metrics": _v5(lifetime.get(pin_id)),
        }
        for pin_id in pin_ids
    }


def daily_series(
    *, db: Session, pin_ids: list[int], days: int, saves_owner: int | None
) -> dict[date, dict[str, int]]:
    """Totals per UTC day over the given pins, for every one of the last `days` days (zeros included);
    `saves_owner` as in `totals_for_pins`."""
    first = _window(days)
    series = {first + timedelta(days=i): dict.fromkeys(COUNTERS, 0) for i in range(days)}
    for start in range(0, len(pin_ids), 900):
        chunk = pin_ids[start : start + 900]
        query = (
            select(PinStatsDaily.day, *(func.sum(getattr(PinStatsDaily, c)) for c in COUNTERS))
            .where(PinStatsDaily.pin_id.in_(chunk), PinStatsDaily.day >= first)
            .group_by(PinStatsDaily.day)
        )
        for day, *values in db.execute(query):
            if day in series:
                for c, v in zip(COUNTERS, values, strict=True):
                    series[day][c] += int(v or 0)
    if saves_owner is not None:
        for counts in series.values():
            counts["saves"] = 0
        for per_day in _visible_saves(db, pin_ids, saves_owner, first).values():
            for day, count in per_day.items():
                if day in series:
                    series[day]["saves"] += count
    return series
