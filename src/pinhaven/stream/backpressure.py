"""Backpressure: write requests answer 503 + Retry-After while the instance is behind, instead of timing out.

"Behind" = queued jobs, unsent outbox rows or a durable consumer's unacknowledged events above their
settings. Reads (GET/HEAD/OPTIONS) always pass. A refused upload was never accepted (no 2xx), so nothing
acknowledged is lost.

Cost: the answer is kept per process and refreshed at most once a second, by a background thread (a write
request never waits for it, except the process's very first one). The queue check is a bounded count (it
stops after `limit + 1` queued jobs on the (state, run_after) index), so an overloaded queue of millions
of jobs costs the same as one at the threshold.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from pinhaven.context import AppContext

__all__ = ["Backpressure", "overload_reason", "queued_above"]

log = logging.getLogger("pinhaven.stream")
CHECK_TTL_SECONDS = 1.0
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXEMPT_PREFIXES = ("/ext/v1/health", "/static", "/media")


def overload_reason(ctx: AppContext) -> str | None:
    """Why writes should wait now, or None."""
    s = ctx.settings
    if s.backpressure_queue_depth > 0:
        from pinhaven.db.engine import session_scope

        with session_scope(ctx.read_sessions) as db:
            over = queued_above(db, s.backpressure_queue_depth)
        if over:
            return f"the job queue holds more than {s.backpressure_queue_depth} jobs"
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


def queued_above(db: Session, limit: int) -> bool:
    """Whether more than `limit` jobs are queued, reading at most limit + 1 index entries."""
    from pinhaven.jobs.models import Job

    first = select(Job.id).where(Job.state == "queued").limit(limit + 1).subquery()
    return int(db.scalar(select(func.count()).select_from(first)) or 0) > limit


class Backpressure:
    """ASGI middleware: 503 {code, message} with Retry-After for writes while `overload_reason` says so."""

    def __init__(self, app: ASGIApp, ctx: AppContext) -> None:
        self.app = app
        self.ctx = ctx
        self._checked = 0.0
        self._reason: str | None = None
        self._lock = threading.Lock()
        self._refreshing = False
        self.checks = 0  # how many times the state was read (tests, the benchmark)

    def _refresh(self) -> None:
        try:
            self._reason = overload_reason(self.ctx)
        except Exception:  # the database or bus is down: the write itself will say so
            log.warning("backpressure check failed", exc_info=True)
            self._reason = None
        finally:
            self.checks += 1
            self._refreshing = False

    def _current_reason(self) -> str | None:
        """The last answer; a stale one is refreshed in the background (the first is read in line)."""
        now = time.monotonic()
        if now - self._checked <= CHECK_TTL_SECONDS:
            return self._reason
        with self._lock:
            if self._refreshing or now - self._checked <= CHECK_TTL_SECONDS:
                return self._reason
            first, self._checked, self._refreshing = self._checked == 0.0, now, True
        if first:
            self._refresh()
        else:
            threading.Thread(target=self._refresh, name="backpressure-check", daemon=True).start()
        return self._reason

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in READ_METHODS
            or scope["path"].startswith(EXEMPT_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        if self._checked == 0.0:  # the first check reads the database: off the event loop
            from starlette.concurrency import run_in_threadpool

            reason = await run_in_threadpool(self._current_reason)
        else:
            reason = self._current_reason()
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
