"""NumPy backend of the Pixie walk: a batch of walkers per query advanced together.

Same semantics as the Numba kernel (geometric walk lengths via a restart probability alpha per step,
re-drawn dead/masked neighbours, early stopping, sqrt-combined visit counts), ~5x slower, no compiler.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pinhaven.discovery.graph import GraphView
from pinhaven.discovery.kernels import MAX_TRIES

__all__ = ["walk_queries_numpy"]

I64 = npt.NDArray[np.int64]


def _pick(
    nodes: I64,
    ptr: I64,
    adj: npt.NDArray[np.int32],
    edge_ok: npt.NDArray[np.uint8],
    slot: npt.NDArray[np.int32],
    dptr: I64,
    dadj: npt.NDArray[np.int32],
    allowed: npt.NDArray[np.uint8] | None,
    rng: np.random.Generator,
) -> I64:
    """A uniformly random live neighbour per node over base and delta rows; -1 where none."""
    lo = ptr[nodes]
    base = ptr[nodes + 1] - lo
    s = slot[nodes]
    has = s >= 0
    dlo = np.zeros_like(lo)
    dn = np.zeros_like(lo)
    if has.any():
        dlo[has] = dptr[s[has]]
        dn[has] = dptr[s[has] + 1] - dlo[has]
    deg = base + dn
    out = np.full(nodes.size, -1, dtype=np.int64)
    pending = np.flatnonzero(deg > 0)
    for _ in range(MAX_TRIES):
        if pending.size == 0:
            break
        d = deg[pending]
        r = np.minimum((rng.random(pending.size) * d).astype(np.int64), d - 1)
        in_base = r < base[pending]
        cand = np.empty(pending.size, dtype=np.int64)
        good = np.ones(pending.size, dtype=bool)
        j = lo[pending][in_base] + r[in_base]
        cand[in_base] = adj[j]
        if edge_ok.size:
            good[in_base] = edge_ok[j] == 1
        in_delta = ~in_base
        if in_delta.any():
            cand[in_delta] = dadj[dlo[pending][in_delta] + r[in_delta] - base[pending][in_delta]]
        if allowed is not None:
            good &= allowed[cand] == 1
        out[pending[good]] = cand[good]
        pending = pending[~good]
    return out


def walk_queries_numpy(
    view: GraphView,
    allowed: npt.NDArray[np.uint8] | None,
    queries: I64,
    budgets: I64,
    hit_targets: I64,
    alpha: float,
    n_v: int,
    seed: int,
    counts: npt.NDArray[np.int32],
    *,
    batch: int = 2048,
) -> tuple[I64, npt.NDArray[np.float64], int]:
    """Walk from each query; return (visited pin indices, sum over queries of sqrt(visits), steps)."""
    rng = np.random.default_rng(seed)
    pin_side = (view.pin_ptr, view.pin_adj, view.pin_edge_ok, view.dpin_slot, view.dpin_ptr, view.dpin_adj)
    board_side = (
        view.board_ptr, view.board_adj, view.board_edge_ok, view.dboard_slot, view.dboard_ptr, view.dboard_adj,
    )  # fmt: skip
    parts_idx: list[I64] = []
    parts_val: list[npt.NDArray[np.float64]] = []
    total = 0
    for q, budget, target in zip(queries.tolist(), budgets.tolist(), hit_targets.tolist(), strict=True):
        # Enough rounds per walker (~32) that geometric walk lengths are not cut short by the budget.
        cur = np.full(max(1, min(batch, budget // 32)), q, dtype=np.int64)
        touched: list[I64] = []
        taken = hits = 0
        while taken < budget:
            m = min(cur.size, budget - taken)
            boards = _pick(cur[:m], *pin_side, None, rng)
            pins = np.full(m, -1, dtype=np.int64)
            has_board = boards >= 0
            pins[has_board] = _pick(boards[has_board], *board_side, allowed, rng)
            ok = pins >= 0
            if ok.any():
                uniq, cnt = np.unique(pins[ok], return_counts=True)
                old = counts[uniq]
                counts[uniq] = old + cnt
                touched.append(uniq[old == 0])
                hits += int(np.count_nonzero((old < n_v) & (old + cnt >= n_v)))
            restart = ~ok | (rng.random(m) < alpha)
            cur[:m] = np.where(restart, q, pins)
            taken += m
            if target > 0 and hits >= target:
                break
        total += taken
        if touched:
            t = np.concatenate(touched)
            parts_idx.append(t)
            parts_val.append(np.sqrt(counts[t].astype(np.float64)))
            counts[t] = 0
    if not parts_idx:
        return np.zeros(0, np.int64), np.zeros(0), total
    idx, inverse = np.unique(np.concatenate(parts_idx), return_inverse=True)
    sums = np.bincount(inverse, weights=np.concatenate(parts_val)).astype(np.float64)
    return idx, sums, total
