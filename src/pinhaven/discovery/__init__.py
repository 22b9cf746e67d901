"""Discovery: the pin–board graph, Pixie walks, candidate generators and diversity re-rankers.

Pure library code over NumPy arrays (Numba for the walk kernel); the DB-backed services live beside it:
graph_store (the graph built from the database and kept current), related (related pins), feed (home
feed), ranking, analytics, api. The walk function `related` is not re-exported here because the
`pinhaven.discovery.related` module (related pins) has that name: import it from `pinhaven.discovery.walks`.
"""

from pinhaven.discovery.candidates import Action, PopularityIndex, recency_weights, walk_candidates
from pinhaven.discovery.diversity import Candidate, apply_caps, ssd_rerank
from pinhaven.discovery.graph import GraphView, PinBoardGraph, PruneOptions
from pinhaven.discovery.walks import WalkResult, step_budgets, top_scores, walk, warm_up

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
    "ssd_rerank",
    "step_budgets",
    "top_scores",
    "walk",
    "walk_candidates",
    "warm_up",
]
