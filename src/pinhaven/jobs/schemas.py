"""Response models of the jobs domain (the health report)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


class QueueHealth(BaseModel):
    queued: int
    running: int
    dead: int
    oldest_queued_seconds: float  # how long the longest-waiting due job has waited
    backlog: bool  # queued > the queue_backlog_warning setting (uploads are still accepted)


class PublicHealth(BaseModel):
    """What anyone may know: whether the instance is well (see `jobs.api.is_operator` for the rest)."""

    status: Literal["ok", "degraded"]


class Health(BaseModel):
    """The operators' report."""

    status: Literal["ok", "degraded"]
    database: Literal["ok", "unavailable"]
    queue: QueueHealth | None  # None when the database is unavailable
    # With PINHAVEN_EVENT_BUS_URL: outbox_backlog, outbox_oldest_seconds, bus, consumers {name: lag}; else None
    stream: dict[str, Any] | None = None
