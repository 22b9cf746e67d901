"""Tables of the catalogs domain: catalogs, their feeds, the feeds' items and each sync's processing result."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, IdMixin, utcnow


class Catalog(IdMixin, Base):
    """A merchant's catalog; its product pins live on `board_id` (the catalog board, created with it)."""

    __tablename__ = "catalogs"
    __table_args__ = (Index("ix_catalogs_owner_id_id", "owner_id", "id"),)

    owner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    catalog_type: Mapped[str] = mapped_column(String(16), default="RETAIL")
    board_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("boards.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CatalogFeed(IdMixin, Base):
    """A product feed at a URL, fetched (SSRF-safe) and ingested in the background."""

    __tablename__ = "catalog_feeds"
    __table_args__ = (
        Index("ix_catalog_feeds_owner_id_id", "owner_id", "id"),
        Index("ix_catalog_feeds_status_next_sync_at", "status", "next_sync_at"),
    )

    catalog_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("catalogs.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(8))  # CSV | TSV | XML
    location: Mapped[str] = mapped_column(String(2048))
    default_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    default_locale: Mapped[str] = mapped_column(String(16), default="en-US")
    default_country: Mapped[str] = mapped_column(String(2), default="US")
    default_availability: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status: Mapped[str] = mapped_column(String(8), default="ACTIVE")  # ACTIVE | INACTIVE
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_synced_at: Mapped[datetime | None] = mapped_column(nullable=True)
    next_sync_at: Mapped[datetime | None] = mapped_column(nullable=True)


class CatalogItem(IdMixin, Base):
    """One product of a feed, by the merchant's item id; `present` False once the feed stops listing it."""

    __tablename__ = "catalog_items"
    __table_args__ = (
        UniqueConstraint("feed_id", "item_id", name="uq_catalog_items_feed_id_item_id"),
        Index("ix_catalog_items_catalog_id_item_id", "catalog_id", "item_id"),
        Index("ix_catalog_items_pin_id", "pin_id"),
    )

    feed_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("catalog_feeds.id", ondelete="CASCADE"))
    catalog_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("catalogs.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(127))
    pin_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("pins.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    link: Mapped[str] = mapped_column(String(2048))
    image_link: Mapped[str] = mapped_column(String(2048))
    price: Mapped[str] = mapped_column(String(32))  # decimal text, as pin_products
    currency: Mapped[str] = mapped_column(String(3))
    sale_price: Mapped[str | None] = mapped_column(String(32), nullable=True)
    availability: Mapped[str] = mapped_column(String(16))  # IN_STOCK | OUT_OF_STOCK | PREORDER
    brand: Mapped[str | None] = mapped_column(String(100), nullable=True)
    gtin: Mapped[str | None] = mapped_column(String(14), nullable=True)
    mpn: Mapped[str | None] = mapped_column(String(70), nullable=True)
    product_type: Mapped[str | None] = mapped_column(String(750), nullable=True)
    condition: Mapped[str | None] = mapped_column(String(16), nullable=True)
    present: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CatalogProcessingResult(IdMixin, Base):
    """One sync of a feed: status, counts by v5 error/warning key, and per-item issues."""

    __tablename__ = "catalog_processing_results"
    __table_args__ = (Index("ix_catalog_processing_results_feed_id_id", "feed_id", "id"),)

    feed_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("catalog_feeds.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), default="PROCESSING")  # PROCESSING | COMPLETED | FAILED
    message: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    issues: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CatalogProductGroup(IdMixin, Base):
    """A merchant's named subset of a catalog's items, by v5 filters (`{"all_of"|"any_of": [{KEY: criteria}]}`)."""

    __tablename__ = "catalog_product_groups"
    __table_args__ = (Index("ix_catalog_product_groups_owner_id_id", "owner_id", "id"),)

    catalog_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("catalogs.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
