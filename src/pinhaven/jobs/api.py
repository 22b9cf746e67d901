"""HTTP: GET /ext/v1/health — database reachability and job queue depth, for load balancers and alerts."""

from __future__ import annotations

import hmac
import logging
from ipaddress import ip_address
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.exc import SQLAlchemyError

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.deps import Ctx
from pinhaven.errors import NotFound
from pinhaven.jobs import service
from pinhaven.jobs.schemas import Health, PublicHealth, QueueHealth

router = APIRouter(prefix="/ext/v1", tags=["health"])
log = logging.getLogger("pinhaven.jobs")


_PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def is_operator(request: Request, health_token: str) -> bool:
    """May this caller see queue depths and the like? With the operator token (`PINHAVEN_HEALTH_TOKEN`),
    or from this machine directly: a loopback address and no proxy header (behind a local reverse proxy
    every request comes from loopback, and the proxy adds one of those headers)."""
    given = request.headers.get("x-health-token")
    if health_token and given is not None:
        return hmac.compare_digest(given.encode(), health_token.encode())
    if any(name in request.headers for name in _PROXY_HEADERS):
        return False
    host = request.client.host if request.client else ""
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


@router.get("/health", response_model=Health | PublicHealth)
def health(ctx: Ctx, request: Request, response: Response) -> Health | PublicHealth:
    """Health check for load balancers and alerts: `ok`, or `degraded` when the job queue or the event outbox
    has a backlog or the event bus is down; 503 (still `degraded`, `database: unavailable`) when the
    database cannot be reached. No sign-in needed, and open even when anonymous browsing is off. Only
    operators see the details (`database`, `queue`, `stream`): callers with the `X-Health-Token` header
    matching `PINHAVEN_HEALTH_TOKEN`, or requests from this machine's loopback address with no proxy
    header; queue depths would tell strangers when others act. Errors: 503 when the database is unreachable
    or the server sheds load.
    """
    report = _report(ctx, response)
    if is_operator(request, ctx.settings.health_token):
        return report
    return PublicHealth(status=report.status)


def _report(ctx: AppContext, response: Response) -> Health:
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


@router.get("/health/process", include_in_schema=False)
def process_health(ctx: Ctx, request: Request) -> dict[str, Any]:
    """Operators only: the answering process's pid, RSS and garbage-collector pauses (`pinhaven.gcstats`).
    With several server processes, each connection reaches one of them (bench/gc_pauses.py asks each)."""
    if not is_operator(request, ctx.settings.health_token):
        raise NotFound("no such page")
    from pinhaven.gcstats import snapshot

    return snapshot()
