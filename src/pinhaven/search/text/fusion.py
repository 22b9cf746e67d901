"""Reciprocal rank fusion: merge ranked lists by Σ 1 / (k + rank), with no score calibration needed."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

K = 60  # Cormack et al.'s constant: damps the head of each list so one list cannot dominate

T = TypeVar("T", bound=Hashable)


def rrf_scores(rankings: Sequence[Sequence[T]], k: int = K) -> dict[T, float]:
    """Each item's fused score; ranks are 1-based, an item absent from a list gets nothing from it."""
    scores: dict[T, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return scores


def reciprocal_rank_fusion(rankings: Sequence[Sequence[T]], k: int = K) -> list[T]:
    """Items of all rankings, best fused score first; ties keep the order of first appearance."""
    scores = rrf_scores(rankings, k)
    order = {item: position for position, item in enumerate(scores)}
    return sorted(scores, key=lambda item: (-scores[item], order[item]))
