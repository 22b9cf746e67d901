"""Numba kernel of the Pixie walk: every query's walks in one compiled call.

Compiled on first use and cached on disk (`cache=True`), so a process pays the JIT once and later
processes only load the cached machine code; `nogil=True` lets walks run in parallel threads.
When Numba is missing, `HAVE_NUMBA` is False and callers use the NumPy backend instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

__all__ = ["HAVE_NUMBA", "MAX_TRIES", "walk_queries"]

F = TypeVar("F", bound=Callable[..., Any])

try:
    from numba import njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - numba is a declared dependency
    HAVE_NUMBA = False

    def njit(*args: Any, **kwargs: Any) -> Callable[[F], F]:  # type: ignore[no-redef]
        return lambda f: f


# A neighbour that is dead or masked is re-drawn a few times before the walk restarts, so masks and
# removals cost nothing when rare and can never make a walk loop forever.
MAX_TRIES = 8
N_WALKERS = 256


@njit(cache=True, nogil=True, inline="always")
def _walk_length(alpha, log_stay):  # type: ignore[no-untyped-def]
    """Geometric walk length: P(L = k) = alpha * (1 - alpha)^(k - 1)."""
    if alpha >= 1.0:
        return np.int64(1)
    return 1 + np.int64(np.log(1.0 - np.random.random()) / log_stay)


# Two choices below are measured, not stylistic:
# - the neighbour picks are written out inside the kernel, not as helper functions: passing arrays to a
#   helper makes Numba emit atomic reference-count updates per call (118 ns vs 26 ns per step in cache);
# - walkers advance in stages (all walkers read their row pointer, then all pick a neighbour, ...), so
#   the cache misses of different walkers are independent and overlap; a single walker's step is a
#   chain of four dependent misses, which dominates on graphs larger than the CPU cache.
@njit(cache=True, nogil=True)
def walk_queries(  # type: ignore[no-untyped-def]
    pin_ptr, pin_adj, pin_edge_ok, dpin_slot, dpin_ptr, dpin_adj, dpin_bits,
    board_ptr, board_adj, board_edge_ok, dboard_slot, dboard_ptr, dboard_adj, dboard_bits,
    allowed, queries, budgets, hit_targets, alpha, n_v, seed, counts, acc, touched, out,
):  # fmt: skip
    """Walk from each query for its budget; add sqrt(visits) per pin into `acc`; return (n_out, steps).

    `out[:n_out]` lists the pins with acc > 0. `counts` must be all zero on entry and is left so;
    the caller reads `acc[out[:n_out]]` and zeroes it.
    """
    np.random.seed(seed)
    log_stay = np.log(1.0 - alpha) if alpha < 1.0 else 0.0
    pin_dead = pin_edge_ok.size > 0
    board_dead = board_edge_ok.size > 0
    masked = allowed.size > 0
    cur = np.empty(N_WALKERS, np.int64)
    left = np.empty(N_WALKERS, np.int64)
    lo = np.empty(N_WALKERS, np.int64)
    base = np.empty(N_WALKERS, np.int64)
    dlo = np.empty(N_WALKERS, np.int64)
    deg = np.empty(N_WALKERS, np.int64)
    nxt = np.empty(N_WALKERS, np.int64)
    n_out = 0
    total = 0
    for qi in range(queries.size):
        q = queries[qi]
        budget = budgets[qi]
        target = hit_targets[qi]
        n_t = 0
        hits = 0
        taken = 0
        # Few walkers for a small budget, so that each still walks ~32 steps and reaches past one hop.
        n_w = max(1, min(N_WALKERS, budget // 32))
        for w in range(n_w):
            cur[w] = q
            left[w] = _walk_length(alpha, log_stay)
        while taken < budget and (target <= 0 or hits < target):
            m = min(n_w, budget - taken)
            taken += m  # a failed step still costs one, so a query without edges terminates
            # Stage 1: restart finished walks; read each walker's pin row (base + delta).
            for w in range(m):
                if left[w] <= 0:
                    cur[w] = q
                    left[w] = _walk_length(alpha, log_stay)
                left[w] -= 1
                c = cur[w]
                lo[w] = pin_ptr[c]
                base[w] = pin_ptr[c + 1] - lo[w]
                deg[w] = base[w]
                dlo[w] = 0
                if (dpin_bits[c >> 3] >> (c & 7)) & 1:
                    s = dpin_slot[c]
                    dlo[w] = dpin_ptr[s]
                    deg[w] += dpin_ptr[s + 1] - dlo[w]
            # Stage 2: a random live board of the pin; dead picks are re-drawn a few times.
            for w in range(m):
                b = -1
                d = deg[w]
                if d > 0:
                    for _ in range(MAX_TRIES):
                        r = min(np.int64(np.random.random() * d), d - 1)
                        if r >= base[w]:
                            b = dpin_adj[dlo[w] + r - base[w]]
                            break
                        if not pin_dead or pin_edge_ok[lo[w] + r] != 0:
                            b = pin_adj[lo[w] + r]
                            break
                nxt[w] = b
            # Stage 3: read each board's row.
            for w in range(m):
                b = nxt[w]
                if b < 0:
                    deg[w] = 0
                    continue
                lo[w] = board_ptr[b]
                base[w] = board_ptr[b + 1] - lo[w]
                deg[w] = base[w]
                dlo[w] = 0
                if (dboard_bits[b >> 3] >> (b & 7)) & 1:
                    s = dboard_slot[b]
                    dlo[w] = dboard_ptr[s]
                    deg[w] += dboard_ptr[s + 1] - dlo[w]
            # Stage 4: a random live, allowed pin of the board.
            for w in range(m):
                p = -1
                d = deg[w]
                if d > 0:
                    for _ in range(MAX_TRIES):
                        r = min(np.int64(np.random.random() * d), d - 1)
                        if r >= base[w]:
                            p = dboard_adj[dlo[w] + r - base[w]]
                        elif not board_dead or board_edge_ok[lo[w] + r] != 0:
                            p = board_adj[lo[w] + r]
                        else:
                            continue
                        if not masked or allowed[p] != 0:
                            break
                        p = -1
                nxt[w] = p
            # Stage 5: count visits; a walker that found no neighbour restarts next round.
            for w in range(m):
                p = nxt[w]
                if p < 0:
                    left[w] = 0
                    continue
                c = counts[p]
                if c == 0:
                    touched[n_t] = p
                    n_t += 1
                counts[p] = c + 1
                if c + 1 == n_v:  # counted once, at the moment the pin reaches n_v: O(1) stop test
                    hits += 1
                cur[w] = p
        total += taken
        for i in range(n_t):
            p = touched[i]
            if acc[p] == 0.0:
                out[n_out] = p
                n_out += 1
            acc[p] += np.sqrt(np.float64(counts[p]))
            counts[p] = 0
    return n_out, total
