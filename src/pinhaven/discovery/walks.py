"""Pixie random walks with restarts on the pin–board graph: related pins for one or several query pins.

pin -> random board of the pin -> random pin of that board -> ..., restarting at the query pin after a
geometric number of steps (parameter alpha). With several weighted query pins the step budget is split
in proportion to w_q * s_q, s_q = deg(q) * (C - log deg(q)), so very popular pins do not eat it; the
per-query visit counts V_q combine as V = (sum_q sqrt(V_q))^2 (multi-hit boosting). A query stops
early once its share of n_p pins has reached n_v visits. Deterministic for a given seed and backend.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from pinhaven.discovery import kernels
from pinhaven.discovery.graph import PinBoardGraph
from pinhaven.discovery.vectorized import walk_queries_numpy
from pinhaven.errors import InvalidInput

__all__ = ["Backend", "WalkResult", "related", "step_budgets", "top_scores", "walk", "warm_up"]

Backend = Literal["auto", "numba", "numpy"]
QueryPins = Mapping[int, float] | Iterable[int] | int
MAX_STEPS = 10_000_000
MIN_STEPS_PER_QUERY = 100  # below this a query's neighbourhood is sampled too thinly to matter

_scratch = threading.local()


@dataclass(frozen=True)
class WalkResult:
    """Visited pins (external ids, unsorted), their boosted visit scores, and the steps walked."""

    pin_ids: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float64]
    steps: int
    queries: int


def _buffers(n: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]:
    """Per-thread visit-count and score arrays, zero on return, grown as the graph grows."""
    counts: npt.NDArray[np.int32] | None = getattr(_scratch, "counts", None)
    if counts is None or counts.size < n:
        _scratch.counts = np.zeros(max(n, 1024) + n // 4, dtype=np.int32)
        _scratch.acc = np.zeros(_scratch.counts.size, dtype=np.float64)
    return _scratch.counts, _scratch.acc


def _resolve_backend(backend: Backend) -> Backend:
    if backend == "auto":
        return "numba" if kernels.HAVE_NUMBA else "numpy"
    if backend == "numba" and not kernels.HAVE_NUMBA:
        raise InvalidInput("numba is not installed", field="backend")
    if backend not in ("numba", "numpy"):
        raise InvalidInput(f"unknown backend {backend!r}", field="backend")
    return backend


def _weighted_queries(query_pins: QueryPins) -> dict[int, float]:
    if isinstance(query_pins, int | np.integer):
        return {int(query_pins): 1.0}
    if isinstance(query_pins, Mapping):
        items = [(int(k), float(v)) for k, v in query_pins.items()]
    else:
        items = [(int(k), 1.0) for k in query_pins]
    weights: dict[int, float] = {}
    for pin_id, w in items:
        if not math.isfinite(w) or w < 0:
            raise InvalidInput(
                f"weight of pin {pin_id} must be a finite number >= 0, got {w}", field="query_pins"
            )
        weights[pin_id] = weights.get(pin_id, 0.0) + w
    return weights


def step_budgets(
    degrees: npt.ArrayLike, weights: npt.ArrayLike, steps: int, *, max_degree: int
) -> npt.NDArray[np.int64]:
    """Steps per query pin: proportional to w_q * deg_q * (C - log deg_q), C = 1 + log(max degree)."""
    d = np.maximum(np.asarray(degrees, dtype=np.float64), 1.0)
    w = np.asarray(weights, dtype=np.float64)
    c = 1.0 + math.log(max(max_degree, 1, int(d.max()) if d.size else 1))
    s = w * d * np.maximum(c - np.log(d), 1.0)
    if s.sum() <= 0:
        return np.zeros(d.size, dtype=np.int64)
    budgets = np.floor(steps * s / s.sum()).astype(np.int64)
    return np.where(w > 0, np.maximum(budgets, min(MIN_STEPS_PER_QUERY, steps)), 0)


def walk(
    graph: PinBoardGraph,
    query_pins: QueryPins,
    *,
    steps: int = 100_000,
    alpha: float = 0.5,
    n_p: int = 2000,
    n_v: int = 4,
    allowed: npt.NDArray[np.uint8] | None = None,
    seed: int = 0,
    backend: Backend = "auto",
) -> WalkResult:
    """Run Pixie walks from weighted query pins; `allowed` (per dense pin, 1 = may visit) masks pins out."""
    if not 1 <= steps <= MAX_STEPS:
        raise InvalidInput(f"must be between 1 and {MAX_STEPS}, got {steps}", field="steps")
    if not 0.0 < alpha <= 1.0:
        raise InvalidInput(f"must be in (0, 1], got {alpha}", field="alpha")
    if n_v < 1:
        raise InvalidInput(f"must be >= 1, got {n_v}", field="n_v")
    backend = _resolve_backend(backend)
    weights = _weighted_queries(query_pins)
    view = graph.view()
    if allowed is not None:
        allowed = np.ascontiguousarray(allowed, dtype=np.uint8)
        if allowed.size < view.n_pins:
            raise InvalidInput(f"has {allowed.size} entries for {view.n_pins} pins", field="allowed")
    ids = np.fromiter(weights, dtype=np.int64, count=len(weights))
    idx = graph.pin_indices(ids)
    known = (idx >= 0) & (np.fromiter(weights.values(), dtype=np.float64, count=len(weights)) > 0)
    queries, w = idx[known], np.fromiter(weights.values(), dtype=np.float64, count=len(weights))[known]
    empty = WalkResult(np.zeros(0, np.int64), np.zeros(0), 0, 0)
    if queries.size == 0:
        return empty
    degrees = np.array([graph.pin_degree(int(q)) for q in ids[known]], dtype=np.int64)
    budgets = step_budgets(degrees, w, steps, max_degree=graph.max_pin_degree)
    total = int(budgets.sum())
    # Early stopping scales with each query's share: n_p pins at n_v visits over the whole budget.
    targets = np.ceil(n_p * budgets / max(total, 1)).astype(np.int64) if n_p > 0 else np.zeros_like(budgets)
    counts, acc = _buffers(view.n_pins)
    if backend == "numpy":
        pins, sums, taken = walk_queries_numpy(
            view, allowed, queries, budgets, targets, alpha, n_v, seed, counts
        )
    else:
        touched = np.empty(min(view.n_pins, int(budgets.max())), dtype=np.int32)
        out = np.empty(min(view.n_pins, total), dtype=np.int32)
        mask = allowed if allowed is not None else np.zeros(0, dtype=np.uint8)
        n_out, taken = kernels.walk_queries(
            view.pin_ptr, view.pin_adj, view.pin_edge_ok, view.dpin_slot, view.dpin_ptr, view.dpin_adj,
            view.dpin_bits, view.board_ptr, view.board_adj, view.board_edge_ok, view.dboard_slot,
            view.dboard_ptr, view.dboard_adj, view.dboard_bits, mask, queries, budgets, targets, float(alpha), int(n_v), int(seed),
            counts, acc, touched, out,
        )  # fmt: skip
        pins = out[:n_out].astype(np.int64)
        sums = acc[pins].copy()
        acc[pins] = 0.0
    scores = sums * sums
    if queries.size == 1:
        scores = np.rint(scores)  # plain visit counts; (sqrt V)^2 only adds float noise
    return WalkResult(graph.pin_ids(pins), scores, int(taken), int(queries.size))


def related(
    graph: PinBoardGraph,
    query_pins: QueryPins,
    *,
    top_k: int = 100,
    exclude: Iterable[int] = (),
    exclude_queries: bool = True,
    min_score: float = 0.0,
    steps: int = 100_000,
    alpha: float = 0.5,
    n_p: int = 2000,
    n_v: int = 4,
    allowed: npt.NDArray[np.uint8] | None = None,
    seed: int = 0,
    backend: Backend = "auto",
) -> list[tuple[int, float]]:
    """Top pins by boosted visit count, best first (ties by id); query pins and `exclude` left out."""
    if top_k < 1:
        raise InvalidInput(f"must be >= 1, got {top_k}", field="top_k")
    weights = _weighted_queries(query_pins)  # once: query_pins may be a one-shot iterator
    result = walk(
        graph, weights, steps=steps, alpha=alpha, n_p=n_p, n_v=n_v, allowed=allowed, seed=seed,
        backend=backend,
    )  # fmt: skip
    drop = {int(x) for x in exclude}
    if exclude_queries:
        drop |= set(weights)
    return top_scores(result.pin_ids, result.scores, top_k=top_k, exclude=drop, min_score=min_score)


def top_scores(
    ids: npt.NDArray[np.int64],
    scores: npt.NDArray[np.float64],
    *,
    top_k: int,
    exclude: set[int] | frozenset[int] = frozenset(),
    min_score: float = 0.0,
) -> list[tuple[int, float]]:
    """The top_k (id, score) pairs, best first, ties by smaller id, skipping `exclude` and low scores."""
    keep = scores > min_score
    if exclude:
        keep &= ~np.isin(ids, np.fromiter(exclude, dtype=np.int64, count=len(exclude)))
    ids, scores = ids[keep], scores[keep]
    if ids.size > top_k:
        cut = np.partition(scores, ids.size - top_k)[ids.size - top_k]
        sel = scores >= cut  # keeps every tie at the cut, sorted and trimmed below
        ids, scores = ids[sel], scores[sel]
    order = np.lexsort((ids, -scores))[:top_k]
    return [(int(i), float(s)) for i, s in zip(ids[order], scores[order], strict=True)]


def warm_up() -> None:
    """Compile (or load from the on-disk cache) the walk kernel, so no request pays for the JIT."""
    if kernels.HAVE_NUMBA:
        graph = PinBoardGraph.from_edges([1, 2, 2], [10, 10, 11])
        walk(graph, {1: 1.0, 2: 1.0}, steps=64, seed=0, allowed=np.ones(graph.n_pins, dtype=np.uint8))
        walk(graph, 1, steps=64, seed=0)
