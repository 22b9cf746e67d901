"""media_locks: leases shared by every host (on-demand variant renders, the periodic orphan sweep)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import pinhaven.db.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_locks",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("expires_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_media_locks")),
    )


def downgrade() -> None:
    op.drop_table("media_locks")
