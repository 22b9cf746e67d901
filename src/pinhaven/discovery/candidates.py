"""Candidate generators for feeds: Pixie walks from a user's recent actions, and popularity.

The DB-backed home feed turns a user's recent saves/close-ups/clicks into `Action`s and calls
`walk_candidates`; `PopularityIndex` serves cold-start users and is the baseline in bench/discovery.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pinhaven.discovery.graph import PinBoardGraph
from pinhaven.discovery.walks import Backend, related, top_scores
from pinhaven.errors import InvalidInput

__all__ = ["Action", "PopularityIndex", "recency_weights", "walk_candidates"]

DAY = 86_400.0


@dataclass(frozen=True)
class Action:
    """Something a user did to a pin at time `at` (seconds); `weight` says how strong (save = 1)."""

    pin_id: int
    at: float
    weight: float = 1.0


def recency_weights(
    actions: Iterable[Action], *, now: float | None = None, half_life: float = 14 * DAY, max_queries: int = 20
) -> dict[int, float]:
    """Query-pin weights: each action counts weight * 2^(-age / half_life); the heaviest pins are kept."""
    acts = list(actions)
    if half_life <= 0:
        raise InvalidInput(f"must be > 0, got {half_life}", field="half_life")
    if max_queries < 1:
        raise InvalidInput(f"must be >= 1, got {max_queries}", field="max_queries")
    if not acts:
        return {}
    ref = max(a.at for a in acts) if now is None else now
    weights: dict[int, float] = {}
    for a in acts:
        if not math.isfinite(a.weight) or a.weight < 0:
            raise InvalidInput(f"weight of an action on pin {a.pin_id} must be >= 0", field="actions")
        age = max(ref - a.at, 0.0)
        weights[a.pin_id] = weights.get(a.pin_id, 0.0) + a.weight * 0.5 ** (age / half_life)
    best = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:max_queries]
    return {pin: w for pin, w in best if w > 0}


def walk_candidates(
    graph: PinBoardGraph,
    recent_actions: Iterable[Action],
    *,
    now: float | None = None,
    half_life: float = 14 * DAY,
    max_queries: int = 20,
    top_k: int = 500,
    steps: int = 100_000,
    exclude: Iterable[int] = (),
    allowed: npt.NDArray[np.uint8] | None = None,
    seed: int = 0,
    backend: Backend = "auto",
) -> list[tuple[int, float]]:
    """Personalised candidates: Pixie walks from the user's recent action pins weighted by recency.

    The action pins themselves and `exclude` (e.g. everything the user already saved or hid) are left
    out; `allowed` is the viewer's visibility mask (see PinBoardGraph.pin_mask).
    """
    weights = recency_weights(recent_actions, now=now, half_life=half_life, max_queries=max_queries)
    if not weights:
        return []
    return related(
        graph, weights, top_k=top_k, exclude=exclude, steps=steps, allowed=allowed, seed=seed, backend=backend
    )


class PopularityIndex:
    """Pins ranked by how many boards hold them: the cold-start fallback and the feed baseline."""

    def __init__(self, pin_ids: npt.ArrayLike, popularity: npt.ArrayLike) -> None:
        ids = np.asarray(pin_ids, dtype=np.int64).ravel()
        pop = np.asarray(popularity, dtype=np.float64).ravel()
        if ids.size != pop.size:
            raise InvalidInput(f"{ids.size} pin ids but {pop.size} popularity values", field="popularity")
        order = np.lexsort((ids, -pop))
        self.pin_ids, self.scores = ids[order], pop[order]

    @classmethod
    def from_graph(cls, graph: PinBoardGraph) -> PopularityIndex:
        """Popularity = live degree of each pin in the graph."""
        deg = graph.pin_degrees()
        live = np.flatnonzero(deg > 0)
        return cls(graph.pin_ids(live), deg[live])

    def top(self, k: int, *, exclude: Iterable[int] = ()) -> list[tuple[int, float]]:
        """The k most popular pins not in `exclude`."""
        drop = {int(x) for x in exclude}
        head = min(self.pin_ids.size, k + len(drop))  # only the head can hold the answer
        return top_scores(self.pin_ids[:head], self.scores[:head], top_k=k, exclude=drop)
