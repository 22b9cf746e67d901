"""FastAPI dependencies shared by every domain's HTTP layer: context, database session, viewer, scopes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.scopes import ANONYMOUS, Viewer, session_viewer
from pinhaven.accounts.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_valid, user_for_session_cookie
from pinhaven.context import AppContext
from pinhaven.errors import Forbidden, Unauthorized
from pinhaven.pagination import DEFAULT_PAGE_SIZE, PageParams

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Cheap dependencies are `async def`: FastAPI runs plain `def` dependencies in the thread pool, and each hop
# costs more than the work itself. Anything that touches the database stays sync (thread pool).


def ctx_of(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


async def get_ctx(request: Request) -> AppContext:
    return ctx_of(request)


Ctx = Annotated[AppContext, Depends(get_ctx)]


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed before the response is sent, rolled back on any error.

    GET/HEAD requests read only (see `AppContext.read_sessions`); anything they must record goes through
    its own short write transaction. A session does no I/O until first used, so it is opened on the event
    loop; the commit or rollback runs in the thread pool.
    """
    ctx: AppContext = request.app.state.ctx
    read_only = request.method in SAFE_METHODS
    session = ctx.read_sessions() if read_only else ctx.sessions()
    try:
        yield session
        await run_in_threadpool(_close if read_only else _commit_and_close, session)
    except BaseException:
        await run_in_threadpool(session.close)
        raise


def _close(session: Session) -> None:
    session.close()


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


# scope="function": the commit runs before the response goes out, so a failed commit is never a 200.
DbSession = Annotated[Session, Depends(get_db, scope="function")]


def get_viewer(request: Request, db: DbSession) -> Viewer:
    """Bearer token first; else the web session cookie (CSRF-checked on writes); else anonymous."""
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Authentication failed: use 'Authorization: Bearer <token>'.")
        viewer, stale_token_id = accounts_service.viewer_for_token(db=db, plaintext=token.strip())
        if stale_token_id is not None:
            if request.method in SAFE_METHODS:  # the request's session is read-only: stamp in a short one
                accounts_service.record_token_use(sessions=ctx_of(request).sessions, token_id=stale_token_id)
            else:  # the request already holds the write lock (SQLite): a second writer would wait for it
                accounts_service.stamp_token_use(db=db, token_id=stale_token_id)
        return viewer
    ctx = ctx_of(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    user = user_for_session_cookie(db=db, secret_key=ctx.settings.secret_key, cookie=cookie)
    if user is None:
        return ANONYMOUS
    if request.method not in SAFE_METHODS and not csrf_valid(
        secret_key=ctx.settings.secret_key, binding=cookie, token=request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden("Missing or invalid CSRF token.")
    return session_viewer(user.id)


CurrentViewer = Annotated[Viewer, Depends(get_viewer)]


async def get_base_url(request: Request) -> str:
    """Absolute URL prefix for links in responses: the configured base URL, else the request's own."""
    configured = ctx_of(request).settings.base_url
    return configured or str(request.base_url).rstrip("/")


BaseUrl = Annotated[str, Depends(get_base_url)]


def get_bearer_viewer(request: Request, db: DbSession) -> Viewer:
    """/v5 takes bearer tokens only (as Pinterest does)."""
    if not request.headers.get("authorization"):
        raise Unauthorized("Authentication failed: an 'Authorization: Bearer <token>' header is required.")
    return get_viewer(request, db)


class Scopes:
    """Route dependency: the caller must be signed in and hold every listed scope."""

    def __init__(self, *required: str, bearer_only: bool = False) -> None:
        self.required = required
        self.bearer_only = bearer_only

    def __call__(self, request: Request, db: DbSession) -> Viewer:
        viewer = get_bearer_viewer(request, db) if self.bearer_only else get_viewer(request, db)
        if viewer.is_anonymous:
            raise Unauthorized("Authentication required.")
        missing = [s for s in self.required if not viewer.has(s)]
        if missing:
            raise Forbidden(f"Your token lacks the scope(s): {', '.join(missing)}.")
        return viewer


def v5_scopes(*required: str) -> Scopes:
    return Scopes(*required, bearer_only=True)


async def page_params(
    page_size: Annotated[int, Query()] = DEFAULT_PAGE_SIZE,
    bookmark: Annotated[str | None, Query(max_length=512)] = None,
) -> PageParams:
    return PageParams(page_size=page_size, bookmark=bookmark)


Pagination = Annotated[PageParams, Depends(page_params)]


def user_id_of(viewer: Viewer) -> int:
    """The viewer's user id; Unauthorized for anonymous callers."""
    if viewer.user_id is None:
        raise Unauthorized("Authentication required.")
    return viewer.user_id
