"""`pinhaven stream status` (outbox backlog, lag per consumer) and `pinhaven stream replay CONSUMER`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["stream_app"]

stream_app = typer.Typer(
    help="The event stream (PINHAVEN_EVENT_BUS_URL): status and replay.", no_args_is_help=True
)
DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (default: PINHAVEN_DATA_DIR or ./data).")
]


def _context(data_dir: Path | None):  # type: ignore[no-untyped-def]
    from pinhaven.cli import settings_for
    from pinhaven.context import build_context

    settings = settings_for(data_dir)
    if not settings.event_bus_url:
        typer.echo("PINHAVEN_EVENT_BUS_URL is not set: this instance has no event stream.", err=True)
        raise typer.Exit(2)
    return build_context(settings)


@stream_app.command("status")
def status_command(data_dir: DataDir = None) -> None:
    """Print the outbox backlog and each durable consumer's lag as JSON."""
    from pinhaven.stream import service

    ctx = _context(data_dir)
    try:
        typer.echo(json.dumps(service.status(ctx), indent=2))
    finally:
        service.stop(ctx)


@stream_app.command("replay")
def replay_command(
    consumer: Annotated[str, typer.Argument(help="counters | indexer | archive | trending")],
    data_dir: DataDir = None,
    from_start: Annotated[
        bool,
        typer.Option(
            "--from-start",
            help="Rebuild from nothing: reset the consumer's state and its applied events in one "
            "transaction, then consume from the stream's first sequence.",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option(help="With --from-start: rebuild even though old events have expired.")
    ] = False,
    follow: Annotated[
        bool, typer.Option(help="Keep consuming after catching up (else stop when caught up).")
    ] = False,
) -> None:
    """Re-deliver every retained event to CONSUMER from the start of retention.

    Without --from-start, events already applied (stream_applied) are skipped, so a replay repairs missing
    state. With it, the state is rebuilt from the events alone (refused for counters, indexer and archive
    once the stream has dropped its first events, unless --force).
    """
    from pinhaven.stream import service
    from pinhaven.stream.consumers import consumer_by_name
    from pinhaven.stream.replay import ReplayRefused, replay

    try:
        chosen = consumer_by_name(consumer)
    except KeyError:
        typer.echo(
            f"unknown consumer {consumer!r}: expected counters, indexer, archive or trending", err=True
        )
        raise typer.Exit(2) from None
    ctx = _context(data_dir)
    try:
        runtime = service.stream_runtime(ctx)
        assert runtime is not None

        def progress(applied: int, pending: int) -> None:
            typer.echo(f"{chosen.name}: applied {applied}, pending {pending}", err=True)

        try:
            result = replay(
                ctx, runtime.bus, chosen, from_start=from_start, force=force, follow=follow, progress=progress
            )
        except ReplayRefused as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
        typer.echo(
            f"replayed {chosen.name} from sequence {result.first_sequence}: "
            f"{result.applied} events applied in {result.seconds:.1f}s"
        )
    finally:
        service.stop(ctx)
