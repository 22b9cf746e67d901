"""Tables of visual search: one embedding (and perceptual hashes) per image and model; duplicate groups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, UTCDateTime, utcnow

__all__ = ["ImageDuplicateExclusion", "ImageDuplicateGroup", "ImageEmbedding"]


class ImageEmbedding(Base):
    """An image's vector in one model's space (`model_id` is versioned: a new whitening is a new id).

    Vectors are keyed by image, not pin: every pin showing the image (saves, identical uploads) shares it.
    `phash`/`dhash` are unsigned 64-bit hashes stored as signed BIGINTs (`hashes.to_signed`).
    `flatness` and `layout` (layout.py) drive the flat-graphics duplicate rule; `layout` is kept only for
    flat-ish images; both are NULL on rows embedded before they existed (a reindex fills them).
    """

    __tablename__ = "visual_embeddings"
    __table_args__ = (Index("ix_visual_embeddings_model_updated", "model_id", "updated_at"),)

    image_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("media_images.id", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian, unit length
    phash: Mapped[int] = mapped_column(BigInteger)
    dhash: Mapped[int] = mapped_column(BigInteger)
    flatness: Mapped[float | None] = mapped_column(Float, nullable=True)
    layout: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImageDuplicateGroup(Base):
    """The canonical group of an image: near-duplicate images (re-encodes, resizes, crops) share `group_id`.

    `group_id` is the oldest (smallest) image id ever in the group; it stays a plain id, not a foreign key,
    so a group outlives the deletion of its first image. Groups only merge as images arrive; a reindex
    recomputes them all from scratch.
    """

    __tablename__ = "visual_duplicate_groups"

    image_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("media_images.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    group_id: Mapped[int] = mapped_column(BigInteger, index=True)


class ImageDuplicateExclusion(Base):
    """Two images an owner said are "not the same picture": the duplicate finder never pairs them again,
    and no group may hold both. Stored once per pair, smaller image id first."""

    __tablename__ = "visual_duplicate_exclusions"
    __table_args__ = (CheckConstraint("image_a < image_b", name="ordered_pair"),)

    image_a: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("media_images.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    image_b: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("media_images.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
        index=True,
    )
    created_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
