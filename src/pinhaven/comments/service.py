"""Comments on pins (one level of replies, mentions) and reactions (a small fixed set).

Everything goes through the pin's visibility (`boards.access.access_pin`): who cannot see a pin gets the same
404 for its comments and reactions. The author edits or deletes a comment; the pin's owner (its creator or
the board's owner) deletes any comment on it. People blocked by the pin's creator cannot comment or react.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import access_pin, author_shown_clause
from pinhaven.boards.models import Board
from pinhaven.comments.models import PinComment, PinReaction
from pinhaven.db.base import utcnow
from pinhaven.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from pinhaven.messages.blocks import blocked_between
from pinhaven.notifications import service as notifications
from pinhaven.pagination import Page, PageParams, bookmark_int, page_from_rows
from pinhaven.pins.models import Pin
from pinhaven.text_rules import text_problem

MAX_CHARS = 500
MAX_REPLIES_SHOWN = 50
REACTIONS: tuple[str, ...] = ("love", "good_idea", "thanks", "wow", "haha")
REACTION_LABELS = {"love": "Love", "good_idea": "Good idea", "thanks": "Thanks", "wow": "Wow", "haha": "Haha"}
REACTION_EMOJI = {"love": "❤️", "good_idea": "💡", "thanks": "🙏", "wow": "😮", "haha": "😂"}


@dataclass
class Thread:
    comment: PinComment
    replies: list[PinComment]
    reply_count: int


def _me(viewer: Viewer) -> int:
    if viewer.user_id is None:
        raise Unauthorized("Sign in to comment.")
    return viewer.user_id


def clean_text(text: str | None) -> str:
    value = (text or "").strip()
    if not value:
        raise InvalidInput("must not be empty", field="text")
    if len(value) > MAX_CHARS:
        raise InvalidInput(f"must be at most {MAX_CHARS} characters", field="text")
    problem = text_problem(value, multiline=True)
    if problem:
        raise InvalidInput(problem, field="text")
    return value


def _pin_owner_ids(db: Session, pin: Pin) -> set[int]:
    board = db.get(Board, pin.board_id)
    return {pin.creator_id, *([board.owner_id] if board is not None else [])}


def add_comment(
    *, db: Session, viewer: Viewer, pin_id: int | None, text: str | None, parent_id: int | None = None
) -> PinComment:
    """A comment (or a reply: replies to a reply join the thread of its top comment)."""
    me = _me(viewer)
    pin = access_pin(db=db, viewer=viewer, pin_id=pin_id)
    value = clean_text(text)
    if blocked_between(db, me, pin.creator_id):
        raise Forbidden("You cannot comment on this pin.")
    parent = None
    if parent_id is not None:
        parent = db.get(PinComment, parent_id)
        if parent is None or parent.pin_id != pin.id:
            raise NotFound("Comment not found.")
        if parent.parent_id is not None:  # one level of threading
            parent = db.get(PinComment, parent.parent_id)
            assert parent is not None
    comment = PinComment(pin_id=pin.id, author_id=me, parent_id=parent.id if parent else None, text=value)
    db.add(comment)
    db.flush()
    told = {me}
    common = {"board_id": pin.board_id, "pin_id": pin.id, "excerpt": value}
    if parent is not None and parent.author_id not in told:
        notifications.notify(
            db,
            recipient_id=parent.author_id,
            actor_id=me,
            type="comment",
            object_type="reply",
            object_id=comment.id,
            aggregate=False,
            **common,  # type: ignore[arg-type]
        )
        told.add(parent.author_id)
    if pin.creator_id not in told:
        notifications.notify(
            db,
            recipient_id=pin.creator_id,
            actor_id=me,
            type="comment",
            object_type="comment",
            object_id=comment.id,
            aggregate=False,
            **common,  # type: ignore[arg-type]
        )
        told.add(pin.creator_id)
    notifications.notify_mentions(
        db,
        text=value,
        actor_id=me,
        object_type="comment",
        object_id=comment.id,
        board_id=pin.board_id,
        pin_id=pin.id,
        skip=told,
    )
    return comment


def _visible_comment(db: Session, viewer: Viewer, comment_id: int | None) -> tuple[PinComment, Pin]:
    comment = db.get(PinComment, comment_id) if comment_id is not None else None
    if comment is None:
        raise NotFound("Comment not found.")
    try:
        pin = access_pin(db=db, viewer=viewer, pin_id=comment.pin_id)
    except NotFound:
        raise NotFound("Comment not found.") from None
    return comment, pin


def edit_comment(*, db: Session, viewer: Viewer, comment_id: int | None, text: str | None) -> PinComment:
    me = _me(viewer)
    comment, _ = _visible_comment(db, viewer, comment_id)
    if comment.author_id != me:
        raise Forbidden("Only its author can edit a comment.")
    comment.text = clean_text(text)
    comment.edited_at = utcnow()
    db.flush()
    return comment


def delete_comment(*, db: Session, viewer: Viewer, comment_id: int | None) -> int:
    """The author, or the pin's owner, deletes a comment (with its replies). Returns the pin id."""
    me = _me(viewer)
    comment, pin = _visible_comment(db, viewer, comment_id)
    if me != comment.author_id and me not in _pin_owner_ids(db, pin):
        raise Forbidden("Only its author or the pin's owner can delete a comment.")
    db.execute(delete(PinComment).where(PinComment.parent_id == comment.id))
    db.execute(delete(PinComment).where(PinComment.id == comment.id))
    db.expire_all()
    return pin.id


