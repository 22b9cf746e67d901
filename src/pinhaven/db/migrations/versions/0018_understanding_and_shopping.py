"""understanding and shopping: OCR text, topics, catalogs, product tags (issue 17)

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

import pinhaven.db.base

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "image_texts",
        sa.Column("image_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=True),
        sa.Column("engine", sa.String(length=64), nullable=False),
        sa.Column("elapsed_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["image_id"],
            ["media_images.id"],
            name=op.f("fk_image_texts_image_id_media_images"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("image_id", name=op.f("pk_image_texts")),
    )


def downgrade() -> None:
    op.drop_table("image_texts")
