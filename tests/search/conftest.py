"""Fixtures for text search. Semantic search is off in these settings (no model load per test);
test_semantic.py turns it on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.search.helpers import Maker

from pinhaven.config import Settings, load_settings
from pinhaven.context import AppContext
from pinhaven.search.text.service import reset_process_state


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(
        env={},
        data_dir=tmp_path / "data",
        database_url=database_url,
        password_hash_fast=True,
        worker_threads=0,
        secret_key="test-secret-key",
        semantic_search=False,
    )


@pytest.fixture(autouse=True)
def _fresh_search_state() -> Iterator[None]:
    """Server databases are wiped, not recreated, between tests: in-process indexes must not outlive them."""
    reset_process_state()
    yield
    reset_process_state()


@pytest.fixture
def make(ctx: AppContext) -> Maker:
    return Maker(ctx)
