"""Imports started from the web: an `import_runs` row, its uploaded file, and the `ingest.import` job.

    create_run(...)   store the upload in the media store (private/imports/<run id>-<token>/input.<ext>, see
                      run_files) and queue the job (same transaction): any worker on any host can run it
    run_job(ctx, {run_id})   the job handler: copies the upload into a scratch folder, runs the import (counters
                      current per batch), stores the report beside the upload, deletes the upload once done
    list_for_user / get_for_user / report_for_user   the settings page's list and the report download

Local files (the upload while it is received or read, the report while it is written) live only in scratch
folders deleted when the request or job ends.

A job that dies mid-import is retried and resumes (import_items); a finished run is never run twice.
A Pinry token lives in the run's options only until the run ends.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
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
from pinhaven.ingest.run_files import LocalCopy, fetch_copy, run_folder, scratch
from pinhaven.jobs.queue import PermanentFailure
from pinhaven.jobs.service import enqueue
from pinhaven.media.service import media_store
from pinhaven.media.store import MediaStore

__all__ = [
    "IMPORT_JOB",
    "UPLOAD_SUFFIXES",
    "create_run",
    "get_for_user",
    "list_for_user",
    "report_for_user",
    "run_job",
]

log = logging.getLogger("pinhaven.ingest")

IMPORT_JOB = "ingest.import"
UPLOAD_SUFFIXES = (".zip", ".csv", ".jsonl", ".ndjson")
_CHUNK = 1024 * 1024


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
    store: MediaStore,
    user_id: int,
    filename: str | None = None,
    stream: BinaryIO | None = None,
    pinry_url: str | None = None,
    pinry_token: str | None = None,
    board: str | None = None,
) -> ImportRun:
    """Queue an import of an uploaded file (zip, CSV, JSONL) or of a Pinry instance."""
    options: dict[str, Any] = {"board": (board or "").strip() or None}
    run = ImportRun(id=new_id(), user_id=user_id, status="queued")  # the id starts the upload's folder
    if stream is not None and filename:
        suffix = Path(filename).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise InvalidInput(
                f"choose a .zip, .csv or .jsonl file, not {suffix or 'a file without extension'}",
                field="file",
            )
        run.kind, run.label = "file", Path(filename).name[:300]
        key = f"{run_folder('imports', run.id)}/input{suffix}"
        with scratch(settings, "upload-") as folder:  # checked for size locally, then stored whole
            local = folder / f"input{suffix}"
            _store_upload(stream, local, settings.max_request_bytes)
            store.put_file(key, local)  # before the row that points at it commits
        run.input_key = key
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


def report_for_user(
    *, db: Session, settings: Settings, store: MediaStore, user_id: int, run_id: int | None
) -> LocalCopy:
    """A local copy of the report of one of the user's imports, to send (NotFound for others' runs, and
    while the run has not ended: the report is stored when it does)."""
    run = get_for_user(db=db, user_id=user_id, run_id=run_id)
    copy = fetch_copy(store, settings, run.report_key, "report.jsonl") if run.report_key else None
    if copy is None and run.report_path and Path(run.report_path).is_file():  # a run from before 0009
        copy = LocalCopy(path=Path(run.report_path), folder=None)
    if copy is None:
        raise NotFound("This import has no report yet.")
    return copy


def _source_for(
    ctx: AppContext, kind: str, label: str, input_file: Path | None, options: dict[str, Any]
) -> Source:
    if kind == "pinry":
        from pinhaven.ingest.importers_pinry import PinrySource

        return PinrySource(
            str(options.get("pinry_url")), settings=ctx.settings, token=options.get("pinry_token")
        )
    from pinhaven.ingest.importers_files import open_source

    if input_file is None:
        raise InvalidInput("the import's file is gone")
    # An uploaded list may not name server paths; its source key is the file's name, so uploading the
    # same list again resumes it.
    return open_source(input_file, settings=ctx.settings, key=f"upload:{label}", allow_paths=False)


def _local_input(ctx: AppContext, run: _RunFacts, folder: Path) -> Path | None:
    """The upload as a local file in `folder` (copied from the store), or None when it is gone."""
    if run.input_key:
        local = folder / run.input_key.rsplit("/", 1)[-1]
        return local if media_store(ctx).get_file(run.input_key, local) else None
    if run.input_path and Path(run.input_path).is_file():  # queued before 0009, on this host
        return Path(run.input_path)
    return None


def _finish(
    ctx: AppContext,
    run_id: int,
    summary: ImportSummary | None,
    message: str | None,
    *,
    report: Path | None = None,
) -> None:
    store = media_store(ctx)
    with session_scope(ctx.sessions) as db:
        run = db.get(ImportRun, run_id)
        if run is None:
            return
        if report is not None and report.is_file():  # stored before the row that points at it commits
            key = f"{_files_folder(run)}/report.jsonl"
            store.put_file(key, report)
            run.report_key = key
        if summary is not None:
            _copy_counts(run, summary)
        run.status = "failed" if message else "done"
        run.message = message
        run.finished_at = utcnow()
        run.options = {k: v for k, v in (run.options or {}).items() if k != "pinry_token"}
        # Ended either way: the upload is never read again (a failed run is resumed by uploading the file
        # again, as a new run), so it goes; the report stays.
        if run.input_key:
            store.delete(run.input_key)
        if run.input_path:
            Path(run.input_path).unlink(missing_ok=True)
        run.input_key = run.input_path = None


def _files_folder(run: ImportRun) -> str:
    """The run's private folder: the upload's, or a new one (a Pinry import has no upload)."""
    if run.report_key:
        return run.report_key.rsplit("/", 1)[0]
    if run.input_key:
        return run.input_key.rsplit("/", 1)[0]
    return run_folder("imports", run.id)


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
        row = db.get(ImportRun, run_id)
        if row is None or row.status in ("done", "failed"):
            return
        row.status, row.started_at = "running", row.started_at or utcnow()
        run = _RunFacts(
            user_id=row.user_id,
            kind=row.kind,
            label=row.label,
            input_key=row.input_key,
            input_path=row.input_path,
            options=dict(row.options or {}),
        )

    def on_batch(db: Session, summary: ImportSummary) -> None:
        current = db.get(ImportRun, run_id)
        if current is not None:
            _copy_counts(current, summary)

    with scratch(ctx.settings, f"import-{run_id}-") as folder:
        report = folder / "report.jsonl"
        try:
            source = _source_for(ctx, run.kind, run.label, _local_input(ctx, run, folder), run.options)
            summary = run_import(
                ctx=ctx,
                user_id=run.user_id,
                source=source,
                default_board=run.options.get("board"),
                report_path=report,
                on_batch=on_batch,
            )
        except PinhavenError as exc:  # the source is unusable (not a zip, Pinry unreachable): say so, stop
            _finish(ctx, run_id, None, exc.message, report=report)
            return
        except Exception:
            # Not retried: the row says what happened and starting the import again resumes it.
            log.exception("import run %s failed", run_id)
            message = "the import stopped on an internal error; start it again to resume"
            _finish(ctx, run_id, None, message, report=report)
            return
        _finish(ctx, run_id, summary, None, report=report)


@dataclass(frozen=True)
class _RunFacts:
    """What the job reads from its row before the long import (the row's session is closed by then)."""

    user_id: int
    kind: str
    label: str
    input_key: str | None
    input_path: str | None
    options: dict[str, Any]
