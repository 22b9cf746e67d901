"""Saves as a pin's owner may count them: saves onto boards that owner can see, read from the pins themselves.

The `saves` rollup (pin_stats, pin_stats_daily) counts every save, including saves into other people's
secret boards; shown to the pin's owner, it revealed that someone privately kept their pin (#16). Everything
the owner reads (analytics, v5 `pin_metrics`, duplicate-group totals) therefore takes saves from here: the
pins whose parent is the pin, on boards the owner may see (public, or secret boards they belong to), by the
UTC day they were made. A board made secret later drops its saves from the counts; one made public adds them.
The rollup stays as it is for ranking, which no owner reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import session_viewer
from pinhaven.boards.access import visible_pins_clause
from pinhaven.boards.models import Board
from pinhaven.db.engine import dialect_name
from pinhaven.pins.models import Pin

__all__ = ["saves_by_day"]


def saves_by_day(
    *, db: Session, pin_ids: Iterable[int], owner_id: int, since: date | None = None
) -> dict[int, dict[date, int]]:
    """pin id -> UTC day -> saves of it the owner may see (days from `since`, or all time)."""
    # The owner as a person (every scope): the same counts through the web and through any token.
    owner = session_viewer(owner_id)
    sqlite = dialect_name(db) == "sqlite"
    day = func.date(Pin.created_at) if sqlite else cast(Pin.created_at, Date)
    ids = sorted(set(pin_ids))
    out: dict[int, dict[date, int]] = defaultdict(dict)
    for start in range(0, len(ids), 900):
        query = (
            select(Pin.parent_pin_id, day, func.count())
            .join(Board, Board.id == Pin.board_id)
            .where(Pin.parent_pin_id.in_(ids[start : start + 900]), visible_pins_clause(owner))
            .group_by(Pin.parent_pin_id, day)
        )
        if since is not None:
            query = query.where(Pin.created_at >= datetime.combine(since, time.min, tzinfo=UTC))
        for parent_id, made_on, count in db.execute(query):
            when = date.fromisoformat(made_on) if isinstance(made_on, str) else made_on
            if isinstance(when, datetime):
                when = when.date()
            out[int(parent_id)][when] = int(count)
    return dict(out)
