"""A real `pinhaven worker` process is killed mid-job; a second one finishes the job once the lease expires."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import ALL_BACKENDS
from tests.jobs.helpers import add_job, load, wait_for

from pinhaven.config import Settings
from pinhaven.context import AppContext
from pinhaven.jobs.handlers import EXTRA_HANDLERS_ENV

pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)

REPO_ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 2


def _start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PINHAVEN_")},
        "PINHAVEN_DATABASE_URL": settings.database_url,
        "PINHAVEN_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "PINHAVEN_SECRET_KEY": "test-secret-key",
        EXTRA_HANDLERS_ENV: "test.block_once=tests.jobs.sample_handlers:block_once",
        "PYTHONPATH": str(REPO_ROOT),
    }
    command = [sys.executable, "-m", "pinhaven.cli", "worker", "--threads", "2"]
    command += ["--data-dir", str(settings.data_dir)]
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT)


def test_job_survives_a_killed_worker_process(ctx: AppContext, settings: Settings, tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    job_id = add_job(ctx, "test.block_once", {"dir": str(marks), "block_seconds": 120})
    log = tmp_path / "workers.log"

    first = _start_worker(settings, log)
    try:
        wait_for(lambda: (marks / "started").exists() or first.poll() is not None, timeout=30)
        assert first.poll() is None, log.read_text()
        running = load(ctx, job_id)
        assert running.state == "running"
        assert f":{first.pid}:" in (running.locked_by or "")
        first.send_signal(signal.SIGKILL)  # no chance to clean up: only the lease tells
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()

    second = _start_worker(settings, log)
    try:
        wait_for(lambda: load(ctx, job_id).state == "done" or second.poll() is not None, timeout=30)
        assert load(ctx, job_id).state == "done", log.read_text()
        second.send_signal(signal.SIGTERM)
        assert second.wait(15) == 0, log.read_text()
    finally:
        if second.poll() is None:
            second.kill()

    job = load(ctx, job_id)
    assert (job.attempts, job.last_error) == (2, None)
    assert (marks / "done").read_text() == "ok"
