"""Money is exact: every impression and click is recorded once, and spend never runs past a cap.

* Idempotent events: `ad_events.event_id` is unique; a second record of the same id charges nothing.
* Click deduplication: a click is billed only if the same user's last billed click on the same ad is more
  than 24 h old (`ad_click_marks`, moved by a conditional UPDATE, so two concurrent clicks bill once).
* Caps: a charge is one conditional UPDATE per campaign and per ad group that adds the cost only while the
  spend so far is *below* the daily/lifetime cap (`spend_today < cap`). The database evaluates it against
  the latest committed row (PostgreSQL re-checks the WHERE after waiting for a concurrent writer; InnoDB
  updates take the row lock; SQLite writers take turns), so whatever the concurrency, the last charge that
  passes is the one that crosses the cap: spend ends at most one billable event above it.
All amounts are integers in micro-currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, case, insert, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pinhaven.ads.models import AdCampaign, AdClickMark, AdEvent, AdGroup
from pinhaven.ads.service import day_of
from pinhaven.db.base import utcnow
from pinhaven.db.ids import new_id

CLICK_DEDUP = timedelta(hours=24)
_CAMPAIGNS: Table = AdCampaign.__table__  # type: ignore[assignment]
_GROUPS: Table = AdGroup.__table__  # type: ignore[assignment]
_EVENTS: Table = AdEvent.__table__  # type: ignore[assignment]
_MARKS: Table = AdClickMark.__table__  # type: ignore[assignment]


def _rows(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


@dataclass(frozen=True)
class AdRef:
    ad_id: int
    ad_group_id: int
    campaign_id: int
    ad_account_id: int


def charge(db: Session, *, ref: AdRef, cost_micro: int, at: datetime | None = None) -> bool:
    """Add `cost_micro` to the campaign's and the ad group's spend unless a cap is already reached.

    Both UPDATEs run in one savepoint: when the second refuses, the first is undone. False = not charged.
    """
    if cost_micro <= 0:
        return True
    day = day_of(at)
    try:
        with db.begin_nested():
            c = _CAMPAIGNS.c
            moved = _rows(
                db.execute(
                    update(_CAMPAIGNS)
                    .where(
                        c.id == ref.campaign_id,
                        or_(
                            c.daily_spend_cap.is_(None), c.spend_day != day, c.spend_today < c.daily_spend_cap
                        ),
                        or_(c.lifetime_spend_cap.is_(None), c.spend_total < c.lifetime_spend_cap),
                    )
                    .values(
                        spend_today=case((c.spend_day == day, c.spend_today + cost_micro), else_=cost_micro),
                        spend_day=day,
                        spend_total=c.spend_total + cost_micro,
                    )
                )
            )
            if moved != 1:
                raise _Refused
            g = _GROUPS.c
            moved = _rows(
                db.execute(
                    update(_GROUPS)
                    .where(
                        g.id == ref.ad_group_id,
                        or_(
                            g.budget_in_micro_currency.is_(None),
                            and_(
                                g.budget_type == "DAILY",
                                or_(g.spend_day != day, g.spend_today < g.budget_in_micro_currency),
                            ),
                            and_(g.budget_type == "LIFETIME", g.spend_total < g.budget_in_micro_currency),
                        ),
                    )
                    .values(
                        spend_today=case((g.spend_day == day, g.spend_today + cost_micro), else_=cost_micro),
                        spend_day=day,
                        spend_total=g.spend_total + cost_micro,
                    )
                )
            )
            if moved != 1:
                raise _Refused
    except _Refused:
        return False
    return True


class _Refused(Exception):
    pass


def _insert_event(db: Session, values: dict[str, object]) -> bool:
    """Insert one ad event; False when its event_id was already recorded."""
    try:
        with db.begin_nested():
            db.execute(insert(_EVENTS).values(id=new_id(), created_at=utcnow(), **values))
    except IntegrityError:
        return False
    return True


def record_impression(
    db: Session,
    *,
    event_id: str,
    ref: AdRef,
    user_id: int | None,
    surface: str,
    cost_micro: int,
    pctr: float,
    relevance: float,
) -> bool:
    """Record an impression once and charge its cost (CPM ads). False = duplicate or a cap refused it
    (then nothing is recorded: the ad must not be shown)."""
    try:
        with db.begin_nested():
            if not _insert_event(
                db, _event(event_id, "impression", ref, user_id, surface, cost_micro, pctr, relevance)
            ):
                return False
            if not charge(db, ref=ref, cost_micro=cost_micro):
                raise _Refused
    except _Refused:
        return False
    return True


@dataclass(frozen=True)
class ClickResult:
    recorded: bool  # False: this click event was already recorded
    billed_micro: int  # 0 when deduplicated or refused by a cap


def record_click(
    db: Session,
    *,
    event_id: str,
    ref: AdRef,
    user_key: str,
    user_id: int | None,
    surface: str,
    price_micro: int,
    cpc: bool,
) -> ClickResult:
    """Record a click once; bill it (CPC ads) unless the user clicked this ad in the last 24 h or a cap
    is reached."""
    if not _insert_event(db, _event(event_id, "click", ref, user_id, surface, 0, 0.0, 0.0)):
        return ClickResult(recorded=False, billed_micro=0)
    bill = cpc and price_micro > 0 and _claim_click(db, ad_id=ref.ad_id, user_key=user_key)
    cost = price_micro if bill and charge(db, ref=ref, cost_micro=price_micro) else 0
    if cost:
        db.execute(update(_EVENTS).where(_EVENTS.c.event_id == event_id).values(cost_micro=cost))
    return ClickResult(recorded=True, billed_micro=cost)


def _claim_click(db: Session, *, ad_id: int, user_key: str) -> bool:
    """True when this user's previous billed click on the ad is older than 24 h (the mark moves to now)."""
    now = utcnow()
    moved = _rows(
        db.execute(
            update(_MARKS)
            .where(
                _MARKS.c.ad_id == ad_id,
                _MARKS.c.user_key == user_key,
                _MARKS.c.clicked_at < now - CLICK_DEDUP,
            )
            .values(clicked_at=now)
        )
    )
    if moved == 1:
        return True
    try:
        with db.begin_nested():
            db.execute(insert(_MARKS).values(ad_id=ad_id, user_key=user_key, clicked_at=now))
    except IntegrityError:
        return False  # a mark younger than 24 h exists
    return True


def already_recorded(db: Session, event_id: str) -> bool:
    return db.scalar(select(AdEvent.id).where(AdEvent.event_id == event_id)) is not None


def _event(
    event_id: str,
    kind: str,
    ref: AdRef,
    user_id: int | None,
    surface: str,
    cost: int,
    pctr: float,
    relevance: float,
) -> dict[str, object]:
    return {
        "event_id": event_id,
        "kind": kind,
        "ad_id": ref.ad_id,
        "ad_group_id": ref.ad_group_id,
        "campaign_id": ref.campaign_id,
        "ad_account_id": ref.ad_account_id,
        "user_id": user_id,
        "surface": surface,
        "cost_micro": cost,
        "pctr": pctr,
        "relevance": relevance,
    }
