"""The personalised home feed: a ranked session per scroll, served page by page.

    first page:  feed_rank.generate() ranks a few hundred pins for the user (sources → fusion → privacy
                 → features → scorer → diversity) and they are stored as a feed session (memory + the
                 feed_sessions table, so any process can serve the next pages);
    next pages:  slices of that session (the bookmark carries the session id and an offset), re-checked
                 for privacy, deletion and hides at serving time, so pages never repeat a pin;
    end of list: a continuation session is generated that excludes every pin the scroll showed before;
                 when that leaves nothing, the scroll starts again with the best older pins.
    caught up:   sessions rank pins the viewer has not been shown first; a page made only of pins shown
                 before says so (`caught_up`, "You're all caught up" on the web page) and goes on.
Signed-out visitors get the chronological public stream (pins.feeds.following_then_recent).

The session id is the page's `request_id`: impressions that carry it get the source and score of the pin
recorded with them (`impression_annotator`), so the feed_sessions rows plus the events are the feed log.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import visible_pin_ids
from pinhaven.cache import cache_of
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.db.ids import new_id
from pinhaven.discovery import shared_cache
from pinhaven.discovery.feed_rank import SEEN_DAYS, SESSION_SIZE, generate, prime
from pinhaven.discovery.models import FeedSession
from pinhaven.errors import InvalidInput
from pinhaven.events.service import hidden_pin_ids, seen_pin_ids
from pinhaven.pagination import Page, PageParams, decode_bookmark, encode_bookmark
from pinhaven.pins import feeds
from pinhaven.pins.models import Pin
from pinhaven.search.visual.groups import group_ids

__all__ = [
    "SESSION_SIZE",
    "FeedPage",
    "FeedSessionData",
    "explain_session",
    "generate",
    "home_feed",
    "impression_annotator",
    "load_session",
    "prime",
]

MAX_EXCLUDED = 3000  # pins of earlier sessions a continuation leaves out
_SESSIONS_KEY = "discovery.feed_sessions"


@dataclass(frozen=True)
class FeedPage(Page[Pin]):
    """A page of pins plus the id impressions should carry (the feed session)."""

    request_id: str | None = None
    caught_up: bool = False  # every picture the viewer may see was shown already: older ones follow


@dataclass
class FeedSessionData:
    id: int
    user_id: int
    items: list[tuple[int, str, float]]  # (pin_id, source, score), in feed order
    previous_id: int | None = None
    excluded: list[int] = field(default_factory=list)  # pins of the earlier sessions of the same scroll
    _index: dict[int, tuple[int, str, float]] | None = field(default=None, repr=False)

    def explain(self, pin_id: int) -> tuple[int, str, float] | None:
        """(position, source, score) of a pin in this session."""
        if self._index is None:
            self._index = {p: (i, s, sc) for i, (p, s, sc) in enumerate(self.items)}
        return self._index.get(pin_id)


class _SessionCache:
    def __init__(self, capacity: int = 5000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[int, FeedSessionData] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session_id: int) -> FeedSessionData | None:
        with self._lock:
            found = self._items.get(session_id)
            if found is not None:
                self._items.move_to_end(session_id)
            return found

    def put(self, session: FeedSessionData) -> None:
        with self._lock:
            self._items[session.id] = session
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)


def _cache(ctx: AppContext) -> _SessionCache:
    cache: _SessionCache | None = ctx.services.get(_SESSIONS_KEY)
    if cache is None:
        cache = ctx.services.setdefault(_SESSIONS_KEY, _SessionCache())
    return cache


# ---- sessions and pages -------------------------------------------------------------------------------


def _store_session(ctx: AppContext, session: FeedSessionData) -> None:
    _cache(ctx).put(session)
    with session_scope(ctx.sessions) as db:  # a GET's own session is read-only: a short write of its own
        db.add(
            FeedSession(
                id=session.id,
                user_id=session.user_id,
                previous_id=session.previous_id,
                excluded=session.excluded,
                items=[[p, s, sc] for p, s, sc in session.items],
            )
        )
    # Committed first: the row is the feed log; the shared copy only spares other hosts a read of it.
    values = (session.id, session.user_id, session.items, session.previous_id, session.excluded)
    shared_cache.share_session(cache_of(ctx), values)


def load_session(ctx: AppContext, *, db: Session, session_id: int) -> FeedSessionData | None:
    """A feed session from this process's memory, else the shared cache, else the table (another process
    or host made it). Sessions never change once stored, so no copy of one can be stale."""
    found = _cache(ctx).get(session_id)
    if found is not None:
        return found
    shared = shared_cache.shared_session(cache_of(ctx), session_id)
    if shared is not None:
        found = FeedSessionData(*shared)
        _cache(ctx).put(found)
        return found
    row = db.get(FeedSession, session_id)
    if row is None:
        return None
    found = FeedSessionData(
        row.id,
        row.user_id,
        [(int(p), str(s), float(sc)) for p, s, sc in row.items],
        row.previous_id,
        [int(p) for p in row.excluded or []],
    )
    _cache(ctx).put(found)
    return found


def _new_session(
    ctx: AppContext, db: Session, viewer: Viewer, previous: FeedSessionData | None
) -> FeedSessionData:
    assert viewer.user_id is not None
    excluded: list[int] = []
    if previous is not None:  # everything the scroll showed so far, the latest session first
        excluded = list(dict.fromkeys([p for p, _, _ in previous.items] + previous.excluded))[:MAX_EXCLUDED]
    session_id = new_id()
    items = generate(ctx, db=db, viewer=viewer, exclude=set(excluded), session_id=session_id)
    if not items and excluded:
        # The scroll showed everything: go on with the best older pins (a new pass, never an empty page).
        excluded = []
        items = generate(ctx, db=db, viewer=viewer, session_id=session_id)
    session = FeedSessionData(session_id, viewer.user_id, items, previous.id if previous else None, excluded)
    if items:
        _store_session(ctx, session)
    return session


def _serve(
    db: Session,
    viewer: Viewer,
    session: FeedSessionData,
    offset: int,
    size: int,
    on_page: Sequence[Pin] = (),
) -> tuple[list[Pin], int]:
    """Up to `size` pins from `offset`, skipping pins gone, made invisible or hidden since the ranking, and
    a second picture of a duplicate group already on the page (groups can merge after the ranking): the
    page is filled from the next pins instead of coming out short."""
    assert viewer.user_id is not None
    hidden = hidden_pin_ids(db=db, user_id=viewer.user_id)
    from pinhaven.messages.blocks import blocked_user_ids

    blocked = blocked_user_ids(db, viewer.user_id)  # people blocked either way are never suggested
    out: list[Pin] = []
    # A page topped up from the next session (a new pass over older pins) never repeats what it already shows.
    shown = {p.id for p in on_page}
    groups_on_page: set[int] = (
        set(group_ids(db, {p.image_id for p in on_page}).values()) if on_page else set()
    )
    while len(out) < size and offset < len(session.items):
        window = [p for p, _, _ in session.items[offset : offset + size - len(out) + 8]]
        visible = visible_pin_ids(db=db, viewer=viewer, pin_ids=window)
        pins = {
            p.id: p for p in db.scalars(select(Pin).where(Pin.id.in_([p for p in window if p in visible])))
        }
        group_of = group_ids(db, {p.image_id for p in pins.values()})
        for p in window:
            offset += 1
            if (
                p in pins
                and p not in hidden
                and p not in shown
                and pins[p].creator_id not in blocked
                and group_of[pins[p].image_id] not in groups_on_page
            ):
                groups_on_page.add(group_of[pins[p].image_id])
                out.append(pins[p])
                if len(out) == size:
                    break
    return out, offset


def home_feed(ctx: AppContext, *, db: Session, viewer: Viewer, page: PageParams) -> FeedPage:
    """The viewer's home feed page; signed-out visitors get recent public pins."""
    if viewer.user_id is None:
        result = feeds.following_then_recent(db=db, viewer=viewer, page=page)
        return FeedPage(items=result.items, bookmark=result.bookmark)
    session_id, offset = _decode(page.bookmark)
    session = load_session(ctx, db=db, session_id=session_id) if session_id is not None else None
    if session is not None and session.user_id != viewer.user_id:
        raise InvalidInput("is not a bookmark this server issued", field="bookmark")
    if session is None:  # first page, or a session swept or never stored: start afresh
        session, offset = _new_session(ctx, db, viewer, None), 0
    items, offset = _serve(db, viewer, session, offset, page.page_size)
    if offset >= len(session.items) and session.items:
        following = _new_session(ctx, db, viewer, session)
        if len(items) < page.page_size and following.items:
            more, next_offset = _serve(db, viewer, following, 0, page.page_size - len(items), items)
            items += more
            session, offset = following, next_offset
        elif following.items:
            session, offset = following, 0
    bookmark = encode_bookmark(["h", session.id, offset]) if offset < len(session.items) else None
    return FeedPage(
        items=items, bookmark=bookmark, request_id=str(session.id), caught_up=_caught_up(db, viewer, items)
    )


