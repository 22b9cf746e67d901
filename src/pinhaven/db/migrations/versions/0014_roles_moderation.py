"""roles, instance settings, reports and moderation (issue 16)

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

import pinhaven.db.base

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("role", sa.String(length=16), server_default="member", nullable=False))
        batch.add_column(sa.Column("suspended_at", pinhaven.db.base.UTCDateTime(), nullable=True))
    with op.batch_alter_table("pins") as batch:
        batch.add_column(sa.Column("moderation", sa.SmallInteger(), server_default="0", nullable=False))
    with op.batch_alter_table("boards") as batch:
        batch.add_column(sa.Column("moderation", sa.SmallInteger(), server_default="0", nullable=False))
    op.create_table(
        "instance_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_instance_settings")),
    )
    op.create_table(
        "invite_codes",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.Column("used_at", pinhaven.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_invite_codes_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["used_by"], ["users.id"], name=op.f("fk_invite_codes_used_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_invite_codes")),
    )
    op.create_table(
        "moderation_cases",
        sa.Column("object_type", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("report_count", sa.BigInteger(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=True),
        sa.Column("auto_hidden", sa.Boolean(), nullable=False),
        sa.Column("opened_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_cases")),
        sa.UniqueConstraint(
            "object_type", "object_id", name=op.f("uq_moderation_cases_object_type_object_id")
        ),
    )
    op.create_index("ix_moderation_cases_owner", "moderation_cases", ["owner_id"])
    op.create_index("ix_moderation_cases_status_updated", "moderation_cases", ["status", "updated_at"])
    op.create_table(
        "reports",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("reporter_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", pinhaven.db.base.UTCDateTime(), nullable=True),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["moderation_cases.id"],
            name=op.f("fk_reports_case_id_moderation_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"], ["users.id"], name=op.f("fk_reports_reporter_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    op.create_index("ix_reports_case", "reports", ["case_id"])
    op.create_index("ix_reports_reporter", "reports", ["reporter_id", "id"])
    op.create_table(
        "moderation_actions",
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.Column("object_type", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_moderation_actions_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["moderation_cases.id"],
            name=op.f("fk_moderation_actions_case_id_moderation_cases"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_actions")),
    )
    op.create_index("ix_moderation_actions_case", "moderation_actions", ["case_id", "id"])
    op.create_index("ix_moderation_actions_object", "moderation_actions", ["object_type", "object_id"])
    op.create_table(
        "domain_reputation",
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("spam", sa.BigInteger(), nullable=False),
        sa.Column("ham", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_domain_reputation")),
    )


def downgrade() -> None:
    op.drop_table("domain_reputation")
    op.drop_index("ix_moderation_actions_object", table_name="moderation_actions")
    op.drop_index("ix_moderation_actions_case", table_name="moderation_actions")
    op.drop_table("moderation_actions")
    op.drop_index("ix_reports_reporter", table_name="reports")
    op.drop_index("ix_reports_case", table_name="reports")
    op.drop_table("reports")
    op.drop_index("ix_moderation_cases_status_updated", table_name="moderation_cases")
    op.drop_index("ix_moderation_cases_owner", table_name="moderation_cases")
    op.drop_table("moderation_cases")
    op.drop_table("invite_codes")
    op.drop_table("instance_settings")
    with op.batch_alter_table("boards") as batch:
        batch.drop_column("moderation")
    with op.batch_alter_table("pins") as batch:
        batch.drop_column("moderation")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("suspended_at")
        batch.drop_column("role")
