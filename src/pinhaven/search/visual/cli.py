"""CLI: `pinhaven reindex` (visual vectors) and `pinhaven urls learn` (URL parameters that change nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

__all__ = ["reindex_command", "urls_app"]

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (default: PINHAVEN_DATA_DIR or ./data).")
]
urls_app = typer.Typer(help="Learn how links are normalised.", no_args_is_help=True)


def reindex_command(
    data_dir: DataDir = None,
    model: Annotated[str, typer.Option(help="Embedder: builtin or clip.")] = "builtin",
    refit: Annotated[bool, typer.Option(help="Fit a new whitening on the stored images first.")] = True,
    min_fit_images: Annotated[int, typer.Option(help="Fewer images than this: no whitening.")] = 100,
    groups_only: Annotated[
        bool, typer.Option("--groups-only", help="Only recompute the duplicate groups from stored vectors.")
    ] = False,
) -> None:
    """Embed every image for visual search (resumable: images already done are skipped), then regroup."""
    from pinhaven.cli import fail, settings_for
    from pinhaven.context import build_context
    from pinhaven.search.visual.embedder import ModelUnavailable
    from pinhaven.search.visual.handlers import RefitBusy, regroup_all, reindex

    if model not in ("builtin", "clip"):
        raise fail(f"--model must be builtin or clip, not {model!r}", 2)
    ctx = build_context(settings_for(data_dir).with_overrides(visual_model=model))
    if groups_only:
        try:
            typer.echo(f"{regroup_all(ctx)} duplicate groups")
        except ModelUnavailable as exc:
            raise fail(str(exc)) from exc
        finally:
            ctx.engine.dispose()
        return
    columns = (TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns) as bar:
            task = bar.add_task("embedding", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = reindex(ctx, refit=refit, min_fit_images=min_fit_images, progress=progress)
    except ModelUnavailable as exc:
        raise fail(str(exc)) from exc
    except RefitBusy as exc:
        raise fail(
            "another host is refitting the visual model right now; run this again when it is done"
        ) from exc
    finally:
        ctx.engine.dispose()
    typer.echo(
        f"model {report.model_id}: {report.embedded} embedded, {report.skipped} already done, "
        f"{report.missing} without a stored file, {report.groups} duplicate groups"
        + (" (new whitening)" if report.refitted else "")
    )


@urls_app.command("learn")
def urls_learn(data_dir: DataDir = None) -> None:
    """Learn, per domain, which query parameters do not change a page (same image behind both links)."""
    from pinhaven.cli import settings_for
    from pinhaven.context import build_context
    from pinhaven.ingest.url_learning import learn_drop_params

    ctx = build_context(settings_for(data_dir))
    try:
        learned = learn_drop_params(ctx)
    finally:
        ctx.engine.dispose()
    if not learned:
        typer.echo("nothing learned (no links differing in one parameter with the same image)")
    for domain, params in sorted(learned.items()):
        typer.echo(f"{domain}: {', '.join(sorted(params))}")
