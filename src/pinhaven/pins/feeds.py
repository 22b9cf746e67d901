"""Chronological pin streams: what the people and boards you follow saved, then recent public pins.

The personalised home feed (discovery/) builds on these as one of its candidate sources.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from pinhaven.accounts.follows import followed_user_ids
from pinhaven.accounts.scopes import ANONYMOUS, Viewer
from pinhaven.boards.access import visible_pins_clause
from pinhaven.boards.members import followed_board_ids
from pinhaven.boards.models import Board
from pinhaven.errors import InvalidInput
from pinhaven.pagination import Page, PageParams, decode_bookmark, encode_bookmark
from pinhaven.pins.models import Pin

FOLLOWING, RECENT = "f", "r"


def _following_clause(db: Session, user_id: int) -> ColumnElement[bool]:
    users = followed_user_ids(db=db, user_id=user_id)
    boards = followed_board_ids(db=db, user_id=user_id)
    if not users and not boards:
        return false()
    return or_(Pin.creator_id.in_(users), Pin.board_id.in_(boards))


def following_then_recent(*, db: Session, viewer: Viewer, page: PageParams) -> Page[Pin]:
    """Signed in: pins from followed people and boards, newest first, then recent public pins.

    The bookmark records the phase and the last id, so pages never repeat a pin.
    """
    phase, cursor = _decode(page.bookmark)
    items: list[Pin] = []
    if viewer.user_id is not None and phase == FOLLOWING:
        following = _following_clause(db, viewer.user_id)
        query = (
            select(Pin)
            .join(Board, Board.id == Pin.board_id)
            .where(following, visible_pins_clause(viewer), Pin.creator_id != viewer.user_id)
        )
        if cursor is not None:
            query = query.where(Pin.id < cursor)
        rows = list(db.scalars(query.order_by(Pin.id.desc()).limit(page.page_size + 1)))
        if len(rows) > page.page_size:
            items = rows[: page.page_size]
            return Page(items=items, bookmark=encode_bookmark([FOLLOWING, items[-1].id]))
        items = rows
        phase, cursor = RECENT, None
    remaining = page.page_size - len(items)
    exclude = {p.id for p in items}
    query = select(Pin).join(Board, Board.id == Pin.board_id).where(visible_pins_clause(ANONYMOUS))
    if viewer.user_id is not None:
        query = query.where(Pin.creator_id != viewer.user_id, ~_following_clause(db, viewer.user_id))
    if cursor is not None:
        query = query.where(Pin.id < cursor)
    rows = [p for p in db.scalars(query.order_by(Pin.id.desc()).limit(remaining + 1)) if p.id not in exclude]
    if len(rows) > remaining:
        items += rows[:remaining]
        last = rows[remaining - 1].id if remaining > 0 else None
        if last is None:
            return Page(items=items, bookmark=encode_bookmark([RECENT, 2**62]))
        return Page(items=items, bookmark=encode_bookmark([RECENT, last]))
    return Page(items=items + rows, bookmark=None)


def _decode(bookmark: str | None) -> tuple[str, int | None]:
    values = decode_bookmark(bookmark, arity=2)
    if values is None:
        return FOLLOWING, None
    phase, cursor = values
    if phase not in (FOLLOWING, RECENT) or not isinstance(cursor, int):
        raise InvalidInput("is not a bookmark this server issued", field="bookmark")
    return phase, cursor
