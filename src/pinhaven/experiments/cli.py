"""`pinhaven experiments create | start | stop | list | report`: A/B experiments on ranking."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.errors import PinhavenError

__all__ = ["experiments_app", "format_report"]

experiments_app = typer.Typer(help="A/B experiments: arms with ranking settings, start/stop, reports.",
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


@experiments_app.command("create")
def create_command(
    name: str,
    arm: Annotated[
        list[str],
        typer.Option(
            "--arm",
            help="name:share[:settings], settings as key=value;key=value with scorer (hand-tuned | learned | "
            "v<N>), weights (save=1,hide=-2), sources (+als,-interests), ssd_theta. Repeat per arm; the first is "
            "the control.",
        ),
    ],
    surface: Annotated[str, typer.Option(help="Surface whose ranking the arms change.")] = "home",
    orthogonal: Annotated[bool, typer.Option(help="May run beside other orthogonal experiments.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Define an experiment (draft: nobody is bucketed until `start`)."""
    from pinhaven.experiments import service

    ctx = _context(data_dir)
    try:
        arms = [service.parse_arm(a) for a in arm]
        with session_scope(ctx.sessions) as db:
            made = service.create(db=db, name=name, arms=arms, surface=surface, orthogonal=orthogonal)
            typer.echo(f"created {made.name} ({len(made.arms)} arms, draft)")
    except PinhavenError as exc:
        raise _fail(exc.message) from None


def _set_state(name: str, data_dir: Path | None, *, running: bool) -> None:
    from pinhaven.experiments import service

    ctx = _context(data_dir)
    try:
        with session_scope(ctx.sessions) as db:
            (service.start if running else service.stop)(db=db, name=name)
    except PinhavenError as exc:
        raise _fail(exc.message) from None
    typer.echo(f"{name} {'started' if running else 'stopped'} (every process follows within 5 s)")


@experiments_app.command("start")
def start_command(name: str, data_dir: DataDir = None) -> None:
    """Start bucketing users into the experiment's arms."""
    _set_state(name, data_dir, running=True)


@experiments_app.command("stop")
def stop_command(name: str, data_dir: DataDir = None) -> None:
    """Stop the experiment (everyone gets the defaults again; the report covers start to stop)."""
    _set_state(name, data_dir, running=False)


@experiments_app.command("list")
def list_command(data_dir: DataDir = None) -> None:
    """Every experiment, newest first."""
    from pinhaven.experiments import service

    ctx = _context(data_dir)
    with session_scope(ctx.read_sessions) as db:
        for e in service.list_all(db=db):
            arms = ", ".join(f"{a['name']} {a['share']:g}% {json.dumps(a['settings'])}" for a in e.arms)
            typer.echo(f"{e.name}\t{e.surface}\t{e.state}{' (orthogonal)' if e.orthogonal else ''}\t{arms}")


def format_report(found: object) -> str:
    """The report as text: one block per arm, each metric with its 95% interval and its difference to control."""
    from pinhaven.experiments.report import METRICS, Report

    assert isinstance(found, Report)
    lines = [f"experiment {found.experiment} ({found.state})"]
    if found.srm_p is not None:
        verdict = (
            "SAMPLE RATIO MISMATCH: the split is broken, do not trust these numbers" if found.srm else "ok"
        )
        lines.append(f"sample ratio check: p = {found.srm_p:.4g} ({verdict})")
    for arm in found.arms:
        lines.append(f"arm {arm.name} ({arm.share:g}%): {arm.users} users, {arm.sessions} sessions")
        for metric in METRICS:
            m = arm.metrics[metric]
            text = f"  {metric:14} {m.estimate:10.4f}  [{m.low:.4f}, {m.high:.4f}]"
            if metric in arm.vs_control:
                d = arm.vs_control[metric]
                text += f"   vs control {d.estimate:+.4f} [{d.low:+.4f}, {d.high:+.4f}]"
            lines.append(text)
    return "\n".join(lines)


@experiments_app.command("report")
def report_command(
    name: str,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Per-arm saves, close-ups, hides per user, session depth and latency with 95% intervals; SRM check."""
    from pinhaven.experiments.report import report

    ctx = _context(data_dir)
    try:
        with session_scope(ctx.read_sessions) as db:
            found = report(db=db, name=name)
    except PinhavenError as exc:
        raise _fail(exc.message) from None
    typer.echo(json.dumps(asdict(found), indent=2) if as_json else format_report(found))
