"""canonical duplicate groups of images (visual_duplicate_groups)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visual_duplicate_groups",
        sa.Column("image_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("group_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["image_id"],
            ["media_images.id"],
            name=op.f("fk_visual_duplicate_groups_image_id_media_images"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("image_id", name=op.f("pk_visual_duplicate_groups")),
    )
    op.create_index(
        op.f("ix_visual_duplicate_groups_group_id"), "visual_duplicate_groups", ["group_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_visual_duplicate_groups_group_id"), table_name="visual_duplicate_groups")
    op.drop_table("visual_duplicate_groups")
