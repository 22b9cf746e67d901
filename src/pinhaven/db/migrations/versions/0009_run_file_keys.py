"""import and export files in the media store: import_runs.input_key / report_key, export_runs.zip_key

The keys (private/imports|exports/<run id>-<random token>/...) replace the local paths, so a run started on
one host can be run, and its files downloaded, on any other. The path columns stay for runs made before.

Revision ID: 0009
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("import_runs", sa.Column("input_key", sa.Text(), nullable=True))
    op.add_column("import_runs", sa.Column("report_key", sa.Text(), nullable=True))
    op.add_column("export_runs", sa.Column("zip_key", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("export_runs") as batch:
        batch.drop_column("zip_key")
    with op.batch_alter_table("import_runs") as batch:
        batch.drop_column("report_key")
        batch.drop_column("input_key")
