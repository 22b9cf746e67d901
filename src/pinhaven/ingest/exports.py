"""Account exports started from the web: an `export_runs` row, the `ingest.export` job, the stored zip.

    request_export(db, settings, user_id)  a queued run + its job (same transaction); one pending run per user
    run_export_job(ctx, {run_id})          the job: writes <data_dir>/exports/<run id>/<name>.zip atomically
    list_for_user / download_for_user      the settings page's list and the download (the owner only)

A large account takes minutes to zip: the request only queues it, and the page shows the run until it is done.
Finished zips are kept EXPORT_KEEP_DAYS days; requesting a new export deletes the expired ones.
The CLI (`pinhaven export`) writes the same zip directly (`exporter.export_account`).
"""

from __future__ import annotations

import logging
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.config import Settings
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.errors import Conflict, NotFound
from pinhaven.ingest.exporter import export_account
from pinhaven.ingest.models import ExportRun
from pinhaven.jobs.queue import PermanentFailure
from pinhaven.jobs.service import enqueue

__all__ = [
    "EXPORT_JOB",
    "EXPORT_KEEP_DAYS",
    "download_for_user",
    "exports_dir",
    "list_for_user",
    "request_export",
    "run_export_job",
]

log = logging.getLogger("pinhaven.ingest")

EXPORT_JOB = "ingest.export"
EXPORT_KEEP_DAYS = 7
PENDING = ("queued", "running")


def exports_dir(settings: Settings) -> Path:
    return settings.data_dir / "exports"


def request_export(*, db: Session, settings: Settings, user_id: int) -> ExportRun:
    """Queue an export of the user's account (Conflict while another one is pending)."""
    pending = db.scalar(
        select(ExportRun.id).where(ExportRun.user_id == user_id, ExportRun.status.in_(PENDING)).limit(1)
    )
    if pending is not None:
        raise Conflict("An export is already being prepared; it will appear here when it is ready.")
    _expire_old(db, settings, user_id)
    run = ExportRun(user_id=user_id, status="queued")
    db.add(run)
    db.flush()
    enqueue(db=db, kind=EXPORT_JOB, payload={"run_id": str(run.id)})
    return run


def _expire_old(db: Session, settings: Settings, user_id: int) -> None:
    cutoff = utcnow() - timedelta(days=EXPORT_KEEP_DAYS)
    old = db.scalars(
        select(ExportRun).where(
            ExportRun.user_id == user_id, ExportRun.status == "done", ExportRun.created_at < cutoff
        )
    )
    for run in old:
        shutil.rmtree(exports_dir(settings) / str(run.id), ignore_errors=True)
        run.status, run.path = "expired", None


def list_for_user(*, db: Session, user_id: int, limit: int = 10) -> list[ExportRun]:
    query = select(ExportRun).where(ExportRun.user_id == user_id).order_by(ExportRun.id.desc()).limit(limit)
    return list(db.scalars(query))


def download_for_user(*, db: Session, user_id: int, run_id: int | None) -> Path:
    """The finished zip of one of the user's exports (NotFound for others' runs and unfinished ones)."""
    run = db.get(ExportRun, run_id) if run_id is not None else None
    if run is None or run.user_id != user_id:
        raise NotFound("Export not found.")
    path = Path(run.path) if run.status == "done" and run.path else None
    if path is None or not path.is_file():
        raise NotFound("This export is not ready (or has expired).")
    return path


def run_export_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Job `ingest.export`: write the zip, then mark the run done (a finished run is never redone)."""
    try:
        run_id = int(str(payload.get("run_id")))
    except ValueError:
        raise PermanentFailure(f"{EXPORT_JOB} needs a numeric run_id, got {payload!r}") from None
    with session_scope(ctx.sessions) as db:
        run = db.get(ExportRun, run_id)
        if run is None or run.status not in PENDING:
            return
        run.status = "running"
        user_id = run.user_id
        username = db.scalar(select(User.username).where(User.id == user_id)) or str(user_id)
    target = exports_dir(ctx.settings) / str(run_id) / f"pinhaven-{username}-{utcnow():%Y%m%d}.zip"
    try:
        summary = export_account(ctx=ctx, user_id=user_id, out=target)
    except Exception as exc:
        _finish(ctx, run_id, status="failed", message=f"The export failed: {exc}")
        log.exception("export %s failed", run_id)
        raise PermanentFailure(str(exc)) from exc
    _finish(
        ctx, run_id, status="done", path=str(target), size=target.stat().st_size, pins=summary.pins,
        boards=summary.boards,
    )  # fmt: skip


def _finish(ctx: AppContext, run_id: int, **values: Any) -> None:
    with session_scope(ctx.sessions) as db:
        run = db.get(ExportRun, run_id)
        if run is not None:
            for key, value in values.items():
                setattr(run, key, value)
            run.finished_at = utcnow()
