"""GET /ext/v1/health: database reachability and queue depth as JSON."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from tests.jobs.helpers import Recorder, add_job

from pinhaven.app import create_app
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import make_session_factory
from pinhaven.jobs.api import router
from pinhaven.jobs.worker import run_one

LOOPBACK = ("127.0.0.1", 50000)  # operators see the details (an operator's probe on the machine itself)


@pytest.fixture
def health(ctx: AppContext) -> Iterator[TestClient]:
    app = create_app(ctx=ctx)
    if not any(getattr(route, "path", "") == "/ext/v1/health" for route in app.routes):
        app.include_router(router)  # until app.py registers the jobs router
    with TestClient(app, raise_server_exceptions=False, client=LOOPBACK) as client:
        yield client


def test_health_reports_ok_with_queue_depth(ctx: AppContext, health: TestClient, recorder: Recorder) -> None:
    add_job(ctx, "test.track", {"key": "waiting"}, run_after=utcnow() - timedelta(seconds=30))
    add_job(ctx, "test.track", {"key": "later"}, run_after=utcnow() + timedelta(hours=1))
    add_job(ctx, "test.permanent", {"key": "dead"})
    run_one(ctx, kinds=["test.permanent"])

    response = health.get("/ext/v1/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    queue = body["queue"]
    assert (queue["queued"], queue["running"], queue["dead"], queue["backlog"]) == (2, 0, 1, False)
    assert 29 <= queue["oldest_queued_seconds"] < 60


def test_health_is_degraded_when_the_backlog_passes_the_warning(ctx: AppContext, recorder: Recorder) -> None:
    ctx.settings = ctx.settings.with_overrides(queue_backlog_warning=2)
    for i in range(3):
        add_job(ctx, "test.track", {"key": f"b{i}"})
    app = create_app(ctx=ctx)
    app.include_router(router)

    with TestClient(app, client=LOOPBACK) as client:
        body = client.get("/ext/v1/health").json()

    assert body["status"] == "degraded"
    assert body["queue"]["backlog"] is True and body["queue"]["queued"] == 3


def test_health_with_an_empty_queue(health: TestClient) -> None:
    body = health.get("/ext/v1/health").json()
    assert body == {
        "status": "ok",
        "database": "ok",
        "queue": {"queued": 0, "running": 0, "dead": 0, "oldest_queued_seconds": 0.0, "backlog": False},
        "stream": None,  # no event bus on this instance
    }


def test_health_answers_503_when_the_database_is_unreachable(ctx: AppContext, tmp_path: Path) -> None:
    # A database "inside" a regular file cannot be opened.
    (tmp_path / "not-a-folder").write_text("")
    broken = make_session_factory(create_engine(f"sqlite:///{tmp_path / 'not-a-folder' / 'x.db'}"))
    ctx.sessions = ctx.read_sessions = broken
    app = create_app(ctx=ctx)
    app.include_router(router)

    with TestClient(app, client=LOOPBACK) as client:
        response = client.get("/ext/v1/health")

    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "unavailable", "queue": None, "stream": None}
