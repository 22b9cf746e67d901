"""`pinhaven catalogs list | feeds | sync FEED_ID | sync-due`: merchants' catalogs and product feeds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pinhaven.context import AppContext
from pinhaven.errors import PinhavenError

__all__ = ["catalogs_app"]

catalogs_app = typer.Typer(
    help="Catalogs: merchants' product feeds and their product pins.", no_args_is_help=True
)
DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (default: PINHAVEN_DATA_DIR or ./data).")
]


def _context(data_dir: Path | None) -> AppContext:
    from pinhaven.cli import context_for

    return context_for(data_dir)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(1)


@catalogs_app.command("feeds")
def feeds_command(data_dir: DataDir = None) -> None:
    """Print every feed: id, owner, format, status, last sync, location."""
    from sqlalchemy import select

    from pinhaven.catalogs.models import CatalogFeed

    ctx = _context(data_dir)
    with ctx.sessions() as db:
        for feed in db.scalars(select(CatalogFeed).order_by(CatalogFeed.id)):
            synced = feed.last_synced_at.isoformat() if feed.last_synced_at else "never"
            typer.echo(f"{feed.id}\t{feed.owner_id}\t{feed.format}\t{feed.status}\t{synced}\t{feed.location}")


@catalogs_app.command("sync")
def sync_command(
    feed_id: Annotated[str, typer.Argument(help="The feed's id.")],
    data_dir: DataDir = None,
) -> None:
    """Fetch and ingest one feed now (in this process), then print its processing result."""
    from pinhaven.catalogs import service
    from pinhaven.catalogs.models import CatalogProcessingResult

    ctx = _context(data_dir)
    try:
        number = int(feed_id)
    except ValueError:
        raise _fail(f"{feed_id!r} is not a feed id") from None
    try:
        result_id = service.sync_feed(ctx, number)
    except PinhavenError as exc:
        raise _fail(exc.message) from None
    with ctx.sessions() as db:
        result = db.get(CatalogProcessingResult, result_id)
        assert result is not None
        counts = result.counts or {}
        typer.echo(
            f"{result.status}: {counts.get('ingested', 0)} of {counts.get('original', 0)} items ingested, "
            f"{len(result.issues or [])} items with issues"
            + (f" ({result.message})" if result.message else "")
        )
        for entry in (result.issues or [])[:20]:
            codes = ", ".join(f"{i['severity'].lower()} {i['code']}" for i in entry["issues"])
            typer.echo(f"  item {entry['item_id']} (position {entry['position']}): {codes}")
    if result.status == "FAILED":
        raise typer.Exit(1)
