"""Tables of the pins domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, IdMixin, utcnow


class Pin(IdMixin, Base):
    __tablename__ = "pins"
    __table_args__ = (
        Index("ix_pins_board_id_id", "board_id", "id"),
        Index("ix_pins_section_id_id", "section_id", "id"),
        Index("ix_pins_creator_id_id", "creator_id", "id"),
        Index("ix_pins_parent_pin_id", "parent_pin_id"),
        Index("ix_pins_image_id", "image_id"),
    )

    board_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("boards.id", ondelete="CASCADE"))
    section_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("board_sections.id", ondelete="SET NULL"), nullable=True
    )
    creator_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    image_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("media_images.id"))
    parent_pin_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("pins.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str | None] = mapped_column(String(100), nullable=True)
    description: Mapped[str | None] = mapped_column(String(800), nullable=True)
    link: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    source_domain: Mapped[str | None] = mapped_column(String(255), nullable=True)
    alt_text: Mapped[str | None] = mapped_column(String(500), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    dominant_color: Mapped[str | None] = mapped_column(String(7), nullable=True)
    creative_type: Mapped[str] = mapped_column(String(24), default="REGULAR")
    is_standard: Mapped[bool] = mapped_column(default=True)
    # Saves of this pin into boards its viewers can see (public boards); kept current on every write.
    save_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Moderation flags (moderation/state.py): 0 = shown; boards.access hides anything else from the public.
    moderation: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
