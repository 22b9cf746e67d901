"""Bulk import engine: rows from a source become pins, resumably, idempotently, in committed batches.

    run_import(ctx, user_id, source) → ImportSummary
      source.prepare(run)      boards, sections, profile (an export restore)
      for each row:            skip when import_items says (user, source, source_id) is done
        load + prepare image   in a small thread pool, a few rows ahead: read (files, URLs), validate,
                               normalise, store the original and the eager variants, analyse colours
        board/section          found by name or created, each in its own savepoint
        image row + pin        in a savepoint: a bad row rolls back alone and is reported, never fatal
        record item            in the same transaction as the pin
        commit                 every `batch_size` rows or second: a kill loses at most one batch
      source.finish(run)       follows, covers, parent links
      report                   one line per row (JSONL, or CSV when the path ends in .csv)

Idempotency: by source id (import_items) and by content (an identical image already on the target board is
skipped), so a rerun — or the same pictures from another folder — creates nothing twice.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer, session_viewer
from pinhaven.boards import service as boards_service
from pinhaven.boards.access import PUBLIC
from pinhaven.boards.models import Board, BoardSection
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.errors import InvalidInput, PinhavenError
from pinhaven.ingest.importers_report import Outcome, ReportWriter
from pinhaven.ingest.models import KEY_CHARS, ImportItem
from pinhaven.media import service as media_service
from pinhaven.media.models import MediaImage
from pinhaven.pins import service as pins_service
from pinhaven.pins.models import Pin

__all__ = ["ImportSummary", "Outcome", "Row", "Run", "Source", "item_key", "run_import"]

LOAD_THREADS = 4
LOAD_AHEAD = 8
COMMIT_SECONDS = 1.0


def item_key(text: str) -> str:
    """A source or source id that fits the key columns (long ones keep a prefix and a hash)."""
    if len(text) <= KEY_CHARS:
        return text
    return text[:180] + "#" + hashlib.sha256(text.encode()).hexdigest()[:40]


@dataclass
class Row:
    """One item to import. `load` returns the image bytes; `error` marks a row already known to be bad."""

    source_id: str
    label: str  # the path or URL, for the report
    load: Callable[[], bytes] | None = None
    board: str | None = None  # board name; None → the import's default board
    section: str | None = None
    board_id: int | None = None  # a board the source already resolved (export restore)
    section_id: int | None = None
    privacy: str = PUBLIC  # of a board this row creates
    fields: pins_service.PinFields = field(default_factory=pins_service.PinFields)
    finish: Callable[[Run, Pin], None] | None = None  # extra steps once the pin exists (same savepoint)
    error: str | None = None


@dataclass
class ImportSummary:
    source: str
    total: int | None = None
    processed: int = 0
    created: int = 0
    skipped: int = 0
    failed: int = 0
    elapsed: float = 0.0
    report_path: str | None = None
    stopped: bool = False  # ended early by max_rows

    @property
    def rate(self) -> float:
        return self.processed / self.elapsed if self.elapsed > 0 else 0.0


class Source:
    """Base of every import source; subclasses set `key`/`name` and yield rows."""

    key: str = ""  # import_items.source: where the items come from
    name: str = "Imported"  # default board name
    dedupe_content: bool = True  # skip an image already on the target board

    def total(self) -> int | None:
        return None

    def prepare(self, run: Run) -> None:
        """Work before the rows (boards, sections, profile); runs in the import's transaction."""

    def rows(self, run: Run) -> Iterator[Row]:
        raise NotImplementedError

    def finish(self, run: Run) -> None:
        """Work after the rows (follows, covers)."""

    def close(self) -> None:
        """Release files."""


