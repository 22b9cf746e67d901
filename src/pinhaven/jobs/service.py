"""Enqueue background work (rows in the caller's transaction: committed together or not at all); inspect the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from pinhaven.db.base import utcnow
from pinhaven.errors import Conflict, InvalidInput, NotFound
from pinhaven.jobs.models import Job


def enqueue(
    *,
    db: Session,
    kind: str,
    payload: dict[str, Any],
    run_after: datetime | None = None,
    max_attempts: int | None = None,
) -> Job:
    """Add a job in the current transaction; payloads carry ids only (handlers re-fetch).

    `max_attempts` None leaves the limit to the worker's `job_max_attempts` setting.
    """
    job = Job(kind=kind, payload=payload, run_after=run_after or utcnow(), max_attempts=max_attempts)
    db.add(job)
    db.flush()
    return job


# Operator tools (`pinhaven jobs ...`, /ext/v1/health). Workers use `pinhaven.jobs.queue`.

STATE_FILTERS = ("queued", "running", "done", "dead", "failed")  # failed: has an error and is not done


@dataclass(frozen=True)
class QueueDepth:
    """What health checks need, from index-only counts (done rows are never scanned)."""

    queued: int
    running: int
    dead: int
    due: int  # queued jobs whose run_after has passed (not waiting out a retry backoff)
    oldest_queued_seconds: float  # how long the longest-waiting due job has waited; 0 when none


def list_jobs(
    *, db: Session, state: str | None = None, kind: str | None = None, limit: int = 50
) -> list[Job]:
    """Newest first, optionally filtered by state (or "failed") and kind."""
    if state is not None and state not in STATE_FILTERS:
        raise InvalidInput(f"unknown state {state!r}; use one of {', '.join(STATE_FILTERS)}", field="state")
    if limit < 1:
        raise InvalidInput("must be at least 1", field="limit")
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if state == "failed":
        query = query.where(Job.state != "done", Job.last_error.is_not(None))
    elif state is not None:
        query = query.where(Job.state == state)
    if kind is not None:
        query = query.where(Job.kind == kind)
    return list(db.scalars(query))


def get_or_raise(*, db: Session, job_id: int) -> Job:
    """The job with this id, or NotFound."""
    job = db.get(Job, job_id)
    if job is None:
        raise NotFound(f"job {job_id} does not exist")
    return job


def retry(*, db: Session, job_id: int) -> Job:
    """Send one dead job back to the queue with a fresh set of attempts."""
    job = get_or_raise(db=db, job_id=job_id)
    if job.state != "dead":
        raise Conflict(f"job {job_id} is {job.state}; only dead jobs can be retried")
    _requeue(db=db, where=[Job.id == job_id])
    db.refresh(job)
    return job


def retry_all_dead(*, db: Session, kind: str | None = None) -> int:
    """Send every dead job (of `kind`, if given) back to the queue; returns how many."""
    where = [Job.state == "dead"]
    if kind is not None:
        where.append(Job.kind == kind)
    return _requeue(db=db, where=where)


def _requeue(*, db: Session, where: list[ColumnElement[bool]]) -> int:
    # last_error stays until the next outcome, so operators still see why it died.
    values = {"state": "queued", "attempts": 0, "run_after": utcnow(), "lease_until": None, "locked_by": None}
    result = db.execute(
        update(Job).where(*where, Job.state == "dead").values(finished_at=None, **values),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def purge_done(*, db: Session, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete done jobs finished more than `older_than` ago; returns how many."""
    cutoff = (now or utcnow()) - older_than
    result = db.execute(
        delete(Job).where(Job.state == "done", Job.finished_at < cutoff),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def depth(*, db: Session, now: datetime | None = None) -> QueueDepth:
    """Queue depth for health checks and alerts."""
    now = now or utcnow()
    counts = dict(
        db.execute(
            select(Job.state, func.count())
            .where(Job.state.in_(("queued", "running", "dead")))
            .group_by(Job.state)
        )
        .tuples()
        .all()
    )
    due, oldest = db.execute(
        select(func.count(), func.min(Job.run_after)).where(Job.state == "queued", Job.run_after <= now)
    ).one()
    oldest_at = _aware(oldest)
    return QueueDepth(
        queued=counts.get("queued", 0),
        running=counts.get("running", 0),
        dead=counts.get("dead", 0),
        due=int(due),
        oldest_queued_seconds=max(0.0, (now - oldest_at).total_seconds()) if oldest_at else 0.0,
    )


def counts_by_kind(*, db: Session) -> dict[str, dict[str, int]]:
    """kind → state → count, over every job (a full scan: operator use only)."""
    table: dict[str, dict[str, int]] = {}
    for kind, state, count in db.execute(
        select(Job.kind, Job.state, func.count()).group_by(Job.kind, Job.state)
    ):
        table.setdefault(kind, {})[state] = int(count)
    return table


def _aware(value: datetime | str | None) -> datetime | None:
    # Aggregates bypass the column type on some dialects (SQLite returns MIN() as text, naive UTC).
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
