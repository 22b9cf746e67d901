"""Sign up, log in, log out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import AfterValidator

from pinhaven.accounts import service as accounts_service
from pinhaven.deps import Ctx, DbSession
from pinhaven.errors import Conflict, PinhavenError
from pinhaven.moderation import instance
from pinhaven.text_rules import check_line
from pinhaven.web.ratelimit import login_limiter, signup_limiter
from pinhaven.web.session import WebUser, end_session, safe_next, start_session
from pinhaven.web.templating import render

router = APIRouter()

Text = Annotated[str, Form(max_length=2048)]
Next = Annotated[str, Form(max_length=2048)]


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/signup")
def signup_page(
    request: Request, db: DbSession, user: WebUser, next: str = "/", invite: str = ""
) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    mode = instance.get(db=db).signup  # open | closed | invite (moderation/instance.py)
    context = {"next": safe_next(next), "form": {"invite": invite[:64]}, "signup_mode": mode}
    return render(request, "auth/signup.html", context)


@router.post("/signup")
def signup(
    request: Request,
    db: DbSession,
    ctx: Ctx,
    username: Annotated[str, Form(max_length=100), AfterValidator(check_line)] = "",
    email: Annotated[str, Form(max_length=300), AfterValidator(check_line)] = "",
    password: Text = "",
    next: Next = "/",
    invite: Annotated[str, Form(max_length=100), AfterValidator(check_line)] = "",
) -> Response:
    form = {"username": username, "email": email, "invite": invite}
    mode = instance.get(db=db).signup
    limiter, address = signup_limiter(ctx), _client_address(request)
    if not limiter.allowed(address):
        context = {
            "next": safe_next(next),
            "form": form,
            "error": "Too many attempts. Wait a minute and try again.",
        }
        refused = render(request, "auth/signup.html", context, status=429)
        refused.headers["Retry-After"] = "60"
        return refused
    try:
        invited = instance.check_signup(db=db, settings=instance.get(db=db), invite_code=invite)
        user = accounts_service.create(db=db, username=username.strip(), email=email, password=password)
        instance.use_invite(db=db, invite=invited, user_id=user.id)
    except PinhavenError as exc:
        db.rollback()
        if isinstance(exc, Conflict):
            limiter.record(address)
        context = {"next": safe_next(next), "form": form, "error": exc.message, "signup_mode": mode}
        return render(request, "auth/signup.html", context, status=exc.status)
    response = RedirectResponse(safe_next(next), status_code=303)
    start_session(request, response, user, db)
    return response


@router.get("/login")
def login_page(request: Request, user: WebUser, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "auth/login.html", {"next": safe_next(next), "login": ""})


@router.post("/login")
def login(
    request: Request, db: DbSession, ctx: Ctx, login: Text = "", password: Text = "", next: Next = "/"
) -> Response:
    limiter, address = login_limiter(ctx), _client_address(request)
    context = {"next": safe_next(next), "login": login}
    account = accounts_service.login_key(db=db, login=login)  # one counter per account, however named
    if not limiter.allowed(account, address):
        context["error"] = "Too many failed attempts. Wait a minute and try again."
        refused = render(request, "auth/login.html", context, status=429)
        refused.headers["Retry-After"] = "60"
        return refused
    user = accounts_service.authenticate(db=db, login=login, password=password)
    if user is None:
        limiter.record_failure(account, address)
        context["error"] = "That username or email and password don't match."
        return render(request, "auth/login.html", context, status=400)
    limiter.reset(account)
    response = RedirectResponse(safe_next(next), status_code=303)
    start_session(request, response, user, db)
    return response


@router.post("/logout")
def logout(request: Request, db: DbSession) -> Response:
    """End this session on the server (its cookie, replayed, is refused) and in the browser."""
    response = RedirectResponse("/", status_code=303)
    end_session(request, response, db)
    return response
