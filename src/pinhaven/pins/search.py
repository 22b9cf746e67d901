"""Plain substring search over pins (v5 /search/pins). The search domain adds full-text and semantic search."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import visible_pins_clause
from pinhaven.boards.models import Board
from pinhaven.pagination import Page, PageParams, bookmark_int, page_from_rows
from pinhaven.pins.models import Pin


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_own_pins(
    *, db: Session, viewer: Viewer, owner_id: int, query_text: str, page: PageParams
) -> Page[Pin]:
    """A user's own pins whose every word appears in the title, description or alt text."""
    query = (
        select(Pin)
        .join(Board, Board.id == Pin.board_id)
        .where(Pin.creator_id == owner_id, visible_pins_clause(viewer))
    )
    for word in query_text.split()[:8]:
        like = _like(word)
        query = query.where(
            or_(
                func.lower(Pin.title).like(like, escape="\\"),
                func.lower(Pin.description).like(like, escape="\\"),
                func.lower(Pin.alt_text).like(like, escape="\\"),
            )
        )
    cursor = bookmark_int(page.bookmark)
    if cursor is not None:
        query = query.where(Pin.id < cursor)
    rows = list(db.scalars(query.order_by(Pin.id.desc()).limit(page.page_size + 1)))
    return page_from_rows(rows, page.page_size, lambda p: p.id)
