"""Tables of the jobs domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, IdMixin, utcnow

JOB_STATES = ("queued", "running", "done", "dead")


class Job(IdMixin, Base):
    """A unit of background work, inserted in the same transaction as the record it serves."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_run_after", "state", "run_after"),)

    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    # None: the worker's `job_max_attempts` setting decides.
    max_attempts: Mapped[int | None] = mapped_column(nullable=True)
    # When a queued job becomes due (moved forward by retry backoff).
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    # A running job belongs to `locked_by` until `lease_until`; after that any worker may take it over.
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)
    locked_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)  # message + traceback summary
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
