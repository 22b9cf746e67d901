"""CLI: `pinhaven models fetch clip` (download once, or import a local file) and `pinhaven models list`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["models_app"]

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (default: PINHAVEN_DATA_DIR or ./data).")
]
models_app = typer.Typer(help="Model weights for visual search (CLIP).", no_args_is_help=True)


@models_app.command("fetch")
def models_fetch(
    kind: Annotated[str, typer.Argument(help="Which model: clip.")],
    model: Annotated[str, typer.Option("--model", help="open_clip architecture.")] = "ViT-B-32",
    pretrained: Annotated[
        str, typer.Option("--pretrained", help="Weights tag (stored under it).")
    ] = "openai",
    source: Annotated[
        Path | None,
        typer.Option(
            "--from", help="Import this local file (state dict or checkpoint) instead of downloading."
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Store CLIP weights in <data_dir>/models/clip: downloaded once (needs internet) or from --from PATH."""
    from pinhaven.cli import fail, settings_for
    from pinhaven.search.visual import clip
    from pinhaven.search.visual.embedder import ModelUnavailable

    if kind != "clip":
        raise fail(f"unknown model kind {kind!r}: only 'clip' has weights to fetch", 2)
    models_dir = settings_for(data_dir).data_dir / "models"
    try:
        if source is not None:
            path = clip.import_clip_weights(models_dir, source, model, pretrained)
        else:
            path = clip.fetch_clip_weights(models_dir, model, pretrained)
    except (ModelUnavailable, clip.InvalidWeights) as exc:
        raise fail(str(exc)) from exc
    except Exception as exc:  # a download fails in many ways (no network, unknown tag, hub errors)
        raise fail(f"could not fetch {model}/{pretrained}: {type(exc).__name__}: {exc}") from exc
    typer.echo(f"stored {path}")
    typer.echo(
        f"use it: PINHAVEN_VISUAL_MODEL=clip PINHAVEN_CLIP_MODEL={model} PINHAVEN_CLIP_WEIGHTS={pretrained}, "
        "then `pinhaven reindex --model clip`"
    )


@models_app.command("list")
def models_list(data_dir: DataDir = None) -> None:
    """List the stored weights and which embedder the settings select."""
    from pinhaven.cli import settings_for
    from pinhaven.search.visual import clip

    settings = settings_for(data_dir)
    stored = clip.stored_clip_weights(settings.data_dir / "models")
    active = settings.visual_model == "clip"
    typer.echo(
        f"active: {settings.visual_model}"
        + (f" ({settings.clip_model}, weights {settings.clip_weights})" if active else "")
        + ("" if clip.clip_available() else "  [CLIP libraries not installed: the `clip` extra]")
    )
    if not stored:
        typer.echo("no stored weights (`pinhaven models fetch clip`)")
    for row in stored:
        chosen = active and row.get("model_name") == settings.clip_model
        chosen = chosen and row.get("pretrained") == settings.clip_weights
        typer.echo(
            f"{'*' if chosen else ' '} clip {row.get('model_name', '?')} {row.get('pretrained', '?')}  "
            f"dim {row.get('dim', '?')}  {row['bytes'] / 1e6:.0f} MB  {row['file']}"
            + (f"  ({row['problem']})" if "problem" in row else "")
        )
