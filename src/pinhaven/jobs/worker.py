"""Running jobs: one job (`run_one`), every due job now (`drain`), worker threads (`WorkerPool`),
and a standalone worker process that stops gracefully on SIGTERM/SIGINT (`run_until_signalled`).

A handler runs outside any queue transaction, with a heartbeat thread extending its lease, so a long handler
keeps its job while a dead worker's job becomes claimable once the lease runs out.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import weakref
from datetime import datetime
from types import FrameType
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from pinhaven.context import AppContext
from pinhaven.jobs import handlers, queue
from pinhaven.jobs.models import Job

__all__ = ["WorkerPool", "drain", "execute", "run_one", "run_until_signalled", "worker_id"]

log = logging.getLogger("pinhaven.jobs")

IDLE_MIN_SECONDS = 0.05
IDLE_MAX_SECONDS = 1.0


def worker_id(label: str = "") -> str:
    """host:pid:thread — who holds a lease, as shown by `pinhaven jobs list`."""
    name = f"{socket.gethostname()}:{os.getpid()}:{label or threading.current_thread().name}"
    return name[-128:]


def run_one(
    ctx: AppContext, *, worker: str | None = None, kinds: list[str] | None = None, now: datetime | None = None
) -> bool:
    """Claim and run one due job in this thread; False when none was due. `now` fakes the clock (tests)."""
    job = queue.claim(
        ctx.engine,
        worker_id=worker or worker_id(),
        lease_seconds=ctx.settings.job_lease_seconds,
        kinds=kinds,
        now=now,
        read_engine=ctx.read_sessions.kw.get("bind"),
    )
    if job is None:
        return False
    execute(ctx, job, now=now)
    return True


def drain(ctx: AppContext, *, max_jobs: int | None = None, kinds: list[str] | None = None) -> int:
    """Run due jobs in the calling thread until none is due (or `max_jobs` ran); returns how many ran."""
    name = worker_id("drain")
    count = 0
    while max_jobs is None or count < max_jobs:
        if not run_one(ctx, worker=name, kinds=kinds):
            break
        count += 1
    return count


def execute(ctx: AppContext, job: queue.ClaimedJob, *, now: datetime | None = None) -> str | None:
    """Run a claimed job's handler and record the outcome; the job's new state (None: the claim was lost)."""
    limit = job.max_attempts or ctx.settings.job_max_attempts
    if job.attempts > limit:
        # Only a reclaimed job gets here: its last allowed attempt died with its worker.
        error = f"gave up after {limit} attempts; the last one's worker stopped without finishing"
        return _record(ctx, job, error, limit, permanent=True, now=now)
    try:
        handler = handlers.resolve(job.kind)
    except handlers.UnknownJobKind as exc:
        return _record(ctx, job, str(exc), limit, permanent=True, now=now)
    except Exception as exc:  # a broken handler module: a deploy may fix it, so retry
        return _record(ctx, job, queue.error_summary(exc), limit, now=now)
    with _Heartbeat(ctx, job):
        try:
            handler(ctx, dict(job.payload))
        except queue.PermanentFailure as exc:
            outcome: tuple[str, bool] | None = (queue.error_summary(exc), True)
        except Exception as exc:
            outcome = (queue.error_summary(exc), False)
        else:
            outcome = None
    if outcome is None:
        if queue.complete(ctx.engine, job, now=now):
            return "done"
        log.warning(
            "job %s (%s) finished after its lease was taken over; outcome discarded", job.id, job.kind
        )
        return None
    return _record(ctx, job, outcome[0], limit, permanent=outcome[1], now=now)


def _record(
    ctx: AppContext,
    job: queue.ClaimedJob,
    error: str,
    limit: int,
    *,
    permanent: bool = False,
    now: datetime | None = None,
) -> str | None:
    state = queue.record_failure(
        ctx.engine, job, error=error, max_attempts=limit, permanent=permanent, now=now
    )
    first_line = error.splitlines()[0] if error else ""
    if state == "dead":
        log.error("job %s (%s) is dead after attempt %s: %s", job.id, job.kind, job.attempts, first_line)
    elif state == "queued":
        log.warning(
            "job %s (%s) failed attempt %s, will retry: %s", job.id, job.kind, job.attempts, first_line
        )
    else:
        log.warning("job %s (%s) failed after its lease was taken over: %s", job.id, job.kind, first_line)
    return state


class _Heartbeat:
    """Extends a job's lease every third of the lease period while its handler runs."""

    def __init__(self, ctx: AppContext, job: queue.ClaimedJob) -> None:
        self.ctx = ctx
        self.job = job
        self.lease_seconds = ctx.settings.job_lease_seconds
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"heartbeat-{job.id}", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()

    def _beat(self) -> None:
        interval = max(0.05, self.lease_seconds / 3)
        while not self.done.wait(interval):
            try:
                if not queue.extend_lease(self.ctx.engine, self.job, lease_seconds=self.lease_seconds):
                    log.warning("job %s (%s): lease lost to another worker", self.job.id, self.job.kind)
                    return
            except Exception:  # the database hiccuped; the next beat tries again before the lease ends
                log.exception("job %s: heartbeat failed", self.job.id)


