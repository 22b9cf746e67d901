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
    op.create_table(
        "topics",
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("parent_slug", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_slug"], ["topics.slug"], name=op.f("fk_topics_parent_slug_topics"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_topics")),
    )
    op.create_index(op.f("ix_topics_parent_slug"), "topics", ["parent_slug"])
    op.create_table(
        "pin_topics",
        sa.Column("pin_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("topic_slug", sa.String(length=64), nullable=False),
        sa.Column("top_slug", sa.String(length=64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("ordinal", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pin_id"], ["pins.id"], name=op.f("fk_pin_topics_pin_id_pins"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["topic_slug"], ["topics.slug"], name=op.f("fk_pin_topics_topic_slug_topics"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pin_id", "topic_slug", name=op.f("pk_pin_topics")),
    )
    op.create_index("ix_pin_topics_top_slug_confidence", "pin_topics", ["top_slug", "confidence"])
    op.create_index("ix_pin_topics_topic_slug_confidence", "pin_topics", ["topic_slug", "confidence"])
    op.create_table(
        "pin_topic_locks",
        sa.Column("pin_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("locked_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pin_id"], ["pins.id"], name=op.f("fk_pin_topic_locks_pin_id_pins"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pin_id", name=op.f("pk_pin_topic_locks")),
    )


def downgrade() -> None:
    op.drop_table("pin_topic_locks")
    op.drop_index("ix_pin_topics_topic_slug_confidence", table_name="pin_topics")
    op.drop_index("ix_pin_topics_top_slug_confidence", table_name="pin_topics")
    op.drop_table("pin_topics")
    op.drop_index(op.f("ix_topics_parent_slug"), table_name="topics")
    op.drop_table("topics")
    op.drop_table("image_texts")
