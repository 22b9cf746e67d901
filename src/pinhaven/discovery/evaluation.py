"""Offline metrics for discovery: hit rate of held-out saves, community precision, latency percentiles."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["community_precision", "hit_rate", "percentiles"]


def hit_rate(recommended: Sequence[Sequence[int]], held_out: Sequence[Collection[int]]) -> float:
    """Share of held-out items that appear in the same user's recommendation list (micro-averaged)."""
    hits = total = 0
    for recs, truth in zip(recommended, held_out, strict=True):
        rec_set = set(recs)
        hits += sum(1 for item in truth if item in rec_set)
        total += len(truth)
    return hits / total if total else 0.0


def community_precision(
    results: Sequence[Sequence[int] | npt.NDArray[np.integer]],
    query_communities: Sequence[int],
    community_of: npt.NDArray[np.int64],
) -> float:
    """Mean over queries of the share of returned items in the query's community (empty results skipped).

    `community_of` maps an item number (the index used in `results`) to its community.
    """
    shares = [
        float(np.mean(community_of[np.asarray(items, dtype=np.int64)] == comm))
        for items, comm in zip(results, query_communities, strict=True)
        if len(items)
    ]
    return float(np.mean(shares)) if shares else 0.0


def percentiles(samples_s: Sequence[float], qs: Sequence[float] = (50, 99)) -> list[float]:
    """Percentiles of latencies given in seconds, returned in milliseconds."""
    if not samples_s:
        return [float("nan")] * len(qs)
    return [float(v) * 1e3 for v in np.percentile(np.asarray(samples_s), qs)]
