"""account lifecycle: deactivation and deletion (issue 16)

users.deactivated_at / users.deleted_at, and account_deletions (pending erasures, then their log).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

import pinhaven.db.base

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("deactivated_at", pinhaven.db.base.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("deleted_at", pinhaven.db.base.UTCDateTime(), nullable=True))
    op.create_table(
        "account_deletions",
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("erased_at", pinhaven.db.base.UTCDateTime(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_deletions")),
    )
    op.create_index("ix_account_deletions_status", "account_deletions", ["status"])


def downgrade() -> None:
    op.drop_index("ix_account_deletions_status", table_name="account_deletions")
    op.drop_table("account_deletions")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("deleted_at")
        batch.drop_column("deactivated_at")
