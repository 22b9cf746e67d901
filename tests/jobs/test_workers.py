"""Worker threads on every backend: many workers over several connections run each job exactly once, a long
job keeps its lease, stopping finishes the current job, and an enqueue wakes idle workers."""

from __future__ import annotations

import dataclasses
import itertools
import time

import pytest
from sqlalchemy import func, select
from tests.conftest import ALL_BACKENDS
from tests.jobs.helpers import Recorder, add_job, load, wait_for

from pinhaven.context import AppContext, build_context
from pinhaven.db.engine import session_scope
from pinhaven.jobs.models import Job
from pinhaven.jobs.service import enqueue
from pinhaven.jobs.worker import WorkerPool
from pinhaven.runtime import WORKER_POOL, start_background, stop_background

pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)


def _count(ctx: AppContext, state: str) -> int:
    with session_scope(ctx.sessions) as db:
        return int(db.scalar(select(func.count()).select_from(Job).where(Job.state == state)) or 0)


def _assert_no_overlap_per_job(recorder: Recorder) -> None:
    by_key: dict[str, list[tuple[float, float]]] = {}
    for run in recorder.runs:
        by_key.setdefault(run.key, []).append((run.start, run.end))
    for key, spans in by_key.items():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end, f"job {key} ran twice at the same time"


def test_workers_on_several_connections_run_every_job_exactly_once(
    ctx: AppContext, recorder: Recorder
) -> None:
    total = 60
    with session_scope(ctx.sessions) as db:
        for i in range(total):
            enqueue(db=db, kind="test.track", payload={"key": f"j{i}", "sleep": 0.005})
    # A second engine stands in for a second worker process: separate connections, separate pool.
    other = build_context(ctx.settings, migrate=False)
    pools = [
        WorkerPool(ctx, 3, label="a", idle_max=0.1),
        WorkerPool(other, 3, label="b", idle_max=0.1),
    ]
    try:
        for pool in pools:
            pool.start()
        wait_for(lambda: _count(ctx, "done") == total, timeout=30)
    finally:
        for pool in pools:
            assert pool.stop(timeout=10)
        other.engine.dispose()

    keys = recorder.keys()
    assert sorted(keys) == sorted(f"j{i}" for i in range(total)), "every job ran exactly once"
    _assert_no_overlap_per_job(recorder)
    assert len({run.thread for run in recorder.runs}) > 1, "the work was shared"
    with session_scope(ctx.sessions) as db:
        assert set(db.scalars(select(Job.attempts))) == {1}


def test_long_job_keeps_its_lease_while_other_workers_poll(ctx: AppContext, recorder: Recorder) -> None:
    ctx = dataclasses.replace(ctx, settings=ctx.settings.with_overrides(job_lease_seconds=1))
    job_id = add_job(ctx, "test.track", {"key": "long", "sleep": 1.8})
    pool = WorkerPool(ctx, 3, idle_min=0.02, idle_max=0.05)
    try:
        pool.start()
        wait_for(lambda: load(ctx, job_id).state == "done", timeout=15)
    finally:
        pool.stop(timeout=10)

    assert recorder.keys() == ["long"], "the heartbeat kept other workers off the job"
    assert load(ctx, job_id).attempts == 1


def test_stop_finishes_the_current_job_and_starts_no_new_one(ctx: AppContext, recorder: Recorder) -> None:
    first = add_job(ctx, "test.track", {"key": "current", "sleep": 0.5})
    pool = WorkerPool(ctx, 1)
    pool.start()
    assert recorder.started.wait(10)
    second = add_job(ctx, "test.track", {"key": "next"})

    assert pool.stop(timeout=10) is True

    assert pool.alive == 0
    assert load(ctx, first).state == "done"
    assert load(ctx, second).state == "queued"
    assert recorder.keys() == ["current"]


def test_enqueue_wakes_an_idle_worker_at_once(ctx: AppContext, recorder: Recorder) -> None:
    pool = WorkerPool(ctx, 1, idle_min=30, idle_max=30)  # would otherwise sleep 30 s between polls
    pool.start()
    try:
        time.sleep(0.2)  # the thread has polled once and is asleep
        started = time.monotonic()
        job_id = add_job(ctx, "test.track", {"key": "woken"})
        wait_for(lambda: load(ctx, job_id).state == "done", timeout=10)
        assert time.monotonic() - started < 5
    finally:
        assert pool.stop(timeout=10)


def test_serve_runtime_starts_and_stops_worker_threads(ctx: AppContext, recorder: Recorder) -> None:
    ctx.settings = ctx.settings.with_overrides(worker_threads=2)
    start_background(ctx)
    pool = ctx.services[WORKER_POOL]
    try:
        assert pool.alive == 2
        job_id = add_job(ctx, "test.track", {"key": "served"})
        wait_for(lambda: load(ctx, job_id).state == "done", timeout=10)
    finally:
        stop_background(ctx)
    assert pool.alive == 0
    assert WORKER_POOL not in ctx.services


def test_zero_worker_threads_starts_nothing(ctx: AppContext) -> None:
    start_background(ctx)  # the test settings say worker_threads=0
    assert WORKER_POOL not in ctx.services
    stop_background(ctx)
