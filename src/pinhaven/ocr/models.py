"""Table of the OCR domain: the text read from each image (shared by every pin that shows the image)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, utcnow

OCR_STATES = ("text", "none", "skipped", "failed")


class ImageText(Base):
    """What OCR found in one image: `status` text (lines found), none (the models found nothing), skipped
    (the text-likelihood check ruled it out), failed (the image could not be read)."""

    __tablename__ = "image_texts"

    image_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("media_images.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    status: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    # [{"text", "score", "box": [[x, y] × 4] in 0..1 of the image's width and height}]
    lines: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    engine: Mapped[str] = mapped_column(String(64))
    elapsed_ms: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
