"""Tables of the safety domain: each user's uploads per UTC day (for the daily quotas)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base


class UploadUsage(Base):
    """Pictures a user uploaded on a UTC day, and their bytes as sent (before normalisation)."""

    __tablename__ = "upload_usage"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    uploads: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
