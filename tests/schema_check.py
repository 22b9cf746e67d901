"""One check for every migration test: what the migrated database lacks or has beyond the models, per table."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from pinhaven.context import AppContext
from pinhaven.db.registry import all_metadata


def migration_differences(ctx: AppContext, tables: set[str]) -> list[object]:
    """Alembic's model-vs-database differences that touch `tables` (which must all exist)."""
    metadata = all_metadata()
    with ctx.engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) >= tables
        migration = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, parent: kind != "table" or name in tables,
            },
        )
        return [d for d in compare_metadata(migration, metadata) if _table_of(d) in tables]


def _table_of(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    assert isinstance(item, tuple)
    for part in item[1:]:
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        name = getattr(part, "name", None) if not isinstance(part, str) else None
        if name:
            return str(name)
        if isinstance(part, str):
            return part
    return None
