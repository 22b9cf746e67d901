"""Imports started from the web: an `import_runs` row, its uploaded file, and the `ingest.import` job.

    create_run(...)   store the upload under <data_dir>/imports/<run id>/ and queue the job (same transaction)
    run_job(ctx, {run_id})   the job handler: runs the import, keeps the row's counters current per batch
    list_for_user / get_for_user   the settings page's list and the report download

A job that dies mid-import is retried and resumes (import_items); a finished run is never run twice.
A Pinry token lives in the run's options only until the run ends.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.config import Settings
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.db.ids import new_id
from pinhaven.errors import InvalidInput, NotFound, PayloadTooLarge, PinhavenError
from pinhaven.ingest.importers import ImportSummary, Source, run_import
from pinhaven.ingest.models import ImportRun
from pinhaven.jobs.queue import PermanentFailure
from pinhaven.jobs.service import enqueue

__all__ = [
    "IMPORT_JOB",
    "UPLOAD_SUFFIXES",
    "create_run",
    "get_for_user",
    "imports_dir",
    "list_for_user",
    "run_job",
]

log = logging.getLogger("pinhaven.ingest")

IMPORT_JOB = "ingest.import"
UPLOAD_SUFFIXES = (".zip", ".csv", ".jsonl", ".ndjson")
_CHUNK = 1024 * 1024


def imports_dir(settings: Settings) -> Path:
    return settings.data_dir / "imports"


def _store_upload(stream: BinaryIO, target: Path, limit: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with target.open("wb") as out:
        while chunk := stream.read(_CHUNK):
            written += len(chunk)
            if written > limit:
                raise PayloadTooLarge(
                    f"The file is larger than {limit // (1024 * 1024)} MB; use `pinhaven import`."
                )
            out.write(chunk)
    if written == 0:
        raise InvalidInput("is empty", field="file")


def create_run(
    *,
    db: Session,
    settings: Settings,
    user_id: int,
    filename: str | None = None,
    stream: BinaryIO | None = None,
    pinry_url: str | None = None,
    pinry_token: str | None = None,
    board: str | None = None,
) -> ImportRun:
    """Queue an import of an uploaded file (zip, CSV, JSONL) or of a Pinry instance."""
    options: dict[str, Any] = {"board": (board or "").strip() or None}
    run = ImportRun(id=new_id(), user_id=user_id, status="queued")  # the id names the upload's folder
    if stream is not None and filename:
        suffix = Path(filename).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise InvalidInput(
                f"choose a .zip, .csv or .jsonl file, not {suffix or 'a file without extension'}",
                field="file",
            )
        run.kind, run.label = "file", Path(filename).name[:300]
        target = imports_dir(settings) / str(run.id) / f"input{suffix}"
        try:
            _store_upload(stream, target, settings.max_request_bytes)
        except PinhavenError:
            shutil.rmtree(target.parent, ignore_errors=True)
            raise
        run.input_path = str(target)
    elif pinry_url and pinry_url.strip():
        run.kind, run.label = "pinry", pinry_url.strip()[:300]
        options.update(pinry_url=pinry_url.strip(), pinry_token=(pinry_token or "").strip() or None)
    else:
        raise InvalidInput("choose a file or give a Pinry address", field="file")
    run.options = options
    db.add(run)
    db.flush()
    enqueue(db=db, kind=IMPORT_JOB, payload={"run_id": str(run.id)})
    return run


def list_for_user(*, db: Session, user_id: int, limit: int = 20) -> list[ImportRun]:
    query = select(ImportRun).where(ImportRun.user_id == user_id).order_by(ImportRun.id.desc()).limit(limit)
    return list(db.scalars(query))


def get_for_user(*, db: Session, user_id: int, run_id: int | None) -> ImportRun:
    run = db.get(ImportRun, run_id) if run_id is not None else None
    if run is None or run.user_id != user_id:
        raise NotFound("Import not found.")
    return run


def _source_for(
    ctx: AppContext, kind: str, label: str, input_path: str | None, options: dict[str, Any]
) -> Source:
    if kind == "pinry":
        from pinhaven.ingest.importers_pinry import PinrySource

        return PinrySource(
            str(options.get("pinry_url")), settings=ctx.settings, token=options.get("pinry_token")
        )
    from pinhaven.ingest.importers_files import open_source

    if not input_path:
        raise InvalidInput("the import's file is gone")
    # An uploaded list may not name server paths; its source key is the file's name, so uploading the
    # same list again resumes it.
    return open_source(Path(input_path), settings=ctx.settings, key=f"upload:{label}", allow_paths=False)


def _finish(ctx: AppContext, run_id: int, summary: ImportSummary | None, message: str | None) -> None:
    with session_scope(ctx.sessions) as db:
        run = db.get(ImportRun, run_id)
        if run is None:
            return
        if summary is not None:
            _copy_counts(run, summary)
        run.status = "failed" if message else "done"
        run.message = message
        run.finished_at = utcnow()
        run.options = {k: v for k, v in (run.options or {}).items() if k != "pinry_token"}
        if run.input_path and not message:  # done: the upload is no longer needed, the report stays
            Path(run.input_path).unlink(missing_ok=True)
            run.input_path = None


def _copy_counts(run: ImportRun, summary: ImportSummary) -> None:
    run.total = summary.total if summary.total is not None else summary.processed
    run.created, run.skipped, run.failed = summary.created, summary.skipped, summary.failed


def run_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Job handler of `ingest.import`: run (or resume) one web-started import."""
    try:
        run_id = int(str(payload.get("run_id")))
    except ValueError:
        raise PermanentFailure(f"payload needs a numeric run_id, got {payload.get('run_id')!r}") from None
    with session_scope(ctx.sessions) as db:
        run = db.get(ImportRun, run_id)
        if run is None or run.status in ("done", "failed"):
            return
        run.status, run.started_at = "running", run.started_at or utcnow()
        user_id, board = run.user_id, (run.options or {}).get("board")
        report = imports_dir(ctx.settings) / str(run.id) / "report.jsonl"
        run.report_path = str(report)
        kind, label, input_path, options = run.kind, run.label, run.input_path, dict(run.options or {})

    def on_batch(db: Session, summary: ImportSummary) -> None:
        current = db.get(ImportRun, run_id)
        if current is not None:
            _copy_counts(current, summary)

    try:
        source = _source_for(ctx, kind, label, input_path, options)
        summary = run_import(
            ctx=ctx,
            user_id=user_id,
            source=source,
            default_board=board,
            report_path=report,
            on_batch=on_batch,
        )
    except PinhavenError as exc:  # the source itself is unusable (not a zip, Pinry unreachable): say so, stop
        _finish(ctx, run_id, None, exc.message)
        return
    except Exception:
        # Not retried: the row says what happened and starting the import again resumes it.
        log.exception("import run %s failed", run_id)
        _finish(ctx, run_id, None, "the import stopped on an internal error; start it again to resume")
        return
    _finish(ctx, run_id, summary, None)
