"""Tables of the events domain: the append-only engagement log, per-pin counters, hidden pins.

`events` is written once and never updated; `pin_stats` (lifetime) and `pin_stats_daily` (one row per pin
and UTC day, for the 30/90-day views and trending) are bumped in the same transaction as the events they
count, so the counters never disagree with the log by more than the rows of an uncommitted batch.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, IdMixin, utcnow

EVENT_TYPES = ("impression", "closeup", "click", "save", "hide")
SURFACES = ("home", "related", "search", "board", "profile", "pin")
# Counter column of each event type (pin_stats and pin_stats_daily share the names).
COUNTER_OF = {
    "impression": "impressions",
    "closeup": "closeups",
    "click": "outbound_clicks",
    "save": "saves",
    "hide": "hides",
}
COUNTERS = tuple(COUNTER_OF.values())


class EngagementEvent(IdMixin, Base):
    """One thing a person did to a pin on a surface. Anonymous impressions have no user."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_user_id_at", "user_id", "at"),  # a user's recent actions (feeds, seen pins)
        Index("ix_events_pin_id_at", "pin_id", "at"),  # a pin's history (analytics, recounts)
    )

    user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    # No foreign key: the log outlives deleted pins (every read joins pins or filters by visibility).
    pin_id: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(16))
    surface: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # e.g. {"source": "walk", "score": 0.83} for home-feed impressions (which candidate source won).
    meta: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)


class PinStats(Base):
    """Lifetime counters of one pin."""

    __tablename__ = "pin_stats"

    pin_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("pins.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    closeups: Mapped[int] = mapped_column(BigInteger, default=0)
    outbound_clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    saves: Mapped[int] = mapped_column(BigInteger, default=0)
    hides: Mapped[int] = mapped_column(BigInteger, default=0)


class PinStatsDaily(Base):
    """Counters of one pin on one UTC day."""

    __tablename__ = "pin_stats_daily"
    __table_args__ = (Index("ix_pin_stats_daily_day", "day"),)  # trending: every pin of the last days

    pin_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("pins.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    closeups: Mapped[int] = mapped_column(BigInteger, default=0)
    outbound_clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    saves: Mapped[int] = mapped_column(BigInteger, default=0)
    hides: Mapped[int] = mapped_column(BigInteger, default=0)


class PinHide(Base):
    """A person asked not to see a pin again (their feeds drop it and its exact duplicates)."""

    __tablename__ = "pin_hides"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    pin_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("pins.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnonymousView(Base):
    """A signed-out visitor's counted impression of a pin on a day: at most one per visitor (`events.visitors`)."""

    __tablename__ = "anonymous_views"
    __table_args__ = (Index("ix_anonymous_views_pin_id_day_address", "pin_id", "day", "address"),)

    pin_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("pins.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    visitor: Mapped[str] = mapped_column(String(32), primary_key=True)  # keyed hash of address + user agent
    address: Mapped[str] = mapped_column(String(32))  # keyed hash of the address (its /64 for IPv6)
