"""Discovery: the pin–board graph, Pixie walks, candidate generators and diversity re-rankers.

Pure library code over NumPy arrays (Numba for the walk kernel); the DB-backed feed and related-pins
services build a `PinBoardGraph` from public pin–board links and call these functions.
"""

from pinhaven.discovery.candidates import Action, PopularityIndex, recency_weights, walk_candidates
from pinhaven.discovery.diversity import Candidate, apply_caps, ssd_rerank
from pinhaven.discovery.graph import GraphView, PinBoardGraph, PruneOptions
from pinhaven.discovery.walks import WalkResult, related, step_budgets, top_scores, walk, warm_up

__all__ = [
    "Action",
    "Candidate",
    "GraphView",
    "PinBoardGraph",
    "PopularityIndex",
    "PruneOptions",
    "WalkResult",
    "apply_caps",
    "recency_weights",
    "related",
    "ssd_rerank",
    "step_budgets",
    "top_scores",
    "walk",
    "walk_candidates",
    "warm_up",
]
