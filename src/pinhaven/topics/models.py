"""Tables of the topics domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, utcnow

SOURCES = ("auto", "owner")


class Topic(Base):
    """One node of the taxonomy: a top topic (`parent_slug` None) or a subtopic of one."""

    __tablename__ = "topics"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    parent_slug: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("topics.slug", ondelete="CASCADE"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PinTopic(Base):
    """A topic of a pin with its confidence (0..1); `top_slug` is its top topic (caps, pages, filters)."""

    __tablename__ = "pin_topics"
    __table_args__ = (
        Index("ix_pin_topics_top_slug_confidence", "top_slug", "confidence"),
        Index("ix_pin_topics_topic_slug_confidence", "topic_slug", "confidence"),
    )

    pin_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("pins.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    topic_slug: Mapped[str] = mapped_column(
        String(64), ForeignKey("topics.slug", ondelete="CASCADE"), primary_key=True
    )
    top_slug: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    ordinal: Mapped[int] = mapped_column(default=0)  # 0 = the pin's main topic
    source: Mapped[str] = mapped_column(String(8), default="auto")  # auto | owner
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PinTopicLock(Base):
    """The owner set this pin's topics: automatic assignment leaves them alone."""

    __tablename__ = "pin_topic_locks"

    pin_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("pins.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    locked_at: Mapped[datetime] = mapped_column(default=utcnow)
