"""The learned candidate sources the home feed adds to its own: ALS collaborative filtering ("als") and
multi-interest visual retrieval ("interests"), each switchable per experiment arm (`sources`).

Both return ids only; the feed's privacy filter (boards.access) runs on every candidate afterwards, and
each source is attributed in the feature log (`source_bits`) so its contribution can be measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pinhaven.context import AppContext
from pinhaven.discovery.candidates import Action
from pinhaven.discovery.service import visual_neighbours
from pinhaven.ranking import als
from pinhaven.ranking.interests import interest_candidates
from pinhaven.ranking.serving import RankingPlan

__all__ = ["SAVE_HALF_LIFE_DAYS", "extra_sources"]

SAVE_HALF_LIFE_DAYS = 14.0


def extra_sources(
    ctx: AppContext, ranking: RankingPlan, *, user_id: int, actions: Sequence[Action], now: datetime
) -> dict[str, list[tuple[int, float]]]:
    """{source: [(pin_id, score)]} for the sources the plan leaves on."""
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
    return out
