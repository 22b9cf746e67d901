"""`pinhaven stream status` (outbox backlog, lag per consumer) and `pinhaven stream replay CONSUMER`."""

from __future__ import annotations

import json
import time
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
    consumer: Annotated[str, typer.Argument(help="counters | indexer | archive")],
    data_dir: DataDir = None,
    follow: Annotated[
        bool, typer.Option(help="Keep consuming after catching up (else stop when caught up).")
    ] = False,
) -> None:
    """Re-deliver every retained event to CONSUMER from the start of retention.

    Effects are idempotent: events already applied (stream_applied) are skipped, so a replay repairs missing
    state; to rebuild from nothing, delete that consumer's rows from stream_applied first (and its state).
    """
    from pinhaven.stream import service
    from pinhaven.stream.consumer import ConsumerRunner
    from pinhaven.stream.consumers import consumer_by_name

    try:
        chosen = consumer_by_name(consumer)
    except KeyError:
        typer.echo(f"unknown consumer {consumer!r}: expected counters, indexer or archive", err=True)
        raise typer.Exit(2) from None
    ctx = _context(data_dir)
    try:
        runtime = service.stream_runtime(ctx)
        assert runtime is not None
        runner = ConsumerRunner(ctx, runtime.bus, chosen, max_deliver=ctx.settings.event_consumer_max_deliver)
        runner.reset()
        started = time.monotonic()
        while True:
            applied = runner.run_once(timeout=2.0)
            lag = service.consumer_lag(runtime.bus, chosen.name) or {"pending": 0, "ack_pending": 0}
            typer.echo(f"{chosen.name}: applied {runner.applied}, pending {lag['pending']}", err=True)
            if not follow and applied == 0 and lag["pending"] == 0:
                break
        typer.echo(
            f"replayed {chosen.name}: {runner.applied} events applied in {time.monotonic() - started:.1f}s"
        )
    finally:
        service.stop(ctx)
