"""Tables of the media domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, IdMixin, utcnow

IMAGE_STATES = ("processing", "ready", "failed")


class MediaImage(IdMixin, Base):
    """One stored image, shared by every pin that shows it (saves, identical uploads).

    `sha256` is the content key of the normalised original; variants are derived from it.
    """

    __tablename__ = "media_images"

    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    original_format: Mapped[str] = mapped_column(String(16))  # jpeg | png | webp
    byte_size: Mapped[int] = mapped_column()
    dominant_color: Mapped[str | None] = mapped_column(String(7), nullable=True)
    palette: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="processing")
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(nullable=True)


class MediaLock(Base):
    """A lease one process holds across every host: `name` is what it guards (a variant being rendered on
    demand, the periodic orphan sweep), `expires_at` when others may take it over (a holder that died)."""

    __tablename__ = "media_locks"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column()
