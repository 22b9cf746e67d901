"""`pinhaven backup --out FOLDER` and `pinhaven restore FOLDER` (backup/service.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pinhaven.cli import DataDir, fail, settings_for
from pinhaven.errors import PinhavenError


def backup_command(
    out: Annotated[
        Path, typer.Option("--out", help="Backup folder (created; an earlier run there is resumed).")
    ],
    data_dir: DataDir = None,
) -> None:
    """Back up a SQLite instance: a consistent database snapshot, the secret key and every media file, with a
    manifest of sha256 checksums. Re-run with the same --out to resume (or bring it up to date)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from pinhaven.backup.service import create_backup

    settings = settings_for(data_dir)
    try:
        with Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
        ) as bar:
            task = bar.add_task("media", total=None)
            report = create_backup(
                settings,
                out,
                progress=lambda _phase, done, total: bar.update(task, completed=done, total=total),
            )
    except PinhavenError as exc:
        raise fail(exc.message) from exc
    typer.echo(
        f"backup written to {out}: database {report.database_bytes / 1e6:.1f} MB, media {report.media_copied} "
        f"copied + {report.media_skipped} already there ({report.media_bytes / 1e6:.1f} MB) in {report.seconds:.1f} s"
    )
    if report.missing:
        typer.secho(
            f"warning: {len(report.missing)} picture(s) the database names were deleted before they could be copied "
            f"(first: {report.missing[0]})",
            err=True,
            fg=typer.colors.YELLOW,
        )


def restore_command(
    backup: Annotated[Path, typer.Argument(help="A backup folder made by `pinhaven backup`.")],
    data_dir: DataDir = None,
) -> None:
    """Restore a backup into an empty data folder (checksums verified first; refuses a non-empty folder)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from pinhaven.backup.service import restore_backup

    settings = settings_for(data_dir)
    try:
        with Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
        ) as bar:
            tasks: dict[str, object] = {}

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(phase, total=total)
                bar.update(tasks[phase], completed=done)  # type: ignore[arg-type]

            report = restore_backup(backup, settings, progress=progress)
    except PinhavenError as exc:
        raise fail(exc.message) from exc
    from pinhaven.context import build_context

    build_context(settings).engine.dispose()  # migrates a backup made by an older version
    typer.echo(
        f"restored {report.media} media file(s) and the database into {report.data_dir} "
        f"({report.bytes / 1e6:.1f} MB, {report.seconds:.1f} s)"
    )
