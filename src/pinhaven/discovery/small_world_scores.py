"""Scores of discovery on a planted small world (see small_worlds): what a person sees on their first day.

Per scenario and moment ("right after" the target acted, before any graph refresh; "after refresh"):
    first page      how many pins the first home-feed page holds, and how many unseen pictures were there;
    taste share     share of the first page showing pictures of the target's planted taste;
    related         mean share of "more like this" results (first 10) in the query picture's taste;
    hit rate        share of the held-out pictures in the first two pages, and the same for as many of the
                    most popular pictures (the project's popularity baseline: pins on the most boards).
Pictures are compared by image, so a saved copy of a picture counts as that picture.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from pinhaven.accounts.scopes import session_viewer
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.discovery import feed, related
from pinhaven.discovery.candidates import PopularityIndex
from pinhaven.discovery.graph_store import GraphStore
from pinhaven.discovery.service import GRAPH_SERVICE_KEY, graph_store
from pinhaven.discovery.small_worlds import PlantedWorld, Scenario, build_world, target_acts
from pinhaven.pagination import PageParams
from pinhaven.pins.models import Pin

__all__ = ["RELATED_QUERIES", "Scores", "run_scenario", "score"]

RELATED_QUERIES = 40  # pictures sampled as "more like this" queries
RELATED_K = 10
HIT_PAGES = 2  # hit rate @ two pages of the feed (and as many of the most popular pictures)


@dataclass(frozen=True)
class Scores:
    scenario: str
    moment: str
    page_size: int
    first_page: int
    unseen_pool: int  # visible pictures the target does not have yet
    taste_share: float
    related_precision: float
    hit_rate: float
    popular_hit_rate: float
    caught_up: bool

    @property
    def page_full_when_possible(self) -> bool:
        return self.first_page >= min(self.page_size, self.unseen_pool)

    def row(self) -> str:
        return (
            f"{self.scenario:12} {self.moment:13} page {self.first_page:>2}/{self.page_size:<2} "
            f"(pool {self.unseen_pool:>4})  taste {self.taste_share:.2f}  related {self.related_precision:.2f}  "
            f"hit {self.hit_rate:.2f} vs popular {self.popular_hit_rate:.2f}"
        )


def run_scenario(ctx: AppContext, scenario: Scenario) -> tuple[PlantedWorld, list[Scores]]:
    """Build the world, let the target act, score right after (graph not refreshed) and after the refresh."""
    world = build_world(ctx, scenario)
    # This process serves like one that did not make the target's writes: its graph learns of them only at
    # the periodic refresh, so "right after" measures what the request-time fold-in alone achieves.
    store = GraphStore(ctx.read_sessions, max_staleness=math.inf, follow_local_writes=False)
    ctx.services[GRAPH_SERVICE_KEY] = store
    store.build()
    target_acts(ctx, world)
    before = score(ctx, world, "right after")
    store.refresh()
    return world, [before, score(ctx, world, "after refresh")]


def _images_of(ctx: AppContext, pin_ids: Sequence[int]) -> list[int]:
    if not pin_ids:
        return []
    with session_scope(ctx.read_sessions) as db:
        rows = db.execute(select(Pin.id, Pin.image_id).where(Pin.id.in_(list(pin_ids)))).all()
        found = {int(p): int(i) for p, i in rows}
    return [int(found[p]) for p in pin_ids if p in found]


def _own_images(ctx: AppContext, user_id: int) -> set[int]:
    with session_scope(ctx.read_sessions) as db:
        return {int(i) for i in db.scalars(select(Pin.image_id).where(Pin.creator_id == user_id))}


def score(ctx: AppContext, world: PlantedWorld, moment: str) -> Scores:
    """Score the target's first feed page, related pins and hit rates as the instance stands now."""
    scenario, viewer = world.scenario, session_viewer(world.target_id)
    own = _own_images(ctx, world.target_id)
    unseen = {i for i in world.taste_of_image if i not in own}
    with session_scope(ctx.read_sessions) as db:
        page = feed.home_feed(ctx, db=db, viewer=viewer, page=PageParams(page_size=scenario.page_size))
    shown = _images_of(ctx, [p.id for p in page.items])
    on_taste = sum(1 for i in shown if world.taste_of_image.get(i) == world.target_taste)
    k = HIT_PAGES * scenario.page_size
    scrolled = list(shown)
    if page.bookmark is not None:  # hit rate over the first pages of the scroll
        with session_scope(ctx.read_sessions) as db:
            more = feed.home_feed(ctx, db=db, viewer=viewer,
                                  page=PageParams(page_size=k - len(shown), bookmark=page.bookmark))  # fmt: skip
        scrolled += _images_of(ctx, [p.id for p in more.items])
    held = set(_images_of(ctx, world.held_out)) - own
    popular = [
        i
        for i in _images_of(
            ctx, [p for p, _ in PopularityIndex.from_graph(graph_store(ctx).current()).top(500)]
        )
        if i not in own
    ]
    popular = list(dict.fromkeys(popular))[:k]
    return Scores(
        scenario=scenario.name,
        moment=moment,
        page_size=scenario.page_size,
        first_page=len(shown),
        unseen_pool=len(unseen),
        taste_share=on_taste / len(shown) if shown else 0.0,
        related_precision=_related_precision(ctx, world),
        hit_rate=len(held & set(scrolled)) / len(held) if held else 0.0,
        popular_hit_rate=len(held & set(popular)) / len(held) if held else 0.0,
        caught_up=page.caught_up,
    )


def _related_precision(ctx: AppContext, world: PlantedWorld) -> float:
    """Mean share of the first related pins in the query picture's taste (queries from every taste)."""
    rng = random.Random(world.scenario.seed + 1)
    queries = sorted(world.originals)
    queries = rng.sample(queries, min(RELATED_QUERIES, len(queries)))
    viewer = session_viewer(world.target_id)
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
