"""Account exports started from the web: an `export_runs` row, the `ingest.export` job, the stored zip.

    request_export(db, store, user_id)     a queued run + its job (same transaction); one pending run per user
    run_export_job(ctx, {run_id})          the job: builds the zip in a scratch folder, stores it in the media
                                           store (private/exports/<run id>-<token>/<name>.zip, see run_files)
    export_now(ctx, user_id)               the same, run in this process (`pinhaven export --user` without --out)
    list_for_user / download_for_user      the settings page's list and the download (the owner only, through
                                           the app: a local copy fetched from the store, deleted once sent)

A large account takes minutes to zip: the request only queues it, and the page shows the run until it is done.
Any host's worker may build it and any host can serve it. Finished zips are kept EXPORT_KEEP_DAYS days: each
new request deletes its user's expired zips, and each export job deletes every user's expired zips.
`pinhaven export --out FILE` writes the zip to a local file of the operator's choosing (`exporter.export_account`).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
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
from pinhaven.ingest.exporter import ExportSummary, export_account
from pinhaven.ingest.models import ExportRun
from pinhaven.ingest.run_files import LocalCopy, fetch_copy, run_folder, safe_file_name, scratch
from pinhaven.jobs.queue import PermanentFailure
from pinhaven.jobs.service import enqueue
from pinhaven.media.service import media_store
from pinhaven.media.store import MediaStore

__all__ = [
    "EXPORT_JOB",
    "EXPORT_KEEP_DAYS",
    "download_for_user",
    "expire_old",
    "export_now",
    "list_for_user",
    "request_export",
    "run_export_job",
]

log = logging.getLogger("pinhaven.ingest")

EXPORT_JOB = "ingest.export"
EXPORT_KEEP_DAYS = 7
PENDING = ("queued", "running")


def _legacy_dir(settings: Settings, run_id: int) -> Path:
    """Where zips were written before they moved to the media store (0009)."""
    return settings.data_dir / "exports" / str(run_id)


def request_export(*, db: Session, settings: Settings, store: MediaStore, user_id: int) -> ExportRun:
    """Queue an export of the user's account (Conflict while another one is pending)."""
    pending = db.scalar(
        select(ExportRun.id).where(ExportRun.user_id == user_id, ExportRun.status.in_(PENDING)).limit(1)
    )
    if pending is not None:
        raise Conflict("An export is already being prepared; it will appear here when it is ready.")
    expire_old(db=db, settings=settings, store=store, user_id=user_id)
    run = ExportRun(user_id=user_id, status="queued")
    db.add(run)
    db.flush()
    enqueue(db=db, kind=EXPORT_JOB, payload={"run_id": str(run.id)})
    return run


def expire_old(*, db: Session, settings: Settings, store: MediaStore, user_id: int | None = None) -> int:
    """Delete the zips of finished exports older than EXPORT_KEEP_DAYS (of one user, or of everyone) and mark
    their runs expired; returns how many."""
    cutoff = utcnow() - timedelta(days=EXPORT_KEEP_DAYS)
    query = select(ExportRun).where(ExportRun.status == "done", ExportRun.created_at < cutoff)
    if user_id is not None:
        query = query.where(ExportRun.user_id == user_id)
    expired = 0
    for run in db.scalars(query):
        if run.zip_key:
            store.delete(run.zip_key)
        if run.path:
            shutil.rmtree(_legacy_dir(settings, run.id), ignore_errors=True)
        run.status, run.zip_key, run.path = "expired", None, None
        expired += 1
    return expired


def list_for_user(*, db: Session, user_id: int, limit: int = 10) -> list[ExportRun]:
    query = select(ExportRun).where(ExportRun.user_id == user_id).order_by(ExportRun.id.desc()).limit(limit)
    return list(db.scalars(query))


def download_for_user(
    *, db: Session, settings: Settings, store: MediaStore, user_id: int, run_id: int | None
) -> LocalCopy:
    """A local copy of the finished zip of one of the user's exports, to send and then discard (NotFound for
    others' runs, unfinished and expired ones)."""
    run = db.get(ExportRun, run_id) if run_id is not None else None
    if run is None or run.user_id != user_id:
        raise NotFound("Export not found.")
    copy: LocalCopy | None = None
    if run.status == "done" and run.zip_key:
        copy = fetch_copy(store, settings, run.zip_key, run.zip_key.rsplit("/", 1)[-1])
    elif run.status == "done" and run.path and Path(run.path).is_file():  # written before 0009
        copy = LocalCopy(path=Path(run.path), folder=None)
    if copy is None:
        raise NotFound("This export is not ready (or has expired).")
    return copy


def run_export_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Job `ingest.export`: write the zip, then mark the run done (a finished run is never redone)."""
    try:
        run_id = int(str(payload.get("run_id")))
    except ValueError:
        raise PermanentFailure(f"{EXPORT_JOB} needs a numeric run_id, got {payload!r}") from None
    store = media_store(ctx)
    with session_scope(ctx.sessions) as db:
        run = db.get(ExportRun, run_id)
        if run is None or run.status not in PENDING:
            return
        run.status = "running"
        user_id = run.user_id
        # Housekeeping of the whole instance rides on export jobs: a user who never exports again still
        # has their old zips deleted.
        expire_old(db=db, settings=ctx.settings, store=store, user_id=None)
    try:
        _build_and_store(ctx, run_id, user_id)
    except Exception as exc:
        _finish(ctx, run_id, status="failed", message=f"The export failed: {exc}")
        log.exception("export %s failed", run_id)
        raise PermanentFailure(str(exc)) from exc


def export_now(
    ctx: AppContext, user_id: int, *, on_progress: Callable[[int, int], None] | None = None
) -> tuple[int, ExportSummary]:
    """Prepare an export of the user's account in this process, as the job would (the run id and what it
    holds); the user downloads it from the settings page (`pinhaven export --user NAME` without --out)."""
    with session_scope(ctx.sessions) as db:
        if db.get(User, user_id) is None:
            raise NotFound("User not found.")
        run = ExportRun(user_id=user_id, status="running")  # no job: nothing else may pick it up
        db.add(run)
        db.flush()
        run_id = run.id
    try:
        return run_id, _build_and_store(ctx, run_id, user_id, on_progress=on_progress)
    except BaseException as exc:  # Ctrl-C included: the run must not stay "running" for ever
        _finish(ctx, run_id, status="failed", message=f"The export failed: {exc!r}")
        raise


def _build_and_store(
    ctx: AppContext, run_id: int, user_id: int, *, on_progress: Callable[[int, int], None] | None = None
) -> ExportSummary:
    """Write the zip in a scratch folder, store it under the run's private key, mark the run done."""
    with ctx.read_sessions() as db:
        username = db.scalar(select(User.username).where(User.id == user_id)) or str(user_id)
    name = safe_file_name(f"pinhaven-{username}-{utcnow():%Y%m%d}.zip")
    key = f"{run_folder('exports', run_id)}/{name}"
    with scratch(ctx.settings, f"export-{run_id}-") as folder:
        local = folder / name
        summary = export_account(ctx=ctx, user_id=user_id, out=local, on_progress=on_progress)
        size = local.stat().st_size
        media_store(ctx).put_file(key, local)  # before the row that points at it commits
    _finish(ctx, run_id, status="done", zip_key=key, size=size, pins=summary.pins, boards=summary.boards)
    return summary


def _finish(ctx: AppContext, run_id: int, **values: Any) -> None:
    with session_scope(ctx.sessions) as db:
        run = db.get(ExportRun, run_id)
        if run is not None:
            for key, value in values.items():
                setattr(run, key, value)
            run.finished_at = utcnow()