class WorkerPool:
    """Threads that poll the queue, back off while idle (50 ms → 1 s) and wake when this process enqueues."""

    def __init__(
        self,
        ctx: AppContext,
        threads: int,
        *,
        kinds: list[str] | None = None,
        label: str = "worker",
        idle_min: float = IDLE_MIN_SECONDS,
        idle_max: float = IDLE_MAX_SECONDS,
    ) -> None:
        if threads < 1:
            raise ValueError("a worker pool needs at least one thread")
        self.ctx = ctx
        self.kinds = kinds
        self.idle_min = idle_min
        self.idle_max = idle_max
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, name=f"{label}-{i}", daemon=True) for i in range(threads)
        ]

    def start(self) -> None:
        """Start the threads (once)."""
        _watch_enqueues(self)
        for thread in self._threads:
            thread.start()

    def wake(self) -> None:
        """Make idle threads poll now."""
        self._wake.set()

    def stop(self, timeout: float | None = 30.0) -> bool:
        """Let each thread finish its current job, then stop; False if some were still busy at `timeout`."""
        self._stopping.set()
        self._wake.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            if thread.is_alive():
                thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        busy = [t.name for t in self._threads if t.is_alive()]
        if busy:
            log.warning("worker threads still running a job at shutdown: %s (their leases will expire)", busy)
        return not busy

    @property
    def alive(self) -> int:
        return sum(t.is_alive() for t in self._threads)

    def _loop(self) -> None:
        name = worker_id()
        idle = self.idle_min
        while not self._stopping.is_set():
            try:
                ran = run_one(self.ctx, worker=name, kinds=self.kinds)
            except Exception:
                log.exception("job queue poll failed; backing off")
                ran, idle = False, self.idle_max
            if ran:
                idle = self.idle_min
                continue
            if self._wake.wait(idle):
                self._wake.clear()
                idle = self.idle_min
            else:
                idle = min(idle * 2, self.idle_max)


# Wake idle pools when this process commits a new job: enqueue() → flush → commit → pool.wake().
_pools: weakref.WeakSet[WorkerPool] = weakref.WeakSet()
_ENQUEUED = "pinhaven.jobs.enqueued"
_listening = False
_listen_lock = threading.Lock()


def _watch_enqueues(pool: WorkerPool) -> None:
    global _listening
    with _listen_lock:
        _pools.add(pool)
        if not _listening:
            event.listen(Session, "after_flush", _note_new_jobs)
            event.listen(Session, "after_commit", _wake_pools)
            event.listen(Session, "after_rollback", _forget_new_jobs)
            _listening = True


def _note_new_jobs(session: Session, _flush_context: Any) -> None:
    if any(isinstance(obj, Job) for obj in session.new):
        session.info[_ENQUEUED] = True


def _wake_pools(session: Session) -> None:
    if session.info.pop(_ENQUEUED, False):
        with _listen_lock:
            pools = list(_pools)
        for pool in pools:
            pool.wake()


def _forget_new_jobs(session: Session) -> None:
    session.info.pop(_ENQUEUED, None)


def run_until_signalled(ctx: AppContext, *, threads: int, kinds: list[str] | None = None) -> None:
    """A worker process: run `threads` workers until SIGTERM/SIGINT, then finish current jobs and return.

    A second signal exits at once; the jobs it interrupts run again when their leases expire.
    """
    pool = WorkerPool(ctx, threads, kinds=kinds)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            log.warning(
                "second %s: exiting now; interrupted jobs rerun after their leases expire", _name(signum)
            )
            os._exit(1)
        log.info("%s: finishing current jobs, then exiting", _name(signum))
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    from pinhaven.media import sweeper  # one process of the instance sweeps orphaned media each interval

    try:
        _schedule_periodic_jobs(ctx, kinds)
        pool.start()
        sweeper.start(ctx)
        log.info("worker %s: %s threads on %s", worker_id("main"), threads, ctx.engine.url.render_as_string())
        while not stop.wait(0.5):
            pass
        sweeper.stop(ctx)
        pool.stop(timeout=None)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _schedule_periodic_jobs(ctx: AppContext, kinds: list[str] | None) -> None:
    """Queue the self-rescheduling jobs this worker runs when none is waiting: an instance whose `serve`
    processes run no worker threads has only `pinhaven worker` processes to start them."""
    from pinhaven.db.engine import session_scope
    from pinhaven.ingest.url_learning import JOB_KIND, ensure_scheduled

    if kinds is None or JOB_KIND in kinds:
        with session_scope(ctx.sessions) as db:
            ensure_scheduled(db=db, interval_seconds=ctx.settings.url_learning_interval_seconds)
    from pinhaven.catalogs.jobs import DUE_JOB
    from pinhaven.catalogs.jobs import ensure_scheduled as ensure_catalog_syncs

    if kinds is None or DUE_JOB in kinds:
        with session_scope(ctx.sessions) as db:
            ensure_catalog_syncs(db=db, interval_hours=ctx.settings.catalog_sync_interval_hours)


def _name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
