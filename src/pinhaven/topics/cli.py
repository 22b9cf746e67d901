"""`pinhaven topics list | add | edit | hide | show | import | export | assign`: the taxonomy, edited by the
instance's admin, and (re)assigning pins' topics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.errors import PinhavenError

__all__ = ["topics_app"]

topics_app = typer.Typer(
    help="Topics: the taxonomy (edit it) and pins' topics (assign them).", no_args_is_help=True
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


@topics_app.command("list")
def list_command(
    all_topics: Annotated[bool, typer.Option("--all", help="Hidden topics too.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Print the taxonomy: top topics, their subtopics indented; (hidden) marks hidden ones."""
    from pinhaven.topics import service

    ctx = _context(data_dir)
    with session_scope(ctx.sessions) as db:
        for t in service.list_topics(db=db, include_inactive=all_topics):
            indent = "  " if t.parent_slug else ""
            hidden = "  (hidden)" if not t.active else ""
            typer.echo(f"{indent}{t.slug}\t{t.name}{hidden}")


@topics_app.command("add")
def add_command(
    slug: str,
    name: str,
    description: Annotated[str, typer.Option(help="What the topic covers (the classifier reads it).")] = "",
    parent: Annotated[str | None, typer.Option(help="Top topic this is a subtopic of.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Add a top topic or (with --parent) a subtopic; pins get it from their next assignment."""
    from pinhaven.topics import service

    ctx = _context(data_dir)
    try:
        with session_scope(ctx.sessions) as db:
            service.create_topic(db=db, slug=slug, name=name, description=description, parent=parent)
    except PinhavenError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"added {slug}")


@topics_app.command("edit")
def edit_command(
    slug: str,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Rename or redescribe a topic."""
    from pinhaven.topics import service

    ctx = _context(data_dir)
    try:
        with session_scope(ctx.sessions) as db:
            service.update_topic(db=db, slug=slug, name=name, description=description)
    except PinhavenError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"updated {slug}")


def _set_active(slug: str, active: bool, data_dir: Path | None) -> None:
    from pinhaven.topics import service

    ctx = _context(data_dir)
    try:
        with session_scope(ctx.sessions) as db:
            service.update_topic(db=db, slug=slug, active=active)
    except PinhavenError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"{'shown' if active else 'hidden'}: {slug}")


@topics_app.command("hide")
def hide_command(slug: str, data_dir: DataDir = None) -> None:
    """Hide a topic (and a top topic's subtopics): no page, no new assignments."""
    _set_active(slug, False, data_dir)


@topics_app.command("show")
def show_command(slug: str, data_dir: DataDir = None) -> None:
    """Show a hidden topic again."""
    _set_active(slug, True, data_dir)


@topics_app.command("import")
def import_command(path: Path, data_dir: DataDir = None) -> None:
    """Add or update topics from a JSON file shaped like the shipped taxonomy.json."""
    from pinhaven.topics import service

    ctx = _context(data_dir)
    try:
        data = service.load_taxonomy_file(path.read_text())
        with session_scope(ctx.sessions) as db:
            service.ensure_taxonomy(db)
            added = service.import_taxonomy(db=db, data=data)
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc}") from exc
    except PinhavenError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"imported: {added} new topics")


@topics_app.command("export")
def export_command(data_dir: DataDir = None) -> None:
    """Print the taxonomy as JSON (edit it and `pinhaven topics import` it back)."""
    from pinhaven.topics import service

    ctx = _context(data_dir)
    with session_scope(ctx.sessions) as db:
        topics = service.list_topics(db=db, include_inactive=True)
    out = [
        {
            "slug": t.slug,
            "name": t.name,
            "description": t.description,
            "children": [
                {"slug": c.slug, "name": c.name, "description": c.description}
                for c in topics
                if c.parent_slug == t.slug
            ],
        }
        for t in topics
        if t.parent_slug is None
    ]
    typer.echo(json.dumps(out, indent=2, ensure_ascii=False))


@topics_app.command("assign")
def assign_command(
    missing: Annotated[
        bool, typer.Option("--missing/--all", help="Only pins without topics (default).")
    ] = True,
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Pins per batch.")] = 64,
    data_dir: DataDir = None,
) -> None:
    """Assign topics to pins in batches (after an import, a taxonomy edit, or turning MiniLM on)."""
    from sqlalchemy import select

    from pinhaven.pins.models import Pin
    from pinhaven.topics.models import PinTopic
    from pinhaven.topics.service import assign_pins

    ctx = _context(data_dir)
    done, last = 0, -1
    while True:
        with session_scope(ctx.read_sessions) as db:
            query = select(Pin.id).where(Pin.id > last).order_by(Pin.id).limit(batch)
            if missing:
                query = query.where(~select(PinTopic.pin_id).where(PinTopic.pin_id == Pin.id).exists())
            ids = list(db.scalars(query))
        if not ids:
            break
        assign_pins(ctx, ids)
        done += len(ids)
        last = ids[-1]
        typer.echo(f"\r{done} pins", nl=False)
    typer.echo(f"\rassigned topics to {done} pins")
