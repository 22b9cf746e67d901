"""Tables of the event stream: the outbox, the relay's lease and the consumers' applied-event log.

`outbox_events` rows are written in the writer's transaction (so an event exists exactly when its change
committed); the relay publishes unsent rows in id order and stamps `sent_at`. `stream_leases` lets one relay
run at a time across hosts (a row per lease, taken over when it expires). `stream_applied` makes a durable
consumer's effects idempotent: the consumer writes the event id in the same transaction as its effect, so a
message delivered twice is applied once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, utcnow

__all__ = ["OutboxEvent", "OutboxKey", "StreamApplied", "StreamLease", "TrendingHourly"]


class OutboxEvent(Base):
    """One change another component must learn of, waiting to be (or already) published."""

    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_sent_at_id", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False
    )  # snowflake, taken at commit
    key: Mapped[str] = mapped_column(String(64))  # pin id, board id or user id: order is kept per key
    type: Mapped[str] = mapped_column(String(64))  # e.g. pin.created, engagement.closeup
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)


class StreamLease(Base):
    """Who holds a singleton role (the relay) until when."""

    __tablename__ = "stream_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column()


class StreamApplied(Base):
    """An event a durable consumer has applied (kept as long as the stream retains events)."""

    __tablename__ = "stream_applied"
    __table_args__ = (Index("ix_stream_applied_applied_at", "applied_at"),)

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrendingHourly(Base):
    """Engagement per pin and UTC hour, the trending consumer's sliding windows (kept WINDOW_HOURS + a day).

    Written only by the `trending` consumer (with additive upserts, so the processes sharing the durable
    never lose each other's increments and the order events arrive in does not matter).
    """

    __tablename__ = "trending_hourly"
    __table_args__ = (Index("ix_trending_hourly_hour", "hour"),)

    pin_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hour: Mapped[datetime] = mapped_column(primary_key=True)  # the start of the UTC hour
    impressions: Mapped[int] = mapped_column(default=0)
    closeups: Mapped[int] = mapped_column(default=0)
    outbound_clicks: Mapped[int] = mapped_column(default=0)
    saves: Mapped[int] = mapped_column(default=0)


class OutboxKey(Base):
    """The last outbox event of one key: its row lock orders a key's events exactly in commit order.

    A transaction that emits for a key locks this row at commit (before taking the event's id), so two
    transactions changing the same pin take their ids one after the other: per key, id order is commit
    order, and the relay (which publishes in id order) keeps it.
    """

    __tablename__ = "outbox_keys"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
