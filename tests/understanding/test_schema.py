"""Migration 0018 creates exactly what the OCR and topics models declare, on every engine."""

from __future__ import annotations

import pytest
from tests.conftest import ALL_BACKENDS
from tests.schema_check import migration_differences

from pinhaven.context import AppContext

TABLES = {"image_texts", "topics", "pin_topics", "pin_topic_locks"}


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_migration_matches_the_understanding_models(ctx: AppContext) -> None:
    assert migration_differences(ctx, TABLES) == []
