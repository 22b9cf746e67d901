"""Tables of the messages domain: conversations, their members and messages; blocks; who may message you."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, IdMixin, utcnow


class Conversation(IdMixin, Base):
    __tablename__ = "conversations"

    # the members' ids, sorted and joined: one conversation per group of people
    member_key: Mapped[str] = mapped_column(String(255), unique=True)
    last_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationMember(Base):
    __tablename__ = "conversation_members"
    __table_args__ = (Index("ix_conversation_members_user_id", "user_id"),)

    conversation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    last_read_message_id: Mapped[int] = mapped_column(BigInteger, default=0)


class Message(IdMixin, Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_id_id", "conversation_id", "id"),)

    conversation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    sender_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    pin_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("pins.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserBlock(Base):
    """`blocker_id` blocked `blocked_id`: no follows, messages, mentions or suggestions between them."""

    __tablename__ = "user_blocks"
    __table_args__ = (Index("ix_user_blocks_blocked_id", "blocked_id"),)

    blocker_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessagePreference(Base):
    """Who may start a conversation with `user_id`: `connected` (people who follow you or whom you follow,
    the default) or `anyone`."""

    __tablename__ = "message_preferences"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    messages_from: Mapped[str] = mapped_column(String(16), default="connected")
