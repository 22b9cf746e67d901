"""Home-feed candidate sources over the database and the graph. Each returns [(pin_id, score)], best first.

Viewer-independent sources (trending, fresh, popular, topics) hold public pins only and are cached per
process for a short time (`SourceCache`); the feed runs the privacy filter on the fused list anyway.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar, cast

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import PUBLIC, visible_pins_clause
from pinhaven.boards.models import Board
from pinhaven.cache import Cache, cache_of
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import SessionFactory
from pinhaven.db.ids import new_id
from pinhaven.discovery import shared_cache
from pinhaven.discovery.candidates import DAY, Action, PopularityIndex, recency_weights, walk_candidates
from pinhaven.discovery.graph import PinBoardGraph
from pinhaven.discovery.graph_store import local_change_count
from pinhaven.discovery.service import VisualNeighbours
from pinhaven.events.models import PinStatsDaily
from pinhaven.events.service import recent_actions
from pinhaven.pins.models import Pin

__all__ = [
    "ACTION_WEIGHTS",
    "FOLLOW_QUERY_WEIGHT",
    "SourceCache",
    "UserHistory",
    "co_board",
    "follow_actions",
    "following",
    "fresh",
    "history",
    "popular",
    "seed_weights",
    "source_cache",
    "trending",
    "trending_source",
    "visual_taste",
    "walks",
]

T = TypeVar("T")
log = logging.getLogger("pinhaven.discovery")
ACTION_WEIGHTS = {"save": 1.0, "click": 0.7, "closeup": 0.5, "own": 1.0}
HISTORY_DAYS = 90
OWN_PINS = 50  # the user's latest pins taken as actions
FOLLOWING_DAYS = 30
TRENDING_DAYS = 7
TRENDING_HALF_LIFE_DAYS = 2.0
FRESH_DAYS = 7
FOLLOW_QUERY_WEIGHT = 0.4  # a followed person's or board's recent pin, as a walk query (a save is 1)
FOLLOW_QUERIES = 20
SEED_PINS = 30  # the user's heaviest action pins that seed the board and visual sources
BOARDS_PER_SEEDS = 60
VISUAL_SEEDS = 10
VISUAL_NEIGHBOURS = 30
CACHE_KEY = "discovery.source_cache"


class SourceCache:
    """Per-process values of the viewer-independent sources, refreshed off the request path.

    A value older than its TTL is still served while one background thread recomputes it (stale while
    revalidate), so no request pays for trending or topic scans. `sync_on_local_write` sources (fresh
    pins) are recomputed at once after this process wrote pins, so a new pin shows up for the next
    request, as people expect right after posting; other processes' writes show up within the TTL.
    With a shared cache (Redis) a value one host computed is adopted by the others while younger than its
    TTL (discovery.shared_cache), so other hosts' writes show up within twice the TTL.
    """

    def __init__(self, sessions: SessionFactory, shared: Cache | None = None) -> None:
        self.sessions = sessions
        self.shared = shared
        self._values: dict[str, tuple[float, int, object]] = {}
        self._refreshing: set[str] = set()
        self._lock = threading.Lock()

    def get(
        self, key: str, ttl: float, compute: Callable[[Session], T], *, sync_on_local_write: bool = False
    ) -> T:
        version = local_change_count()
        hit = self._values.get(key)
        if hit is not None and (hit[1] == version or not sync_on_local_write):
            if time.monotonic() - hit[0] >= ttl:
                self._refresh_later(key, ttl, compute, version)
            return hit[2]  # type: ignore[return-value]
        # After this process's own write, recompute (another host's list would not have the new pin yet).
        value = self._compute(key, ttl, compute, adopt=hit is None)
        self._values[key] = (time.monotonic(), version, value)
        return value

    def _compute(self, key: str, ttl: float, compute: Callable[[Session], T], *, adopt: bool) -> T:
        if self.shared is not None and adopt:
            found = shared_cache.fetch_source(self.shared, key, ttl)
            if found is not None:
                return cast(T, found)
        with self.sessions() as db:
            value = compute(db)
        if self.shared is not None:
            shared_cache.publish_source(self.shared, key, value, ttl)
        return value

    def _refresh_later(self, key: str, ttl: float, compute: Callable[[Session], T], version: int) -> None:
        with self._lock:
            if key in self._refreshing:
                return
            self._refreshing.add(key)

        def run() -> None:
            try:
                self._values[key] = (time.monotonic(), version, self._compute(key, ttl, compute, adopt=True))
            except Exception:  # the stale value stays; the next expiry retries
                log.exception("refreshing the %s candidates failed", key)
            finally:
                with self._lock:
                    self._refreshing.discard(key)

        threading.Thread(target=run, name=f"discovery-{key}", daemon=True).start()

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


def source_cache(ctx: AppContext) -> SourceCache:
    cache: SourceCache | None = ctx.services.get(CACHE_KEY)
    if cache is None:
        cache = ctx.services.setdefault(CACHE_KEY, SourceCache(ctx.read_sessions, cache_of(ctx)))
    return cache


@dataclass(frozen=True)
class UserHistory:
    """What the user did lately: walk query actions and the pins they act on; their own pins."""

    actions: list[Action]
    own_pin_ids: set[int]
    own_image_ids: set[int]
    has_more_pins: bool  # more own pins than OWN_PINS: own images beyond these need a query


def history(*, db: Session, user_id: int, now: datetime) -> UserHistory:
    """Recent saves, close-ups and clicks (events) plus the user's own latest pins (as saves of the original)."""
    since = now - timedelta(days=HISTORY_DAYS)
    actions = [
        Action(pin_id, at.timestamp(), ACTION_WEIGHTS.get(kind, 0.5))
        for pin_id, kind, at in recent_actions(db=db, user_id=user_id, since=since)
    ]
    own = db.execute(
        select(Pin.id, Pin.parent_pin_id, Pin.created_at, Pin.image_id)
        .where(Pin.creator_id == user_id)
        .order_by(Pin.id.desc())
        .limit(OWN_PINS + 1)
    ).all()
    for pin_id, parent_id, created_at, _ in own[:OWN_PINS]:
        if created_at >= since:
            # A saved pin's own node only links to the saver's board; its original reaches further.
            actions.append(Action(parent_id or pin_id, created_at.timestamp(), ACTION_WEIGHTS["own"]))
    return UserHistory(
        actions, {int(r[0]) for r in own[:OWN_PINS]}, {int(r[3]) for r in own[:OWN_PINS]}, len(own) > OWN_PINS
    )


