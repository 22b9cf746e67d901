"""`pinhaven jobs list | retry | stats | drain | purge` and `pinhaven worker` (a standalone worker process).

`pinhaven.cli` registers these; they import it lazily (it imports this module).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pinhaven.config import missing_shared_secret
from pinhaven.context import build_context
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.errors import PinhavenError

if TYPE_CHECKING:
    from pinhaven.context import AppContext

jobs_app = typer.Typer(help="Inspect and manage background jobs.", no_args_is_help=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (default: PINHAVEN_DATA_DIR or ./data).")
]
KindOption = Annotated[str | None, typer.Option("--kind", help="Only jobs of this kind.")]


class StateFilter(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    dead = "dead"
    failed = "failed"  # has an error and is not done: retrying or dead


def _context(data_dir: Path | None) -> AppContext:
    from pinhaven.cli import context_for

    return context_for(data_dir)


def _fail(message: str, code: int = 1) -> typer.Exit:
    from pinhaven.cli import fail

    return fail(message, code)


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


@jobs_app.command("list")
def list_jobs(
    state: Annotated[StateFilter | None, typer.Option("--state", help="Only jobs in this state.")] = None,
    kind: KindOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows to show, newest first.")] = 50,
    data_dir: DataDir = None,
) -> None:
    """Show jobs, newest first, with their attempts and last error."""
    from rich.console import Console
    from rich.table import Table

    from pinhaven.jobs import service

    ctx = _context(data_dir)
    with session_scope(ctx.sessions) as db:
        rows = service.list_jobs(db=db, state=state.value if state else None, kind=kind, limit=limit)
    now = utcnow()
    table = Table("id", "kind", "state", "attempts", "age", "run after", "worker", "last error")
    for job in rows:
        limit_text = str(job.max_attempts or ctx.settings.job_max_attempts)
        run_after = _age((job.run_after - now).total_seconds()) if job.run_after > now else "due"
        error = (job.last_error or "").splitlines()[0][:80] if job.last_error else ""
        table.add_row(
            str(job.id),
            job.kind,
            job.state,
            f"{job.attempts}/{limit_text}",
            _age((now - job.created_at).total_seconds()),
            run_after if job.state == "queued" else "-",
            (job.locked_by or "-") if job.state == "running" else "-",
            error,
        )
    Console(width=200).print(table)


@jobs_app.command("retry")
def retry(
    job_id: Annotated[str | None, typer.Argument(help="A dead job's id.")] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="Retry every dead job.")] = False,
    kind: KindOption = None,
    data_dir: DataDir = None,
) -> None:
    """Send dead jobs back to the queue with a fresh set of attempts."""
    from pinhaven.db.ids import parse_id
    from pinhaven.jobs import service

    if (job_id is None) == (not all_failed):
        raise _fail("give either a job id or --all-failed", 2)
    parsed = parse_id(job_id) if job_id is not None else None
    if job_id is not None and parsed is None:
        raise _fail(f"{job_id!r} is not a job id", 2)
    ctx = _context(data_dir)
    try:
        with session_scope(ctx.sessions) as db:
            if parsed is not None:
                service.retry(db=db, job_id=parsed)
                count = 1
            else:
                count = service.retry_all_dead(db=db, kind=kind)
    except PinhavenError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"requeued {count} job{'s' if count != 1 else ''}")


@jobs_app.command("stats")
def stats(data_dir: DataDir = None) -> None:
    """Counts per kind and state, and how long the oldest due job has waited."""
    from rich.console import Console
    from rich.table import Table

    from pinhaven.jobs import service

    ctx = _context(data_dir)
    with session_scope(ctx.sessions) as db:
        by_kind = service.counts_by_kind(db=db)
        depth = service.depth(db=db)
    states = ("queued", "running", "done", "dead")
    table = Table("kind", *states, "total")
    for kind, counts in sorted(by_kind.items()):
        table.add_row(kind, *(str(counts.get(s, 0)) for s in states), str(sum(counts.values())))
    totals = {s: sum(c.get(s, 0) for c in by_kind.values()) for s in states}
    table.add_row("[bold]all[/bold]", *(str(totals[s]) for s in states), str(sum(totals.values())))
    console = Console(width=200)
    console.print(table)
    console.print(f"due now: {depth.due}   oldest due job waiting: {_age(depth.oldest_queued_seconds)}")
    if depth.queued > ctx.settings.queue_backlog_warning:
        console.print(f"[yellow]backlog: more than {ctx.settings.queue_backlog_warning} queued jobs[/yellow]")


@jobs_app.command("drain")
def drain(
    max_jobs: Annotated[int | None, typer.Option("--max-jobs", min=1, help="Stop after this many.")] = None,
    kind: KindOption = None,
    data_dir: DataDir = None,
) -> None:
    """Run every due job now, in this process, then exit."""
    from pinhaven.jobs.worker import drain as drain_jobs

    ctx = _context(data_dir)
    count = drain_jobs(ctx, max_jobs=max_jobs, kinds=[kind] if kind else None)
    typer.echo(f"ran {count} job{'s' if count != 1 else ''}")


@jobs_app.command("purge")
def purge(
    older_than_days: Annotated[
        float, typer.Option("--older-than-days", min=0, help="Age of done jobs.")
    ] = 7.0,
    data_dir: DataDir = None,
) -> None:
    """Delete done jobs that finished more than --older-than-days ago (dead ones stay)."""
    from pinhaven.jobs import service

    ctx = _context(data_dir)
    with session_scope(ctx.sessions) as db:
        count = service.purge_done(db=db, older_than=timedelta(days=older_than_days))
    typer.echo(f"deleted {count} done job{'s' if count != 1 else ''}")


def worker(
    threads: Annotated[
        int | None,
        typer.Option("--threads", min=1, help="Worker threads (default: PINHAVEN_WORKER_THREADS or 2)."),
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="Only run these kinds (repeatable).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Run background jobs against the shared database until SIGTERM/SIGINT (then finish current jobs)."""
    from pinhaven.cli import settings_for
    from pinhaven.jobs.worker import run_until_signalled

    settings = settings_for(data_dir)
    problem = missing_shared_secret(settings)
    if problem:
        raise _fail(problem, 2)
    ctx = build_context(settings)
    count = threads if threads is not None else ctx.settings.worker_threads or 2
    logging.basicConfig(
        level=ctx.settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    typer.echo(f"worker: {count} threads; stop with Ctrl-C or SIGTERM", err=True)
    from pinhaven.stream import service as stream

    stream.start(ctx, relay=True, consumers=True, graph=False)  # no-op without PINHAVEN_EVENT_BUS_URL
    try:
        run_until_signalled(ctx, threads=count, kinds=kind or None)
    finally:
        stream.stop(ctx)
    typer.echo("worker: stopped", err=True)
