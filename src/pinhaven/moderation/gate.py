"""App-wide dependency: when an admin turns anonymous browsing off, signed-out visitors get 401 on the API
and are sent to log in on pages, except for the few paths needed to sign in."""

from __future__ import annotations

from functools import partial

from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from pinhaven.accounts import sessions as web_sessions
from pinhaven.accounts.sessions import SESSION_COOKIE
from pinhaven.context import AppContext
from pinhaven.deps import ctx_of, get_viewer
from pinhaven.errors import Unauthorized
from pinhaven.moderation import instance

OPEN_PATHS = frozenset(
    {"/login", "/signup", "/logout", "/ext/v1/health", "/openapi.json", "/docs", "/favicon.ico"}
)
OPEN_PREFIXES = ("/static/",)


async def browsing_gate(request: Request) -> None:
    path = request.url.path
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return
    ctx = ctx_of(request)
    settings = instance.fresh(ctx.services)
    if settings is None:
        try:
            settings = await run_in_threadpool(instance.cached, ctx.services, ctx.read_sessions)
        except SQLAlchemyError:
            return  # the database is unreachable: the route answers for itself (503, ...), as it would anyway
    if settings.anonymous_browsing:
        return
    if request.headers.get("authorization"):
        await get_viewer(request)  # the routes' own resolution: 401 for a bad or revoked token
        return
    if not await _signed_in(ctx, request.cookies.get(SESSION_COOKIE)):
        raise Unauthorized("Log in to browse this instance.")


async def _signed_in(ctx: AppContext, cookie: str | None) -> bool:
    """A live web session (no CSRF check here: the routes check it, from a header or their form)."""
    if not cookie:
        return False
    session, known = web_sessions.cached_session(ctx=ctx, cookie=cookie)
    if not known:
        session = await run_in_threadpool(partial(web_sessions.resolve, ctx=ctx, cookie=cookie))
    return session is not None
