"""promoted pins: ad accounts, campaigns, ad groups, ads, auction log (issue 15)

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

import pinhaven.db.base

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_TS = pinhaven.db.base.UTCDateTime


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False)


def _spend() -> list[sa.Column]:
    return [
        sa.Column("spend_day", sa.String(length=10), nullable=False),
        sa.Column("spend_today", sa.BigInteger(), nullable=False),
        sa.Column("spend_total", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "ad_accounts",
        _id(),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", _TS(), nullable=False),
        sa.Column("updated_at", _TS(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_ad_accounts_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_accounts")),
    )
    op.create_index("ix_ad_accounts_owner_id_id", "ad_accounts", ["owner_id", "id"])
    op.create_table(
        "ad_campaigns",
        _id(),
        sa.Column("ad_account_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("objective_type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("daily_spend_cap", sa.BigInteger(), nullable=True),
        sa.Column("lifetime_spend_cap", sa.BigInteger(), nullable=True),
        sa.Column("start_time", sa.BigInteger(), nullable=True),
        sa.Column("end_time", sa.BigInteger(), nullable=True),
        *_spend(),
        sa.Column("created_at", _TS(), nullable=False),
        sa.Column("updated_at", _TS(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_ad_campaigns_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_campaigns")),
    )
    op.create_index("ix_ad_campaigns_ad_account_id_id", "ad_campaigns", ["ad_account_id", "id"])
    op.create_table(
        "ad_groups",
        _id(),
        sa.Column("ad_account_id", sa.BigInteger(), nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("budget_in_micro_currency", sa.BigInteger(), nullable=True),
        sa.Column("budget_type", sa.String(length=16), nullable=False),
        sa.Column("bid_in_micro_currency", sa.BigInteger(), nullable=True),
        sa.Column("billable_event", sa.String(length=16), nullable=False),
        sa.Column("targeting", sa.Text(), nullable=False),
        sa.Column("lifetime_frequency_cap", sa.Integer(), nullable=False),
        sa.Column("placement_group", sa.String(length=16), nullable=False),
        sa.Column("start_time", sa.BigInteger(), nullable=True),
        sa.Column("end_time", sa.BigInteger(), nullable=True),
        *_spend(),
        sa.Column("created_at", _TS(), nullable=False),
        sa.Column("updated_at", _TS(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_ad_groups_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["ad_campaigns.id"],
            name=op.f("fk_ad_groups_campaign_id_ad_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_groups")),
    )
    op.create_index("ix_ad_groups_ad_account_id_id", "ad_groups", ["ad_account_id", "id"])
    op.create_index("ix_ad_groups_campaign_id", "ad_groups", ["campaign_id"])
    op.create_table(
        "ads",
        _id(),
        sa.Column("ad_account_id", sa.BigInteger(), nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("ad_group_id", sa.BigInteger(), nullable=False),
        sa.Column("pin_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("destination_url", sa.String(length=2048), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("review_status", sa.String(length=16), nullable=False),
        sa.Column("created_at", _TS(), nullable=False),
        sa.Column("updated_at", _TS(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_ads_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ad_group_id"], ["ad_groups.id"], name=op.f("fk_ads_ad_group_id_ad_groups"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ads")),
    )
    op.create_index("ix_ads_ad_account_id_id", "ads", ["ad_account_id", "id"])
    op.create_index("ix_ads_ad_group_id", "ads", ["ad_group_id"])
    op.create_index("ix_ads_pin_id", "ads", ["pin_id"])
    op.create_table(
        "ad_events",
        _id(),
        sa.Column("event_id", sa.String(length=96), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("ad_id", sa.BigInteger(), nullable=False),
        sa.Column("ad_group_id", sa.BigInteger(), nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("ad_account_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("cost_micro", sa.BigInteger(), nullable=False),
        sa.Column("pctr", sa.Float(), nullable=False),
        sa.Column("relevance", sa.Float(), nullable=False),
        sa.Column("created_at", _TS(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_ad_events_event_id")),
    )
    op.create_index("ix_ad_events_ad_id_created_at", "ad_events", ["ad_id", "created_at"])
    op.create_index("ix_ad_events_ad_account_id_created_at", "ad_events", ["ad_account_id", "created_at"])
    op.create_index("ix_ad_events_user_id_created_at", "ad_events", ["user_id", "created_at"])
    op.create_table(
        "ad_click_marks",
        sa.Column("ad_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("clicked_at", _TS(), nullable=False),
        sa.PrimaryKeyConstraint("ad_id", "user_key", name=op.f("pk_ad_click_marks")),
    )
    op.create_table(
        "ad_conversions",
        _id(),
        sa.Column("ad_account_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("event_name", sa.String(length=32), nullable=False),
        sa.Column("action_source", sa.String(length=32), nullable=False),
        sa.Column("event_time", _TS(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("value_micro", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("ad_id", sa.BigInteger(), nullable=True),
        sa.Column("ad_group_id", sa.BigInteger(), nullable=True),
        sa.Column("campaign_id", sa.BigInteger(), nullable=True),
        sa.Column("attribution", sa.String(length=8), nullable=True),
        sa.Column("touched_at", _TS(), nullable=True),
        sa.Column("created_at", _TS(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ad_account_id"],
            ["ad_accounts.id"],
            name=op.f("fk_ad_conversions_ad_account_id_ad_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_conversions")),
        sa.UniqueConstraint(
            "ad_account_id", "event_id", name=op.f("uq_ad_conversions_ad_account_id_event_id")
        ),
    )
    op.create_index(
        "ix_ad_conversions_ad_account_id_event_time", "ad_conversions", ["ad_account_id", "event_time"]
    )


def downgrade() -> None:
    op.drop_table("ad_conversions")
    op.drop_table("ad_click_marks")
    op.drop_table("ad_events")
    op.drop_table("ads")
    op.drop_table("ad_groups")
    op.drop_table("ad_campaigns")
    op.drop_table("ad_accounts")
