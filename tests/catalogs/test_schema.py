"""Migration 0020 creates exactly what the catalogs models declare, on every engine."""

from __future__ import annotations

import pytest
from tests.conftest import ALL_BACKENDS
from tests.schema_check import migration_differences

from pinhaven.context import AppContext

TABLES = {
    "catalogs",
    "catalog_feeds",
    "catalog_items",
    "catalog_processing_results",
    "catalog_product_groups",
}


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_migration_matches_the_catalogs_models(ctx: AppContext) -> None:
    assert migration_differences(ctx, TABLES) == []
