"""Builds the ASGI app: one router per domain, one error handler, one body-size guard."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from pinhaven import __version__
from pinhaven.admission import AdmissionControl, Overloaded, admission_gate, sizing_problems
from pinhaven.config import Settings, load_settings
from pinhaven.context import AppContext, build_context
from pinhaven.deps import bind_bookmarks, text_guard
from pinhaven.errors import PinhavenError
from pinhaven.moderation.gate import browsing_gate

log = logging.getLogger("pinhaven")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def error_body(status: int, message: str, code: int | None = None) -> dict[str, Any]:
    return {"code": code if code is not None else status, "message": message}


class BodySizeLimit:
    """Answers 413 before reading more than `max_bytes` of a request body, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        received = 0
        response_started = too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if too_large:
                # The app caught the overflow while reading the body (FastAPI answers "error parsing the
                # body", 400): a streamed body over the limit is 413, as a declared one is.
                if message["type"] == "http.response.start" and not response_started:
                    response_started = True
                    await self._reject(send)
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        response = JSONResponse(
            error_body(413, f"Request body is larger than {self.max_bytes} bytes."), status_code=413
        )
        await response({"type": "http"}, _empty_receive, send)


class _BodyTooLarge(Exception):
    pass


async def _empty_receive() -> Message:
    return {"type": "http.request", "body": b""}


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/v5", "/ext/", "/media/", "/openapi.json", "/docs")):
        return False
    return "text/html" in request.headers.get("accept", "")


