"""Pages: comments and reactions of a pin (/pin/{id}/comments, also the fragment the pin page loads)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import access_pin
from pinhaven.comments import service
from pinhaven.comments.present import linkify, present_threads
from pinhaven.comments.ratelimit import comment_limiter
from pinhaven.db.ids import parse_id
from pinhaven.deps import Ctx, DbSession
from pinhaven.errors import PinhavenError
from pinhaven.pagination import PageParams
from pinhaven.pins.models import Pin
from pinhaven.web.csrf import require_csrf
from pinhaven.web.forms import optional_id
from pinhaven.web.session import SignedIn, WebUser, WebViewer
from pinhaven.web.templating import render, with_query

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])

PAGE = 50
Text = Annotated[str, Form(max_length=4096)]


def _context(
    request: Request, db: Session, viewer: Viewer, pin: Pin, bookmark: str | None = None
) -> dict[str, Any]:
    result = service.list_threads(db=db, viewer=viewer, pin_id=pin.id, page=PageParams(PAGE, bookmark))
    threads = present_threads(db=db, viewer=viewer, pin=pin, threads=result.items, base_url="")
    counts = service.reaction_counts(db, pin.id)
    return {
        "pin_id": str(pin.id),
        "threads": threads,
        "linkify": linkify,
        "comment_count": service.comment_count(db, pin.id),
        "reactions": [
            {
                "kind": kind,
                "label": service.REACTION_LABELS[kind],
                "emoji": service.REACTION_EMOJI[kind],
                "count": counts[kind],
            }
            for kind in service.REACTIONS
        ],
        "my_reaction": service.my_reaction(db, viewer, pin.id),
        "max_chars": service.MAX_CHARS,
        "next_url": with_query(request, bookmark=result.bookmark) if result.bookmark else None,
    }


@router.get("/pin/{pin_id}/comments")
def comments_page(
    request: Request,
    db: DbSession,
    viewer: WebViewer,
    me: WebUser,
    pin_id: str,
    partial: int = 0,
    bookmark: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    pin = access_pin(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    context = _context(request, db, viewer, pin, bookmark)
    return render(request, "social/comments_partial.html" if partial else "social/comments.html", context)


def _back(pin_id: int, anchor: str = "comments") -> Response:
    return RedirectResponse(f"/pin/{pin_id}#{anchor}", status_code=303)


def _refused(request: Request, db: Session, viewer: Viewer, pin: Pin, exc: PinhavenError) -> Response:
    db.rollback()
    context = _context(request, db, viewer, pin)
    context["error"] = exc.message
    return render(request, "social/comments.html", context, status=exc.status)


@router.post("/pin/{pin_id}/comments")
def add_comment(
    request: Request,
    db: DbSession,
    ctx: Ctx,
    viewer: WebViewer,
    me: SignedIn,
    pin_id: str,
    text: Text = "",
    parent_id: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    pin = access_pin(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    try:
        comment_limiter(ctx).check(me.id)
        comment = service.add_comment(
            db=db,
            viewer=viewer,
            pin_id=pin.id,
            text=text,
            parent_id=optional_id(parent_id, field="parent_id"),
        )
    except PinhavenError as exc:
        return _refused(request, db, viewer, pin, exc)
    return _back(pin.id, f"comment-{comment.id}")


@router.post("/comment/{comment_id}/edit")
def edit_comment(
    request: Request, db: DbSession, viewer: WebViewer, me: SignedIn, comment_id: str, text: Text = ""
) -> Response:
    comment = service.edit_comment(db=db, viewer=viewer, comment_id=parse_id(comment_id), text=text)
    return _back(comment.pin_id, f"comment-{comment.id}")


@router.post("/comment/{comment_id}/delete")
def delete_comment(db: DbSession, viewer: WebViewer, me: SignedIn, comment_id: str) -> Response:
    pin_id = service.delete_comment(db=db, viewer=viewer, comment_id=parse_id(comment_id))
    return _back(pin_id)


@router.post("/pin/{pin_id}/react")
def react(
    db: DbSession,
    viewer: WebViewer,
    me: SignedIn,
    pin_id: str,
    reaction_type: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Pick a reaction; picking your current one again takes it back."""
    pin = access_pin(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    if reaction_type == "" or service.my_reaction(db, viewer, pin.id) == reaction_type:
        service.unreact(db=db, viewer=viewer, pin_id=pin.id)
    else:
        service.react(db=db, viewer=viewer, pin_id=pin.id, kind=reaction_type)
    return _back(pin.id, "reactions")
