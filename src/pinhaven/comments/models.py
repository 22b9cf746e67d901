"""Tables of the comments domain: comments on pins (one level of replies) and reactions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, IdMixin, utcnow


class PinComment(IdMixin, Base):
    __tablename__ = "pin_comments"
    __table_args__ = (
        Index("ix_pin_comments_pin_id_id", "pin_id", "id"),
        Index("ix_pin_comments_parent_id", "parent_id"),
    )

    pin_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("pins.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("pin_comments.id", ondelete="CASCADE"), nullable=True
    )
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(nullable=True)


class PinReaction(Base):
    """One reaction per person per pin (reacting again changes it)."""

    __tablename__ = "pin_reactions"

    pin_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("pins.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
