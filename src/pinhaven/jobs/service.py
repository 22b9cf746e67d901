"""Enqueue background work. Jobs are rows written in the caller's transaction: committed together or not at all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from pinhaven.db.base import utcnow
from pinhaven.jobs.models import Job

DEFAULT_MAX_ATTEMPTS = 5


def enqueue(
    *,
    db: Session,
    kind: str,
    payload: dict[str, Any],
    run_after: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Job:
    """Add a job in the current transaction; payloads carry ids only (handlers re-fetch)."""
    job = Job(kind=kind, payload=payload, run_after=run_after or utcnow(), max_attempts=max_attempts)
    db.add(job)
    db.flush()
    return job
