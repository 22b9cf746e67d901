"""event stream: trending_hourly (the trending consumer's windows), outbox_keys (exact order per key)

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

import pinhaven.db.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trending_hourly",
        sa.Column("pin_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hour", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("impressions", sa.Integer(), nullable=False),
        sa.Column("closeups", sa.Integer(), nullable=False),
        sa.Column("outbound_clicks", sa.Integer(), nullable=False),
        sa.Column("saves", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pin_id", "hour", name=op.f("pk_trending_hourly")),
    )
    op.create_index("ix_trending_hourly_hour", "trending_hourly", ["hour"])
    op.create_table(
        "outbox_keys",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("last_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_outbox_keys")),
    )


def downgrade() -> None:
    op.drop_table("outbox_keys")
    op.drop_index("ix_trending_hourly_hour", table_name="trending_hourly")
    op.drop_table("trending_hourly")