class Run:
    """The state one import shares with its source: session, user, caches, done items, pending report lines."""

    def __init__(
        self, ctx: AppContext, db: Session, user_id: int, source: Source, default_board: str | None
    ) -> None:
        self.ctx = ctx
        self.db = db
        self.user_id = user_id
        self.viewer: Viewer = session_viewer(user_id)  # the import acts as its user, with every scope
        self.source = source
        self.source_key = item_key(source.key)
        self.default_board = _board_name(default_board) or _board_name(source.name) or "Imported"
        self.items: dict[str, ImportItem] = {
            item.source_id: item
            for item in db.scalars(
                select(ImportItem).where(ImportItem.user_id == user_id, ImportItem.source == self.source_key)
            )
        }
        self._boards: dict[str, Board | str] = {}
        self._sections: dict[tuple[int, str], BoardSection | str] = {}
        self.pending: list[Outcome] = []
        self.notes = 0

    # --- items -----------------------------------------------------------------------------------

    def done(self, source_id: str) -> ImportItem | None:
        """The item when it was created or skipped before (failed items are retried)."""
        item = self.items.get(source_id)
        return item if item is not None and item.status != "failed" else None

    def record(
        self,
        source_id: str,
        status: str,
        *,
        target_id: int | None = None,
        reason: str | None = None,
        content_sha: str | None = None,
    ) -> None:
        item = self.items.get(source_id)
        if item is None:
            item = ImportItem(user_id=self.user_id, source=self.source_key, source_id=source_id)
            self.db.add(item)
            self.items[source_id] = item
        item.status, item.target_id, item.reason = status, target_id, (reason or None)
        item.content_sha = content_sha or item.content_sha
        item.updated_at = utcnow()

    def note(
        self, kind: str, label: str, status: str, reason: str | None = None, source_id: str = ""
    ) -> None:
        """A report line that is not a pin row (a board, a follow, the profile)."""
        self.notes += 1
        self.pending.append(Outcome(0, kind, source_id, label, status, reason))

    # --- boards and sections ---------------------------------------------------------------------

    def board_named(self, name: str | None, privacy: str = PUBLIC) -> Board:
        """The user's board with this name (case-insensitive), created when missing.

        Secret content never lands on a public board: a secret row whose board name belongs to a public board
        goes to "<name> (private)" instead.
        """
        clean = _board_name(name) or self.default_board
        if privacy != PUBLIC:
            found = self.board_named_if_exists(clean)
            if found is not None and found.privacy == PUBLIC:
                clean = _board_name(f"{clean} (private)") or clean
        key = clean.lower()
        cached = self._boards.get(key)
        if isinstance(cached, str):
            raise InvalidInput(cached, field="board")
        if cached is not None:
            return cached
        board = self.db.scalar(select(Board).where(Board.owner_id == self.user_id, Board.name_key == key))
        if board is None:
            try:
                with self.db.begin_nested():
                    board = boards_service.create(
                        db=self.db, owner_id=self.user_id, name=clean, privacy=privacy
                    )
            except PinhavenError as exc:
                self._boards[key] = f"cannot create the board {clean!r}: {exc.message}"
                raise
            self.note("board", clean, "created", source_id=f"board:{clean}")
        self._boards[key] = board
        return board

    def board_named_if_exists(self, name: str) -> Board | None:
        cached = self._boards.get(name.lower())
        if isinstance(cached, Board):
            return cached
        return self.db.scalar(
            select(Board).where(Board.owner_id == self.user_id, Board.name_key == name.lower())
        )

    def section_named(self, board: Board, name: str) -> BoardSection:
        """The board's section with this name, created when missing."""
        clean = _board_name(name)
        if clean is None:
            raise InvalidInput("is empty", field="section")
        key = (board.id, clean.lower())
        cached = self._sections.get(key)
        if isinstance(cached, str):
            raise InvalidInput(cached, field="section")
        if cached is not None:
            return cached
        section = self.db.scalar(
            select(BoardSection).where(BoardSection.board_id == board.id, BoardSection.name_key == key[1])
        )
        if section is None:
            try:
                with self.db.begin_nested():
                    section = boards_service.create_section(
                        db=self.db, viewer=self.viewer, board_id=board.id, name=clean
                    )
            except PinhavenError as exc:
                self._sections[key] = f"cannot create the section {clean!r}: {exc.message}"
                raise
        self._sections[key] = section
        return section


def _board_name(name: str | None) -> str | None:
    clean = " ".join((name or "").split())[: boards_service.MAX_NAME].strip()
    return clean or None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, PinhavenError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"[:500]


def _existing_pin(db: Session, *, user_id: int, board_id: int, image: MediaImage) -> int | None:
    return db.scalar(
        select(Pin.id)
        .where(Pin.board_id == board_id, Pin.image_id == image.id, Pin.creator_id == user_id)
        .limit(1)
    )


def _import_row(run: Run, number: int, row: Row, upload: media_service.PreparedUpload) -> Outcome:
    """One row in its own savepoint; raises on failure (the caller reports it)."""
    db = run.db
    if row.board_id is not None:
        board = db.get(Board, row.board_id)
        if board is None:
            raise InvalidInput("the row's board no longer exists", field="board")
    else:
        board = run.board_named(row.board, row.privacy)
    section_id = row.section_id
    if section_id is None and row.section:
        section_id = run.section_named(board, row.section).id
    with db.begin_nested():
        image, new_image = media_service.register_upload(
            db=db, prepared=upload, owner_id=run.user_id, store=media_service.media_store(run.ctx)
        )
        if run.source.dedupe_content and not new_image:  # a picture new here is on no board yet
            existing = _existing_pin(db, user_id=run.user_id, board_id=board.id, image=image)
            if existing is not None:
                reason = f"duplicate: the board {board.name!r} already has this image (pin {existing})"
                run.record(
                    row.source_id, "skipped", target_id=existing, reason=reason, content_sha=image.sha256
                )
                return Outcome(number, "pin", row.source_id, row.label, "skipped", reason, str(existing))
        pin = pins_service.create(
            db=db, viewer=run.viewer, board_id=board.id, image=image, fields=row.fields, section_id=section_id
        )
        if row.finish is not None:
            row.finish(run, pin)
        run.record(row.source_id, "created", target_id=pin.id, content_sha=image.sha256)
    return Outcome(number, "pin", row.source_id, row.label, "created", None, str(pin.id))


