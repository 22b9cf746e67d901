"""`pinhaven ranker label | train | list | promote | rollback`: the learned ranker's model registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.errors import PinhavenError

__all__ = ["ranker_app"]

ranker_app = typer.Typer(help="The learned ranker: label the feed log, train, list, promote, roll back.",
                         no_args_is_help=True)  # fmt: skip
DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (default: PINHAVEN_DATA_DIR or ./data).")
]


def _context(data_dir: Path | None) -> AppContext:
    from pinhaven.cli import context_for

    return context_for(data_dir)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(1)


@ranker_app.command("label")
def label_command(data_dir: DataDir = None) -> None:
    """Label the feed sessions old enough (impressions joined to later close-ups, clicks, saves, hides)."""
    from pinhaven.ranking.labels import label_logs

    ctx = _context(data_dir)
    with session_scope(ctx.sessions) as db:
        sessions, impressions = label_logs(db=db)
    typer.echo(f"labelled {sessions} feed sessions ({impressions} impressions)")


@ranker_app.command("train")
def train_command(
    data_dir: DataDir = None,
    weights: Annotated[
        str | None,
        typer.Option(help="Utility weights (default PINHAVEN_RANKING_WEIGHTS), e.g. save=1,hide=-2."),
    ] = None,
    no_promote: Annotated[bool, typer.Option("--no-promote", help="Register only, even if it wins.")] = False,
    rounds: Annotated[
        int, typer.Option(min=1, max=5000, help="Most boosting rounds per objective (early stopping).")
    ] = 300,
) -> None:
    """Label, train one model per objective, evaluate on the newest sessions, promote only if better."""
    from pinhaven.ranking import service
    from pinhaven.ranking.labels import label_logs

    ctx = _context(data_dir)
    if weights is not None:
        from pinhaven.ranking.objectives import parse_weights

        try:
            parse_weights(weights)
        except ValueError as exc:
            raise _fail(f"--weights: {exc}") from None
    with session_scope(ctx.sessions) as db:
        label_logs(db=db)
    try:
        outcome = service.train_and_register(
            ctx, weights=weights, rounds=rounds, promote_if_better=not no_promote
        )
    except PinhavenError as exc:
        raise _fail(exc.message) from None
    verdict = "promoted" if outcome.promoted else "not promoted"
    typer.echo(f"v{outcome.version}: {verdict} ({outcome.reason})")
    typer.echo(json.dumps(outcome.metrics, indent=2, sort_keys=True))


@ranker_app.command("als")
def als_command(data_dir: DataDir = None) -> None:
    """Refit the ALS collaborative-filtering source now (the scheduled ranking job also refits it)."""
    from pinhaven.ranking import als

    ctx = _context(data_dir)
    count = als.fit(ctx)
    typer.echo(
        f"ALS fitted on {count} interactions" if count else "no engagement on public pins yet: nothing to fit"
    )


@ranker_app.command("list")
def list_command(data_dir: DataDir = None) -> None:
    """Every registered model, newest first, with its hold-out nDCG@25 against the hand-tuned scorer."""
    from rich.console import Console
    from rich.table import Table

    from pinhaven.ranking import service

    ctx = _context(data_dir)
    table = Table(
        "version", "state", "trained", "examples", "nDCG@25", "hand-tuned", "was active", "decision"
    )
    with session_scope(ctx.read_sessions) as db:
        for m in service.list_models(db=db):
            ndcg = m.metrics.get("ndcg@25", {})
            table.add_row(
                f"v{m.version}", m.state, m.created_at.isoformat(timespec="seconds"), str(m.n_examples),
                f"{ndcg.get('candidate', 0):.4f}", f"{ndcg.get('hand-tuned', 0):.4f}",
                m.promoted_at.isoformat(timespec="seconds") if m.promoted_at else "-", str(m.metrics.get("decision", "")),
            )  # fmt: skip
    Console(width=200).print(table)


def _version(text: str) -> int:
    value = text.lower().removeprefix("v")
    if not value.isdigit() or len(value) > 9:
        raise _fail(f"{text!r} is not a model version (e.g. v3)")
    return int(value)


@ranker_app.command("promote")
def promote_command(
    version: Annotated[str, typer.Argument(help="e.g. v3")], data_dir: DataDir = None
) -> None:
    """Make a registered model the serving one (whatever its evaluation said: an operator's decision)."""
    from pinhaven.ranking import service

    ctx = _context(data_dir)
    try:
        with session_scope(ctx.sessions) as db:
            service.promote(db=db, data_dir=ctx.settings.data_dir, version=_version(version))
    except PinhavenError as exc:
        raise _fail(exc.message) from None
    typer.echo(f"v{_version(version)} is active (every process picks it up within 30 s)")


@ranker_app.command("rollback")
def rollback_command(data_dir: DataDir = None) -> None:
    """Retire the active model and restore the one before it (or the hand-tuned scorer)."""
    from pinhaven.ranking import service

    ctx = _context(data_dir)
    try:
        with session_scope(ctx.sessions) as db:
            restored = service.rollback(db=db)
            name = f"v{restored.version}" if restored else "the hand-tuned scorer"
    except PinhavenError as exc:
        raise _fail(exc.message) from None
    typer.echo(f"rolled back: {name} serves now")
