"""Job queue benchmark: what leases, heartbeats and fencing cost per job, and how fast an idle worker reacts.

throughput  N no-op jobs run by `drain` (claim under lease + heartbeat thread + fenced completion, one
            thread), by a WorkerPool (4 threads), and by a naive loop (SELECT the first queued row, UPDATE it
            to done: no lease, no retry, unsafe with two workers) as the baseline
latency     enqueue → handler start for an idle single-thread pool, woken by the enqueue (this process)
            vs only polling (50 ms → 1 s backoff), as a worker in another process would see it

  .venv/bin/python bench/jobs.py                                  # SQLite in a temp dir, 500 jobs
  .venv/bin/python bench/jobs.py --jobs 5000 --samples 50
  .venv/bin/python bench/jobs.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update

from pinhaven.config import load_settings
from pinhaven.context import AppContext, build_context
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.jobs import handlers, worker
from pinhaven.jobs.models import Job
from pinhaven.jobs.service import enqueue

started_at: dict[int, float] = {}


def noop(ctx: AppContext, payload: dict[str, Any]) -> None:
    pass


def mark_start(ctx: AppContext, payload: dict[str, Any]) -> None:
    started_at[int(payload["n"])] = time.perf_counter()


def fill(ctx: AppContext, n: int, kind: str = "bench.noop") -> None:
    with session_scope(ctx.sessions) as db:
        db.execute(delete(Job))
        for i in range(n):
            enqueue(db=db, kind=kind, payload={"n": i})


def done_count(ctx: AppContext) -> int:
    with session_scope(ctx.sessions) as db:
        return int(db.scalar(select(func.count()).select_from(Job).where(Job.state == "done")) or 0)


def naive_loop(ctx: AppContext) -> int:
    count = 0
    while True:
        with session_scope(ctx.sessions) as db:
            job = db.scalars(
                select(Job).where(Job.state == "queued").order_by(Job.run_after).limit(1)
            ).first()
            if job is None:
                return count
            noop(ctx, job.payload)
            db.execute(update(Job).where(Job.id == job.id).values(state="done", finished_at=utcnow()))
        count += 1


def throughput(ctx: AppContext, n: int) -> list[tuple[str, float]]:
    rows = []
    fill(ctx, n)
    t0 = time.perf_counter()
    naive_loop(ctx)
    rows.append(("naive select+update loop (baseline)", time.perf_counter() - t0))

    fill(ctx, n)
    t0 = time.perf_counter()
    worker.drain(ctx)
    rows.append(("drain, 1 thread", time.perf_counter() - t0))

    fill(ctx, n)
    pool = worker.WorkerPool(ctx, 4, idle_max=0.05)
    t0 = time.perf_counter()
    pool.start()
    while done_count(ctx) < n:
        time.sleep(0.01)
    rows.append(("WorkerPool, 4 threads", time.perf_counter() - t0))
    pool.stop()
    return rows


def latency(ctx: AppContext, samples: int, *, woken: bool) -> list[float]:
    with session_scope(ctx.sessions) as db:
        db.execute(delete(Job))
    started_at.clear()
    pool = worker.WorkerPool(ctx, 1)
    pool.start()
    if not woken:
        worker._pools.discard(pool)  # as a worker in another process: it only polls
    delays = []
    try:
        for i in range(samples):
            time.sleep(0.3)  # let the pool go idle (its poll interval grows)
            with session_scope(ctx.sessions) as db:
                enqueue(db=db, kind="bench.mark", payload={"n": i})
            committed = time.perf_counter()
            while i not in started_at:
                time.sleep(0.001)
            delays.append(started_at[i] - committed)
    finally:
        pool.stop()
    return delays


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    handlers.register("bench.noop", noop)
    handlers.register("bench.mark", mark_start)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(env={}, data_dir=Path(tmp), database_url=args.database_url, worker_threads=0)
        ctx = build_context(settings)
        print(f"database: {ctx.engine.dialect.name}   jobs: {args.jobs}")

        rows = throughput(ctx, args.jobs)
        baseline = rows[0][1]
        print(f"\n{'throughput':40} {'seconds':>8} {'jobs/s':>8} {'ms/job':>8} {'vs naive':>9}")
        for name, seconds in rows:
            print(
                f"{name:40} {seconds:8.2f} {args.jobs / seconds:8.0f} {1000 * seconds / args.jobs:8.2f}"
                f" {baseline / seconds:8.2f}x"
            )

        print(f"\n{'enqueue → start (ms)':40} {'p50':>8} {'p95':>8} {'max':>8}")
        for name, woken in (("idle pool, woken by the enqueue", True), ("idle pool, polling only", False)):
            delays = [1000 * d for d in latency(ctx, args.samples, woken=woken)]
            print(f"{name:40} {pct(delays, 0.5):8.1f} {pct(delays, 0.95):8.1f} {max(delays):8.1f}")
        with session_scope(ctx.sessions) as db:
            db.execute(delete(Job))
        ctx.engine.dispose()


if __name__ == "__main__":
    main()
