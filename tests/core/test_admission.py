"""Admission control (admission.py): bounded work per process, fast 503s above it, nothing run for nobody.

Requests held in flight by a route that blocks its thread until released; real endpoints beside it. The pool
timeout runs against the real PostgreSQL with every pooled connection checked out.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import Body, FastAPI
from starlette.types import Message
from tests.factories import Account, make_account

from pinhaven.admission import AdmissionControl, sizing_problems
from pinhaven.app import create_app
from pinhaven.config import Settings
from pinhaven.context import AppContext, build_context

HOLD_SECONDS = 10.0  # a held request never outlives a failing test by more than this


class Held:
    """Routes whose handlers block their thread until `release()`, counting how many ran."""

    def __init__(self, app: FastAPI) -> None:
        self.release_event = threading.Event()
        self.started = 0
        self.lock = threading.Lock()

        def hold() -> dict[str, str]:
            with self.lock:
                self.started += 1
            self.release_event.wait(HOLD_SECONDS)
            return {"held": "done"}

        def hold_write(payload: dict[str, Any] = Body(default_factory=dict)) -> dict[str, str]:
            return hold()

        app.add_api_route("/test/hold", hold, methods=["GET"])
        app.add_api_route("/test/hold", hold_write, methods=["POST"])

    def release(self) -> None:
        self.release_event.set()


def admission_of(app: FastAPI) -> AdmissionControl:
    """The AdmissionControl instance of a built app (Starlette builds the middleware stack on first call)."""
    layer: Any = app.middleware_stack
    while layer is not None and not isinstance(layer, AdmissionControl):
        layer = getattr(layer, "app", None)
    assert layer is not None
    return layer


T = TypeVar("T")


def limited_app(settings: Settings, **limits: Any) -> tuple[AppContext, FastAPI, Held]:
    ctx = build_context(settings.with_overrides(**limits))
    app = create_app(ctx=ctx)
    return ctx, app, Held(app)


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def run(scenario: Callable[[httpx.AsyncClient], Awaitable[None]], app: FastAPI) -> None:
    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await scenario(client)

    run_coroutine(main())


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in its own thread: a session-scoped Playwright browser in this test process keeps an event
    loop running in the main thread, where asyncio.run() refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_reads_above_the_limit_get_503_with_retry_after_and_service_recovers(
    settings: Settings, tmp_path: Path
) -> None:
    ctx, app, held = limited_app(settings, admission_read_limit=2, admission_retry_after_seconds=3)
    account = make_account(ctx, "alice")

    async def scenario(client: httpx.AsyncClient) -> None:
        holders = [asyncio.create_task(client.get("/test/hold")) for _ in range(2)]
        await until(lambda: held.started == 2)
        refused = await client.get("/v5/boards", headers=account.headers)
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "3"
        body = refused.json()
        assert body["code"] == 503 and "capacity" in body["message"]
        assert held.started == 2  # the refused request ran nothing
        held.release()
        assert [(await h).status_code for h in holders] == [200, 200]
        again = await client.get("/v5/boards", headers=account.headers)  # budget back: served again
        assert again.status_code == 200, again.text
        assert admission_of(app).shed["read"] == 1
        assert admission_of(app).in_flight["read"] == 0

    try:
        run(scenario, app)
    finally:
        held.release()
        ctx.engine.dispose()


def test_reads_keep_working_while_writes_are_shed(settings: Settings) -> None:
    ctx, app, held = limited_app(settings, admission_read_limit=4, admission_write_limit=1)
    account = make_account(ctx, "alice")

    async def scenario(client: httpx.AsyncClient) -> None:
        made = await client.post("/v5/boards", json={"name": "Kitchens"}, headers=account.headers)
        assert made.status_code == 201, made.text
        board_id = made.json()["id"]
        holder = asyncio.create_task(client.post("/test/hold", json={}))
        await until(lambda: held.started == 1)
        shed = await client.post("/v5/boards", json={"name": "Gardens"}, headers=account.headers)
        assert shed.status_code == 503 and shed.headers["retry-after"] == "1"
        for _ in range(3):  # reads go through their own budget
            read = await client.get(f"/v5/boards/{board_id}", headers=account.headers)
            assert read.status_code == 200, read.text
        held.release()
        assert (await holder).status_code == 200
        later = await client.post("/v5/boards", json={"name": "Gardens"}, headers=account.headers)
        assert later.status_code == 201, later.text

    try:
        run(scenario, app)
    finally:
        held.release()
        ctx.engine.dispose()


async def _call(
    app: FastAPI, scope: dict[str, Any], receive: Callable[[], Awaitable[Message]]
) -> list[Message]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def _scope(method: str, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test"), *(headers or [])],
        "client": ("127.0.0.1", 5000),
        "server": ("test", 80),
        "state": {},
    }


def test_a_disconnected_clients_request_does_not_run_its_handler(settings: Settings) -> None:
    ctx, app, held = limited_app(settings)
    held.release()  # a handler that does run returns at once

    async def gone_at_once() -> Message:  # the client left while its request waited to be read
        return messages.pop(0)

    messages: list[Message] = [
        {"type": "http.request", "body": b"", "more_body": False},
        {"type": "http.disconnect"},
    ]
    try:
        sent = run_coroutine(_call(app, _scope("GET", "/test/hold"), gone_at_once))
        assert held.started == 0 and sent == []
        assert admission_of(app).dropped == 1

        # Gone while its body was being read (after admission): the gate, on the event loop, drops it.
        body = b'{"a": 1}'
        delivered = False

        async def slow_body_then_gone() -> Message:
            nonlocal delivered
            if not delivered:
                await asyncio.sleep(0.05)  # nothing yet: the middleware's peek is cancelled and moves on
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        sent = run_coroutine(_call(app, _scope("POST", "/test/hold", headers), slow_body_then_gone))
        assert held.started == 0
        assert not any(m.get("status") == 200 for m in sent)
    finally:
        ctx.engine.dispose()


def test_a_request_that_waited_past_the_deadline_is_answered_503_without_running(settings: Settings) -> None:
    ctx, app, held = limited_app(settings, admission_queue_deadline_seconds=0.05)
    held.release()
    body = b"{}"
    delivered = False

    async def slow_body() -> Message:  # the request sat 0.2 s before it could run
        nonlocal delivered
        if not delivered:
            await asyncio.sleep(0.2)  # (the middleware's peek is cancelled here; the app's read waits)
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(HOLD_SECONDS)
        return {"type": "http.disconnect"}

    headers = [(b"content-type", b"application/json"), (b"content-length", b"2")]
    try:
        sent = run_coroutine(_call(app, _scope("POST", "/test/hold", headers), slow_body))
        start = next(m for m in sent if m["type"] == "http.response.start")
        assert start["status"] == 503
        assert (b"retry-after", b"1") in start["headers"]
        assert held.started == 0
    finally:
        ctx.engine.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_database_pool_timeout_is_a_503_with_retry_after(settings: Settings) -> None:
    ctx, app, held = limited_app(settings, db_pool_timeout_seconds=0.3, admission_retry_after_seconds=2)
    held.release()
    account: Account = make_account(ctx, "alice")
    pool = ctx.engine.pool
    taken = [ctx.engine.connect() for _ in range(pool.size() + pool._max_overflow)]

    async def scenario(client: httpx.AsyncClient) -> None:
        busy = await client.get("/v5/boards", headers=account.headers)
        assert busy.status_code == 503, busy.text
        assert busy.headers["retry-after"] == "2"
        assert busy.json() == {"code": 503, "message": "The database is busy; retry in 2 s."}
        for connection in taken:
            connection.close()
        assert (await client.get("/v5/boards", headers=account.headers)).status_code == 200

    try:
        run(scenario, app)
    finally:
        for connection in taken:
            connection.close()
        ctx.engine.dispose()


def test_sizing_problems_name_the_pool_that_is_too_small(settings: Settings) -> None:
    assert sizing_problems(settings, 30) == []  # the defaults fit the default pools
    too_many = settings.with_overrides(admission_read_limit=30, admission_write_limit=20)
    problems = sizing_problems(too_many, 30)
    assert any("database pool (30 connections)" in p for p in problems)
    assert any("thread pool (40)" in p for p in problems)
    assert sizing_problems(settings.with_overrides(admission_read_limit=0), 30)
