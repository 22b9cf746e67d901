"""The queue's lifecycle on every backend: run, retry with backoff, dead letters, leases and reclaiming."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from tests.conftest import ALL_BACKENDS
from tests.jobs.helpers import Recorder, add_job, load

from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.jobs import queue
from pinhaven.jobs.models import Job
from pinhaven.jobs.service import enqueue
from pinhaven.jobs.worker import drain, execute, run_one

pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)


def test_enqueued_job_runs_once_and_is_done(ctx: AppContext, recorder: Recorder) -> None:
    job_id = add_job(ctx, "test.track", {"key": "a"})

    assert drain(ctx) == 1
    assert drain(ctx) == 0

    job = load(ctx, job_id)
    assert recorder.keys() == ["a"]
    assert (job.state, job.attempts, job.last_error) == ("done", 1, None)
    assert job.lease_until is None
    assert job.finished_at is not None


def test_job_rolled_back_with_its_record_never_runs(ctx: AppContext, recorder: Recorder) -> None:
    with pytest.raises(RuntimeError), session_scope(ctx.sessions) as db:
        enqueue(db=db, kind="test.track", payload={"key": "lost"})
        raise RuntimeError("the pin insert failed")

    assert drain(ctx) == 0
    with session_scope(ctx.sessions) as db:
        assert db.scalar(select(func.count()).select_from(Job)) == 0


def test_failed_job_is_retried_later_with_growing_backoff(ctx: AppContext, recorder: Recorder) -> None:
    job_id = add_job(ctx, "test.flaky", {"key": "f", "failures": 2})
    delays = []

    for attempt in (1, 2):
        before = utcnow()
        assert run_one(ctx, now=before + timedelta(hours=attempt - 1)) is True
        job = load(ctx, job_id)
        assert (job.state, job.attempts) == ("queued", attempt)
        assert job.last_error is not None and job.last_error.startswith("ConnectionError: transient f")
        assert "Traceback" in job.last_error
        delay = (job.run_after - (before + timedelta(hours=attempt - 1))).total_seconds()
        # Equal jitter: between half and all of base * 2^(attempt-1).
        step = queue.RETRY_BASE_SECONDS * 2 ** (attempt - 1)
        assert step / 2 - 0.01 <= delay <= step + 1
        delays.append(delay)
        assert drain(ctx) == 0, "a job waiting out its backoff is not due"

    assert run_one(ctx, now=utcnow() + timedelta(hours=3)) is True
    job = load(ctx, job_id)
    assert (job.state, job.attempts, job.last_error) == ("done", 3, None)
    assert recorder.keys() == ["f"]


def test_job_that_keeps_failing_goes_dead_with_its_last_error(ctx: AppContext, recorder: Recorder) -> None:
    job_id = add_job(ctx, "test.fail", {"key": "x"}, max_attempts=3)

    for hours in range(5):
        run_one(ctx, now=utcnow() + timedelta(hours=hours))

    job = load(ctx, job_id)
    assert (job.state, job.attempts) == ("dead", 3)
    assert recorder.failures["x"] == 3
    assert job.last_error is not None and job.last_error.startswith("RuntimeError: boom x")
    assert "in fail" in job.last_error  # the traceback summary names the failing frame
    assert job.finished_at is not None


def test_max_attempts_defaults_to_the_setting(ctx: AppContext, recorder: Recorder) -> None:
    ctx = dataclasses.replace(ctx, settings=ctx.settings.with_overrides(job_max_attempts=2))
    job_id = add_job(ctx, "test.fail", {"key": "y"})

    for hours in range(4):
        run_one(ctx, now=utcnow() + timedelta(hours=hours))

    assert (load(ctx, job_id).state, recorder.failures["y"]) == ("dead", 2)


def test_permanent_failure_goes_dead_without_retrying(ctx: AppContext, recorder: Recorder) -> None:
    job_id = add_job(ctx, "test.permanent", {"key": "p"})

    assert drain(ctx) == 1
    assert run_one(ctx, now=utcnow() + timedelta(days=1)) is False

    job = load(ctx, job_id)
    assert (job.state, job.attempts) == ("dead", 1)
    assert job.last_error is not None
    assert job.last_error.splitlines()[0].endswith("PermanentFailure: record p is gone")


def test_unknown_kind_goes_straight_to_dead(ctx: AppContext, recorder: Recorder) -> None:
    job_id = add_job(ctx, "nobody.handles.this", {"id": "1"})

    assert drain(ctx) == 1

    job = load(ctx, job_id)
    assert (job.state, job.attempts) == ("dead", 1)
    assert job.last_error is not None and "no handler for job kind 'nobody.handles.this'" in job.last_error


def test_expired_lease_is_reclaimed_and_the_old_owner_is_fenced_off(
    ctx: AppContext, recorder: Recorder
) -> None:
    job_id = add_job(ctx, "test.track", {"key": "r"})
    first = queue.claim(ctx.engine, worker_id="dead-worker", lease_seconds=30)
    assert first is not None and first.id == job_id

    # Still leased: nobody else may take it.
    assert queue.claim(ctx.engine, worker_id="other", lease_seconds=30) is None
    # The lease runs out (the worker died): the job is claimable again.
    second = queue.claim(
        ctx.engine, worker_id="other", lease_seconds=30, now=utcnow() + timedelta(seconds=31)
    )
    assert second is not None
    assert (second.id, second.attempts, second.reclaimed) == (job_id, 2, True)
    assert "dead-worker" in (load(ctx, job_id).last_error or "")

    # The first worker wakes up: its heartbeat, outcome and failure are all refused.
    assert queue.extend_lease(ctx.engine, first, lease_seconds=30) is False
    assert queue.complete(ctx.engine, first) is False
    assert queue.record_failure(ctx.engine, first, error="late", max_attempts=5) is None

    assert execute(ctx, second) == "done"
    job = load(ctx, job_id)
    assert (job.state, job.attempts, job.locked_by) == ("done", 2, "other")
    assert recorder.keys() == ["r"]


def test_heartbeat_extends_the_lease(ctx: AppContext, recorder: Recorder) -> None:
    add_job(ctx, "test.track", {"key": "h"})
    claimed = queue.claim(ctx.engine, worker_id="w", lease_seconds=5)
    assert claimed is not None

    later = utcnow() + timedelta(seconds=4)
    assert queue.extend_lease(ctx.engine, claimed, lease_seconds=5, now=later)

    # Past the original lease but inside the extended one: not claimable.
    at = utcnow() + timedelta(seconds=7)
    assert queue.claim(ctx.engine, worker_id="x", lease_seconds=5, now=at) is None


def test_reclaimed_job_out_of_attempts_goes_dead_without_running(ctx: AppContext, recorder: Recorder) -> None:
    job_id = add_job(ctx, "test.track", {"key": "crashy"}, max_attempts=1)
    assert queue.claim(ctx.engine, worker_id="crashed", lease_seconds=1) is not None

    assert run_one(ctx, now=utcnow() + timedelta(seconds=5)) is True

    job = load(ctx, job_id)
    assert (job.state, job.attempts) == ("dead", 2)
    assert "gave up after 1 attempts" in (job.last_error or "")
    assert recorder.keys() == []


def test_drain_respects_max_jobs_and_kinds(ctx: AppContext, recorder: Recorder) -> None:
    for i in range(3):
        add_job(ctx, "test.track", {"key": f"t{i}"})
    add_job(ctx, "test.flaky", {"key": "other", "failures": 0})

    assert drain(ctx, max_jobs=2, kinds=["test.track"]) == 2
    assert drain(ctx, kinds=["test.track"]) == 1
    assert sorted(recorder.keys()) == ["t0", "t1", "t2"]
    assert drain(ctx) == 1
    assert recorder.keys()[-1] == "other"


def test_jobs_run_in_the_order_they_became_due(ctx: AppContext, recorder: Recorder) -> None:
    now = utcnow()
    add_job(ctx, "test.track", {"key": "late"}, run_after=now - timedelta(seconds=1))
    add_job(ctx, "test.track", {"key": "early"}, run_after=now - timedelta(seconds=10))
    add_job(ctx, "test.track", {"key": "future"}, run_after=now + timedelta(hours=1))

    assert drain(ctx) == 2
    assert recorder.keys() == ["early", "late"]
