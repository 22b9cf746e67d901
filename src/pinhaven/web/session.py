"""Who is browsing: the signed-in user from the session cookie (pages ignore bearer tokens)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from pinhaven.accounts import sessions as web_sessions
from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import ANONYMOUS, Viewer, session_viewer
from pinhaven.accounts.sessions import SESSION_COOKIE, SESSION_MAX_AGE, SessionRef, make_session_cookie
from pinhaven.deps import DbSession
from pinhaven.errors import Unauthorized
from pinhaven.web.present import person


def get_web_user(request: Request, db: DbSession) -> User | None:
    """The user whose valid session cookie came with the request, else None."""
    if hasattr(request.state, "web_user"):
        user: User | None = request.state.web_user
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    session = web_sessions.resolve(ctx=request.app.state.ctx, cookie=cookie) if cookie else None
    user = db.get(User, session.user_id) if session is not None else None
    request.state.web_session = session if user is not None else None
    request.state.web_user = user
    request.state.web_person = person(db, user) if user else None
    return user


WebUser = Annotated[User | None, Depends(get_web_user)]


def get_web_viewer(user: WebUser) -> Viewer:
    """A web session sees what its user may see (all scopes); visitors are anonymous."""
    return session_viewer(user.id) if user is not None else ANONYMOUS


WebViewer = Annotated[Viewer, Depends(get_web_viewer)]


def require_user(user: WebUser) -> User:
    """The signed-in user; anonymous visitors get 401, which the error page turns into a log-in redirect."""
    if user is None:
        raise Unauthorized("Log in to continue.")
    return user


SignedIn = Annotated[User, Depends(require_user)]


def current_session(request: Request) -> SessionRef | None:
    """The session of this request's valid cookie (after `get_web_user` or `get_viewer` ran), else None."""
    session: SessionRef | None = getattr(request.state, "web_session", None)
    return session


def start_session(request: Request, response: Response, user: User, db: Session) -> None:
    """Open a server-side session (in `db`'s transaction) and set its signed cookie (HttpOnly, SameSite=Lax;
    Secure over https)."""
    secret = request.app.state.ctx.settings.secret_key
    agent = request.headers.get("user-agent", "")
    response.set_cookie(
        SESSION_COOKIE,
        make_session_cookie(db=db, secret_key=secret, user=user, user_agent=agent),
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )


def is_https(request: Request) -> bool:
    """Served over TLS, directly or (per the configured public URL) behind a terminating proxy."""
    base_url: str = request.app.state.ctx.settings.base_url
    return request.url.scheme == "https" or base_url.startswith("https://")


def end_session(request: Request, response: Response, db: Session) -> None:
    """Revoke the session the request's cookie names (a replayed cookie is then refused) and drop the cookie."""
    secret = request.app.state.ctx.settings.secret_key
    web_sessions.revoke_by_cookie(db=db, secret_key=secret, cookie=request.cookies.get(SESSION_COOKIE))
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after logging in; anything else (other hosts, schemes) becomes `default`."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ch in target for ch in "\r\n\t"):
        return default
    return target
