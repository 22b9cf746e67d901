"""event stream: outbox_events (transactional outbox), stream_leases (one relay), stream_applied (idempotent consumers)

Revision ID: 0011
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

import pinhaven.db.base

revision = "0011"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("sent_at", pinhaven.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
    )
    op.create_index("ix_outbox_events_sent_at_id", "outbox_events", ["sent_at", "id"])
    op.create_table(
        "stream_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("expires_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_stream_leases")),
    )
    op.create_table(
        "stream_applied",
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("applied_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_stream_applied")),
    )
    op.create_index("ix_stream_applied_applied_at", "stream_applied", ["applied_at"])


def downgrade() -> None:
    op.drop_index("ix_stream_applied_applied_at", table_name="stream_applied")
    op.drop_table("stream_applied")
    op.drop_table("stream_leases")
    op.drop_index("ix_outbox_events_sent_at_id", table_name="outbox_events")
    op.drop_table("outbox_events")
