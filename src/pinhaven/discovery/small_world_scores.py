"""Scores of discovery on a planted small world (see small_worlds): what a person sees on their first day.

Per scenario and moment ("right after" the targets acted, before any graph refresh; "after refresh"),
averaged over the world's targets:
    first page      how many pins the first home-feed page holds (the smallest over the targets), and how
                    many unseen pictures were there;
    taste share     share of the first page showing pictures of the target's planted taste;
    related         mean share of "more like this" results (first 10) in the query picture's taste;
    hit rate        share of the held-out pictures (pooled over the targets) in the first two feed pages,
                    and the same for the baseline: as many of the most-saved pictures the target may see
                    and has neither saved nor acted on (counted in the database as it stands, ties broken
                    by age: pictures were posted in shuffled order, so ties fall at random).
Pictures are compared by image, so a saved copy of a picture counts as that picture.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from pinhaven.accounts.scopes import session_viewer
from pinhaven.boards.access import visible_pins_clause
from pinhaven.boards.models import Board
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.discovery import feed, related
from pinhaven.discovery.graph_store import GraphStore
from pinhaven.discovery.ranking import Laps
from pinhaven.discovery.service import GRAPH_SERVICE_KEY
from pinhaven.discovery.small_worlds import PlantedWorld, Scenario, Target, build_world, target_acts
from pinhaven.pagination import PageParams
from pinhaven.pins.models import Pin

__all__ = ["HIT_PAGES", "RELATED_QUERIES", "Scores", "popular_images", "run_scenario", "score"]

RELATED_QUERIES = 40  # pictures sampled as "more like this" queries
RELATED_K = 10
HIT_PAGES = 2  # hit rate @ two pages of the feed (and as many of the most-saved pictures)


@dataclass(frozen=True)
class Scores:
    scenario: str
    moment: str
    page_size: int
    targets: int
    first_page: int  # the smallest first page over the targets
    unseen_pool: int  # visible pictures a target does not have yet (the smallest over the targets)
    taste_share: float
    related_precision: float
    held_out: int  # held-out pictures over all targets
    hits: int  # ... shown in the first HIT_PAGES feed pages
    popular_hits: int  # ... among as many of the most-saved pictures
    caught_up: bool

    @property
    def hit_rate(self) -> float:
        return self.hits / self.held_out if self.held_out else 0.0

    @property
    def popular_hit_rate(self) -> float:
        return self.popular_hits / self.held_out if self.held_out else 0.0

    @property
    def lift(self) -> float:
        """Feed hit rate over the popularity baseline's (infinite when popularity hits nothing)."""
        if self.popular_hits == 0:
            return math.inf if self.hits else 0.0
        return self.hits / self.popular_hits

    @property
    def page_full_when_possible(self) -> bool:
        return self.first_page >= min(self.page_size, self.unseen_pool)

    def row(self) -> str:
        return (
            f"{self.scenario:12} {self.moment:13} page {self.first_page:>2}/{self.page_size:<2} "
            f"(pool {self.unseen_pool:>4})  taste {self.taste_share:.2f}  related {self.related_precision:.2f}  "
            f"hit {self.hit_rate:.2f} vs popular {self.popular_hit_rate:.2f} ({self.lift:.1f}x, "
            f"{self.held_out} held out, {self.targets} targets)"
        )


def run_scenario(
    ctx: AppContext, scenario: Scenario, *, timings: dict[str, float] | None = None
) -> tuple[PlantedWorld, list[Scores]]:
    """Build the world, let the targets act, score right after (graph not refreshed) and after the refresh.

    `timings`, when given, receives the seconds each step took (the bench prints them)."""
    lap = Laps(timings)
    world = build_world(ctx, scenario)
    lap("build")
    # This process serves like one that did not make the targets' writes: its graph learns of them only at
    # the periodic refresh, so "right after" measures what the request-time fold-in alone achieves.
    store = GraphStore(ctx.read_sessions, max_staleness=math.inf, follow_local_writes=False)
    ctx.services[GRAPH_SERVICE_KEY] = store
    store.build()
    lap("graph")
    target_acts(ctx, world)
    lap("act")
    before = score(ctx, world, "right after", lap=lap)
    store.refresh()
    lap("refresh")
    return world, [before, score(ctx, world, "after refresh", lap=lap)]


def _images_of(ctx: AppContext, pin_ids: Sequence[int]) -> list[int]:
    if not pin_ids:
        return []
    found: dict[int, int] = {}
    ids = list(pin_ids)
    with session_scope(ctx.read_sessions) as db:
        for start in range(0, len(ids), 900):
            rows = db.execute(select(Pin.id, Pin.image_id).where(Pin.id.in_(ids[start : start + 900])))
            found.update({int(p): int(i) for p, i in rows})
    return [found[p] for p in ids if p in found]


