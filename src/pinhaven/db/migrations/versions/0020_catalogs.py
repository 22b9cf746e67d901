"""catalogs: merchants' product feeds, items, processing results, product groups (issue 17)

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

import pinhaven.db.base

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _times() -> list[sa.Column]:
    return [
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", pinhaven.db.base.UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "catalogs",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("catalog_type", sa.String(length=16), nullable=False),
        sa.Column("board_id", sa.BigInteger(), nullable=True),
        *_times(),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_catalogs_owner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["board_id"], ["boards.id"], name=op.f("fk_catalogs_board_id_boards"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogs")),
    )
    op.create_index("ix_catalogs_owner_id_id", "catalogs", ["owner_id", "id"])
    op.create_table(
        "catalog_feeds",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("catalog_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("location", sa.String(length=2048), nullable=False),
        sa.Column("default_currency", sa.String(length=3), nullable=True),
        sa.Column("default_locale", sa.String(length=16), nullable=False),
        sa.Column("default_country", sa.String(length=2), nullable=False),
        sa.Column("default_availability", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        *_times(),
        sa.Column("last_synced_at", pinhaven.db.base.UTCDateTime(), nullable=True),
        sa.Column("next_sync_at", pinhaven.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["catalog_id"],
            ["catalogs.id"],
            name=op.f("fk_catalog_feeds_catalog_id_catalogs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_catalog_feeds_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_feeds")),
    )
    op.create_index("ix_catalog_feeds_owner_id_id", "catalog_feeds", ["owner_id", "id"])
    op.create_index("ix_catalog_feeds_status_next_sync_at", "catalog_feeds", ["status", "next_sync_at"])
    op.create_table(
        "catalog_items",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("feed_id", sa.BigInteger(), nullable=False),
        sa.Column("catalog_id", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.String(length=127), nullable=False),
        sa.Column("pin_id", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("link", sa.String(length=2048), nullable=False),
        sa.Column("image_link", sa.String(length=2048), nullable=False),
        sa.Column("price", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("sale_price", sa.String(length=32), nullable=True),
        sa.Column("availability", sa.String(length=16), nullable=False),
        sa.Column("brand", sa.String(length=100), nullable=True),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("mpn", sa.String(length=70), nullable=True),
        sa.Column("product_type", sa.String(length=750), nullable=True),
        sa.Column("condition", sa.String(length=16), nullable=True),
        sa.Column("present", sa.Boolean(), nullable=False),
        *_times(),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["catalog_feeds.id"],
            name=op.f("fk_catalog_items_feed_id_catalog_feeds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["catalog_id"],
            ["catalogs.id"],
            name=op.f("fk_catalog_items_catalog_id_catalogs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pin_id"], ["pins.id"], name=op.f("fk_catalog_items_pin_id_pins"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_items")),
        sa.UniqueConstraint("feed_id", "item_id", name="uq_catalog_items_feed_id_item_id"),
    )
    op.create_index("ix_catalog_items_catalog_id_item_id", "catalog_items", ["catalog_id", "item_id"])
    op.create_index("ix_catalog_items_pin_id", "catalog_items", ["pin_id"])
    op.create_table(
        "catalog_processing_results",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("feed_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("message", sa.String(length=1000), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("issues", sa.JSON(), nullable=False),
        *_times(),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["catalog_feeds.id"],
            name=op.f("fk_catalog_processing_results_feed_id_catalog_feeds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_processing_results")),
    )
    op.create_index(
        "ix_catalog_processing_results_feed_id_id", "catalog_processing_results", ["feed_id", "id"]
    )
    op.create_table(
        "catalog_product_groups",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("catalog_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("filters", sa.JSON(), nullable=False),
        *_times(),
        sa.ForeignKeyConstraint(
            ["catalog_id"],
            ["catalogs.id"],
            name=op.f("fk_catalog_product_groups_catalog_id_catalogs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_catalog_product_groups_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_product_groups")),
    )
    op.create_index("ix_catalog_product_groups_owner_id_id", "catalog_product_groups", ["owner_id", "id"])


def downgrade() -> None:
    op.drop_table("catalog_product_groups")
    op.drop_table("catalog_processing_results")
    op.drop_table("catalog_items")
    op.drop_table("catalog_feeds")
    op.drop_table("catalogs")