def _caught_up(db: Session, viewer: Viewer, items: list[Pin]) -> bool:
    """True when every pin of the page was shown to the viewer before: sessions rank unseen pins first, so
    nothing new is left and the older pins that follow are the best of what they have seen."""
    assert viewer.user_id is not None
    if not items:
        return False
    seen = seen_pin_ids(db=db, user_id=viewer.user_id, since=utcnow() - timedelta(days=SEEN_DAYS))
    return all(p.id in seen for p in items)


def _decode(bookmark: str | None) -> tuple[int | None, int]:
    values = decode_bookmark(bookmark, arity=3)
    if values is None:
        return None, 0
    tag, session_id, offset = values
    if tag != "h" or not isinstance(session_id, int) or not isinstance(offset, int) or offset < 0:
        raise InvalidInput("is not a bookmark this server issued", field="bookmark")
    return session_id, offset


def impression_annotator(ctx: AppContext) -> Callable[[str, int, str], dict[str, Any] | None]:
    """For the events API: which source produced a home-feed pin, and its score, from the request id."""

    looked_up: dict[str, FeedSessionData | None] = {}  # one batch: one lookup per request id

    def annotate(request_id: str, pin_id: int, kind: str) -> dict[str, Any] | None:
        if not request_id.isdigit() or len(request_id) > 19:
            return None
        if request_id not in looked_up:
            with ctx.read_sessions() as db:
                looked_up[request_id] = load_session(ctx, db=db, session_id=int(request_id))
        session = looked_up[request_id]
        found = session.explain(pin_id) if session else None
        return {"source": found[1], "score": found[2], "rank": found[0]} if found else None

    return annotate


def explain_session(ctx: AppContext, *, db: Session, session_id: int) -> Sequence[tuple[int, str, float]]:
    """The ranked items of a feed session (operators, tests)."""
    session = load_session(ctx, db=db, session_id=session_id)
    return session.items if session else []
