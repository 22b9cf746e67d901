"""The learned candidate sources the home feed adds to its own: ALS collaborative filtering ("als") and
multi-interest visual retrieval ("interests"), each switchable per experiment arm (`sources`).

Both keep only pins the viewer may see (boards.access.visible_pin_ids: the visual index and ALS hold ids,
not permissions), and the feed's own privacy filter runs on every candidate afterwards as well. Each
source is attributed in the feature log (`source_bits`) so its contribution can be measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import visible_pin_ids
from pinhaven.context import AppContext
from pinhaven.discovery.candidates import Action
from pinhaven.discovery.service import visual_neighbours
from pinhaven.ranking import als
from pinhaven.ranking.interests import interest_candidates
from pinhaven.ranking.serving import RankingPlan

__all__ = ["SAVE_HALF_LIFE_DAYS", "extra_sources"]

SAVE_HALF_LIFE_DAYS = 14.0


def extra_sources(
    ctx: AppContext,
    ranking: RankingPlan,
    *,
    db: Session,
    viewer: Viewer,
    actions: Sequence[Action],
    now: datetime,
) -> dict[str, list[tuple[int, float]]]:
    """{source: [(pin_id, score)]} for the sources the plan leaves on, visible pins only."""
    assert viewer.user_id is not None
    user_id = viewer.user_id
    out: dict[str, list[tuple[int, float]]] = {}
    acted = {a.pin_id for a in actions}
    if ranking.source_enabled("als"):
        out["als"] = [(p, s) for p, s in als.recommend(ctx, user_id=user_id) if p not in acted]
    if ranking.source_enabled("interests"):
        saves: dict[int, float] = {}
        for a in actions:
            if a.weight >= 1.0:  # saves and the user's own pins (a click or close-up is not a save)
                recency = 0.5 ** (max(now.timestamp() - a.at, 0.0) / 86400.0 / SAVE_HALF_LIFE_DAYS)
                saves[a.pin_id] = saves.get(a.pin_id, 0.0) + recency
        out["interests"] = interest_candidates(visual_neighbours(ctx), saves)
    proposed = {p for items in out.values() for p, _ in items}
    visible = visible_pin_ids(db=db, viewer=viewer, pin_ids=proposed) if proposed else set()
    return {name: [(p, s) for p, s in items if p in visible] for name, items in out.items()}
