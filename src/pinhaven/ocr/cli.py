"""`pinhaven ocr read [--missing|--all]`: read the text of stored images (a backfill for images uploaded before
OCR was on, or again after changing the OCR settings), in this process, with progress."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pinhaven.db.engine import session_scope

__all__ = ["ocr_app"]

ocr_app = typer.Typer(help="Text in images (OCR).", no_args_is_help=True)
DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (default: PINHAVEN_DATA_DIR or ./data).")
]


@ocr_app.command("read")
def read_command(
    missing: Annotated[
        bool, typer.Option("--missing/--all", help="Only images never read (default).")
    ] = True,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after this many images.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Read ready images' text (resumable: rerun with --missing after an interruption)."""
    from sqlalchemy import select

    from pinhaven.cli import context_for
    from pinhaven.media.models import MediaImage
    from pinhaven.ocr.models import ImageText
    from pinhaven.ocr.service import ocr_engine, read_image

    ctx = context_for(data_dir)
    if ocr_engine(ctx) is None:
        typer.secho(
            "error: OCR is off (PINHAVEN_OCR_ENABLED) or not installed (extra 'ocr')", err=True, fg="red"
        )
        raise typer.Exit(1)
    done, found, last = 0, 0, -1
    while limit is None or done < limit:
        with session_scope(ctx.read_sessions) as db:
            query = select(MediaImage.id).where(MediaImage.id > last, MediaImage.status == "ready")
            if missing:
                query = query.where(
                    ~select(ImageText.image_id).where(ImageText.image_id == MediaImage.id).exists()
                )
            ids = list(db.scalars(query.order_by(MediaImage.id).limit(50)))
        if not ids:
            break
        for image_id in ids[: None if limit is None else limit - done]:
            row = read_image(ctx, image_id)
            found += row is not None and row.status == "text"
            done += 1
            last = image_id
            typer.echo(f"\r{done} images read, {found} with text", nl=False)
    typer.echo(f"\r{done} images read, {found} with text")
