"""Fixtures for the jobs tests: test-only job kinds, and one database per backend for the whole folder.

The root `database_url` makes a fresh schema per test; migrating MariaDB costs ~1.5 s, so these tests share one
database per backend and start from an empty jobs table instead (they touch no other table).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete
from tests.conftest import _mariadb_database, _postgres_schema
from tests.jobs.helpers import Recorder

from pinhaven.config import Settings
from pinhaven.context import AppContext, build_context
from pinhaven.jobs import handlers
from pinhaven.jobs.models import Job

KINDS = ("test.track", "test.fail", "test.flaky", "test.permanent")


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('jobs-sqlite') / 'pinhaven.db'}"
    elif backend == "postgresql":
        yield from _postgres_schema()
    elif backend == "mariadb":
        yield from _mariadb_database()
    else:
        raise ValueError(backend)


@pytest.fixture
def ctx(settings: Settings, tmp_path: Path) -> Iterator[AppContext]:
    context = build_context(settings)
    with context.engine.begin() as conn:
        conn.execute(delete(Job))
    yield context
    context.engine.dispose()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    handlers.register("test.track", rec.track)
    handlers.register("test.fail", rec.fail)
    handlers.register("test.flaky", rec.flaky)
    handlers.register("test.permanent", rec.permanent)
    yield rec
    for kind in KINDS:
        handlers.unregister(kind)
