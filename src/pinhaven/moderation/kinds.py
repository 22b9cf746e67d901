"""What can be reported and moderated: one `Kind` per object type, registered by name.

A kind knows how to find an object the reporter may see (and its owner), read and change its moderation
flags, and summarise it for the moderation queue. Other domains add theirs with `register` (comments, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import access_board, access_pin
from pinhaven.boards.models import Board
from pinhaven.boards.service import note_board_content_changed
from pinhaven.comments.models import PinComment
from pinhaven.errors import InvalidInput, NotFound
from pinhaven.moderation.state import HIDDEN, REMOVED
from pinhaven.pins.models import Pin

__all__ = ["KINDS", "Kind", "kind_of", "register"]


@dataclass(frozen=True)
class Kind:
    name: str
    # The owner's user id of an object `viewer` may see; NotFound otherwise.
    locate: Callable[[Session, Viewer, int], int]
    # The object's owner id regardless of visibility (moderators), None when it no longer exists.
    owner_of: Callable[[Session, int], int | None]
    # Current flags, and a change (bits to add, bits to clear); None for kinds without flags (people).
    get_flags: Callable[[Session, int], int] | None
    set_flags: Callable[[Session, int, int, int], None] | None
    summary: Callable[[Session, int], dict[str, Any]]


KINDS: dict[str, Kind] = {}
MAX_SAVES_FOLLOWED = 100_000  # saves of one pin that a moderation action follows


def register(kind: Kind) -> None:
    KINDS[kind.name] = kind


def kind_of(name: str) -> Kind:
    kind = KINDS.get(name)
    if kind is None:
        raise InvalidInput(f"must be one of {', '.join(sorted(KINDS))}", field="object_type")
    return kind


def _mask(flags: int, add: int, clear: int) -> int:
    return (flags | add) & ~clear


# --- pins ------------------------------------------------------------------------------------------------


def _pin_locate(db: Session, viewer: Viewer, object_id: int) -> int:
    return access_pin(db=db, viewer=viewer, pin_id=object_id).creator_id


def _pin_owner(db: Session, object_id: int) -> int | None:
    return db.scalar(select(Pin.creator_id).where(Pin.id == object_id))


def _pin_flags(db: Session, object_id: int) -> int:
    return int(db.scalar(select(Pin.moderation).where(Pin.id == object_id)) or 0)


def _with_saves(db: Session, pin_id: int) -> list[int]:
    """The pin and every save of it, saves of saves included: the same content wherever it was saved."""
    found, seen, frontier = [pin_id], {pin_id}, [pin_id]
    while frontier and len(found) < MAX_SAVES_FOLLOWED:
        children: list[int] = []
        for start in range(0, len(frontier), 900):
            children += db.scalars(select(Pin.id).where(Pin.parent_pin_id.in_(frontier[start : start + 900])))
        frontier = [c for c in children if c not in seen]
        seen.update(frontier)
        found += frontier
    return found[:MAX_SAVES_FOLLOWED]


def _pin_set(db: Session, object_id: int, add: int, clear: int) -> None:
    """Hide, remove or restore a pin together with its saves (a violation travels with every copy)."""
    if db.get(Pin, object_id) is None:
        return
    ids = _with_saves(db, object_id)
    boards: set[int] = set()
    for start in range(0, len(ids), 900):
        for pin in db.scalars(select(Pin).where(Pin.id.in_(ids[start : start + 900]))):
            pin.moderation = _mask(pin.moderation or 0, add, clear)
            boards.add(pin.board_id)
    db.flush()
    note_board_content_changed(db=db, board_ids=boards)


def _pin_summary(db: Session, object_id: int) -> dict[str, Any]:
    pin = db.get(Pin, object_id)
    if pin is None:
        return {"title": "(deleted pin)", "url": None}
    board = db.get(Board, pin.board_id)
    return {
        "title": pin.title or (pin.description or "")[:80] or f"Pin {pin.id}",
        "description": pin.description or "",
        "link": pin.link,
        "board": board.name if board else None,
        "url": f"/pin/{pin.id}",
        "image_id": str(pin.image_id),
        "flags": pin.moderation,
    }


# --- boards ----------------------------------------------------------------------------------------------


def _board_locate(db: Session, viewer: Viewer, object_id: int) -> int:
    return access_board(db=db, viewer=viewer, board_id=object_id).owner_id


def _board_owner(db: Session, object_id: int) -> int | None:
    return db.scalar(select(Board.owner_id).where(Board.id == object_id))


def _board_flags(db: Session, object_id: int) -> int:
    return int(db.scalar(select(Board.moderation).where(Board.id == object_id)) or 0)


def _board_set(db: Session, object_id: int, add: int, clear: int) -> None:
    board = db.get(Board, object_id)
    if board is None:
        return
    board.moderation = _mask(board.moderation or 0, add, clear)
    db.flush()
    note_board_content_changed(db=db, board_ids=[board.id])


def _board_summary(db: Session, object_id: int) -> dict[str, Any]:
    board = db.get(Board, object_id)
    if board is None:
        return {"title": "(deleted board)", "url": None}
    return {
        "title": board.name,
        "description": board.description or "",
        "url": f"/board/{board.id}",
        "pin_count": board.pin_count,
        "flags": board.moderation,
    }


# --- people ----------------------------------------------------------------------------------------------


def _user_locate(db: Session, viewer: Viewer, object_id: int) -> int:
    user = db.get(User, object_id)
    if user is None or (user.suspended_at is not None and viewer.user_id != user.id):
        raise NotFound("User not found.")
    return user.id


def _user_owner(db: Session, object_id: int) -> int | None:
    return db.scalar(select(User.id).where(User.id == object_id))


def _user_summary(db: Session, object_id: int) -> dict[str, Any]:
    user = db.get(User, object_id)
    if user is None:
        return {"title": "(deleted account)", "url": None}
    return {
        "title": user.display_name or user.username,
        "description": user.about,
        "url": f"/{user.username}",
        "username": user.username,
        "suspended": user.suspended_at is not None,
    }


# --- comments (comments domain): no moderation column of their own, so hide and remove delete the comment
# (the case and the audit log keep what it said); restore cannot bring it back.


def _comment_locate(db: Session, viewer: Viewer, object_id: int) -> int:
    comment = db.get(PinComment, object_id)
    if comment is None:
        raise NotFound("Comment not found.")
    access_pin(db=db, viewer=viewer, pin_id=comment.pin_id)  # a comment is seen where its pin is
    return comment.author_id


def _comment_owner(db: Session, object_id: int) -> int | None:
    return db.scalar(select(PinComment.author_id).where(PinComment.id == object_id))


def _comment_flags(db: Session, object_id: int) -> int:
    return 0 if db.get(PinComment, object_id) is not None else REMOVED


def _comment_set(db: Session, object_id: int, add: int, clear: int) -> None:
    comment = db.get(PinComment, object_id)
    if comment is not None and add & (HIDDEN | REMOVED):
        db.delete(comment)
        db.flush()


def _comment_summary(db: Session, object_id: int) -> dict[str, Any]:
    comment = db.get(PinComment, object_id)
    if comment is None:
        return {"title": "(removed comment)", "url": None}
    return {"title": comment.text[:80], "description": comment.text, "url": f"/pin/{comment.pin_id}"}


register(Kind("pin", _pin_locate, _pin_owner, _pin_flags, _pin_set, _pin_summary))
register(Kind("board", _board_locate, _board_owner, _board_flags, _board_set, _board_summary))
register(Kind("user", _user_locate, _user_owner, None, None, _user_summary))
register(Kind("comment", _comment_locate, _comment_owner, _comment_flags, _comment_set, _comment_summary))
