"""Tables of the boards domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, IdMixin, utcnow

PRIVACY_VALUES = ("PUBLIC", "PROTECTED", "SECRET")


class Board(IdMixin, Base):
    __tablename__ = "boards"
    __table_args__ = (
        UniqueConstraint("owner_id", "name_key"),
        Index("ix_boards_privacy_id", "privacy", "id"),
    )

    owner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(180))
    name_key: Mapped[str] = mapped_column(String(180))  # lower-cased name: unique per owner
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    privacy: Mapped[str] = mapped_column(String(16), default="PUBLIC")
    cover_pin_id: Mapped[int | None] = mapped_column(
        BigInteger, nullable=True
    )  # chosen cover; else newest pin
    pin_count: Mapped[int] = mapped_column(default=0)
    follower_count: Mapped[int] = mapped_column(default=0)
    collaborator_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    board_pins_modified_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Moderation flags (moderation/state.py): 0 = shown; boards.access hides anything else from the public.
    moderation: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")


class BoardSection(IdMixin, Base):
    __tablename__ = "board_sections"
    __table_args__ = (UniqueConstraint("board_id", "name_key"),)

    board_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("boards.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(180))
    name_key: Mapped[str] = mapped_column(String(180))
    pin_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BoardCollaborator(Base):
    """A user who may add pins to someone else's board and see it when it is secret."""

    __tablename__ = "board_collaborators"
    __table_args__ = (Index("ix_board_collaborators_user", "user_id"),)

    board_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BoardFollow(Base):
    __tablename__ = "board_follows"
    __table_args__ = (Index("ix_board_follows_board", "board_id"),)

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    board_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BoardInvitation(IdMixin, Base):
    """The owner invited `invitee_id` to collaborate: pending until accepted (then a BoardCollaborator row),
    declined, or revoked by the owner."""

    __tablename__ = "board_invitations"
    __table_args__ = (
        UniqueConstraint("board_id", "invitee_id"),
        Index("ix_board_invitations_invitee_id_status", "invitee_id", "status"),
    )

    board_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("boards.id", ondelete="CASCADE"))
    inviter_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    invitee_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|accepted|declined|revoked
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(nullable=True)
