"""`pinhaven ranker ...` through typer's CliRunner, and the scheduled ranking job through the real queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from tests.factories import Account
from tests.ranking.helpers import plant_log
from typer.testing import CliRunner

from pinhaven.cli import app
from pinhaven.config import Settings
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.models import Job
from pinhaven.jobs.worker import drain
from pinhaven.ranking import jobs, service

runner = CliRunner()
START = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _database_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINHAVEN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PINHAVEN_SECRET_KEY", "test-secret-key")


def _ranker(settings: Settings, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["ranker", *args, "--data-dir", str(settings.data_dir)])
    return result.exit_code, result.output


def test_train_list_promote_and_rollback_from_the_command_line(
    ctx: AppContext, settings: Settings, alice: Account
) -> None:
    plant_log(ctx, user_id=alice.user.id, start=START, sessions=200)
    code, out = _ranker(settings, "train")
    assert code == 0 and "v1: promoted" in out and '"hand-tuned"' in out, out
    code, out = _ranker(settings, "train", "--no-promote", "--rounds", "20")
    assert code == 0 and "v2: not promoted" in out, out
    code, out = _ranker(settings, "list")
    assert code == 0 and "v1" in out and "active" in out and "v2" in out, out
    code, out = _ranker(settings, "promote", "v2")
    assert code == 0 and "v2 is active" in out, out
    code, out = _ranker(settings, "rollback")
    assert code == 0 and "v1 serves now" in out, out
    code, out = _ranker(settings, "rollback")
    assert code == 0 and "hand-tuned scorer serves now" in out, out


def test_bad_input_is_a_message_and_a_non_zero_exit(
    ctx: AppContext, settings: Settings, alice: Account
) -> None:
    assert _ranker(settings, "train", "--weights", "likes=1")[0] == 1
    code, out = _ranker(settings, "train")
    assert code == 1 and "labelled impressions" in out, out  # nothing logged yet
    code, out = _ranker(settings, "promote", "v9")
    assert code == 1 and "no ranking model v9" in out
    assert _ranker(settings, "promote", "latest")[0] == 1
    code, out = _ranker(settings, "rollback")
    assert code == 1 and "no active model" in out
    code, out = _ranker(settings, "als")
    assert code == 0 and "nothing to fit" in out


def test_the_scheduled_job_trains_once_enough_sessions_are_labelled_and_requeues_itself(
    ctx: AppContext, alice: Account
) -> None:
    ctx.settings = ctx.settings.with_overrides(ranking_min_new_sessions=150)
    plant_log(ctx, user_id=alice.user.id, start=START, sessions=100)
    with session_scope(ctx.sessions) as db:
        assert jobs.ensure_scheduled(db=db, interval_seconds=3600, delay=timedelta(0))
        assert not jobs.ensure_scheduled(db=db, interval_seconds=3600)  # one waiting job at most
    drain(ctx)
    with session_scope(ctx.read_sessions) as db:
        assert service.list_models(db=db) == []  # 100 < 150 new sessions: nothing trained
        job = db.scalars(select(Job).where(Job.kind == jobs.JOB_KIND, Job.state == "queued")).one()
        assert job.run_after > START
    plant_log(ctx, user_id=alice.user.id, start=START + timedelta(days=1), sessions=100, seed=3)
    with session_scope(ctx.sessions) as db:  # the next run is due (an interval later)
        db.execute(Job.__table__.update().where(Job.kind == jobs.JOB_KIND).values(run_after=START))
    drain(ctx)
    with session_scope(ctx.read_sessions) as db:
        assert [m.state for m in service.list_models(db=db)] == ["active"]
