"""Benchmark of Pixie-style discovery on a synthetic world: graph, related pins, walk-based feed.

    .venv/bin/python bench/discovery.py                  # small world, about a minute
    .venv/bin/python bench/discovery.py --full           # 100k users, 1M pins, 200k boards, 10M saves
    .venv/bin/python bench/discovery.py --small          # planted-taste small worlds on SQLite, PostgreSQL,
                                                         # MariaDB: first page, taste share, related, hit rate

Prints one table: graph build time and memory, related-pins latency (Numba kernel, NumPy backend and a
pure-Python walker as the naive baseline), community precision vs a board co-occurrence baseline,
hit-rate@50 of held-out saves for the walk feed vs popularity vs random, feed latency, and the cost of
incremental updates. Latencies are wall-clock on one thread; the machine may be shared, so the load
average is printed too.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from pinhaven.discovery.candidates import Action, PopularityIndex, walk_candidates
from pinhaven.discovery.evaluation import community_precision, hit_rate, percentiles
from pinhaven.discovery.graph import PinBoardGraph
from pinhaven.discovery.synthetic import WorldConfig, generate_world, holdout_split
from pinhaven.discovery.walks import related, top_scores, walk, warm_up

FULL = {"users": 100_000, "pins": 1_000_000, "boards": 200_000, "saves": 10_000_000}
T = TypeVar("T")
SMALL = {"users": 10_000, "pins": 100_000, "boards": 20_000, "saves": 1_000_000}


def naive_walk(graph: PinBoardGraph, query: int, steps: int, alpha: float, seed: int) -> dict[int, int]:
    """Pure-Python Pixie walk (one step per loop iteration): the naive baseline."""
    v = graph.view()
    pin_ptr, pin_adj = v.pin_ptr.data, v.pin_adj.data  # memoryviews: plain Python ints per lookup
    board_ptr, board_adj = v.board_ptr.data, v.board_adj.data
    rnd = random.Random(seed)
    counts: dict[int, int] = {}
    q = graph.pin_index(query)
    cur = q
    for _ in range(steps):
        lo = pin_ptr[cur]
        b = pin_adj[lo + int(rnd.random() * (pin_ptr[cur + 1] - lo))]
        lo = board_ptr[b]
        p = board_adj[lo + int(rnd.random() * (board_ptr[b + 1] - lo))]
        counts[p] = counts.get(p, 0) + 1
        cur = q if rnd.random() < alpha else p
    return counts


def cooccurrence(graph: PinBoardGraph, query: int, top_k: int) -> list[int]:
    """Baseline related pins: pins sharing the most boards with the query (one hop, no walk)."""
    v = graph.view()
    q = graph.pin_index(query)
    boards = v.pin_adj[v.pin_ptr[q] : v.pin_ptr[q + 1]]
    pins = np.concatenate([v.board_adj[v.board_ptr[b] : v.board_ptr[b + 1]] for b in boards])
    uniq, cnt = np.unique(pins, return_counts=True)
    ids = graph.pin_ids(uniq)
    return [p for p, _ in top_scores(ids, cnt.astype(np.float64), top_k=top_k, exclude={query})]


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


class Clock:
    """Wall-clock and this thread's CPU time of each `with clock:` block (they differ on a shared box)."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __enter__(self) -> Clock:
        self._w, self._c = time.perf_counter(), time.thread_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu.append(time.thread_time() - self._c)
        self.wall.append(time.perf_counter() - self._w)

    def summary(self) -> str:
        (w50, w99), (c50, c99) = percentiles(self.wall), percentiles(self.cpu)
        return f"wall p50 {w50:.1f} / p99 {w99:.1f} ms; CPU p50 {c50:.1f} / p99 {c99:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for name, default in SMALL.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--full", action="store_true", help="the issue's target size: " + str(FULL))
    parser.add_argument("--queries", type=int, default=300, help="related-pins queries to time")
    parser.add_argument("--feed-users", type=int, default=300)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--feed-steps", type=int, default=100_000)
    parser.add_argument("--top-k", type=int, default=100)
    parser.add_argument("--naive-queries", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--small", action="store_true", help="planted-taste small worlds on real databases")
    parser.add_argument("--backends", default="sqlite,postgresql,mariadb", help="for --small")
    parser.add_argument(
        "--scenarios", default="issue,one-user,many-boards,new-user,follows-one,medium", help="for --small"
    )
    parser.add_argument("--pixels", action="store_true", help="for --small: demo pictures + embeddings")
    parser.add_argument("--seeds", type=int, default=1, help="for --small: worlds per scenario and backend")
    args = parser.parse_args()
    if args.small:
        from bench_small_worlds import run_small

        run_small(args.backends.split(","), args.scenarios.split(","), pixels=args.pixels, seeds=args.seeds)
        return
    size = FULL if args.full else {k: getattr(args, k) for k in SMALL}
    rows: list[tuple[str, str, str]] = []

    def row(name: str, value: str, target: str = "") -> None:
        rows.append((name, value, target))
        print(f"  {name}: {value}", flush=True)

    print(f"load average at start: {os.getloadavg()}", flush=True)
    gen_s, world = timed(lambda: generate_world(WorldConfig(**size, seed=args.seed)))
    split = holdout_split(world)
    row(
        "world", f"{size} -> {world.n_saves:,} saves, {world.config.n_communities} communities, {gen_s:.1f} s"
    )

    # ---- graph ---------------------------------------------------------------------------------
    build_s, graph = timed(lambda: PinBoardGraph.from_edges(*world.edges(split.train)))
    row(
        "graph build",
        f"{build_s:.2f} s for {graph.n_edges:,} edges, {graph.n_pins:,} pins, {graph.n_boards:,} boards",
    )
    row(
        "graph memory",
        f"{graph.memory_bytes() / 2**20:.0f} MiB = {graph.bytes_per_edge():.1f} bytes/edge",
        "<= 200",
    )
    jit_s, _ = timed(warm_up)
    row("kernel warm-up (JIT or cache load)", f"{jit_s:.2f} s")

    # ---- related pins ----------------------------------------------------------------------------
    rng = np.random.default_rng(args.seed)
    deg = graph.pin_degrees()
    candidates = np.flatnonzero(deg >= 2)
    uniform = rng.choice(candidates, args.queries // 2)
    by_degree = rng.choice(candidates, args.queries - uniform.size, p=deg[candidates] / deg[candidates].sum())
    queries = graph.pin_ids(np.concatenate([uniform, by_degree])).tolist()
    dense_of = np.argsort(world.pin_ids)  # world.pin_ids is increasing, so searchsorted maps id -> dense
    clock = Clock()
    steps, results, comms = [], [], []
    for i, q in enumerate(queries):
        with clock:  # one related-pins request: walk, then top-k
            res = walk(graph, q, steps=args.steps, seed=i)
            found = top_scores(res.pin_ids, res.scores, top_k=args.top_k, exclude={q})
        steps.append(res.steps)
        results.append(dense_of[np.searchsorted(world.pin_ids, [p for p, _ in found])])
        comms.append(int(world.pin_community[np.searchsorted(world.pin_ids, q)]))
    row(f"related pins latency ({args.steps:,} steps, Numba)", clock.summary(), "p99 <= 30")
    per_s = sum(steps) / sum(clock.cpu) / 1e6
    row("walk throughput (CPU time)", f"{per_s:.2f} M steps/s; mean {np.mean(steps):,.0f} steps/query")
    precision = community_precision(results, comms, world.pin_community)
    row(f"related pins in the query's community (top {args.top_k})", f"{precision:.3f}", ">= 0.8")
    co = [dense_of[np.searchsorted(world.pin_ids, cooccurrence(graph, q, args.top_k))] for q in queries]
    row(
        "  baseline: board co-occurrence (one hop)",
        f"{community_precision(co, comms, world.pin_community):.3f}",
    )
    np_clock = Clock()
    for q in queries[:50]:
        with np_clock:
            related(graph, q, steps=args.steps, backend="numpy")
    row("  NumPy backend latency (50 queries)", np_clock.summary())
    naive_clock = Clock()
    for q in queries[: args.naive_queries]:
        with naive_clock:
            naive_walk(graph, q, args.steps, 0.5, 0)
    naive_cpu = float(np.median(naive_clock.cpu))
    row(
        f"  naive pure-Python walk, no early stop ({args.naive_queries} queries)",
        f"CPU median {naive_cpu * 1e3:.0f} ms = {args.steps / naive_cpu / 1e6:.2f} M steps/s",
    )

    # ---- feed ------------------------------------------------------------------------------------
    train = np.flatnonzero(split.train)  # saves and creations: both are the user's recent actions
    train = train[np.lexsort((world.save_time[train], world.save_user[train]))]
    train_users = world.save_user[train]
    test = np.flatnonzero(split.test)
    test = test[np.argsort(world.save_user[test], kind="stable")]
    test_users = world.save_user[test]
    users = rng.choice(split.test_users, min(args.feed_users, split.test_users.size), replace=False)
    popularity = PopularityIndex.from_graph(graph)
    live_pins = graph.pin_ids(np.flatnonzero(deg > 0))
    walk_recs, pop_recs, rand_recs, truth = [], [], [], []
    feed_clock = Clock()
    for u in users.tolist():
        mine = train[np.searchsorted(train_users, u) : np.searchsorted(train_users, u, side="right")]
        saved = set(world.pin_ids[world.save_pin[mine]].tolist())
        recent = mine[-20:]
        actions = [Action(int(p), float(t)) for p, t in zip(world.pin_ids[world.save_pin[recent]],
                                                              world.save_time[recent], strict=True)]  # fmt: skip
        with feed_clock:
            recs = walk_candidates(graph, actions, top_k=50, steps=args.feed_steps, exclude=saved, seed=u)
        walk_recs.append([p for p, _ in recs])
        pop_recs.append([p for p, _ in popularity.top(50, exclude=saved)])
        rand_recs.append(rng.choice(live_pins, 50, replace=False).tolist())
        held = test[np.searchsorted(test_users, u) : np.searchsorted(test_users, u, side="right")]
        truth.append(set(world.pin_ids[world.save_pin[held]].tolist()))
    hr_walk, hr_pop, hr_rand = (hit_rate(r, truth) for r in (walk_recs, pop_recs, rand_recs))
    row(f"feed hit-rate@50 ({len(users)} users, walk from last 20 saves)", f"{hr_walk:.3f}")
    ratio = hr_walk / max(hr_pop, 1e-9)
    row("  popularity baseline", f"{hr_pop:.3f} (walk / popularity = {ratio:.1f}x)", ">= 3x")
    row("  random baseline", f"{hr_rand:.4f}")
    row(f"feed generation latency ({args.feed_steps:,} steps)", feed_clock.summary(), "p99 <= 50")

    # ---- incremental updates -------------------------------------------------------------------
    n_new = 10_000
    new_pins = np.arange(n_new, dtype=np.int64) + (1 << 61)
    board_ids = world.board_ids[rng.integers(0, world.config.boards, n_new)]
    add_s, _ = timed(lambda: graph.add_edges(new_pins.tolist(), board_ids.tolist()))
    view_s, _ = timed(lambda: graph.view(auto_compact=False))
    fresh = related(graph, int(new_pins[0]), steps=2_000)
    on_board = set(graph.pins_of(int(board_ids[0])))
    row(
        "add edge (new pin saved to a board)",
        f"{add_s / n_new * 1e6:.1f} us each; next view {view_s * 1e3:.1f} ms",
    )
    row(
        "  a new pin's top related pin is a board-mate, at once",
        "yes" if fresh and fresh[0][0] in on_board else "NO",
    )
    compact_s, _ = timed(graph.compact)
    row("compaction (rebuild CSR with the delta merged)", f"{compact_s:.2f} s")
    print(f"load average at end: {os.getloadavg()}")

    width = max(len(r[0]) for r in rows)
    print("\n" + "metric".ljust(width) + " | value | target")
    print("-" * (width + 40))
    for name, value, target in rows:
        print(f"{name.ljust(width)} | {value}" + (f" | {target}" if target else ""))


if __name__ == "__main__":
    main()
