"""Tables of the accounts domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, IdMixin, utcnow


class User(IdMixin, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(30), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    about: Mapped[str] = mapped_column(String(500), default="")
    website_url: Mapped[str] = mapped_column(String(2048), default="")
    profile_image_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("media_images.id", ondelete="SET NULL"), nullable=True, index=True
    )
    account_type: Mapped[str] = mapped_column(String(16), default="PINNER")
    interests: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # topics picked at sign-up
    # Bumped on password change: every session cookie signed with an older value stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    follower_count: Mapped[int] = mapped_column(default=0)
    following_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Account lifecycle (accounts/lifecycle.py): set while deactivated (hidden, reversible by logging in),
    # and once deletion is requested (hidden at once; the erasure job then removes the row itself).
    deactivated_at: Mapped[datetime | None] = mapped_column(nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Trust and safety (moderation/): member | moderator | admin; set while a moderator's suspension lasts.
    role: Mapped[str] = mapped_column(String(16), default="member", server_default="member")
    suspended_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ApiToken(IdMixin, Base):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(Text)  # space-separated v5 scope names
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class UserSession(IdMixin, Base):
    """A signed-in web session; the cookie carries its secret, only the secret's SHA-256 is stored."""

    __tablename__ = "user_sessions"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    user_agent: Mapped[str] = mapped_column(String(200), default="")


class UserFollow(Base):
    __tablename__ = "user_follows"
    __table_args__ = (Index("ix_user_follows_followee", "followee_id", "created_at"),)

    follower_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    followee_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
