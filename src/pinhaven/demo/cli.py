"""`pinhaven demo`: load the demo content (what `make run` shows a newcomer first)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["demo"]


def demo(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Data folder (default: PINHAVEN_DATA_DIR or ./data).")
    ] = None,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when any user exists (what `make run` uses).")
    ] = False,
    pins: Annotated[
        int, typer.Option("--pins", min=0, max=20000, help="How many pins (about 18% are saves).")
    ] = 400,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same demo: titles and images.")] = 7,
    jobs: Annotated[
        int,
        typer.Option("--jobs", min=0, max=32, help="Processes rendering images (0: one per core, up to 2)."),
    ] = 0,
    process_images: Annotated[
        bool,
        typer.Option(
            "--process-images/--no-process-images",
            help="Render every image's grid variants while loading (the rest render when first viewed).",
        ),
    ] = True,
) -> None:
    """Create demo users, themed boards and generated pins; sign in as demo / pinhaven-demo."""
    import time

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from pinhaven.config import ConfigError, load_settings
    from pinhaven.context import build_context
    from pinhaven.demo.content import database_is_empty, load_demo
    from pinhaven.demo.plan import DEMO_PASSWORD, DEMO_USERNAME
    from pinhaven.errors import PinhavenError

    console = Console(stderr=True)
    try:
        settings = load_settings(data_dir=data_dir) if data_dir else load_settings()
    except ConfigError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from exc
    ctx = build_context(settings)
    try:
        if if_empty and not database_is_empty(ctx):
            typer.echo("demo: skipped, the database already has users")
            return
        started = time.perf_counter()
        labels = {"checking": "Checking last run", "pins": "Creating pins", "images": "Processing images"}
        with Progress(
            TextColumn("{task.description:<18}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
                bar.update(tasks[stage], completed=done, total=total)

            result = load_demo(
                ctx, pins=pins, seed=seed, jobs=jobs, process_images=process_images, progress=report
            )
    except PinhavenError as exc:
        typer.secho(f"error: {exc.message}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from exc
    finally:
        ctx.engine.dispose()
    elapsed = time.perf_counter() - started
    if result.pins_created == 0 and result.resumed_from == result.pins_total:
        typer.echo(f"demo: already loaded ({result.pins_total} pins); nothing to do")
    else:
        resumed = f", resumed after {result.resumed_from}" if result.resumed_from else ""
        typer.echo(
            f"demo: {result.users} users, {result.boards} boards, {result.pins_created} new pins "
            f"({result.saves} saves{resumed}), {result.images_processed} images processed in {elapsed:.1f} s"
        )
    typer.echo(f"sign in as {DEMO_USERNAME} / {DEMO_PASSWORD}")
