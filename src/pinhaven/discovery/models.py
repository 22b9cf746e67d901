"""Tables of the discovery domain: the graph change log and the home-feed sessions (the feed log).

`graph_changes` lets every process keep its in-memory pin–board graph current: writers append the ids
of the pins and boards whose links may have changed (in the writer's transaction), and each process
re-reads those rows by id watermark and re-derives the links from the database (state-based, so
applying a row twice or late is harmless).

`feed_sessions` holds each generated home feed: the ranked pins with the source that produced each one
and its score. Pages are slices of it (no duplicates across pages, whichever process serves them), and it
doubles as the log of what was served and why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, IdMixin, utcnow


class GraphChange(IdMixin, Base):
    """A pin or a board whose pin–board links must be re-read (created, moved, deleted, privacy)."""

    __tablename__ = "graph_changes"

    # No foreign keys: a deleted pin's row is exactly what tells the other processes to drop it.
    pin_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    board_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class FeedSession(IdMixin, Base):
    """One generated home feed: `items` is a list of [pin_id, source, score], best first."""

    __tablename__ = "feed_sessions"
    __table_args__ = (Index("ix_feed_sessions_user_id_id", "user_id", "id"),)

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    items: Mapped[list[list[Any]]] = mapped_column(JSON)
    # The session this one continues, and every pin the scroll showed before it (excluded here), so one
    # scroll never repeats a pin (up to MAX_EXCLUDED pins back).
    previous_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    excluded: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
