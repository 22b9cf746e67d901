"""PinnerSage-style multi-interest retrieval: cluster the user's recent saves, one query per interest.

    recent saved pins (up to RECENT_SAVES, with recency weights) → their image embeddings
    → Ward agglomerative clustering (scipy), cut into at most MAX_INTERESTS clusters
    → per cluster: the medoid (the member closest to all others: a real pin, never an average that matches
      nothing) and its importance (the recency-weighted share of the saves it holds)
    → nearest neighbours of each medoid from the visual index, the budget split by importance.
A user with varied tastes thus gets pins near each of them, instead of near the average of all of them.
The visual index returns ids only; the feed's privacy filter runs on every candidate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pinhaven.discovery.service import VisualNeighbours

__all__ = ["MAX_INTERESTS", "Interest", "interest_candidates", "interests"]

MAX_INTERESTS = 5
RECENT_SAVES = 50
NEIGHBOURS = 150  # candidates over all interests
DISTANCE_CUT = 0.9  # Ward merge height above which two groups are different interests


@dataclass(frozen=True)
class Interest:
    medoid: int  # pin id
    importance: float  # share of the (recency-weighted) saves, sums to 1 over the interests
    size: int


def interests(
    pin_ids: list[int], vectors: npt.NDArray[np.float32], weights: npt.NDArray[np.float64]
) -> list[Interest]:
    """Up to MAX_INTERESTS interests of the saves `pin_ids` (rows of `vectors`), most important first."""
    n = len(pin_ids)
    if n == 0:
        return []
    if n == 1:
        return [Interest(pin_ids[0], 1.0, 1)]
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(vectors.astype(np.float64), method="ward")
    labels = fcluster(tree, t=DISTANCE_CUT, criterion="distance")
    if labels.max() > MAX_INTERESTS:
        labels = fcluster(tree, t=MAX_INTERESTS, criterion="maxclust")
    total = float(weights.sum()) or 1.0
    found = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        block = vectors[members]
        distances = np.linalg.norm(block[:, None, :] - block[None, :, :], axis=2).sum(axis=1)
        medoid = members[int(np.argmin(distances))]
        found.append(Interest(pin_ids[medoid], float(weights[members].sum()) / total, len(members)))
    found.sort(key=lambda i: (-i.importance, i.medoid))
    return found[:MAX_INTERESTS]


def interest_candidates(
    visual: VisualNeighbours | None, saves: dict[int, float], *, budget: int = NEIGHBOURS
) -> list[tuple[int, float]]:
    """The interests source: [(pin_id, similarity x importance)] near each interest's medoid."""
    if visual is None or not saves:
        return []
    recent = sorted(saves, key=lambda p: (-saves[p], p))[:RECENT_SAVES]
    vectors = visual.embeddings(recent)
    embedded = [p for p in recent if p in vectors]
    if not embedded:
        return []
    matrix = np.stack([vectors[p] for p in embedded]).astype(np.float32)
    found = interests(embedded, matrix, np.asarray([saves[p] for p in embedded]))
    scores: dict[int, float] = {}
    for interest in found:
        k = max(5, round(budget * interest.importance))
        for pin, similarity in visual.similar_pins(interest.medoid, k):
            if pin not in saves:
                scores[pin] = max(scores.get(pin, 0.0), float(similarity) * interest.importance)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
