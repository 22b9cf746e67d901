"""Admission control: each process works on a bounded number of requests and sheds the rest at once.

Without it a host under a spike accepts everything: uvicorn reads every request, FastAPI queues the sync
handlers for a 40-thread pool, handlers queue again for 30 database connections, and a client that gives up
does not cancel a handler already queued. The host then spends minutes on answers nobody waits for
(docs/BENCHMARKS.md, "Spike"). Here:

- reads (GET/HEAD/OPTIONS) and writes have separate in-flight budgets (`admission_read_limit`,
  `admission_write_limit`), so a burst of writes never starves reads and the other way round. Above its budget a
  request is answered 503 {code, message} + Retry-After at once, before its body is read: a few hundred
  microseconds on the event loop.
- `admission_gate` (an app-level dependency, the last thing on the event loop before the handler goes to the
  thread pool) answers 503 without running the handler when the request has waited longer than
  `admission_queue_deadline_seconds` since it arrived, and drops it when its client has disconnected.

Budgets should fit the pools behind them: reads + writes + worker threads (+ a few for the relay and consumers)
at most the database pool (10 + 20 overflow connections) and the thread pool (40), so an admitted request
never waits long for either (`sizing_problems` says when they do not).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass

import anyio
from fastapi import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pinhaven.config import Settings
from pinhaven.errors import PinhavenError, ServiceUnavailable

__all__ = [
    "AdmissionControl",
    "ClientGone",
    "Overloaded",
    "PeekableReceive",
    "admission_gate",
    "sizing_problems",
]

log = logging.getLogger("pinhaven.admission")
SCOPE_KEY = "pinhaven.admission"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Operators must see the health of an overloaded host; static files cost next to nothing.
EXEMPT_PREFIXES = ("/ext/v1/health", "/static/", "/notifications/stream")  # (+ the bell's long-lived stream)
THREAD_POOL_SIZE = 40  # anyio's default limiter, which FastAPI's sync handlers and dependencies share
BACKGROUND_CONNECTIONS = 4  # relay, consumers, backpressure check, cache refreshers (roughly)


class Overloaded(ServiceUnavailable):
    """The process is at capacity: retry after `retry_after_seconds`."""

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class ClientGone(PinhavenError):
    """The client disconnected before the handler ran: nobody would read the answer (nginx's 499)."""

    status = 499


class PeekableReceive:
    """An ASGI receive channel that can tell, without waiting, whether the client has disconnected.

    Peeking consumes the messages already waiting (a body chunk, then perhaps `http.disconnect`); they are kept
    and handed to the app, in order, by its next receive calls.
    """

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._kept: list[Message] = []
        self.disconnected = False

    async def __call__(self) -> Message:
        if self._kept:
            return self._kept.pop(0)
        return await self._receive()

    async def client_gone(self) -> bool:
        while not self.disconnected:
            message: Message = {}
            with anyio.CancelScope() as waiting:
                waiting.cancel()  # take only what is already there: a receive that would wait is cancelled
                message = await self._receive()
            if waiting.cancelled_caught or not message:
                return False
            self._kept.append(message)
            if message["type"] == "http.disconnect":
                self.disconnected = True
            elif message.get("more_body", False):
                return False  # body still arriving: a disconnect would queue behind it, unseen now
        return True


@dataclass
class Admission:
    """What the middleware leaves in the request's scope for `admission_gate`."""

    arrived: float  # time.monotonic() when the middleware saw the request
    receive: PeekableReceive
    deadline_seconds: float
    retry_after_seconds: int


class AdmissionControl:
    """Pure ASGI middleware: per-process in-flight budgets for reads and writes; 503 + Retry-After above them."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.limits = {"read": settings.admission_read_limit, "write": settings.admission_write_limit}
        self.in_flight: Counter[str] = Counter()
        self.shed: Counter[str] = Counter()  # answered 503 for the budget (monitoring and tests)
        self.dropped = 0  # clients gone before their handler ran
        self.deadline_seconds = settings.admission_queue_deadline_seconds
        self.retry_after_seconds = settings.admission_retry_after_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        kind = "read" if scope["method"] in READ_METHODS else "write"
        limit = self.limits[kind]
        # One event loop per process and no await between the test and the increment: no lock needed.
        if 0 < limit <= self.in_flight[kind]:
            self.shed[kind] += 1
            await self._refuse(kind, scope, receive, send)
            return
        arrived = time.monotonic()
        self.in_flight[kind] += 1
        try:
            peekable = PeekableReceive(receive)
            if await peekable.client_gone():
                self.dropped += 1
                return  # nobody to answer (uvicorn sends nothing to a closed connection)
            scope[SCOPE_KEY] = Admission(
                arrived=arrived,
                receive=peekable,
                deadline_seconds=self.deadline_seconds,
                retry_after_seconds=self.retry_after_seconds,
            )
            await self.app(scope, peekable, send)
        finally:
            self.in_flight[kind] -= 1

    async def _refuse(self, kind: str, scope: Scope, receive: Receive, send: Send) -> None:
        retry_after = str(self.retry_after_seconds)
        response = JSONResponse(
            {
                "code": 503,
                "message": f"This server is at capacity ({self.limits[kind]} {kind}s in progress); "
                f"retry in {retry_after} s.",
            },
            status_code=503,
            headers={"Retry-After": retry_after},
        )
        await response(scope, receive, send)


async def admission_gate(request: Request) -> None:
    """Before the handler takes a thread: 503 when the request waited too long, nothing when its client left.

    Async on purpose: it runs on the event loop, so a request refused here never occupies a thread.
    """
    admission: Admission | None = request.scope.get(SCOPE_KEY)
    if admission is None:  # exempt path, or an app built without the middleware
        return
    waited = time.monotonic() - admission.arrived
    if 0 < admission.deadline_seconds < waited:
        raise Overloaded(
            f"The request waited {waited:.1f} s for this busy server; retry in {admission.retry_after_seconds} s.",
            retry_after_seconds=admission.retry_after_seconds,
        )
    if await admission.receive.client_gone():
        raise ClientGone("The client disconnected before its request ran.")


def sizing_problems(settings: Settings, db_pool_capacity: int | None) -> list[str]:
    """Why the admission budgets do not fit the pools behind them (empty when they do)."""
    budgets = settings.admission_read_limit + settings.admission_write_limit
    if settings.admission_read_limit <= 0 or settings.admission_write_limit <= 0:
        return ["an admission budget is 0 (unlimited): a spike queues without bound"]
    problems = []
    needed = budgets + settings.worker_threads + BACKGROUND_CONNECTIONS
    if db_pool_capacity is not None and needed > db_pool_capacity:
        problems.append(
            f"admission budgets {budgets} + {settings.worker_threads} worker threads + {BACKGROUND_CONNECTIONS} "
            f"background users exceed the database pool ({db_pool_capacity} connections): admitted requests will "
            f"wait for connections"
        )
    if budgets > THREAD_POOL_SIZE:
        problems.append(
            f"admission budgets {budgets} exceed the thread pool ({THREAD_POOL_SIZE}): admitted requests will "
            "wait for threads"
        )
    return problems
