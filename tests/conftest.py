"""Fixtures: settings → database → context → app → client → users and tokens.

Every test gets a fresh database. SQLite by default (a new file per test); modules that set
`pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)` also run against the real
PostgreSQL and MariaDB servers: one schema/database per backend and test process, migrated once, emptied
before every test, dropped at the end of the session.
A missing server skips those runs, unless PINHAVEN_REQUIRE_SERVICES=1 (CI), where it fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from tests.factories import Account, make_account

from pinhaven.app import create_app
from pinhaven.config import Settings, load_settings
from pinhaven.context import AppContext, build_context
from pinhaven.db.engine import make_engine
from pinhaven.db.migrate import upgrade

ALL_BACKENDS = ["sqlite", "postgresql", "mariadb"]
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARIADB_ADMIN_URL = "mysql+pymysql://root@127.0.0.1:3306/test"
REQUIRE_SERVICES = os.environ.get("PINHAVEN_REQUIRE_SERVICES") == "1"


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests build settings explicitly: no PINHAVEN_* variable from the outside leaks in."""
    for key in list(os.environ):
        if key.startswith("PINHAVEN_") and key != "PINHAVEN_REQUIRE_SERVICES":
            monkeypatch.delenv(key)


def service_unavailable(name: str, exc: Exception) -> None:
    message = f"{name} is not reachable ({type(exc).__name__}: {exc})"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}; PINHAVEN_REQUIRE_SERVICES=1 requires it")
    pytest.skip(message)


def _postgres_schema() -> Iterator[str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # any connection failure means "no server here"
        service_unavailable("PostgreSQL at 127.0.0.1:5432", exc)
    try:
        yield f"{POSTGRES_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _mariadb_database() -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    try:
        admin = create_engine(MARIADB_ADMIN_URL)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    except Exception as exc:
        service_unavailable("MariaDB at 127.0.0.1:3306", exc)
    try:
        yield f"mysql+pymysql://root@127.0.0.1:3306/{name}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


_SERVER_DATABASES: dict[str, Iterator[str]] = {}


@pytest.fixture(scope="session")
def _server_databases() -> Iterator[dict[str, str]]:
    """One schema/database per server backend for the whole session (migrated once), dropped at the end."""
    urls: dict[str, str] = {}
    yield urls
    for generator in _SERVER_DATABASES.values():
        generator.close()  # runs the DROP in the generator's finally
    _SERVER_DATABASES.clear()


def _shared_server_url(backend: str, urls: dict[str, str]) -> str:
    if backend not in urls:
        generator = _postgres_schema() if backend == "postgresql" else _mariadb_database()
        urls[backend] = next(generator)
        _SERVER_DATABASES[backend] = generator
        engine = make_engine(urls[backend])
        upgrade(engine)
        engine.dispose()
    return urls[backend]


def _wipe(url: str) -> None:
    """Empty every table (not alembic_version) so each test starts from a fresh, migrated database."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
                )
            else:
                conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
                for table in tables:
                    conn.execute(text(f"DELETE FROM `{table}`"))
                conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
    finally:
        engine.dispose()


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, _server_databases: dict[str, str]
) -> Iterator[str]:
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'pinhaven.db'}"
    elif backend in ("postgresql", "mariadb"):
        url = _shared_server_url(backend, _server_databases)
        _wipe(url)
        yield url
    else:
        raise ValueError(backend)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(
        env={},
        data_dir=tmp_path / "data",
        database_url=database_url,
        password_hash_fast=True,
        worker_threads=0,  # tests run jobs explicitly (`pinhaven.jobs.worker.drain`)
        semantic_search=False,  # the MiniLM model loads only in the tests that need it (tests/search)
        ocr_enabled=False,  # likewise the OCR models (tests/understanding)
        secret_key="test-secret-key",
        # A busy CI box can hold a request on the event loop for seconds; shedding it would fail unrelated
        # tests. tests/core/test_admission.py sets its own deadline (and its own pool timeout: a 503 "database
        # busy" after 2 s of waiting for a connection failed an unrelated page test at load 14).
        admission_queue_deadline_seconds=0.0,
        db_pool_timeout_seconds=30.0,
    )


@pytest.fixture
def ctx(settings: Settings) -> Iterator[AppContext]:
    context = build_context(settings)
    yield context
    context.engine.dispose()


@pytest.fixture
def app(ctx: AppContext) -> FastAPI:
    return create_app(ctx=ctx)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def alice(ctx: AppContext) -> Account:
    return make_account(ctx, "alice")


@pytest.fixture
def bob(ctx: AppContext) -> Account:
    return make_account(ctx, "bob")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium per test process, for every folder's browser tests. It lives here, not in
    tests/e2e/conftest.py re-exported elsewhere: each re-export is a fixture of its own, and a second Playwright
    session in one process fails ("Sync API inside the asyncio loop")."""
    from tests.e2e.chromium import CHROMIUM, CHROMIUM_ARGS

    def unavailable(reason: str) -> None:
        if REQUIRE_SERVICES:
            pytest.fail(f"{reason}; PINHAVEN_REQUIRE_SERVICES=1 requires browser tests to run")
        pytest.skip(reason)

    if not os.path.exists(CHROMIUM):
        unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install 'playwright>=1.45,<2')")
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()
