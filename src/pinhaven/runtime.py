"""Background machinery a `serve` process runs beside the HTTP app (worker threads, index refreshers)."""

from __future__ import annotations

from pinhaven.context import AppContext

WORKER_POOL = "jobs.worker_pool"  # key in ctx.services
STOP_TIMEOUT_SECONDS = 30.0


def start_background(ctx: AppContext) -> None:
    """Start what `ctx.settings` asks for; each domain adds its starter here."""
    if ctx.settings.worker_threads > 0 and WORKER_POOL not in ctx.services:
        from pinhaven.jobs.worker import WorkerPool

        pool = WorkerPool(ctx, ctx.settings.worker_threads)
        pool.start()
        ctx.services[WORKER_POOL] = pool


def stop_background(ctx: AppContext) -> None:
    """Stop everything `start_background` started, waiting for in-flight work to finish."""
    pool = ctx.services.pop(WORKER_POOL, None)
    if pool is not None:
        # Each thread finishes its current job; one still busy at the timeout is rerun after its lease expires.
        pool.stop(timeout=STOP_TIMEOUT_SECONDS)
