"""Sign-up topics ("pick 3") and the cold-start candidates they lead to.

A topic is a handful of words; its pins are public pins whose board name or title contains one of them
(LIKE on lower-cased text: no search index needed, and the result is cached per process for minutes, so
the scan is paid rarely). Users' picks are stored in `users.interests` as topic keys. The picker shows each
topic as a picture tile: `topic_covers` picks a representative public pin per topic (never a secret one).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.boards.access import PUBLIC
from pinhaven.boards.models import Board
from pinhaven.errors import InvalidInput, NotFound
from pinhaven.pins.models import Pin

__all__ = [
    "MIN_PICKS",
    "TOPICS",
    "Topic",
    "get_interests",
    "pins_for_topic",
    "set_interests",
    "topic_covers",
]

MIN_PICKS = 3
COVER_CANDIDATES = 8  # per topic: enough to skip pins gone private and pictures another tile shows
COVER_TTL_SECONDS = 300.0
# A topic short of candidates is a small or fresh instance (where the scan is cheap) and the one place a
# new picture should show up quickly: such results are kept for seconds, not minutes.
COVER_TTL_SHORT_SECONDS = 15.0


@dataclass(frozen=True)
class Topic:
    key: str
    label: str
    words: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic("home", "Home decor", ("home", "decor", "interior", "kitchen", "living room", "bedroom")),
    Topic("food", "Food & recipes", ("food", "recipe", "baking", "dinner", "dessert", "cook")),
    Topic("travel", "Travel", ("travel", "trip", "city", "beach", "adventure", "destination")),
    Topic("fashion", "Fashion", ("fashion", "outfit", "style", "dress", "shoes", "wear")),
    Topic("art", "Art & illustration", ("art", "paint", "illustration", "drawing", "design", "poster")),
    Topic("nature", "Nature", ("nature", "mountain", "forest", "flower", "landscape", "ocean")),
    Topic("garden", "Gardening", ("garden", "plant", "succulent", "balcony", "herb")),
    Topic("diy", "DIY & crafts", ("diy", "craft", "handmade", "knit", "sewing", "woodwork")),
    Topic("fitness", "Fitness", ("fitness", "workout", "yoga", "running", "health")),
    Topic("photo", "Photography", ("photo", "camera", "portrait", "film")),
    Topic("wedding", "Weddings", ("wedding", "bride", "bouquet", "party")),
    Topic("beauty", "Beauty", ("beauty", "makeup", "hair", "skincare", "nails")),
)
BY_KEY = {t.key: t for t in TOPICS}


def set_interests(*, db: Session, user_id: int, topics: list[str]) -> list[str]:
    """Store the user's picks (known topic keys, de-duplicated); an empty list means 'skipped'."""
    unknown = [t for t in topics if t not in BY_KEY]
    if unknown:
        raise InvalidInput(
            f"unknown topic(s) {', '.join(unknown)}; known: {', '.join(BY_KEY)}", field="topics"
        )
    picks = list(dict.fromkeys(topics))
    if 0 < len(picks) < MIN_PICKS:
        raise InvalidInput(f"pick at least {MIN_PICKS} topics (or skip)", field="topics")
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("User not found.")
    user.interests = picks
    db.flush()
    return picks


def get_interests(*, db: Session, user_id: int) -> list[str] | None:
    """The user's topic keys; None when they were never asked (the home page then offers the picker)."""
    interests = db.scalar(select(User.interests).where(User.id == user_id))
    return [t for t in interests if t in BY_KEY] if isinstance(interests, list) else None


def pins_for_topic(*, db: Session, key: str, limit: int = 200) -> list[tuple[int, float]]:
    """Public pins assigned to the topic (pinhaven.topics, best first), then those matching its words, most
    saved first (score = 1 + saves)."""
    topic = BY_KEY.get(key)
    if topic is None:
        return []
    from pinhaven.topics.browse import public_pins_for_topic

    assigned = public_pins_for_topic(db=db, key=key, limit=limit)
    if len(assigned) >= limit:
        return assigned
    taken = {pin_id for pin_id, _ in assigned}
    title = func.lower(func.coalesce(Pin.title, ""))
    matches = or_(
        *(Board.name_key.contains(w, autoescape=True) for w in topic.words),
        *(title.contains(w, autoescape=True) for w in topic.words),
    )
    query = (
        select(Pin.id, Pin.save_count)
        .join(Board, Board.id == Pin.board_id)
        .where(Board.privacy == PUBLIC, matches)
        .order_by(Pin.save_count.desc(), Pin.id.desc())
        .limit(limit)
    )
    matched = [(int(pin_id), 1.0 + float(saves)) for pin_id, saves in db.execute(query)]
    return (assigned + [m for m in matched if m[0] not in taken])[:limit]


_covers_lock = threading.Lock()
_covers_cache: dict[str, tuple[float, dict[str, list[int]]]] = {}  # database URL → (expires at, candidates)


def _cover_candidates(db: Session) -> dict[str, list[int]]:
    """topic key → its most-saved public pins (ids, best first), cached per process for minutes: the
    LIKE scans behind them are too slow to repeat on every home page view of a large instance."""
    key = str(db.get_bind().engine.url)
    with _covers_lock:
        hit = _covers_cache.get(key)
    if hit is not None and time.monotonic() < hit[0]:
        return hit[1]
    found = {t.key: [p for p, _ in pins_for_topic(db=db, key=t.key, limit=COVER_CANDIDATES)] for t in TOPICS}
    full = all(len(ids) == COVER_CANDIDATES for ids in found.values())
    with _covers_lock:
        _covers_cache[key] = (
            time.monotonic() + (COVER_TTL_SECONDS if full else COVER_TTL_SHORT_SECONDS),
            found,
        )
    return found


def forget_covers() -> None:
    """Drop the cached cover candidates (tests)."""
    with _covers_lock:
        _covers_cache.clear()


def topic_covers(*, db: Session) -> dict[str, Pin]:
    """topic key → the picture its tile shows: the topic's most-saved pin that is public *now* (the cached
    candidates are re-checked in one query, so a board made secret since never lends its pictures), one
    picture per tile (no two tiles show the same image). Topics without a public pin have no cover."""
    candidates = _cover_candidates(db)
    wanted = sorted({p for ids in candidates.values() for p in ids})
    if not wanted:
        return {}
    rows = db.scalars(
        select(Pin)
        .join(Board, Board.id == Pin.board_id)
        .where(Pin.id.in_(wanted), Board.privacy == PUBLIC, Board.moderation == 0, Pin.moderation == 0)
    )
    public = {pin.id: pin for pin in rows}
    covers: dict[str, Pin] = {}
    used_images: set[int] = set()
    for topic in TOPICS:
        for pin_id in candidates.get(topic.key, []):
            pin = public.get(pin_id)
            if pin is not None and pin.image_id not in used_images:
                covers[topic.key] = pin
                used_images.add(pin.image_id)
                break
    return covers
