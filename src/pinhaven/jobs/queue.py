"""The durable queue's primitives: claim a due job under a lease, keep the lease, record the outcome.

A job row moves   queued ──claim──▶ running ──complete──▶ done
                     ▲                 │ fail (attempts left)      │ fail (permanent or out of attempts)
                     └──── backoff ────┘                           ▼
                                                                   dead ──retry (operator)──▶ queued

Claiming increments `attempts` and sets a lease (`locked_by`, `lease_until`). A running job whose lease expired
(its worker died) is claimable again. Every later write names the claim it belongs to (`locked_by` and
`attempts`), so a worker that lost its lease cannot overwrite what the new owner does.

PostgreSQL and MySQL/MariaDB claim with `SELECT ... FOR UPDATE SKIP LOCKED`, so any number of worker processes
share the queue. SQLite claims with one `UPDATE ... WHERE id = (SELECT ...)` statement: SQLite takes its write
lock before the statement reads, so the pick and the update are atomic across threads and processes.

Times come from the worker's clock (`utcnow`); hosts running workers need synchronised clocks (NTP).
"""

from __future__ import annotations

import random
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Engine, Table, and_, literal, select, update

from pinhaven.db.base import utcnow
from pinhaven.jobs.models import Job

__all__ = [
    "RETRY_BASE_SECONDS",
    "RETRY_MAX_SECONDS",
    "ClaimedJob",
    "PermanentFailure",
    "claim",
    "complete",
    "error_summary",
    "extend_lease",
    "record_failure",
    "retry_delay",
]

RETRY_BASE_SECONDS = 5.0  # delay before the 2nd attempt; doubles per attempt, jittered
RETRY_MAX_SECONDS = 3600.0
ERROR_MAX_CHARS = 4000
_LEASE_LOST = "lease expired: the previous attempt's worker stopped without finishing: "
_rng = random.Random()

jobs = cast(Table, Job.__table__)


class PermanentFailure(Exception):
    """Raised by a handler when retrying cannot help (bad payload, record gone): the job goes to `dead`."""


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds under lease; `worker_id` and `attempts` identify the claim."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int | None
    worker_id: str
    reclaimed: bool  # the previous attempt's worker stopped without recording an outcome


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(jobs.c.state == "queued", jobs.c.run_after <= now)


def _expired(now: datetime) -> ColumnElement[bool]:
    return and_(jobs.c.state == "running", jobs.c.lease_until < now)


def _claim_values(worker_id: str, lease_until: datetime) -> dict[str, Any]:
    return {
        "state": "running",
        "attempts": jobs.c.attempts + 1,
        "locked_by": worker_id,
        "lease_until": lease_until,
    }


def claim(
    engine: Engine,
    *,
    worker_id: str,
    lease_seconds: float,
    kinds: list[str] | None = None,
    now: datetime | None = None,
    read_engine: Engine | None = None,
) -> ClaimedJob | None:
    """Take one due job (an expired lease first, else the longest-waiting queued job), or None.

    On SQLite, `read_engine` (plain BEGIN) checks for due work first, so idle polls never take the write lock.
    """
    now = now or utcnow()
    lease_until = now + timedelta(seconds=lease_seconds)
    conditions = [_expired(now), _due(now)]
    if kinds is not None:
        conditions = [and_(c, jobs.c.kind.in_(kinds)) for c in conditions]
    if engine.dialect.name == "sqlite":
        return _claim_sqlite(engine, read_engine or engine, conditions, worker_id, lease_until)
    return _claim_skip_locked(engine, conditions, worker_id, lease_until)


def _claim_sqlite(
    engine: Engine,
    read_engine: Engine,
    conditions: list[ColumnElement[bool]],
    worker_id: str,
    lease_until: datetime,
) -> ClaimedJob | None:
    # A read first: idle polls must not take SQLite's single write lock.
    with read_engine.connect() as conn:
        if conn.execute(select(jobs.c.id).where(conditions[0] | conditions[1]).limit(1)).first() is None:
            return None
    for reclaim, condition in zip((True, False), conditions, strict=True):
        pick = select(jobs.c.id).where(condition).order_by(jobs.c.run_after).limit(1).scalar_subquery()
        values = _claim_values(worker_id, lease_until)
        if reclaim:
            values["last_error"] = literal(_LEASE_LOST) + jobs.c.locked_by
        statement = (
            update(jobs)
            .where(jobs.c.id == pick, condition)
            .values(**values)
            .returning(jobs.c.id, jobs.c.kind, jobs.c.payload, jobs.c.attempts, jobs.c.max_attempts)
        )
        with engine.begin() as conn:
            row = conn.execute(statement).first()
        if row is not None:
            return ClaimedJob(
                row.id, row.kind, row.payload, row.attempts, row.max_attempts, worker_id, reclaim
            )
    return None