def following(
    *, db: Session, viewer: Viewer, user_ids: list[int], board_ids: list[int], now: datetime, limit: int = 200
) -> list[tuple[int, float]]:
    """Newest pins from followed people and boards (visible to the viewer), scored by recency."""
    if not user_ids and not board_ids:
        return []
    query = (
        select(Pin.id, Pin.created_at)
        .join(Board, Board.id == Pin.board_id)
        .where(
            or_(Pin.creator_id.in_(user_ids), Pin.board_id.in_(board_ids)),
            visible_pins_clause(viewer),
            Pin.creator_id != viewer.user_id,
            Pin.id >= new_id(now - timedelta(days=FOLLOWING_DAYS)),
        )
        .order_by(Pin.id.desc())
        .limit(limit)
    )
    return [(int(p), 0.5 ** (max((now - at).total_seconds(), 0) / (2 * DAY))) for p, at in db.execute(query)]


def follow_actions(followed_pins: list[tuple[int, float]], *, now: datetime) -> list[Action]:
    """The newest pins of followed people and boards as light walk queries: a user who follows someone but
    saved nothing yet still gets pins like theirs, not only theirs."""
    return [Action(p, now.timestamp(), FOLLOW_QUERY_WEIGHT) for p, _ in followed_pins[:FOLLOW_QUERIES]]


def walks(
    graph: PinBoardGraph,
    actions: list[Action],
    *,
    now: datetime,
    exclude: set[int],
    seed: int,
    steps: int = 30_000,
    top_k: int = 300,
) -> list[tuple[int, float]]:
    """Pixie walks from the recent action pins, weighted by recency and kind of action."""
    if not actions:
        return []
    return walk_candidates(
        graph, actions, now=now.timestamp(), top_k=top_k, steps=steps, exclude=exclude, seed=seed
    )


def seed_weights(actions: list[Action], *, now: datetime, limit: int = SEED_PINS) -> dict[int, float]:
    """The user's heaviest action pins (recency-weighted) that seed the board and visual sources."""
    return recency_weights(actions, now=now.timestamp(), max_queries=limit)


