"""Related pins ("more like this"): graph walks blended with same-board and visual neighbours.

candidates: Pixie walks from the pin (and from its original, for a save), the newest pins of the same
            board, and visual neighbours when a visual service is registered (see discovery.service);
fusion:     each source's scores normalised to (0, 1] and weighted (walk 1.0, visual 0.6, board 0.4);
filtering:  the query pin, its exact duplicates (same image), pins the viewer hid, and everything the
            viewer may not see (boards.access decides, on the whole candidate list and again per page);
diversity:  board / creator caps within every 10 results and one pin per image (diversity.diversify), so
            "more like this" is not ten near-identical pins of one board;
paging:     the ranked list is cached per (pin, viewer) for a few minutes in the instance's cache (shared
            by every host with Redis, so page 2 served by another host continues the same list) and paged
            by offset; each page is re-checked for privacy and deletion before it is served, so a cached
            list never shows a pin deleted or made secret since it was ranked (no invalidation needed).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import access_pin, boards_with_visible_pins, pin_shown, visible_pin_ids
from pinhaven.cache import Cache, Generation, cache_of
from pinhaven.context import AppContext
from pinhaven.db.ids import new_id
from pinhaven.discovery.diversity import Candidate, diversify
from pinhaven.discovery.ranking import Laps, fuse_sources
from pinhaven.discovery.service import graph_store, visual_neighbours
from pinhaven.discovery.walks import related as walk_related
from pinhaven.errors import InvalidInput
from pinhaven.events.service import hidden_pin_ids
from pinhaven.pagination import PageParams, decode_bookmark, encode_bookmark
from pinhaven.pins.models import Pin
from pinhaven.search.visual.groups import collapse_duplicates

__all__ = ["RelatedPage", "forget_ranked_lists", "rank_related", "related_pins"]

POOL = 150  # walk results kept: "more like this" rarely scrolls past ~150
WALK_STEPS = 20_000
BOARD_NEIGHBOURS = 60
VISUAL_NEIGHBOURS = 100
TTL_SECONDS = 300.0
GENERATION = "related"  # bumped only when the ranking changes (`forget_ranked_lists`), not on writes
WEIGHTS = {"walk": 1.0, "visual": 0.6, "board": 0.4}


@dataclass(frozen=True)
class RelatedPage:
    items: list[Pin]
    bookmark: str | None
    request_id: str


@dataclass(frozen=True)
class _Ranked:
    request_id: str
    pin_ids: list[int]


def _key(pin_id: int, viewer: Viewer) -> str:
    # The list was privacy-filtered for this viewer (and what their credentials may see): never share it.
    return f"related:{pin_id}:{viewer.user_id or ''}:{int(viewer.sees_secret_pins)}"


def _cached(cache: Cache, key: str) -> tuple[_Ranked | None, Generation]:
    value, generation = cache.get_versioned(key, GENERATION)
    if value is None:
        return None, generation
    request_id, pin_ids = json.loads(value)
    return _Ranked(str(request_id), [int(p) for p in pin_ids]), generation


def _store(cache: Cache, key: str, generation: Generation, ranked: _Ranked) -> None:
    value = json.dumps([ranked.request_id, ranked.pin_ids]).encode()
    cache.set_versioned(key, generation, value, TTL_SECONDS)


def forget_ranked_lists(ctx: AppContext) -> None:
    """Drop every cached ranked list, on every host (after a change to the ranking itself)."""
    cache_of(ctx).bump(GENERATION)


def rank_related(
    ctx: AppContext, *, db: Session, viewer: Viewer, pin: Pin, stages: dict[str, float] | None = None
) -> tuple[list[int], dict[int, str]]:
    """The full ranked list of related pin ids the viewer may see, and the source of each.

    `stages`, when given, receives the seconds spent in each step (benchmarks).
    """
    lap = Laps(stages)
    graph = graph_store(ctx).current()
    lap("graph")
    queries = {pin.id: 1.0}
    if pin.parent_pin_id is not None:
        queries[pin.parent_pin_id] = 1.0
    sources: dict[str, list[tuple[int, float]]] = {
        "walk": walk_related(graph, queries, top_k=POOL, steps=WALK_STEPS, seed=pin.id & 0x7FFFFFFF),
    }
    lap("walks")
    board_rows = db.execute(
        select(Pin.id)
        .where(Pin.board_id == pin.board_id, Pin.id != pin.id)
        .order_by(Pin.id.desc())
        .limit(BOARD_NEIGHBOURS)
    ).all()
    sources["board"] = [(int(r[0]), 1.0 / (1 + i)) for i, r in enumerate(board_rows)]
    visual = visual_neighbours(ctx)
    if visual is not None:
        sources["visual"] = visual.similar_pins(pin.id, VISUAL_NEIGHBOURS)
    lap("same-board and visual neighbours")
    fused = fuse_sources(sources, weights=WEIGHTS)
    drop = {pin.id, *queries}
    if viewer.user_id is not None:
        drop |= hidden_pin_ids(db=db, user_id=viewer.user_id)
    ids = [p for p in sorted(fused, key=lambda p: (-fused[p].score, p)) if p not in drop]
    lap("fusion")
    rows: dict[int, Any] = {}
    for start in range(0, len(ids), 900):
        query = select(Pin.id, Pin.board_id, Pin.creator_id, Pin.image_id, Pin.moderation).where(
            Pin.id.in_(ids[start : start + 900])
        )
        rows.update({int(r[0]): r for r in db.execute(query) if pin_shown(viewer, r[4], r[2])})
    # The privacy filter, on every candidate: boards.access decides whose boards' pins the viewer may see.
    visible = boards_with_visible_pins(db=db, viewer=viewer, board_ids={r[1] for r in rows.values()})
    ids = [p for p in ids if p in rows and rows[p][1] in visible and rows[p][3] != pin.image_id]
    lap("candidate rows + privacy filter")
    caps = diversify(
        [
            Candidate(p, fused[p].score, board=rows[p][1], creator=rows[p][2], content_hash=rows[p][3])
            for p in ids
        ],
        limit=max(len(ids), 1),
    )
    lap("diversity caps")
    return [c.item_id for c in caps], {c.item_id: fused[c.item_id].source for c in caps}


def related_pins(
    ctx: AppContext, *, db: Session, viewer: Viewer, pin_id: int | None, page: PageParams
) -> RelatedPage:
    """A page of pins related to a pin the viewer may see (404 otherwise)."""
    pin = access_pin(db=db, viewer=viewer, pin_id=pin_id)
    offset = _decode(page.bookmark)
    cache, key = cache_of(ctx), _key(pin.id, viewer)
    ranked, generation = _cached(cache, key)
    if ranked is None:
        ids, _sources = rank_related(ctx, db=db, viewer=viewer, pin=pin)
        ranked = _Ranked(str(new_id()), ids)
        _store(cache, key, generation, ranked)
    items, offset = _serve(db, viewer, ranked.pin_ids, offset, page.page_size)
    bookmark = encode_bookmark(["r", offset]) if offset < len(ranked.pin_ids) else None
    items = [
        p for p in collapse_duplicates(db=db, pins=[pin, *items]) if p.id != pin.id
    ]  # not the query's picture either
    return RelatedPage(items=items, bookmark=bookmark, request_id=ranked.request_id)


def _serve(db: Session, viewer: Viewer, ids: Sequence[int], offset: int, size: int) -> tuple[list[Pin], int]:
    out: list[Pin] = []
    while len(out) < size and offset < len(ids):
        window = list(ids[offset : offset + size - len(out) + 4])
        visible = visible_pin_ids(db=db, viewer=viewer, pin_ids=window)
        pins = {
            p.id: p for p in db.scalars(select(Pin).where(Pin.id.in_([p for p in window if p in visible])))
        }
        for p in window:
            offset += 1
            if p in pins:
                out.append(pins[p])
                if len(out) == size:
                    break
    return out, offset


def _decode(bookmark: str | None) -> int:
    values = decode_bookmark(bookmark, arity=2)
    if values is None:
        return 0
    tag, offset = values
    if tag != "r" or not isinstance(offset, int) or offset < 0:
        raise InvalidInput("is not a bookmark this server issued", field="bookmark")
    return offset