def _error_response(
    request: Request, status: int, message: str, code: int | None = None, *, retry_after: int | None = None
) -> Response:
    if _wants_html(request):
        from pinhaven.web.errors import error_page

        response = error_page(request, status, message)
    else:
        response = JSONResponse(error_body(status, message, code), status_code=status)
    if status == 429:
        retry_after = 60
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        location = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
        field = ".".join(location) or "request"
        parts.append(f"{field}: {error.get('msg', 'invalid')}")
    return "Invalid parameters: " + "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PinhavenError)
    async def pinhaven_error(request: Request, exc: PinhavenError) -> Response:
        retry_after = exc.retry_after_seconds if isinstance(exc, Overloaded) else None
        return _error_response(request, exc.status, exc.message, exc.error_code, retry_after=retry_after)

    @app.exception_handler(PoolTimeout)
    async def pool_timeout(request: Request, exc: PoolTimeout) -> Response:
        # Every pooled connection stayed busy for db_pool_timeout_seconds: the host is overloaded, not broken.
        log.warning("database pool exhausted on %s %s", request.method, request.url.path)
        retry_after = request.app.state.ctx.settings.admission_retry_after_seconds
        return _error_response(
            request, 503, f"The database is busy; retry in {retry_after} s.", retry_after=retry_after
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return _error_response(request, 400, _validation_message(exc), 1)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404 and message == "Not Found":
            message = "Not found."
        return _error_response(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if isinstance(exc, RecursionError):  # input nested deeper than some parser could follow
            response = _error_response(request, 400, "The request nests too deeply.", 1)
        else:
            response = _error_response(request, 500, "Internal error; it has been logged.")
        # Starlette re-raises after this response and the server then drops the connection: say so, so a
        # keep-alive client opens a new one instead of having its next request reset.
        response.headers["Connection"] = "close"
        return response


def create_app(settings: Settings | None = None, *, ctx: AppContext | None = None) -> FastAPI:
    """The whole application: /v5, /ext/v1, /media and the web pages over one context."""
    if ctx is None:
        ctx = build_context(settings or load_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from pinhaven.runtime import start_background, stop_background

        start_background(ctx)
        try:
            yield
        finally:
            stop_background(ctx)

    app = FastAPI(
        title="Pinhaven",
        version=__version__,
        description="Self-hosted visual discovery. `/v5` follows Pinterest API v5; `/ext/v1` adds what v5 lacks.",
        lifespan=lifespan,
        # A request that waited too long or whose client left never reaches a thread; NUL and control
        # characters in paths and queries: 400; bookmarks signed for their list
        dependencies=[
            Depends(admission_gate),
            Depends(text_guard),
            Depends(bind_bookmarks),
            Depends(browsing_gate),  # instance setting: signed-out visitors may browse, or must log in
        ],
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    for router in _routers():
        app.include_router(router)
    from pinhaven.web import mount_static

    mount_static(app)
    from pinhaven.openapi import install as install_openapi

    install_openapi(app)  # status codes as the server sends them (no 422s; 400/401/403/404/409/413/429)
    app.add_middleware(BodySizeLimit, max_bytes=ctx.settings.max_request_bytes)
    from pinhaven.safety.ratelimit import RateLimitHeaders

    app.add_middleware(RateLimitHeaders)  # X-RateLimit-* on token requests (safety/ratelimit.py)
    from pinhaven.stream.backpressure import Backpressure

    app.add_middleware(Backpressure, ctx=ctx)  # a write refused for load reads no body
    # outermost: above its in-flight budget a request costs one small 503 and nothing else
    app.add_middleware(AdmissionControl, settings=ctx.settings)
    if ctx.engine.dialect.name != "sqlite":  # (SQLite: one host, writers take turns anyway)
        pool = ctx.engine.pool
        capacity = pool.size() + getattr(pool, "_max_overflow", 0) if hasattr(pool, "size") else None
        for problem in sizing_problems(ctx.settings, capacity):
            log.warning("admission control: %s", problem)
    return app


def _routers() -> list[Any]:
    # One line per domain's HTTP layer.
    from pinhaven.accounts import api as accounts_api
    from pinhaven.accounts import lifecycle_api
    from pinhaven.ads import api as ads_api
    from pinhaven.ads import api_reports as ads_reports_api
    from pinhaven.ads import web as ads_web
    from pinhaven.boards import api as boards_api
    from pinhaven.boards import invitations_api, invitations_web
    from pinhaven.catalogs import api as catalogs_api
    from pinhaven.catalogs import web as catalogs_web
    from pinhaven.comments import api as comments_api
    from pinhaven.comments import web as comments_web
    from pinhaven.discovery import api as discovery_api
    from pinhaven.events import api as events_api
    from pinhaven.ingest import api as ingest_api
    from pinhaven.jobs import api as jobs_api
    from pinhaven.media import api as media_api
    from pinhaven.messages import api as messages_api
    from pinhaven.messages import web as messages_web
    from pinhaven.moderation import api as moderation_api
    from pinhaven.notifications import api as notifications_api
    from pinhaven.notifications import web as notifications_web
    from pinhaven.pins import api as pins_api
    from pinhaven.safety import api as safety_api
    from pinhaven.search.text import api as text_search_api
    from pinhaven.search.visual import api as visual_search_api
    from pinhaven.topics import api as topics_api
    from pinhaven.topics import web as topics_web
    from pinhaven.web import router as web_router

    # Pins first: routes are matched in order and a board's pins is the most requested (no two routers
    # claim the same method and path, so the order changes nothing else).
    return [
        pins_api.router,
        pins_api.ext_router,
        accounts_api.router,
        accounts_api.ext_router,
        lifecycle_api.router,
        boards_api.router,
        boards_api.ext_router,
        ingest_api.ext_router,
        events_api.router,
        discovery_api.router,
        text_search_api.router,
        visual_search_api.router,
        media_api.router,
        jobs_api.router,
        moderation_api.router,
        safety_api.router,
        ads_reports_api.router,
        ads_api.router,
        ads_api.ext_router,
        ads_web.router,
        topics_api.router,
        topics_web.router,
        catalogs_api.router,
        catalogs_web.router,
        comments_api.router,
        comments_web.router,
        notifications_api.router,
        notifications_web.router,
        notifications_web.open_router,
        invitations_api.router,
        invitations_web.router,
        messages_api.router,
        messages_web.router,
        web_router,
    ]
