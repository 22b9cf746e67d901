"""Ranking one home-feed session: sources → fusion → privacy → features → scorer → diversity.

`generate` returns up to SESSION_SIZE (pin_id, source, score) triples for a signed-in viewer; feed.py
stores them as a session and serves pages from it. Steps, each timed when `stages` is given:
    user history (recent actions, own pins, hides, follows) → candidate sources (following, walks, and
    the cached trending / fresh / topics / popular) → fusion → candidate rows + privacy filter
    (boards.access on every candidate) → exact duplicates of hidden pins and of the user's own images
    → features (engagement, freshness, affinity, seen) → scorer (pinhaven.ranking.serving: the learned
    model, an experiment arm's choice, or ranking.HandTunedScorer as the fallback; logs the features)
    → SSD over image embeddings when a visual service offers them → board / creator caps, one pin per
    image (images are content-addressed by SHA-256, so one image id is one content hash).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.accounts.follows import followed_user_ids
from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import boards_with_visible_pins, pin_shown
from pinhaven.boards.members import followed_board_ids
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.ids import new_id
from pinhaven.discovery import sources
from pinhaven.discovery.diversity import Candidate, apply_caps, ssd_rerank
from pinhaven.discovery.ranking import (
    SOURCE_CODES,
    Features,
    Laps,
    engagement_rate,
    fuse_sources,
)
from pinhaven.discovery.service import graph_store, visual_neighbours
from pinhaven.discovery.topics import get_interests, pins_for_topic
from pinhaven.errors import InvalidInput
from pinhaven.events.models import PinStats
from pinhaven.events.service import hidden_pin_ids, seen_pin_ids
from pinhaven.moderation.signals import demoted, spam_scores
from pinhaven.pins.models import Pin
from pinhaven.ranking import serving as ranking_serving
from pinhaven.ranking.features import UserFeatures
from pinhaven.ranking.retrieval import extra_sources
from pinhaven.search.visual.groups import group_ids
from pinhaven.topics.browse import main_topics

__all__ = ["SEEN_DAYS", "SESSION_SIZE", "generate", "prime"]

SESSION_SIZE = 300
SEEN_DAYS = 3
SSD_HEAD = 200  # SSD reorders this many best candidates when embeddings exist


def _affinities(
    db: Session, pins: list[int], weights: dict[int, float]
) -> tuple[dict[int, float], dict[int, float]]:
    """Board and creator affinity in [0, 1] from the weighted pins the user acted on."""
    boards: dict[int, float] = {}
    creators: dict[int, float] = {}
    for start in range(0, len(pins), 900):
        rows = db.execute(
            select(Pin.id, Pin.board_id, Pin.creator_id).where(Pin.id.in_(pins[start : start + 900]))
        )
        for pin_id, board_id, creator_id in rows:
            w = weights.get(int(pin_id), 0.0)
            boards[board_id] = boards.get(board_id, 0.0) + w
            creators[creator_id] = creators.get(creator_id, 0.0) + w
    for table in (boards, creators):
        top = max(table.values(), default=0.0)
        for key in table:
            table[key] = table[key] / top if top > 0 else 0.0
    return boards, creators


class _Row(NamedTuple):
    board_id: int
    creator_id: int
    image_id: int
    created_at: datetime
    impressions: int
    closeups: int
    clicks: int
    saves: int


def _candidate_rows(db: Session, viewer: Viewer, ids: list[int]) -> dict[int, _Row]:
    """Columns and lifetime counters of the candidates the viewer may see (one pass over the ids).

    The privacy filter runs on every candidate: boards.access decides which of their boards' pins the
    viewer may see (the rule of visible_pin_ids, applied to rows already fetched).
    """
    found: dict[int, _Row] = {}
    for start in range(0, len(ids), 900):
        query = (
            select(Pin.id, Pin.board_id, Pin.creator_id, Pin.image_id, Pin.created_at, PinStats.impressions,
                   PinStats.closeups, PinStats.outbound_clicks, PinStats.saves, Pin.moderation)
            .outerjoin(PinStats, PinStats.pin_id == Pin.id)
            .where(Pin.id.in_(ids[start : start + 900]))
        )  # fmt: skip
        for r in db.execute(query):
            if not pin_shown(viewer, r[9], r[2]):  # moderated pins (boards.access)
                continue
            found[int(r[0])] = _Row(r[1], r[2], r[3], r[4], r[5] or 0, r[6] or 0, r[7] or 0, r[8] or 0)
    visible = boards_with_visible_pins(db=db, viewer=viewer, board_ids={r.board_id for r in found.values()})
    return {p: r for p, r in found.items() if r.board_id in visible}


def generate(
    ctx: AppContext,
    *,
    db: Session,
    viewer: Viewer,
    exclude: set[int] = frozenset(),  # type: ignore[assignment]
    session_id: int | None = None,
    now: datetime | None = None,
    stages: dict[str, float] | None = None,
) -> list[tuple[int, str, float]]:
    """Rank up to SESSION_SIZE pins for a signed-in viewer: [(pin_id, source, score)] in feed order.

    `stages`, when given, receives the seconds spent in each step (benchmarks).
    """
    user_id = viewer.user_id
    if user_id is None:
        raise InvalidInput("the personalised feed needs a signed-in user", field="viewer")
    lap = Laps(stages)
    ranking = ranking_serving.plan(ctx, user_id=user_id)  # experiment arm or defaults: scorer, sources
    now = now or utcnow()
    seed = (session_id or new_id()) & 0x7FFFFFFF
    cache = sources.source_cache(ctx)
    graph = graph_store(ctx).current()
    lap("graph")
    hist = sources.history(db=db, user_id=user_id, now=now)
    hidden = hidden_pin_ids(db=db, user_id=user_id)
    followed_users = followed_user_ids(db=db, user_id=user_id)
    followed_boards = followed_board_ids(db=db, user_id=user_id)
    drop = set(exclude) | hidden | hist.own_pin_ids
    lap("user history")
    candidates: dict[str, list[tuple[int, float]]] = {
        "following": sources.following(
            db=db, viewer=viewer, user_ids=followed_users, board_ids=followed_boards, now=now
        )
    }
    lap("source: following")
    # Taste from little data: the user's own actions (read at request time, so a save counts at once),
    # plus the newest pins of whom they follow, seed walks, same-board co-occurrence and look-alikes.
    actions = hist.actions + sources.follow_actions(candidates["following"], now=now)
    candidates["walk"] = sources.walks(graph, actions, now=now, exclude=drop, seed=seed)
    lap("source: walks")
    seeds = sources.seed_weights(actions, now=now)
    candidates["board"] = sources.co_board(db=db, user_id=user_id, seeds=seeds)
    lap("source: same-board co-occurrence")
    candidates["visual"] = sources.visual_taste(visual_neighbours(ctx), seeds)
    lap("source: visual neighbours of the user's pins")
    candidates.update(extra_sources(ctx, ranking, db=db, viewer=viewer, actions=hist.actions, now=now))
    lap("sources: als, interests")
    candidates["trending"] = cache.get("trending", 60.0, sources.trending_source(ctx))
    candidates["fresh"] = cache.get(
        "fresh", 15.0, lambda s: sources.fresh(db=s, now=utcnow()), sync_on_local_write=True
    )
    interests = get_interests(db=db, user_id=user_id) or []
    if interests:
        topic: list[tuple[int, float]] = []
        for key in interests:
            topic += cache.get(f"topic:{key}", 300.0, _topic_loader(key))
        candidates["topic"] = topic
    # Popular pins are always in the pool (weighted low): they keep a long scroll going once the personal
    # sources are used up, and they are all a brand-new user has.
    candidates["popular"] = cache.get("popular", 60.0, lambda s: sources.popular(graph_store(ctx).graph))
    lap("sources: cached (trending, fresh, topics, popular)")
    candidates = {k: v for k, v in candidates.items() if ranking.source_enabled(k)}  # experiment arms
    fused = {p: f for p, f in fuse_sources(candidates).items() if p not in drop}
    ordered = sorted(fused, key=lambda p: -fused[p].score)[: SESSION_SIZE * 6 // 5]
    lap("fusion")
    rows = _candidate_rows(db, viewer, ordered)
    lap("privacy filter + candidate rows")
    if not rows:
        return []
    # Exact duplicates of hidden pins, and images the user already has, are dropped too.
    banned_images = set(hist.own_image_ids)
    if hidden:
        banned_images |= set(db.scalars(select(Pin.image_id).where(Pin.id.in_(sorted(hidden)[:900]))))
    if hist.has_more_pins:
        candidate_images = list({r.image_id for r in rows.values()})
        banned_images |= set(
            db.scalars(
                select(Pin.image_id).where(Pin.creator_id == user_id, Pin.image_id.in_(candidate_images))
            )
        )
    ids = [p for p in ordered if p in rows and rows[p].image_id not in banned_images]
    # One pin per duplicate group (not only per exact image) across the whole session, decided here so
    # that pages are filled from the next candidates instead of shrinking when they are served.
    group_of = group_ids(db, {rows[p].image_id for p in ids})
    lap("duplicates of hidden / own images")
    weights: dict[int, float] = {}
    for a in hist.actions:
        weights[a.pin_id] = weights.get(a.pin_id, 0.0) + a.weight
    board_aff, creator_aff = _affinities(db, list(weights), weights)
    for b in followed_boards:
        board_aff[b] = 1.0
    for u in followed_users:
        creator_aff[u] = 1.0
    seen = seen_pin_ids(db=db, user_id=user_id, since=now - timedelta(days=SEEN_DAYS))
    lap("features: affinity, seen")
    feats = []
    for p in ids:
        r, f = rows[p], fused[p]
        feats.append(
            Features(
                source_score=f.score,
                n_sources=f.n_sources,
                source_code=SOURCE_CODES.get(f.source, -1),
                engagement_rate=engagement_rate(
                    impressions=r.impressions, closeups=r.closeups, clicks=r.clicks, saves=r.saves
                ),
                age_days=max((now - r.created_at).total_seconds(), 0.0) / 86400.0,
                board_affinity=board_aff.get(r.board_id, 0.0),
                creator_affinity=creator_aff.get(r.creator_id, 0.0),
                seen=int(p in seen),
            )
        )
    user = UserFeatures(len(hist.actions), len(hidden), len(followed_users) + len(followed_boards))
    scored = ranking_serving.score(
        ctx, ranking, db=db, user_id=user_id, session_id=session_id, pin_ids=ids, base=feats,
        sources=candidates, user=user,
    )  # fmt: skip
    scores = dict(zip(ids, scored, strict=True))
    for p, spam in spam_scores(db=db, pin_ids=ids).items():  # the spam signal demotes (moderation/)
        scores[p] = demoted(scores[p], spam)
    # Unseen pins first, then the best of those already shown ("caught up": older pins, never nothing).
    tiers = [[p for p in ids if p not in seen], [p for p in ids if p in seen]]
    lap("scoring")
    page: list[Candidate] = []
    shown_groups: set[int] = set()
    topic_of = main_topics(db=db, pin_ids=ids)  # the 30% topic cap (pinhaven.topics: each pin's main topic)
    for tier in tiers:
        order = _ssd(ctx, sorted(tier, key=lambda p: (-scores[p], p)), scores, ranking.ssd_theta)
        rank = {p: i for i, p in enumerate(order)}
        capped = apply_caps(
            [
                Candidate(p, -float(rank[p]), board=rows[p].board_id, creator=rows[p].creator_id,
                          content_hash=group_of[rows[p].image_id], topic=topic_of.get(p))
                for p in order
                if group_of[rows[p].image_id] not in shown_groups
            ],
            limit=SESSION_SIZE,
            relax_when_stuck=True,
        )  # fmt: skip
        page += capped[: SESSION_SIZE - len(page)]
        shown_groups |= {int(c.content_hash) for c in capped if c.content_hash is not None}  # type: ignore[call-overload]
    lap("diversity (SSD, caps)")
    return [(c.item_id, fused[c.item_id].source, round(scores[c.item_id], 6)) for c in page]


def prime(ctx: AppContext) -> None:
    """Compute the viewer-independent sources once (start-up), so no request waits for them."""
    cache = sources.source_cache(ctx)
    cache.get("trending", 60.0, sources.trending_source(ctx))
    cache.get("fresh", 15.0, lambda s: sources.fresh(db=s, now=utcnow()), sync_on_local_write=True)
    cache.get("popular", 60.0, lambda s: sources.popular(graph_store(ctx).current()))


def _topic_loader(key: str) -> Callable[[Session], list[tuple[int, float]]]:
    return lambda db: pins_for_topic(db=db, key=key)


def _ssd(
    ctx: AppContext, order: list[int], scores: dict[int, float], theta: float | None = None
) -> list[int]:
    """Sliding-spectrum diversity over image embeddings when a visual service offers them; else unchanged."""
    visual = visual_neighbours(ctx)
    if visual is None or len(order) < 3:
        return order
    head = order[:SSD_HEAD]
    vectors = visual.embeddings(head)
    if len(vectors) < len(head) // 2:  # too few embedded pins for diversity to mean anything
        return order
    import numpy as np

    dim = len(next(iter(vectors.values())))
    emb = np.full((len(head), dim), np.nan)
    for i, p in enumerate(head):
        if p in vectors:
            emb[i] = vectors[p]
    rel = np.array([scores[p] for p in head])
    rel = rel / max(float(rel.max()), 1e-12)
    picked = ssd_rerank(rel, emb, k=len(head), window=10, theta=0.7 if theta is None else theta)
    return [head[i] for i in picked] + order[SSD_HEAD:]