def _load(row: Row) -> bytes:
    if row.error is not None:
        raise InvalidInput(row.error)
    if row.load is None:
        raise InvalidInput("the row names no image")
    return row.load()


def _prepare(ctx: AppContext, row: Row) -> media_service.PreparedUpload:
    """Load, validate, normalise and store the row's image with its eager variants (so a new image is
    ready at once, without a processing job): no database, so it runs on loader threads (decoding,
    resizing, encoding and hashing release the GIL) while the import thread writes the rows before it."""
    return media_service.prepare_upload(
        store=media_service.media_store(ctx), settings=ctx.settings, data=_load(row), render_eager=True
    )


def run_import(
    *,
    ctx: AppContext,
    user_id: int,
    source: Source,
    default_board: str | None = None,
    report_path: Path | None = None,
    batch_size: int = 50,
    max_rows: int | None = None,
    on_row: Callable[[ImportSummary, Outcome], None] | None = None,
    on_batch: Callable[[Session, ImportSummary], None] | None = None,
) -> ImportSummary:
    """Import every row of `source` for the user; bad rows are reported, never fatal.

    `on_row` sees each outcome (progress bars; raising from it aborts like a kill: the current batch is rolled
    back). `on_batch` runs inside each batch's transaction just before it commits. `max_rows` stops early.
    """
    summary = ImportSummary(
        source=source.key, total=source.total(), report_path=str(report_path) if report_path else None
    )
    report = ReportWriter(report_path)
    started = time.monotonic()
    db = ctx.sessions()
    pool = ThreadPoolExecutor(max_workers=LOAD_THREADS, thread_name_prefix="pinhaven-import")
    try:
        run = Run(ctx, db, user_id, source, default_board)
        source.prepare(run)
        last_commit = time.monotonic()
        in_batch = 0

        def commit() -> None:
            nonlocal last_commit, in_batch
            summary.elapsed = time.monotonic() - started
            if on_batch is not None:
                on_batch(db, summary)
            db.commit()
            report.write(run.pending)
            run.pending.clear()
            last_commit, in_batch = time.monotonic(), 0

        ahead: deque[tuple[int, Row, Future[media_service.PreparedUpload] | None]] = deque()
        numbered = enumerate(source.rows(run), start=1)
        exhausted = False
        source_error: PinhavenError | None = None
        while True:
            while not exhausted and len(ahead) < LOAD_AHEAD:
                if max_rows is not None and summary.processed + len(ahead) >= max_rows:
                    exhausted, summary.stopped = True, True
                    break
                try:
                    nxt = next(numbered, None)
                except PinhavenError as exc:  # the source broke off (a server went away): keep what was done
                    source_error, exhausted = exc, True
                    break
                if nxt is None:
                    exhausted = True
                    break
                number, row = nxt
                row.source_id = item_key(row.source_id)
                needs_load = run.done(row.source_id) is None and row.error is None and row.load is not None
                ahead.append((number, row, pool.submit(_prepare, ctx, row) if needs_load else None))
            if not ahead:
                break
            number, row, future = ahead.popleft()
            outcome = _process(run, number, row, future)
            summary.processed += 1
            setattr(summary, outcome.status, getattr(summary, outcome.status) + 1)
            run.pending.append(outcome)
            in_batch += 1
            if on_row is not None:
                on_row(summary, outcome)
            if in_batch >= batch_size or time.monotonic() - last_commit >= COMMIT_SECONDS:
                commit()
        if source_error is not None:
            commit()
            raise source_error
        source.finish(run)
        commit()
        if summary.stopped and summary.total is not None and summary.processed >= summary.total:
            summary.stopped = False
    except BaseException:
        db.rollback()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        db.close()
        report.close()
        source.close()
        summary.elapsed = time.monotonic() - started
    return summary


def _process(run: Run, number: int, row: Row, future: Future[media_service.PreparedUpload] | None) -> Outcome:
    previous = run.done(row.source_id)
    if previous is not None:
        pin_id = str(previous.target_id) if previous.target_id else None
        return Outcome(number, "pin", row.source_id, row.label, "skipped", "already imported", pin_id)
    try:
        upload = future.result() if future is not None else _prepare(run.ctx, row)
        return _import_row(run, number, row, upload)
    except Exception as exc:  # a bad row is reported and the import goes on
        reason = _reason(exc)
        run.record(row.source_id, "failed", reason=reason)
        return Outcome(number, "pin", row.source_id, row.label, "failed", reason)
