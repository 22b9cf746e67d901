"""Tables of the ads domain. Every amount is an integer in micro-currency (1 unit = 1,000,000 micros)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, IdMixin, utcnow


class AdAccount(IdMixin, Base):
    """An advertiser: one user's account that campaigns belong to and spend is charged to."""

    __tablename__ = "ad_accounts"
    __table_args__ = (Index("ix_ad_accounts_owner_id_id", "owner_id", "id"),)

    owner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    country: Mapped[str] = mapped_column(String(2), default="US")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AdCampaign(IdMixin, Base):
    """Objective, status and the spend caps; `spend_today`/`spend_total` are moved by conditional UPDATEs."""

    __tablename__ = "ad_campaigns"
    __table_args__ = (Index("ix_ad_campaigns_ad_account_id_id", "ad_account_id", "id"),)

    ad_account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    objective_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    daily_spend_cap: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    lifetime_spend_cap: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    start_time: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # unix seconds
    end_time: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    spend_day: Mapped[str] = mapped_column(String(10), default="")  # UTC day `spend_today` counts
    spend_today: Mapped[int] = mapped_column(BigInteger, default=0)
    spend_total: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AdGroup(IdMixin, Base):
    """Budget, bid, billable event and targeting of a set of ads."""

    __tablename__ = "ad_groups"
    __table_args__ = (
        Index("ix_ad_groups_ad_account_id_id", "ad_account_id", "id"),
        Index("ix_ad_groups_campaign_id", "campaign_id"),
    )

    ad_account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ad_campaigns.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    budget_in_micro_currency: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    budget_type: Mapped[str] = mapped_column(String(16), default="DAILY")
    bid_in_micro_currency: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    billable_event: Mapped[str] = mapped_column(String(16), default="CLICKTHROUGH")
    targeting: Mapped[str] = mapped_column(Text, default="{}")  # the v5 targeting_spec, JSON
    lifetime_frequency_cap: Mapped[int] = mapped_column(
        Integer, default=0
    )  # impressions per user per day; 0 = default
    placement_group: Mapped[str] = mapped_column(String(16), default="ALL")
    start_time: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    end_time: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    spend_day: Mapped[str] = mapped_column(String(10), default="")
    spend_today: Mapped[int] = mapped_column(BigInteger, default=0)
    spend_total: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Ad(IdMixin, Base):
    """A promoted pin: the creative is one of the advertiser's own pins (no foreign key: a deleted pin's ad
    stays, reported with `is_pin_deleted`, and is never served)."""

    __tablename__ = "ads"
    __table_args__ = (
        Index("ix_ads_ad_account_id_id", "ad_account_id", "id"),
        Index("ix_ads_ad_group_id", "ad_group_id"),
        Index("ix_ads_pin_id", "pin_id"),
    )

    ad_account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(BigInteger)
    ad_group_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ad_groups.id", ondelete="CASCADE"))
    pin_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    destination_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    review_status: Mapped[str] = mapped_column(String(16), default="APPROVED")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AdEvent(IdMixin, Base):
    """One impression or click, recorded once (`event_id` is unique), with what it cost."""

    __tablename__ = "ad_events"
    __table_args__ = (
        UniqueConstraint("event_id"),
        Index("ix_ad_events_ad_id_created_at", "ad_id", "created_at"),
        Index("ix_ad_events_ad_account_id_created_at", "ad_account_id", "created_at"),
        Index("ix_ad_events_user_id_created_at", "user_id", "created_at"),
    )

    event_id: Mapped[str] = mapped_column(String(96))
    kind: Mapped[str] = mapped_column(String(12))  # impression | click
    ad_id: Mapped[int] = mapped_column(BigInteger)
    ad_group_id: Mapped[int] = mapped_column(BigInteger)
    campaign_id: Mapped[int] = mapped_column(BigInteger)
    ad_account_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    surface: Mapped[str] = mapped_column(String(16), default="home")
    cost_micro: Mapped[int] = mapped_column(BigInteger, default=0)
    pctr: Mapped[float] = mapped_column(Float, default=0.0)  # logged at serve time (training data)
    relevance: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AdClickMark(Base):
    """The last billed click of a user on an ad: clicks within 24 h of it are not billed again."""

    __tablename__ = "ad_click_marks"

    ad_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    clicked_at: Mapped[datetime] = mapped_column(default=utcnow)


class AdConversion(IdMixin, Base):
    """A conversion event an advertiser sent (v5 conversion API), deduplicated by its event_id."""

    __tablename__ = "ad_conversions"
    __table_args__ = (
        UniqueConstraint("ad_account_id", "event_id"),
        Index("ix_ad_conversions_ad_account_id_event_time", "ad_account_id", "event_time"),
    )

    ad_account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ad_accounts.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(128))
    event_name: Mapped[str] = mapped_column(String(32))
    action_source: Mapped[str] = mapped_column(String(32))
    event_time: Mapped[datetime] = mapped_column()
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # matched Pinhaven user
    value_micro: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    ad_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # attributed ad
    ad_group_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    campaign_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    attribution: Mapped[str | None] = mapped_column(String(8), nullable=True)  # click | view
    touched_at: Mapped[datetime | None] = mapped_column(nullable=True)  # the attributed click/impression
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
