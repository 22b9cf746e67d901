"""Alembic environment: runs on the connection `pinhaven.db.migrate` hands it."""

from __future__ import annotations

from alembic import context

from pinhaven.db.registry import all_metadata

target_metadata = all_metadata()
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `pinhaven init` (pinhaven.db.migrate.upgrade)")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
