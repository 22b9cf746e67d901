"""learned ranking: served features, models, experiments (issue 14)

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

import pinhaven.db.base

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BLOB = sa.LargeBinary(length=2**24)  # MEDIUMBLOB on MySQL/MariaDB


def upgrade() -> None:
    op.create_table(
        "ranking_feature_logs",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("scorer", sa.String(length=64), nullable=False),
        sa.Column("arm", sa.String(length=80), nullable=True),
        sa.Column("n_features", sa.Integer(), nullable=False),
        sa.Column("pin_ids", BLOB, nullable=False),
        sa.Column("features", BLOB, nullable=False),
        sa.Column("source_bits", BLOB, nullable=False),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("labelled_at", pinhaven.db.base.UTCDateTime(), nullable=True),
        sa.Column("labels", BLOB, nullable=True),
        sa.Column("positions", BLOB, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ranking_feature_logs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ranking_feature_logs")),
    )
    op.create_index("ix_ranking_feature_logs_labelled_at_id", "ranking_feature_logs", ["labelled_at", "id"])
    op.create_index("ix_ranking_feature_logs_created_at", "ranking_feature_logs", ["created_at"])
    op.create_table(
        "ranking_models",
        sa.Column("version", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("promoted_at", pinhaven.db.base.UTCDateTime(), nullable=True),
        sa.Column("n_examples", sa.Integer(), nullable=False),
        sa.Column("feature_names", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_ranking_models")),
    )
    op.create_table(
        "experiments",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("orthogonal", sa.Boolean(), nullable=False),
        sa.Column("arms", sa.JSON(), nullable=False),
        sa.Column("created_at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.Column("started_at", pinhaven.db.base.UTCDateTime(), nullable=True),
        sa.Column("stopped_at", pinhaven.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
        sa.UniqueConstraint("name", name=op.f("uq_experiments_name")),
    )
    op.create_table(
        "experiment_exposures",
        sa.Column("experiment_id", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("arm", sa.String(length=64), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("at", pinhaven.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_exposures_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_experiment_exposures_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("experiment_id", "session_id", name=op.f("pk_experiment_exposures")),
    )
    op.create_index(
        "ix_experiment_exposures_experiment_id_user_id", "experiment_exposures", ["experiment_id", "user_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_experiment_exposures_experiment_id_user_id", table_name="experiment_exposures")
    op.drop_table("experiment_exposures")
    op.drop_table("experiments")
    op.drop_table("ranking_models")
    op.drop_index("ix_ranking_feature_logs_created_at", table_name="ranking_feature_logs")
    op.drop_index("ix_ranking_feature_logs_labelled_at_id", table_name="ranking_feature_logs")
    op.drop_table("ranking_feature_logs")
