"""link_fetches: saves from web pages (reuse of fetched images, evidence for learned link rules)

Revision ID: 0008
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

import pinhaven.db.base

revision = "0008"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_fetches",
        sa.Column("pin_id", sa.BigInteger(), nullable=False),
        sa.Column("image_id", sa.BigInteger(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("fetched_url", sa.Text(), nullable=False),
        sa.Column("request_key", sa.String(length=64), nullable=False),
        sa.Column("link_key", sa.String(length=64), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("fingerprint", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("had_product", sa.Boolean(), nullable=False),
        sa.Column("fetched", sa.Boolean(), nullable=False),
        sa.Column("fetched_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["pin_id"], ["pins.id"], name=op.f("fk_link_fetches_pin_id_pins"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["image_id"], ["media_images.id"], name=op.f("fk_link_fetches_image_id_media_images")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_fetches")),
    )
    op.create_index("ix_link_fetches_request_key", "link_fetches", ["request_key"], unique=False)
    op.create_index("ix_link_fetches_link_key", "link_fetches", ["link_key"], unique=False)
    op.create_index("ix_link_fetches_host", "link_fetches", ["host"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_link_fetches_host", table_name="link_fetches")
    op.drop_index("ix_link_fetches_link_key", table_name="link_fetches")
    op.drop_index("ix_link_fetches_request_key", table_name="link_fetches")
    op.drop_table("link_fetches")
