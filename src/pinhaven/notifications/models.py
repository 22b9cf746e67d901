"""Tables of the notifications domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, IdMixin, utcnow


class Notification(IdMixin, Base):
    """One inbox item of `user_id`; aggregated items (saves of one pin) gather several actors.

    `seq` orders the inbox (a snowflake, renewed when an aggregated item gains an actor, so it rises to the
    top); `board_id` is the board the object lives on (pins, boards, comments), re-checked at read time so
    nothing about a board the reader can no longer see is shown.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_seq", "user_id", "seq"),
        Index("ix_notifications_user_id_group_key", "user_id", "group_key"),
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(16))
    object_type: Mapped[str] = mapped_column(
        String(16)
    )  # user | board | pin | comment | invitation | conversation
    object_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    board_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    pin_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    group_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor_ids: Mapped[list[int]] = mapped_column(JSON)  # most recent first, at most MAX_ACTORS
    actor_count: Mapped[int] = mapped_column(default=1)
    excerpt: Mapped[str | None] = mapped_column(String(200), nullable=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    read_at: Mapped[datetime | None] = mapped_column(nullable=True)
    emailed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationSetting(Base):
    """A user's choice for one notification type (absent: in-app on, e-mail on)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    in_app: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=True)
