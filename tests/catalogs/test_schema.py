"""Migration 0020 creates exactly what the catalogs models declare, on every engine."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from tests.conftest import ALL_BACKENDS

from pinhaven.context import AppContext
from pinhaven.db.registry import all_metadata

TABLES = {
    "catalogs",
    "catalog_feeds",
    "catalog_items",
    "catalog_processing_results",
    "catalog_product_groups",
}


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_migration_matches_the_catalogs_models(ctx: AppContext) -> None:
    metadata = all_metadata()
    with ctx.engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) >= TABLES
        migration = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, kind, parent: kind != "table" or name in TABLES,
            },
        )
        differences = [d for d in compare_metadata(migration, metadata) if _table_of(d) in TABLES]
    assert differences == []


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
