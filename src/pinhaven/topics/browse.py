"""A topic's pins, for everyone who may see them: topic pages, the search filter, cold start and feed caps.

"Best" is the PinLanding-style ranking of a collection: the pins most confidently about the topic, the most
saved first among equals (confidence is rounded to tenths so saves decide within a band).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import PUBLIC, visible_pins_clause
from pinhaven.boards.models import Board
from pinhaven.pagination import Page, PageParams, decode_bookmark, page_from_rows
from pinhaven.pins.models import Pin
from pinhaven.topics.models import PinTopic, Topic

__all__ = ["main_topics", "pin_ids_in_topic_clause", "pins_for_topic", "public_pins_for_topic"]


def _slug_clause(db: Session, slug: str) -> tuple[str, str]:
    """(column, slug): a top topic filters on `top_slug`, a subtopic on `topic_slug`."""
    topic = db.get(Topic, slug)
    return ("top_slug", slug) if topic is None or topic.parent_slug is None else ("topic_slug", slug)


def pin_ids_in_topic_clause(db: Session, slug: str) -> Select[tuple[int]]:
    """SELECT pin_id of the pins with this topic (a top topic includes its subtopics)."""
    column, value = _slug_clause(db, slug)
    return select(PinTopic.pin_id).where(getattr(PinTopic, column) == value)


def pins_for_topic(*, db: Session, viewer: Viewer, slug: str, page: PageParams) -> Page[Pin]:
    """The topic's pins `viewer` may see, best first (keyset: confidence band, saves, id)."""
    column, value = _slug_clause(db, slug)
    band = func.round(PinTopic.confidence * 10)
    query = (
        select(Pin, band.label("band"))
        .join(PinTopic, PinTopic.pin_id == Pin.id)
        .join(Board, Board.id == Pin.board_id)
        .where(getattr(PinTopic, column) == value, visible_pins_clause(viewer))
    )
    after = decode_bookmark(page.bookmark, arity=3)
    if after is not None:
        b, saves, pin_id = int(after[0]), int(after[1]), int(after[2])
        query = query.where(
            (band < b)
            | ((band == b) & (Pin.save_count < saves))
            | ((band == b) & (Pin.save_count == saves) & (Pin.id < pin_id))
        )
    rows = db.execute(
        query.order_by(band.desc(), Pin.save_count.desc(), Pin.id.desc()).limit(page.page_size + 1)
    ).all()
    # A pin with two subtopics of one top topic would come twice on the top topic's page: keep its first.
    seen: set[int] = set()
    unique = []
    for pin, b in rows:
        if pin.id not in seen:
            seen.add(pin.id)
            unique.append((pin, int(b)))
    result = page_from_rows(unique, page.page_size, key=lambda row: [row[1], row[0].save_count, row[0].id])
    return Page(items=[pin for pin, _ in result.items], bookmark=result.bookmark)


def public_pins_for_topic(*, db: Session, key: str, limit: int = 200) -> list[tuple[int, float]]:
    """Public pins assigned to the top topic `key`, best first, as (pin id, score) for cold-start feeds."""
    rows = db.execute(
        select(Pin.id, Pin.save_count, PinTopic.confidence)
        .join(PinTopic, PinTopic.pin_id == Pin.id)
        .join(Board, Board.id == Pin.board_id)
        .where(PinTopic.top_slug == key, Board.privacy == PUBLIC, Board.moderation == 0, Pin.moderation == 0)
        .order_by(PinTopic.confidence.desc(), Pin.save_count.desc(), Pin.id.desc())
        .limit(limit)
    ).all()
    best: dict[int, float] = {}
    for pin_id, saves, confidence in rows:
        best.setdefault(int(pin_id), (1.0 + float(saves)) * float(confidence))
    return list(best.items())


def main_topics(*, db: Session, pin_ids: Sequence[int]) -> dict[int, str]:
    """pin id → its main top topic (ordinal 0), for the feed's topic cap; pins without topics are absent."""
    if not pin_ids:
        return {}
    out: dict[int, str] = {}
    ids = list(pin_ids)
    for start in range(0, len(ids), 900):  # bound the IN list
        chunk = ids[start : start + 900]
        out.update(
            (int(p), str(t))
            for p, t in db.execute(
                select(PinTopic.pin_id, PinTopic.top_slug).where(
                    PinTopic.pin_id.in_(chunk), PinTopic.ordinal == 0
                )
            )
        )
    return out
