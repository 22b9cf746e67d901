"""account exports written by a job (export_runs)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import pinhaven.db.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_runs",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("pins", sa.BigInteger(), nullable=False),
        sa.Column("boards", sa.BigInteger(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("finished_at", pinhaven.db.base.UTCDateTime(), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_export_runs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_runs")),
    )
    op.create_index("ix_export_runs_user_id_id", "export_runs", ["user_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_export_runs_user_id_id", table_name="export_runs")
    op.drop_table("export_runs")