def _own_images(ctx: AppContext, user_id: int) -> set[int]:
    with session_scope(ctx.read_sessions) as db:
        return {int(i) for i in db.scalars(select(Pin.image_id).where(Pin.creator_id == user_id))}


def popular_images(ctx: AppContext, target: Target, *, k: int, exclude: set[int]) -> list[int]:
    """The baseline: the `k` most-saved pictures the target may see, leaving out `exclude` (images)."""
    viewer = session_viewer(target.user_id)
    saves = (
        select(Pin.parent_pin_id.label("pin_id"), func.count().label("saves"))
        .where(Pin.parent_pin_id.is_not(None))
        .group_by(Pin.parent_pin_id)
        .subquery()
    )
    query = (
        select(Pin.image_id)
        .join(Board, Board.id == Pin.board_id)
        .outerjoin(saves, saves.c.pin_id == Pin.id)
        .where(Pin.parent_pin_id.is_(None), visible_pins_clause(viewer))
        .order_by(func.coalesce(saves.c.saves, 0).desc(), Pin.id)
    )
    with session_scope(ctx.read_sessions) as db:
        ranked = [int(i) for i in db.scalars(query)]
    return [i for i in dict.fromkeys(ranked) if i not in exclude][:k]


@dataclass(frozen=True)
class _TargetScore:
    first_page: int
    unseen_pool: int
    on_taste: float
    held_out: int
    hits: int
    popular_hits: int
    caught_up: bool


def _score_target(ctx: AppContext, world: PlantedWorld, target: Target) -> _TargetScore:
    scenario, viewer = world.scenario, session_viewer(target.user_id)
    own = _own_images(ctx, target.user_id)
    acted = set(_images_of(ctx, target.acted))  # saved, or closed up on: seen either way
    unseen = {i for i in world.taste_of_image if i not in own and i not in acted}
    with session_scope(ctx.read_sessions) as db:
        page = feed.home_feed(ctx, db=db, viewer=viewer, page=PageParams(page_size=scenario.page_size))
    shown = _images_of(ctx, [p.id for p in page.items])
    on_taste = sum(1 for i in shown if world.taste_of_image.get(i) == target.taste)
    k = HIT_PAGES * scenario.page_size
    scrolled = list(shown)
    if page.bookmark is not None:  # hit rate over the first pages of the scroll
        with session_scope(ctx.read_sessions) as db:
            more = feed.home_feed(ctx, db=db, viewer=viewer,
                                  page=PageParams(page_size=k - len(shown), bookmark=page.bookmark))  # fmt: skip
        scrolled += _images_of(ctx, [p.id for p in more.items])
    held = set(_images_of(ctx, target.held_out)) - own
    popular = popular_images(ctx, target, k=k, exclude=own | acted)
    return _TargetScore(
        first_page=len(shown),
        unseen_pool=len(unseen),
        on_taste=on_taste / len(shown) if shown else 0.0,
        held_out=len(held),
        hits=len(held & set(scrolled[:k])),
        popular_hits=len(held & set(popular)),
        caught_up=page.caught_up,
    )


def score(ctx: AppContext, world: PlantedWorld, moment: str, *, lap: Laps | None = None) -> Scores:
    """Score every target's first feed pages, the related pins and the hit rates as the instance stands now."""
    lap = lap or Laps(None)
    per = [_score_target(ctx, world, t) for t in world.targets]
    lap("feeds")
    related_precision = _related_precision(ctx, world)
    lap("related")
    scenario = world.scenario
    return Scores(
        scenario=scenario.name,
        moment=moment,
        page_size=scenario.page_size,
        targets=len(per),
        first_page=min(s.first_page for s in per),
        unseen_pool=min(s.unseen_pool for s in per),
        taste_share=sum(s.on_taste for s in per) / len(per),
        related_precision=related_precision,
        held_out=sum(s.held_out for s in per),
        hits=sum(s.hits for s in per),
        popular_hits=sum(s.popular_hits for s in per),
        caught_up=any(s.caught_up for s in per),
    )


def _related_precision(ctx: AppContext, world: PlantedWorld) -> float:
    """Mean share of the first related pins in the query picture's taste (queries from every taste)."""
    rng = random.Random(world.scenario.seed + 1)
    queries = sorted(world.originals)
    queries = rng.sample(queries, min(RELATED_QUERIES, len(queries)))
    viewer = session_viewer(world.targets[0].user_id)
    shares = []
    for q in queries:
        with session_scope(ctx.read_sessions) as db:  # the ranking itself: no cached list of another moment
            pin = db.get(Pin, q)
            assert pin is not None
            ranked, _ = related.rank_related(ctx, db=db, viewer=viewer, pin=pin)
        images = _images_of(ctx, ranked[:RELATED_K])
        if images:
            taste = world.taste_of_image[world.originals[q]]
            shares.append(sum(1 for i in images if world.taste_of_image.get(i) == taste) / len(images))
    return sum(shares) / len(shares) if shares else 0.0
