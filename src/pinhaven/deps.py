"""FastAPI dependencies shared by every domain's HTTP layer: context, database session, viewer, scopes."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from functools import lru_cache, partial
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts import sessions as web_sessions
from pinhaven.accounts.scopes import ANONYMOUS, Viewer, session_viewer
from pinhaven.accounts.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_valid
from pinhaven.accounts.token_cache import tokens_of
from pinhaven.context import AppContext
from pinhaven.errors import Forbidden, InvalidInput, Unauthorized
from pinhaven.pagination import DEFAULT_PAGE_SIZE, PageParams, bind_request, bookmark_key
from pinhaven.safety import ratelimit as api_rate
from pinhaven.text_rules import text_problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
T = TypeVar("T")


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


async def in_read_session(ctx: AppContext, work: Callable[[Session], T]) -> T:
    """Run `work` in one read-only transaction of its own, in one thread-pool hop.

    For hot read endpoints: `DbSession` plus a sync endpoint costs two hops (the endpoint, then the close).
    """

    def run() -> T:
        with ctx.read_sessions() as db:
            return work(db)

    return await run_in_threadpool(run)


def json_response(body: bytes, status_code: int = 200) -> Response:
    """A response from JSON already serialised (skips FastAPI's validate-then-serialise of the model)."""
    return Response(content=body, status_code=status_code, media_type="application/json")


def _close(session: Session) -> None:
    session.close()


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


# scope="function": the commit runs before the response goes out, so a failed commit is never a 200.
DbSession = Annotated[Session, Depends(get_db, scope="function")]


async def get_viewer(request: Request) -> Viewer:
    """Bearer token first; else the web session cookie (CSRF-checked on writes); else anonymous.

    Resolved before, and apart from, the request's own transaction: a cached token costs no database access
    and no thread-pool hop (see `accounts.token_cache`; with Redis, one round trip made on the event loop,
    cheaper than the thread hop it saves).
    """
    authorization = request.headers.get("authorization")
    if authorization:
        return await _token_viewer(request, authorization)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return ANONYMOUS
    ctx = ctx_of(request)
    session, known = web_sessions.cached_session(ctx=ctx, cookie=cookie)  # no I/O but the cache's
    if not known:
        session = await run_in_threadpool(partial(web_sessions.resolve, ctx=ctx, cookie=cookie))
    if session is None:
        return ANONYMOUS
    if request.method not in SAFE_METHODS and not csrf_valid(
        secret_key=ctx.settings.secret_key, binding=cookie, token=request.headers.get(CSRF_HEADER)
    ):
        raise Forbidden("Missing or invalid CSRF token.")
    request.state.web_session = session
    return session_viewer(session.user_id)


async def _token_viewer(request: Request, authorization: str) -> Viewer:
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Authentication failed: use 'Authorization: Bearer <token>'.")
    ctx = ctx_of(request)
    tokens = tokens_of(ctx)
    viewer = accounts_service.cached_viewer(tokens=tokens, plaintext=token)
    if viewer is None:
        viewer = await run_in_threadpool(
            partial(
                accounts_service.resolve_token,
                read_sessions=ctx.read_sessions,
                sessions=ctx.sessions,
                tokens=tokens,
                plaintext=token,
            )
        )
    # The token's API allowance (429 over it; the numbers become X-RateLimit-* headers): safety/ratelimit.py
    api_rate.take(ctx, request.state, hashlib.sha256(token.encode()).hexdigest())
    return viewer


CurrentViewer = Annotated[Viewer, Depends(get_viewer)]


async def text_guard(request: Request) -> None:
    """App-wide: path parameters and query values must be storable text (see `text_rules`), for every route.

    Path parameters are single-line; query values (search queries) may hold tabs and line breaks.
    """
    for name, value in request.path_params.items():
        if isinstance(value, str) and (problem := text_problem(value, multiline=False)):
            raise InvalidInput(problem, field=name)
    for name, value in request.query_params.multi_items():
        if text_problem(name, multiline=False):
            raise InvalidInput("query parameter names must not contain control characters")
        if problem := text_problem(value, multiline=True):
            raise InvalidInput(problem, field=name)


async def bind_bookmarks(request: Request) -> None:
    """App-wide: bookmarks issued or read by this request are signed for its path and query (pagination.py)."""
    scope = request.scope
    bind_request(_bookmark_key(ctx_of(request).settings.secret_key), scope["path"], scope["query_string"])


@lru_cache(maxsize=4)
def _bookmark_key(secret_key: str) -> bytes:
    return bookmark_key(secret_key)


async def get_base_url(request: Request) -> str:
    """Absolute URL prefix for links in responses: the configured base URL, else the request's own."""
    configured = ctx_of(request).settings.base_url
    if configured:
        return configured
    scope = request.scope
    server = scope.get("server")
    return _request_base_url(
        scope.get("scheme", "http"),
        tuple(server) if server is not None else None,
        scope.get("app_root_path", scope.get("root_path", "")),
        request.headers.get("host"),
    )


@lru_cache(maxsize=256)
def _request_base_url(
    scheme: str, server: tuple[str, int | None] | None, root_path: str, host: str | None
) -> str:
    # Starlette's own derivation (URL parsing), done once per distinct (scheme, server, root, Host).
    headers = [(b"host", host.encode("latin-1"))] if host is not None else []
    scope = {"type": "http", "scheme": scheme, "server": server, "root_path": root_path, "headers": headers}
    return str(Request({**scope, "path": "/"}).base_url).rstrip("/")


BaseUrl = Annotated[str, Depends(get_base_url)]


async def get_bearer_viewer(request: Request) -> Viewer:
    """/v5 takes bearer tokens only (as Pinterest does)."""
    authorization = request.headers.get("authorization")
    if not authorization:
        raise Unauthorized("Authentication failed: an 'Authorization: Bearer <token>' header is required.")
    return await _token_viewer(request, authorization)


class Scopes:
    """Route dependency: the caller must be signed in and hold every listed scope.

    `allow_anonymous`: signed-out callers pass as themselves (writes anyone may make, e.g. impressions),
    but a signed-in caller still needs the scopes, so a read-only token cannot write in its user's name.
    """

    def __init__(self, *required: str, bearer_only: bool = False, allow_anonymous: bool = False) -> None:
        self.required = required
        self.bearer_only = bearer_only
        self.allow_anonymous = allow_anonymous

    async def __call__(self, request: Request) -> Viewer:
        viewer = await (get_bearer_viewer(request) if self.bearer_only else get_viewer(request))
        if viewer.is_anonymous:
            if self.allow_anonymous:
                return viewer
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
