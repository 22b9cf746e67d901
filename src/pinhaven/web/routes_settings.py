"""Settings: profile (with avatar upload), password, API tokens, sessions, usage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import AfterValidator

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts import sessions as web_sessions
from pinhaven.accounts.scopes import ALL_SCOPES
from pinhaven.db.ids import parse_id
from pinhaven.deps import Ctx, DbSession
from pinhaven.errors import InvalidInput, PinhavenError
from pinhaven.media import service as media_service
from pinhaven.safety import quotas
from pinhaven.text_rules import check_line, check_paragraph
from pinhaven.web.forms import has_file, read_upload
from pinhaven.web.session import SignedIn, current_session, end_session, start_session
from pinhaven.web.templating import render

router = APIRouter(prefix="/settings")

SCOPE_HELP = {
    "ads:read": "See your ad accounts, campaigns, ads and their reports",
    "ads:write": "Create and change ad accounts, campaigns and ads; send conversion events",
    "boards:read": "See public boards and their sections",
    "boards:read_secret": "See your secret boards",
    "boards:write": "Create, change and delete boards",
    "boards:write_secret": "Change secret boards",
    "catalogs:read": "See your product catalogs, feeds and their processing results",
    "catalogs:write": "Create and change catalogs and product feeds",
    "pins:read": "See public pins",
    "pins:read_secret": "See pins on secret boards",
    "pins:write": "Create, change and delete pins",
    "pins:write_secret": "Change pins on secret boards",
    "user_accounts:read": "See your account details",
    "user_accounts:write": "Change your account",
}


@router.get("")
def settings_home() -> Response:
    return RedirectResponse("/settings/profile", status_code=303)


@router.get("/profile")
def profile_page(request: Request, me: SignedIn, saved: int = 0) -> Response:
    return render(request, "settings/profile.html", {"tab": "profile", "form": me, "saved": bool(saved)})


@router.post("/profile")
def update_profile(
    request: Request,
    db: DbSession,
    ctx: Ctx,
    me: SignedIn,
    display_name: Annotated[str, Form(max_length=200), AfterValidator(check_line)] = "",
    about: Annotated[str, Form(max_length=2000), AfterValidator(check_paragraph)] = "",
    website_url: Annotated[str, Form(max_length=4096), AfterValidator(check_line)] = "",
    avatar: Annotated[UploadFile | None, File()] = None,
) -> Response:
    try:
        image_id = None
        if has_file(avatar):
            assert avatar is not None
            data = read_upload(avatar, max_bytes=ctx.settings.max_upload_bytes)
            store = media_service.media_store(ctx)
            image_id = media_service.ingest_bytes(db=db, store=store, settings=ctx.settings, data=data).id
        accounts_service.update_profile(
            db=db,
            user=me,
            display_name=display_name,
            about=about,
            website_url=website_url,
            profile_image_id=image_id,
        )
    except PinhavenError as exc:
        db.rollback()
        form = {"display_name": display_name, "about": about, "website_url": website_url}
        context = {"tab": "profile", "form": form, "error": exc.message}
        return render(request, "settings/profile.html", context, status=exc.status)
    return RedirectResponse("/settings/profile?saved=1", status_code=303)


@router.get("/password")
def password_page(request: Request, me: SignedIn) -> Response:
    return render(request, "settings/password.html", {"tab": "password"})


@router.post("/password")
def change_password(
    request: Request,
    db: DbSession,
    me: SignedIn,
    current_password: Annotated[str, Form(max_length=2048)] = "",
    new_password: Annotated[str, Form(max_length=2048)] = "",
    confirm_password: Annotated[str, Form(max_length=2048)] = "",
) -> Response:
    try:
        if new_password != confirm_password:
            raise InvalidInput("the two new passwords differ", field="confirm_password")
        accounts_service.change_password(
            db=db, user=me, current_password=current_password, new_password=new_password
        )
    except PinhavenError as exc:
        db.rollback()
        return render(
            request, "settings/password.html", {"tab": "password", "error": exc.message}, status=exc.status
        )
    # Every session ended (the service revoked them); this browser continues in a new one.
    response = render(request, "settings/password.html", {"tab": "password", "saved": True})
    start_session(request, response, me, db)
    return response


def _tokens_context(db: DbSession, me: SignedIn, **extra: object) -> dict[str, object]:
    tokens = accounts_service.list_tokens(db=db, user=me)
    return {"tab": "tokens", "tokens": tokens, "scopes": ALL_SCOPES, "scope_help": SCOPE_HELP, **extra}


@router.get("/tokens")
def tokens_page(request: Request, db: DbSession, me: SignedIn) -> Response:
    return render(request, "settings/tokens.html", _tokens_context(db, me))


@router.post("/tokens")
def create_token(
    request: Request,
    db: DbSession,
    me: SignedIn,
    name: Annotated[str, Form(max_length=200), AfterValidator(check_line)] = "",
    scopes: Annotated[list[str] | None, Form()] = None,
) -> Response:
    scopes = scopes or []
    try:
        _, plaintext = accounts_service.create_token(db=db, user=me, name=name, scopes=scopes)
    except PinhavenError as exc:
        db.rollback()
        context = _tokens_context(db, me, error=exc.message, name=name, chosen=scopes)
        return render(request, "settings/tokens.html", context, status=exc.status)
    # Shown once: only the hash is stored.
    return render(
        request, "settings/tokens.html", _tokens_context(db, me, new_token=plaintext, new_name=name)
    )


@router.post("/tokens/{token_id}/revoke")
def revoke_token(db: DbSession, me: SignedIn, token_id: str) -> Response:
    accounts_service.revoke_token(db=db, user=me, token_id=parse_id(token_id) or 0)
    return RedirectResponse("/settings/tokens", status_code=303)


def _sessions_context(request: Request, db: DbSession, me: SignedIn, **extra: object) -> dict[str, object]:
    current = current_session(request)
    rows = web_sessions.list_active(db=db, user_id=me.id)
    listed = [{"row": row, "current": web_sessions.is_current(row, current)} for row in rows]
    return {"tab": "sessions", "sessions": listed, **extra}


@router.get("/sessions")
def sessions_page(request: Request, db: DbSession, me: SignedIn, ended: int = 0) -> Response:
    return render(request, "settings/sessions.html", _sessions_context(request, db, me, ended=ended))


@router.post("/sessions/{session_id}/revoke")
def revoke_session(request: Request, db: DbSession, me: SignedIn, session_id: str) -> Response:
    web_sessions.revoke(db=db, user_id=me.id, session_id=parse_id(session_id) or 0)
    current = current_session(request)
    if current is not None and current.session_id == parse_id(session_id):
        response = RedirectResponse("/login", status_code=303)
        end_session(request, response, db)
        return response
    return RedirectResponse("/settings/sessions?ended=1", status_code=303)


@router.post("/sessions/revoke-all")
def revoke_all_sessions(request: Request, db: DbSession, me: SignedIn) -> Response:
    """Log out everywhere, this browser included."""
    web_sessions.revoke_all(db=db, user_id=me.id)
    response = RedirectResponse("/login", status_code=303)
    end_session(request, response, db)
    return response


@router.get("/usage")
def usage_page(request: Request, db: DbSession, ctx: Ctx, me: SignedIn) -> Response:
    usage = quotas.usage(db=db, settings=ctx.settings, user_id=me.id)
    return render(request, "settings/usage.html", {"tab": "usage", "usage": usage, "size": quotas.size_text})
