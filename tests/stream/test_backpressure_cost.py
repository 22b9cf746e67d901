"""The backpressure check costs a write request nothing: without an event bus, at most one bounded queue
query per second per process, read in the background; the limit is still enforced."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, insert
from tests.conftest import ALL_BACKENDS
from tests.factories import make_account

from pinhaven.app import create_app
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.db.ids import new_id
from pinhaven.jobs.models import Job
from pinhaven.stream.backpressure import CHECK_TTL_SECONDS, queued_above

pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)


@pytest.fixture
def queue_checks() -> Iterator[list[str]]:
    """Every SQL statement that counts queued jobs, from any engine."""
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "jobs" in statement and "count(" in statement.lower():
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    yield seen
    event.remove(Engine, "before_cursor_execute", note)


def _queue(ctx: AppContext, count: int) -> None:
    now = utcnow()
    rows = [
        {"id": new_id(), "kind": "search.index_pin", "payload": {}, "state": "queued", "run_after": now}
        for _ in range(count)
    ]
    with session_scope(ctx.sessions) as db:
        db.execute(insert(Job), rows)


def test_writes_read_the_queue_at_most_once_a_second(ctx: AppContext, queue_checks: list[str]) -> None:
    alice = make_account(ctx, "alice")
    with TestClient(create_app(ctx=ctx), raise_server_exceptions=False) as client:
        queue_checks.clear()
        started = time.monotonic()
        writes = 0
        while time.monotonic() - started < 2.5 or writes < 20:
            response = client.post("/v5/boards", json={"name": f"board {writes}"}, headers=alice.headers)
            assert response.status_code == 201
            writes += 1
        elapsed = time.monotonic() - started
        time.sleep(0.2)  # a refresh started by the last request finishes
    assert 1 <= len(queue_checks) <= elapsed / CHECK_TTL_SECONDS + 2, (writes, elapsed, len(queue_checks))


def test_the_queue_limit_still_refuses_writes(ctx: AppContext) -> None:
    alice = make_account(ctx, "alice")
    _queue(ctx, 30)
    with ctx.sessions() as db:
        assert queued_above(db, 29) and not queued_above(db, 30)
    ctx.settings = replace(ctx.settings, backpressure_queue_depth=10, worker_threads=0)
    client = TestClient(create_app(ctx=ctx), raise_server_exceptions=False)  # no lifespan: no workers
    refused = client.post("/v5/boards", json={"name": "New"}, headers=alice.headers)
    assert refused.status_code == 503 and "more than 10 jobs" in refused.json()["message"]
    assert refused.headers["Retry-After"]
