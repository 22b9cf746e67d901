"""Backpressure: write requests answer 503 + Retry-After while the instance is behind, instead of timing out.

"Behind" = queued jobs, unsent outbox rows or a durable consumer's unacknowledged events above their
settings. Reads (GET/HEAD/OPTIONS) always pass. The check is cached for a second per process, so it costs
a request nothing measurable. A refused upload was never accepted (no 2xx), so nothing acknowledged is lost.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from pinhaven.context import AppContext

__all__ = ["Backpressure", "overload_reason"]

log = logging.getLogger("pinhaven.stream")
CHECK_TTL_SECONDS = 1.0
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXEMPT_PREFIXES = ("/ext/v1/health", "/static", "/media")


def overload_reason(ctx: AppContext) -> str | None:
    """Why writes should wait now, or None."""
    s = ctx.settings
    if s.backpressure_queue_depth > 0:
        from pinhaven.db.engine import session_scope
        from pinhaven.jobs import service as jobs

        with session_scope(ctx.read_sessions) as db:
            queued = jobs.depth(db=db).queued
        if queued > s.backpressure_queue_depth:
            return f"the job queue holds {queued} jobs (limit {s.backpressure_queue_depth})"
    if not s.event_bus_url:
        return None
    from pinhaven.stream.service import status

    state = status(ctx, max_age=CHECK_TTL_SECONDS)
    if state is None:
        return None
    if s.backpressure_outbox_backlog > 0 and state["outbox_backlog"] > s.backpressure_outbox_backlog:
        return (
            f"{state['outbox_backlog']} events wait to be published (limit {s.backpressure_outbox_backlog})"
        )
    if s.backpressure_stream_lag > 0:
        for name, lag in state["consumers"].items():
            behind = (lag["pending"] + lag["ack_pending"]) if lag else 0
            if behind > s.backpressure_stream_lag:
                return f"the {name} consumer is {behind} events behind (limit {s.backpressure_stream_lag})"
    return None


class Backpressure:
    """ASGI middleware: 503 {code, message} with Retry-After for writes while `overload_reason` says so."""

    def __init__(self, app: ASGIApp, ctx: AppContext) -> None:
        self.app = app
        self.ctx = ctx
        self._checked = 0.0
        self._reason: str | None = None

    def _current_reason(self) -> str | None:
        now = time.monotonic()
        if now - self._checked > CHECK_TTL_SECONDS:
            self._checked = now
            try:
                self._reason = overload_reason(self.ctx)
            except Exception:  # the database or bus is down: the write itself will say so
                log.warning("backpressure check failed", exc_info=True)
                self._reason = None
        return self._reason

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in READ_METHODS
            or scope["path"].startswith(EXEMPT_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        from starlette.concurrency import run_in_threadpool

        reason = await run_in_threadpool(self._current_reason)
        if reason is None:
            await self.app(scope, receive, send)
            return
        from starlette.responses import JSONResponse

        retry_after = str(self.ctx.settings.backpressure_retry_after_seconds)
        response = JSONResponse(
            {"code": 503, "message": f"Pinhaven is catching up ({reason}); retry in {retry_after} s."},
            status_code=503,
            headers={"Retry-After": retry_after},
        )
        await response(scope, receive, send)
