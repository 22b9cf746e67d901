"""Tables of the moderation domain: instance settings, invite codes, cases, reports, the audit log.

Moderation state itself lives on the moderated rows (`pins.moderation`, `boards.moderation`,
`users.role`, `users.suspended_at`) so that the privacy rules in `boards.access` read it in the same query.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, IdMixin, utcnow


class InstanceSetting(Base):
    """One instance-wide setting (see `settings.DEFAULTS` for the keys)."""

    __tablename__ = "instance_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InviteCode(Base):
    """A single-use sign-up code an admin created (invite-only instances)."""

    __tablename__ = "invite_codes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ModerationCase(IdMixin, Base):
    """Everything about one reported or flagged object: its reports, signals and the actions taken."""

    __tablename__ = "moderation_cases"
    __table_args__ = (
        UniqueConstraint("object_type", "object_id"),
        Index("ix_moderation_cases_status_updated", "status", "updated_at"),
        Index("ix_moderation_cases_owner", "owner_id"),
    )

    object_type: Mapped[str] = mapped_column(String(16))  # pin | board | user | (comment, ...)
    object_id: Mapped[int] = mapped_column(BigInteger)
    owner_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)  # last action taken
    report_count: Mapped[int] = mapped_column(default=0)
    signals: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    auto_hidden: Mapped[bool] = mapped_column(default=False)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(IdMixin, Base):
    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_reporter", "reporter_id", "id"), Index("ix_reports_case", "case_id"))

    case_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("moderation_cases.id", ondelete="CASCADE"))
    reporter_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ModerationAction(IdMixin, Base):
    """The audit log: every action, by whom (None: the automatic signals), on what, and why."""

    __tablename__ = "moderation_actions"
    __table_args__ = (
        Index("ix_moderation_actions_case", "case_id", "id"),
        Index("ix_moderation_actions_object", "object_type", "object_id"),
    )

    case_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("moderation_cases.id", ondelete="SET NULL"), nullable=True
    )
    object_type: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[int] = mapped_column(BigInteger)
    actor_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    action: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DomainReputation(Base):
    """What moderation outcomes taught about a link domain: pins linking to it removed/hidden for spam vs
    reports dismissed or content restored (read by the spam signal)."""

    __tablename__ = "domain_reputation"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    spam: Mapped[int] = mapped_column(default=0)
    ham: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
