"""Table of the account lifecycle: one row per requested deletion, kept without personal data once erased."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, IdMixin, utcnow

DELETION_PENDING = "pending"
DELETION_ERASED = "erased"


class AccountDeletion(IdMixin, Base):
    """A deletion request and, once the erasure job finished, its log entry.

    `user_id` names the account only while its erasure is pending (no foreign key: the erasure deletes the
    user row, then clears this column); what stays is `subject_hash` (an HMAC of the id under the instance's
    secret key, so a former id can be checked against it but not read from it) and `counts`.
    """

    __tablename__ = "account_deletions"
    __table_args__ = (Index("ix_account_deletions_status", "status"),)

    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    subject_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=DELETION_PENDING)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(nullable=True)
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
