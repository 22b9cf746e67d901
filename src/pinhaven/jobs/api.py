"""HTTP: GET /ext/v1/health — database reachability and job queue depth, for load balancers and alerts."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from sqlalchemy.exc import SQLAlchemyError

from pinhaven.db.engine import session_scope
from pinhaven.deps import Ctx
from pinhaven.jobs import service
from pinhaven.jobs.schemas import Health, QueueHealth

router = APIRouter(prefix="/ext/v1", tags=["health"])
log = logging.getLogger("pinhaven.jobs")


@router.get("/health", response_model=Health)
def health(ctx: Ctx, response: Response) -> Health:
    """`ok`, or `degraded` when the queue has a backlog (503 when the database is unreachable)."""
    try:
        with session_scope(ctx.read_sessions) as db:
            depth = service.depth(db=db)
    except SQLAlchemyError as exc:
        log.warning("health: database unavailable: %s", exc)
        response.status_code = 503
        return Health(status="degraded", database="unavailable", queue=None)
    backlog = depth.queued > ctx.settings.queue_backlog_warning
    queue = QueueHealth(
        queued=depth.queued,
        running=depth.running,
        dead=depth.dead,
        oldest_queued_seconds=round(depth.oldest_queued_seconds, 3),
        backlog=backlog,
    )
    from pinhaven.stream.service import status as stream_status

    stream = stream_status(ctx)
    behind = stream is not None and (
        stream["bus"] != "ok" or stream["outbox_backlog"] > ctx.settings.queue_backlog_warning
    )
    return Health(status="degraded" if backlog or behind else "ok", database="ok", queue=queue, stream=stream)
