"""FastAPI dependencies shared by every domain's HTTP layer: context, database session, viewer, scopes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.scopes import ANONYMOUS, Viewer, session_viewer
from pinhaven.accounts.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_valid, user_for_session_cookie
from pinhaven.context import AppContext
from pinhaven.errors import Forbidden, Unauthorized
from pinhaven.pagination import DEFAULT_PAGE_SIZE, PageParams

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed before the response is sent, rolled back on any error.

    GET/HEAD requests read only (see `AppContext.read_sessions`); anything they must record goes through
    its own short write transaction.
    """
    ctx = get_ctx(request)
    session = ctx.read_sessions() if request.method in SAFE_METHODS else ctx.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
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
                accounts_service.record_token_use(sessions=get_ctx(request).sessions, token_id=stale_token_id)
            else:  # the request already holds the write lock (SQLite): a second writer would wait for it
                accounts_service.stamp_token_use(db=db, token_id=stale_token_id)
        return viewer
    ctx = get_ctx(request)
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


def get_base_url(request: Request) -> str:
    """Absolute URL prefix for links in responses: the configured base URL, else the request's own."""
    configured = get_ctx(request).settings.base_url
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


def page_params(
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
