"""App-wide dependency: when an admin turns anonymous browsing off, signed-out visitors get 401 on the API
and are sent to log in on pages, except for the few paths needed to sign in."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from pinhaven.deps import ctx_of, get_viewer
from pinhaven.errors import Unauthorized
from pinhaven.moderation import instance

OPEN_PATHS = frozenset(
    {"/login", "/signup", "/logout", "/ext/v1/health", "/openapi.json", "/docs", "/favicon.ico"}
)
OPEN_PREFIXES = ("/static/",)


async def browsing_gate(request: Request) -> None:
    ctx = ctx_of(request)
    settings = instance.fresh(ctx.services)
    if settings is None:
        settings = await run_in_threadpool(instance.cached, ctx.services, ctx.read_sessions)
    if settings.anonymous_browsing:
        return
    path = request.url.path
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return
    viewer = await get_viewer(request)  # the same resolution the routes make (401 on a bad token)
    if viewer.is_anonymous:
        raise Unauthorized("Log in to browse this instance.")
