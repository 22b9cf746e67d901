"""`pinhaven jobs list | retry | stats | drain | purge` through typer's CliRunner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.jobs.helpers import Recorder, add_job, load
from typer.testing import CliRunner

from pinhaven.cli import app
from pinhaven.config import Settings
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.jobs.worker import drain, run_one

runner = CliRunner()


@pytest.fixture(autouse=True)
def _database_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINHAVEN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PINHAVEN_SECRET_KEY", "test-secret-key")


def _jobs(settings: Settings, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["jobs", *args, "--data-dir", str(settings.data_dir)])
    return result.exit_code, result.output


def _dead_job(ctx: AppContext, key: str) -> int:
    job_id = add_job(ctx, "test.permanent", {"key": key})
    run_one(ctx, kinds=["test.permanent"])
    return job_id


def test_list_shows_jobs_and_filters_by_state(
    ctx: AppContext, settings: Settings, recorder: Recorder
) -> None:
    dead = _dead_job(ctx, "gone")
    queued = add_job(ctx, "test.track", {"key": "waiting"})

    code, output = _jobs(settings, "list")
    assert code == 0, output
    assert str(dead) in output and str(queued) in output
    assert "record gone is gone" in output

    code, output = _jobs(settings, "list", "--state", "dead")
    assert code == 0, output
    assert str(dead) in output and str(queued) not in output

    code, output = _jobs(settings, "list", "--state", "failed", "--limit", "5")
    assert code == 0 and str(dead) in output and str(queued) not in output


def test_list_rejects_an_unknown_state(settings: Settings, ctx: AppContext) -> None:
    code, output = _jobs(settings, "list", "--state", "exploded")
    assert code == 2
    assert "exploded" in output


def test_retry_one_dead_job_resets_its_attempts(
    ctx: AppContext, settings: Settings, recorder: Recorder
) -> None:
    job_id = _dead_job(ctx, "one")

    code, output = _jobs(settings, "retry", str(job_id))

    assert code == 0, output
    assert "requeued 1 job" in output
    job = load(ctx, job_id)
    assert (job.state, job.attempts, job.finished_at) == ("queued", 0, None)


def test_retry_refuses_a_job_that_is_not_dead(
    ctx: AppContext, settings: Settings, recorder: Recorder
) -> None:
    job_id = add_job(ctx, "test.track", {"key": "fine"})

    code, output = _jobs(settings, "retry", str(job_id))
    assert code == 1
    assert f"job {job_id} is queued; only dead jobs can be retried" in output

    code, output = _jobs(settings, "retry", "12345")
    assert code == 1 and "job 12345 does not exist" in output

    code, output = _jobs(settings, "retry")
    assert code == 2 and "either a job id or --all-failed" in output

    code, output = _jobs(settings, "retry", "not-an-id")
    assert code == 2 and "'not-an-id' is not a job id" in output


def test_retry_all_failed_requeues_every_dead_job(
    ctx: AppContext, settings: Settings, recorder: Recorder
) -> None:
    ids = [_dead_job(ctx, f"d{i}") for i in range(3)]
    done = add_job(ctx, "test.track", {"key": "ok"})
    drain(ctx, kinds=["test.track"])

    code, output = _jobs(settings, "retry", "--all-failed")

    assert code == 0, output
    assert "requeued 3 jobs" in output
    assert {load(ctx, i).state for i in ids} == {"queued"}
    assert load(ctx, done).state == "done"


def test_stats_counts_per_kind_and_state(ctx: AppContext, settings: Settings, recorder: Recorder) -> None:
    _dead_job(ctx, "s")
    for i in range(2):
        add_job(ctx, "test.track", {"key": f"q{i}"}, run_after=utcnow() - timedelta(minutes=5))

    code, output = _jobs(settings, "stats")

    assert code == 0, output
    track_row = next(line for line in output.splitlines() if "test.track" in line)
    assert [c.strip() for c in track_row.split("│")[1:7]] == ["test.track", "2", "0", "0", "0", "2"]
    permanent_row = next(line for line in output.splitlines() if "test.permanent" in line)
    assert [c.strip() for c in permanent_row.split("│")[2:6]] == ["0", "0", "0", "1"]
    assert "due now: 2" in output
    assert "oldest due job waiting: 300s" in output or "oldest due job waiting: 5m" in output


def test_drain_runs_due_jobs_and_purge_deletes_old_done_ones(
    ctx: AppContext, settings: Settings, recorder: Recorder
) -> None:
    job_id = add_job(ctx, "test.track", {"key": "d"})

    code, output = _jobs(settings, "drain")
    assert code == 0 and "ran 1 job" in output
    assert recorder.keys() == ["d"]

    code, output = _jobs(settings, "purge", "--older-than-days", "1")
    assert code == 0 and "deleted 0 done jobs" in output
    code, output = _jobs(settings, "purge", "--older-than-days", "0")
    assert code == 0 and "deleted 1 done job" in output
    code, output = _jobs(settings, "list")
    assert str(job_id) not in output