def _claim_skip_locked(
    engine: Engine, conditions: list[ColumnElement[bool]], worker_id: str, lease_until: datetime
) -> ClaimedJob | None:
    with _claim_connection(engine) as conn, conn.begin():
        for reclaim, condition in zip((True, False), conditions, strict=True):
            row = conn.execute(
                select(
                    jobs.c.id,
                    jobs.c.kind,
                    jobs.c.payload,
                    jobs.c.attempts,
                    jobs.c.max_attempts,
                    jobs.c.locked_by,
                )
                .where(condition)
                .order_by(jobs.c.run_after)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                continue
            values = _claim_values(worker_id, lease_until)
            if reclaim:
                values["last_error"] = _LEASE_LOST + (row.locked_by or "?")
            conn.execute(update(jobs).where(jobs.c.id == row.id).values(**values))
            return ClaimedJob(
                row.id, row.kind, row.payload, row.attempts + 1, row.max_attempts, worker_id, reclaim
            )
    return None


def _claim_connection(engine: Engine) -> Connection:
    conn = engine.connect()
    if engine.dialect.name in ("mysql", "mariadb"):
        # REPEATABLE READ's gap locks on the (state, run_after) index would block concurrent enqueues.
        conn = conn.execution_options(isolation_level="READ COMMITTED")
    return conn


def _owned(job: ClaimedJob) -> ColumnElement[bool]:
    return and_(
        jobs.c.id == job.id,
        jobs.c.state == "running",
        jobs.c.locked_by == job.worker_id,
        jobs.c.attempts == job.attempts,
    )


def _write_if_owned(engine: Engine, job: ClaimedJob, values: dict[str, Any]) -> bool:
    with engine.begin() as conn:
        return conn.execute(update(jobs).where(_owned(job)).values(**values)).rowcount == 1


def extend_lease(
    engine: Engine, job: ClaimedJob, *, lease_seconds: float, now: datetime | None = None
) -> bool:
    """Heartbeat: push the lease forward; False when the claim was lost (another worker took the job)."""
    lease_until = (now or utcnow()) + timedelta(seconds=lease_seconds)
    return _write_if_owned(engine, job, {"lease_until": lease_until})


def complete(engine: Engine, job: ClaimedJob, *, now: datetime | None = None) -> bool:
    """Mark the job done; False when the claim was lost (the new owner's outcome stands)."""
    values = {"state": "done", "finished_at": now or utcnow(), "lease_until": None, "last_error": None}
    return _write_if_owned(engine, job, values)


def record_failure(
    engine: Engine,
    job: ClaimedJob,
    *,
    error: str,
    max_attempts: int,
    permanent: bool = False,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> str | None:
    """Requeue with backoff, or move to `dead` when permanent or out of attempts; the new state (None: lost)."""
    now = now or utcnow()
    values: dict[str, Any] = {"last_error": error[:ERROR_MAX_CHARS], "lease_until": None}
    if permanent or job.attempts >= max_attempts:
        values.update(state="dead", finished_at=now)
    else:
        delay = retry_delay(job.attempts, rng=rng)
        values.update(state="queued", locked_by=None, run_after=now + timedelta(seconds=delay))
    return values["state"] if _write_if_owned(engine, job, values) else None


def retry_delay(
    attempts: int,
    *,
    base: float = RETRY_BASE_SECONDS,
    cap: float = RETRY_MAX_SECONDS,
    rng: random.Random | None = None,
) -> float:
    """Exponential backoff with "equal jitter": half the step fixed, half random, so retries spread out."""
    step = min(cap, base * 2 ** max(0, attempts - 1))
    return step / 2 + (rng or _rng).uniform(0, step / 2)


def error_summary(exc: BaseException) -> str:
    """The exception line first (what `jobs list` shows), then the innermost frames."""
    message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    if not frames:
        return message[:ERROR_MAX_CHARS]
    trace = "".join(traceback.format_list(frames))
    return f"{message}\nTraceback (innermost frames):\n{trace}"[:ERROR_MAX_CHARS]
