"""duplicate rule for flat graphics and split groups: flatness + layout per embedding, pair exclusions

Revision ID: 0007
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

import pinhaven.db.base

revision = "0007"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visual_embeddings") as batch:
        batch.add_column(sa.Column("flatness", sa.Float(), nullable=True))
        batch.add_column(sa.Column("layout", sa.LargeBinary(), nullable=True))
    op.create_table(
        "visual_duplicate_exclusions",
        sa.Column("image_a", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("image_b", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("image_a < image_b", name=op.f("ck_visual_duplicate_exclusions_ordered_pair")),
        sa.ForeignKeyConstraint(
            ["image_a"],
            ["media_images.id"],
            name=op.f("fk_visual_duplicate_exclusions_image_a_media_images"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["image_b"],
            ["media_images.id"],
            name=op.f("fk_visual_duplicate_exclusions_image_b_media_images"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_visual_duplicate_exclusions_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("image_a", "image_b", name=op.f("pk_visual_duplicate_exclusions")),
    )
    op.create_index(
        op.f("ix_visual_duplicate_exclusions_image_b"),
        "visual_duplicate_exclusions",
        ["image_b"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_visual_duplicate_exclusions_image_b"), table_name="visual_duplicate_exclusions")
    op.drop_table("visual_duplicate_exclusions")
    with op.batch_alter_table("visual_embeddings") as batch:
        batch.drop_column("layout")
        batch.drop_column("flatness")
