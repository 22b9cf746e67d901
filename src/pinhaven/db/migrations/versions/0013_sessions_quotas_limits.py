"""sessions, quotas and API limits (issue 16 defects): user_sessions (server-side web sessions),
anonymous_views (signed-out impressions counted once per visitor, pin and day), upload_usage (daily quotas)

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

import pinhaven.db.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", pinhaven.db.base.UTCDateTime(), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"], unique=False)
    op.create_table(
        "anonymous_views",
        sa.Column("pin_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("visitor", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["pin_id"], ["pins.id"], name=op.f("fk_anonymous_views_pin_id_pins"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pin_id", "day", "visitor", name=op.f("pk_anonymous_views")),
    )
    op.create_index(op.f("ix_anonymous_views_day"), "anonymous_views", ["day"], unique=False)
    op.create_index(
        "ix_anonymous_views_pin_id_day_address", "anonymous_views", ["pin_id", "day", "address"], unique=False
    )
    op.create_table(
        "upload_usage",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("uploads", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_upload_usage_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_upload_usage")),
    )


def downgrade() -> None:
    op.drop_table("upload_usage")
    op.drop_index("ix_anonymous_views_pin_id_day_address", table_name="anonymous_views")
    op.drop_index(op.f("ix_anonymous_views_day"), table_name="anonymous_views")
    op.drop_table("anonymous_views")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