def co_board(
    *, db: Session, user_id: int, seeds: dict[int, float], limit: int = 300
) -> list[tuple[int, float]]:
    """Pins sharing a public board with the pictures the user acted on: the boards those pictures came
    from and the boards other people saved them to (same-board co-occurrence).

    Read from the database, not the graph: a save counts from the moment it commits, with no wait for the
    graph refresh. The user's own boards hold only what they saved, so they are left out. Each board's
    weight is spread over its pins (1/sqrt(size)), so one big board does not drown the others.
    """
    if not seeds:
        return []
    seed_ids = list(seeds)
    holders = db.execute(
        select(Pin.id, Pin.parent_pin_id, Pin.board_id)
        .join(Board, Board.id == Pin.board_id)
        .where(
            or_(Pin.id.in_(seed_ids), Pin.parent_pin_id.in_(seed_ids)),
            Board.privacy == PUBLIC,
            Board.owner_id != user_id,
        )
    ).all()
    board_weight: dict[int, float] = {}
    for pin_id, parent_id, board_id in holders:
        weight = seeds.get(int(pin_id), 0.0) or seeds.get(int(parent_id or 0), 0.0)
        board_weight[int(board_id)] = board_weight.get(int(board_id), 0.0) + weight
    boards = sorted(board_weight, key=lambda b: (-board_weight[b], b))[:BOARDS_PER_SEEDS]
    if not boards:
        return []
    members = db.execute(
        select(Pin.id, Pin.parent_pin_id, Pin.board_id)
        .where(Pin.board_id.in_(boards))
        .order_by(Pin.id.desc())
        .limit(limit * 10)
    ).all()
    size: dict[int, int] = {}
    for _, _, board_id in members:
        size[int(board_id)] = size.get(int(board_id), 0) + 1
    scores: dict[int, float] = {}
    for pin_id, parent_id, board_id in members:
        picture = int(parent_id or pin_id)  # a saved copy counts for its original (one node per picture)
        if picture in seeds or int(pin_id) in seeds:
            continue
        b = int(board_id)
        scores[picture] = scores.get(picture, 0.0) + board_weight[b] / size[b] ** 0.5
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def visual_taste(
    visual: VisualNeighbours | None, seeds: dict[int, float], *, limit: int = 300
) -> list[tuple[int, float]]:
    """Pictures that look like the ones the user acted on: each seed's nearest images, by seed weight x
    cosine. Ids only; the feed's privacy filter decides what the viewer may see."""
    if visual is None or not seeds:
        return []
    scores: dict[int, float] = {}
    for pin_id, weight in sorted(seeds.items(), key=lambda kv: (-kv[1], kv[0]))[:VISUAL_SEEDS]:
        for other, cosine in visual.similar_pins(pin_id, VISUAL_NEIGHBOURS):
            if other not in seeds and cosine > 0:
                scores[other] = scores.get(other, 0.0) + weight * cosine
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def trending_source(ctx: AppContext) -> Callable[[Session], list[tuple[int, float]]]:
    """The trending source for the source cache: with the event bus on, the trending consumer's sliding
    24-hour windows (stream/trending.py); without it, the daily counters below."""
    if ctx.settings.event_bus_url:
        from pinhaven.stream import trending as windows

        return lambda db: windows.trending(db=db, now=utcnow())
    return lambda db: trending(db=db, now=utcnow())


def trending(*, db: Session, now: datetime, limit: int = 300) -> list[tuple[int, float]]:
    """Public pins by time-decayed engagement over the last days (saves > clicks > close-ups), in SQL."""
    today = now.date()
    d = PinStatsDaily
    decay = case(
        *(
            (d.day == today - timedelta(days=age), 0.5 ** (age / TRENDING_HALF_LIFE_DAYS))
            for age in range(TRENDING_DAYS)
        ),
        else_=0.0,
    )
    score = func.sum((3 * d.saves + 2 * d.outbound_clicks + d.closeups + 0.02 * d.impressions) * decay)
    query = (
        select(d.pin_id, score)
        .join(Pin, Pin.id == d.pin_id)
        .join(Board, Board.id == Pin.board_id)
        .where(d.day >= today - timedelta(days=TRENDING_DAYS - 1), Board.privacy == PUBLIC)
        .group_by(d.pin_id)
        .order_by(score.desc(), d.pin_id.desc())
        .limit(limit)
    )
    return [(int(p), float(v)) for p, v in db.execute(query) if v and v > 0]


def fresh(*, db: Session, now: datetime, limit: int = 200) -> list[tuple[int, float]]:
    """The newest original (not re-saved) public pins, scored by age (half-life one day)."""
    query = (
        select(Pin.id, Pin.created_at)
        .join(Board, Board.id == Pin.board_id)
        .where(
            Board.privacy == PUBLIC,
            Pin.parent_pin_id.is_(None),
            Pin.id >= new_id(now - timedelta(days=FRESH_DAYS)),
        )
        .order_by(Pin.id.desc())
        .limit(limit)
    )
    return [(int(p), 0.5 ** (max((now - at).total_seconds(), 0) / DAY)) for p, at in db.execute(query)]


def popular(graph: PinBoardGraph, *, limit: int = 300) -> list[tuple[int, float]]:
    """Pins on the most boards (the graph holds public links only)."""
    return PopularityIndex.from_graph(graph).top(limit)
