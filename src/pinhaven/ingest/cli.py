"""`pinhaven import` and `pinhaven export` (registered by `pinhaven.cli`).

    pinhaven import PATH --user NAME [--board NAME] [--report FILE]        a folder, zip, CSV, JSONL or export
    pinhaven import --pinry-url URL [--pinry-token T] --user NAME [...]    a Pinry 2.x instance
    pinhaven export --user NAME --out FILE.zip

Imports show a progress bar with rate and ETA, can be stopped with Ctrl-C and rerun to resume, and end with
a summary; every row's outcome goes to the report file.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pinhaven.errors import PinhavenError

if TYPE_CHECKING:
    from pinhaven.context import AppContext
    from pinhaven.ingest.importers import ImportSummary, Outcome

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (default: PINHAVEN_DATA_DIR or ./data).")
]


def _context(data_dir: Path | None) -> AppContext:
    from pinhaven.cli import context_for

    return context_for(data_dir)


def _fail(message: str, code: int = 1) -> typer.Exit:
    from pinhaven.cli import fail

    return fail(message, code)


def _user_id(ctx: AppContext, username: str) -> int:
    from pinhaven.accounts import service as accounts_service
    from pinhaven.db.engine import session_scope

    with session_scope(ctx.sessions) as db:
        return accounts_service.get_by_username_or_raise(db=db, username=username).id


def default_report_path(path: Path | None) -> Path:
    """Next to the input: `photos/` → `photos.import-report.jsonl`; Pinry → `./pinry-import-report.jsonl`."""
    if path is None:
        return Path("pinry-import-report.jsonl")
    resolved = path.resolve()
    return resolved.parent / f"{resolved.name}.import-report.jsonl"


def import_command(
    path: Annotated[
        Path | None, typer.Argument(help="Folder, .zip, .csv, .jsonl or Pinhaven export.")
    ] = None,
    user: Annotated[str, typer.Option("--user", help="The Pinhaven user who gets the pins.")] = "",
    board: Annotated[
        str | None,
        typer.Option("--board", help="Board for items that name none (default: the folder/file name)."),
    ] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Report file (.jsonl or .csv).")] = None,
    pinry_url: Annotated[
        str | None, typer.Option("--pinry-url", help="Import from this Pinry 2.x instance.")
    ] = None,
    pinry_token: Annotated[
        str | None,
        typer.Option("--pinry-token", envvar="PINRY_TOKEN", help="Pinry API token (or PINRY_TOKEN)."),
    ] = None,
    pinry_user: Annotated[
        str | None, typer.Option("--pinry-user", help="Only this Pinry user's pins and boards.")
    ] = None,
    max_rows: Annotated[int | None, typer.Option("--max-rows", help="Stop after this many rows.")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Rows per committed batch.")] = 50,
    data_dir: DataDir = None,
) -> None:
    """Import pins; rerun the same command to resume an interrupted import (nothing is created twice)."""
    from pinhaven.ingest.importers import run_import
    from pinhaven.ingest.importers_files import open_source
    from pinhaven.ingest.importers_pinry import PinrySource

    if not user:
        raise _fail("--user is required", 2)
    if (path is None) == (pinry_url is None):
        raise _fail("give either a PATH or --pinry-url", 2)
    ctx = _context(data_dir)
    report_path = report or default_report_path(path)
    try:
        user_id = _user_id(ctx, user)
        if path is not None:
            source = open_source(path, settings=ctx.settings)
        else:
            assert pinry_url is not None
            source = PinrySource(pinry_url, settings=ctx.settings, token=pinry_token, username=pinry_user)
        with _ProgressBar(source.key) as bar:
            summary = run_import(
                ctx=ctx,
                user_id=user_id,
                source=source,
                default_board=board,
                report_path=report_path,
                batch_size=batch_size,
                max_rows=max_rows,
                on_row=bar.update,
            )
    except KeyboardInterrupt:
        raise _fail("interrupted; run the same command again to resume", 130) from None
    except PinhavenError as exc:
        hint = ""
        if "refused" in exc.message and "PINHAVEN_FETCH_ALLOW_NETWORKS" not in exc.message:
            hint = " (for an instance on your own network, set PINHAVEN_FETCH_ALLOW_NETWORKS)"
        raise _fail(exc.message + hint) from exc
    _print_summary(summary)


class _ProgressBar:
    """A rich progress bar: rows done of total, pins per second, time left, and the running tallies."""

    def __init__(self, label: str) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]import"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>6.1f} rows/s"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn(
                "[green]{task.fields[created]}[/] new · [yellow]{task.fields[skipped]}[/] skipped · "
                "[red]{task.fields[failed]}[/] failed"
            ),
        )
        self.label = label
        self.task = self.progress.add_task(label, total=None, rate=0.0, created=0, skipped=0, failed=0)
        self._started = time.monotonic()

    def __enter__(self) -> _ProgressBar:
        self.progress.console.print(f"importing from [bold]{self.label}[/]")
        self._started = time.monotonic()
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, summary: ImportSummary, outcome: Outcome) -> None:
        del outcome
        elapsed = max(time.monotonic() - self._started, 1e-6)
        self.progress.update(
            self.task,
            total=summary.total,
            completed=summary.processed,
            rate=summary.processed / elapsed,
            created=summary.created,
            skipped=summary.skipped,
            failed=summary.failed,
        )


def _print_summary(summary: ImportSummary) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("created", "skipped", "failed", "rows", "seconds", "rows/s", title="Import summary")
    table.add_row(
        str(summary.created),
        str(summary.skipped),
        str(summary.failed),
        str(summary.processed),
        f"{summary.elapsed:.1f}",
        f"{summary.rate:.1f}",
    )
    console = Console()
    console.print(table)
    if summary.stopped:
        console.print("[yellow]Stopped early (--max-rows); run again to continue.[/]")
    if summary.report_path:
        console.print(f"Report: {summary.report_path}")
    if summary.failed:
        console.print(f"[red]{summary.failed} row(s) failed[/]; their reasons are in the report.")


def export_command(
    user: Annotated[str, typer.Option("--user", help="The user to export.")] = "",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="The zip to write. Without it the export is kept in the media store, like one requested "
            "from the settings page, and the user downloads it there (from any host).",
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Export a user's whole account (profile, boards, sections, pins, saves, follows, originals) to a zip."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from pinhaven.ingest.exporter import export_account
    from pinhaven.ingest.exports import export_now

    if not user:
        raise _fail("--user is required", 2)
    ctx = _context(data_dir)
    run_id: int | None = None
    try:
        user_id = _user_id(ctx, user)
        with Progress(
            TextColumn("[bold]export"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
        ) as bar:
            task = bar.add_task("export", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            if out is not None:
                summary = export_account(ctx=ctx, user_id=user_id, out=out, on_progress=progress)
            else:
                run_id, summary = export_now(ctx, user_id, on_progress=progress)
    except PinhavenError as exc:
        raise _fail(exc.message) from exc
    where = summary.path if run_id is None else f"export {run_id}: {user} downloads it from /settings/export"
    typer.echo(
        f"exported {summary.pins} pins, {summary.boards} boards, {summary.sections} sections, "
        f"{summary.images} images, {summary.follows} follows to {where}"
    )
    if summary.missing_images:
        typer.secho(
            f"warning: {summary.missing_images} original(s) were missing from the media store", fg="yellow"
        )