def list_threads(*, db: Session, viewer: Viewer, pin_id: int | None, page: PageParams) -> Page[Thread]:
    """Top comments oldest first, each with its replies (oldest first, the first MAX_REPLIES_SHOWN)."""
    pin = access_pin(db=db, viewer=viewer, pin_id=pin_id)
    query = select(PinComment).where(
        PinComment.pin_id == pin.id, PinComment.parent_id.is_(None), author_shown_clause(PinComment.author_id)
    )
    cursor = bookmark_int(page.bookmark)
    if cursor is not None:
        query = query.where(PinComment.id > cursor)
    rows = list(db.scalars(query.order_by(PinComment.id).limit(page.page_size + 1)))
    top = page_from_rows(rows, page.page_size, lambda c: c.id)
    ids = [c.id for c in top.items]
    replies: dict[int, list[PinComment]] = {i: [] for i in ids}
    if ids:
        for reply in db.scalars(
            select(PinComment)
            .where(PinComment.parent_id.in_(ids), author_shown_clause(PinComment.author_id))
            .order_by(PinComment.id)
        ):
            replies[reply.parent_id or 0].append(reply)
    threads = [
        Thread(comment=c, replies=replies[c.id][:MAX_REPLIES_SHOWN], reply_count=len(replies[c.id]))
        for c in top.items
    ]
    return Page(items=threads, bookmark=top.bookmark)


def comment_count(db: Session, pin_id: int) -> int:
    return int(
        db.scalar(select(func.count()).select_from(PinComment).where(PinComment.pin_id == pin_id)) or 0
    )


# --- reactions -------------------------------------------------------------------------------------------


def react(*, db: Session, viewer: Viewer, pin_id: int | None, kind: str) -> PinReaction:
    """Set the viewer's reaction to a pin (one per person; reacting again changes it)."""
    me = _me(viewer)
    if kind not in REACTIONS:
        raise InvalidInput(f"must be one of {', '.join(REACTIONS)}", field="reaction_type")
    pin = access_pin(db=db, viewer=viewer, pin_id=pin_id)
    if blocked_between(db, me, pin.creator_id):
        raise Forbidden("You cannot react to this pin.")
    existing = db.get(PinReaction, (pin.id, me))
    if existing is not None:
        existing.kind = kind
        db.flush()
        return existing
    reaction = PinReaction(pin_id=pin.id, user_id=me, kind=kind)
    db.add(reaction)
    db.flush()
    notifications.notify(
        db,
        recipient_id=pin.creator_id,
        actor_id=me,
        type="reaction",
        object_type="pin",
        object_id=pin.id,
        board_id=pin.board_id,
        pin_id=pin.id,
    )
    return reaction


def unreact(*, db: Session, viewer: Viewer, pin_id: int | None) -> None:
    me = _me(viewer)
    pin = access_pin(db=db, viewer=viewer, pin_id=pin_id)
    db.execute(delete(PinReaction).where(PinReaction.pin_id == pin.id, PinReaction.user_id == me))


def reaction_counts(db: Session, pin_id: int) -> dict[str, int]:
    counts = dict.fromkeys(REACTIONS, 0)
    for kind, n in db.execute(
        select(PinReaction.kind, func.count()).where(PinReaction.pin_id == pin_id).group_by(PinReaction.kind)
    ):
        counts[kind] = int(n)
    return counts


def my_reaction(db: Session, viewer: Viewer, pin_id: int) -> str | None:
    if viewer.user_id is None:
        return None
    row = db.get(PinReaction, (pin_id, viewer.user_id))
    return row.kind if row is not None else None


def authors_of(db: Session, comments: Sequence[PinComment]) -> dict[int, User]:
    ids = {c.author_id for c in comments}
    return {u.id: u for u in db.scalars(select(User).where(User.id.in_(list(ids))))} if ids else {}


def existing_usernames(db: Session, names: Sequence[str]) -> set[str]:
    if not names:
        return set()
    return {
        u.lower() for u in db.scalars(select(User.username).where(func.lower(User.username).in_(list(names))))
    }
