"""Tables of text search: one plain document per pin (the source of truth every backend indexes) and vectors.

The dialect-specific index over `search_documents` (FTS5 virtual table, tsvector + GIN, FULLTEXT) is created
by the hand-written migration `0002_text_search.py`; these models are what autogenerate sees.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, utcnow


class SearchDocument(Base):
    """The searchable text of one pin, denormalised (board name, link domain) so one index covers it all."""

    __tablename__ = "search_documents"
    __table_args__ = (Index("ix_search_documents_updated_at", "updated_at"),)

    pin_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("pins.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    board_id: Mapped[int] = mapped_column(BigInteger)
    creator_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(String(800), default="")
    alt_text: Mapped[str] = mapped_column(String(500), default="")
    board_name: Mapped[str] = mapped_column(String(180), default="")
    domain: Mapped[str] = mapped_column(String(255), default="")
    # Filter tokens for the SQLite FTS5 index ("b<board> u<creator>", plus "sec" on non-public boards), so
    # privacy and board/user filters run inside the MATCH, before its LIMIT (see fts_sqlite.py).
    facets: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PinTextVector(Base):
    """A pin's sentence embedding (float32 bytes, L2-normalised) under one model."""

    __tablename__ = "search_pin_vectors"
    __table_args__ = (Index("ix_search_pin_vectors_updated_at", "updated_at"),)

    pin_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("pins.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    model_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    # SHA-256 of the embedded text: an unchanged pin is not embedded again.
    text_hash: Mapped[str] = mapped_column(String(64))
    # Bumped on re-embedding and whenever the pin's board or privacy changes; in-process indexes poll it.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
