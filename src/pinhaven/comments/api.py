"""HTTP: /ext/v1 comments and reactions on pins (Pinterest v5 has neither)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import access_pin
from pinhaven.comments import service
from pinhaven.comments.present import present_threads
from pinhaven.comments.ratelimit import comment_limiter
from pinhaven.comments.schemas import (
    CommentCreate,
    CommentPage,
    CommentRead,
    CommentUpdate,
    PinWithSocial,
    ReactionSummary,
    ReactionWrite,
)
from pinhaven.db.ids import parse_id
from pinhaven.deps import BaseUrl, Ctx, CurrentViewer, DbSession, Pagination, Scopes, user_id_of
from pinhaven.pins.schemas import PinRead

router = APIRouter(prefix="/ext/v1", tags=["comments"])

Writer = Annotated[Viewer, Depends(Scopes("pins:read", "pins:write"))]


def with_social(db: Session, viewer: Viewer, read: PinRead) -> PinWithSocial:
    """A presented pin plus its comment count and reactions (what /ext/v1/pins/{id} answers)."""
    pin_id = int(read.id)
    return PinWithSocial(
        **read.model_dump(),
        comment_count=service.comment_count(db, pin_id),
        reactions=service.reaction_counts(db, pin_id),
        my_reaction=service.my_reaction(db, viewer, pin_id),
    )


def _one(db: Session, viewer: Viewer, comment_id: int, base_url: str) -> CommentRead:
    from pinhaven.comments.models import PinComment

    comment = db.get(PinComment, comment_id)
    assert comment is not None
    pin = access_pin(db=db, viewer=viewer, pin_id=comment.pin_id)
    thread = service.Thread(comment=comment, replies=[], reply_count=0)
    return present_threads(db=db, viewer=viewer, pin=pin, threads=[thread], base_url=base_url)[0]


@router.get("/pins/{pin_id}/comments", response_model=CommentPage)
def list_comments(
    db: DbSession, viewer: CurrentViewer, pin_id: str, page: Pagination, base_url: BaseUrl
) -> CommentPage:
    """A pin's comments: top comments oldest first, paginated with `page_size` (1-250, default 25) and the
    signed `bookmark`, each with its first 50 replies (oldest first) and its reply count; the page also
    carries the pin's comment count, reaction counts and the caller's own reaction. Anyone who may see the
    pin may call it, signed in or not; a pin on a secret board answers 404 to anyone but the board's owner
    and collaborators (a token also needs `pins:read_secret`), as does a pin hidden by moderation. Errors:
    404 for an unknown or invisible pin; 400 for a bad page size or bookmark; 401 for a bad token.
    """
    pin = access_pin(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    result = service.list_threads(db=db, viewer=viewer, pin_id=pin.id, page=page)
    return CommentPage(
        items=present_threads(db=db, viewer=viewer, pin=pin, threads=result.items, base_url=base_url),
        bookmark=result.bookmark,
        comment_count=service.comment_count(db, pin.id),
        reactions=service.reaction_counts(db, pin.id),
        my_reaction=service.my_reaction(db, viewer, pin.id),
    )


@router.post("/pins/{pin_id}/comments", response_model=CommentRead, status_code=201)
def add_comment(
    db: DbSession, ctx: Ctx, viewer: Writer, pin_id: str, body: CommentCreate, base_url: BaseUrl
) -> CommentRead:
    """Comment on a pin the caller can see, or reply with `parent_id` (a reply to a reply joins its top
    comment's thread): `{"text": ..., "parent_id": ...}`, 1-500 characters. The pin's creator, the
    replied-to author and `@username` mentions are notified. Needs a signed-in caller with `pins:read` and
    `pins:write` (token, or session cookie with its CSRF token), within a per-person comments-per-minute
    limit. Answers 201 with the comment. Errors: 400 for empty or too-long text; 403 when the pin's creator
    and the caller have blocked each other, or for a missing scope or CSRF token; 404 for an invisible pin
    or a parent comment not on this pin; 429 over the rate limit; 401 when signed out.
    """
    access_pin(db=db, viewer=viewer, pin_id=parse_id(pin_id))  # invisible pins: 404 before anything counts
    comment_limiter(ctx).check(user_id_of(viewer))
    comment = service.add_comment(
        db=db,
        viewer=viewer,
        pin_id=parse_id(pin_id),
        text=body.text,
        parent_id=parse_id(body.parent_id) if body.parent_id else None,
    )
    return _one(db, viewer, comment.id, base_url)


@router.patch("/comments/{comment_id}", response_model=CommentRead)
def edit_comment(
    db: DbSession, viewer: Writer, comment_id: str, body: CommentUpdate, base_url: BaseUrl
) -> CommentRead:
    """Change the text of the caller's own comment (1-500 characters); it is marked as edited. Only its author
    may call it, with `pins:read` and `pins:write` (token, or session cookie with its CSRF token). Errors:
    404 for an unknown comment or one on a pin the caller may not see; 403 when the caller is not the
    author, or for a missing scope or CSRF token; 400 for empty or too-long text; 401 when signed out.
    """
    comment = service.edit_comment(db=db, viewer=viewer, comment_id=parse_id(comment_id), text=body.text)
    return _one(db, viewer, comment.id, base_url)


@router.delete("/comments/{comment_id}", status_code=204, response_class=Response)
def delete_comment(db: DbSession, viewer: Writer, comment_id: str) -> Response:
    """Delete a comment together with its replies. Its author or the pin's owner (the pin's creator or the
    board's owner) may call it, with `pins:read` and `pins:write` (token, or session cookie with its CSRF
    token). Answers 204. Errors: 404 for an unknown comment or one on a pin the caller may not see; 403 for
    anyone else, or a missing scope or CSRF token; 401 when signed out.
    """
    service.delete_comment(db=db, viewer=viewer, comment_id=parse_id(comment_id))
    return Response(status_code=204)


def _summary(db: Session, viewer: Viewer, pin_id: int) -> ReactionSummary:
    return ReactionSummary(
        pin_id=str(pin_id),
        reactions=service.reaction_counts(db, pin_id),
        my_reaction=service.my_reaction(db, viewer, pin_id),
    )


@router.get("/pins/{pin_id}/reactions", response_model=ReactionSummary)
def get_reactions(db: DbSession, viewer: CurrentViewer, pin_id: str) -> ReactionSummary:
    """A pin's reaction counts by kind (`love`, `good_idea`, `thanks`, `wow`, `haha`) and the caller's own
    reaction. Anyone who may see the pin may call it, signed in or not; a pin on a secret board answers 404
    to anyone but the board's owner and collaborators (a token also needs `pins:read_secret`), as does a
    pin hidden by moderation. Errors: 404 for an unknown or invisible pin; 401 for a bad token.
    """
    pin = access_pin(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    return _summary(db, viewer, pin.id)


@router.post("/pins/{pin_id}/reactions", response_model=ReactionSummary)
def react(db: DbSession, viewer: Writer, pin_id: str, body: ReactionWrite) -> ReactionSummary:
    """Set the caller's reaction to a pin they can see: `{"reaction_type": "love" | "good_idea" | "thanks" |
    "wow" | "haha"}`; one per person, reacting again changes it. Needs `pins:read` and `pins:write` (token,
    or session cookie with its CSRF token). Answers the pin's reaction counts. Errors: 400 for an unknown
    reaction type; 403 when the pin's creator and the caller have blocked each other, or for a missing
    scope or CSRF token; 404 for an unknown or invisible pin; 401 when signed out.
    """
    reaction = service.react(db=db, viewer=viewer, pin_id=parse_id(pin_id), kind=body.reaction_type)
    return _summary(db, viewer, reaction.pin_id)


@router.delete("/pins/{pin_id}/reactions", response_model=ReactionSummary)
def unreact(db: DbSession, viewer: Writer, pin_id: str) -> ReactionSummary:
    """Remove the caller's reaction to a pin they can see (no reaction is not an error). Needs `pins:read` and
    `pins:write` (token, or session cookie with its CSRF token). Answers the pin's reaction counts. Errors:
    404 for an unknown or invisible pin; 403 for a missing scope or CSRF token; 401 when signed out.
    """
    service.unreact(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    pin = access_pin(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    return _summary(db, viewer, pin.id)
