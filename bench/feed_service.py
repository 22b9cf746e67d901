"""Service-level benchmark of DB-backed discovery: related pins, the home feed and event ingestion.

A synthetic world (discovery.synthetic: users in interest communities, boards, pins, saves over 90 days) is
written into a fresh SQLite database through the real schema with bulk inserts: every first save creates
the pin, later saves are repins (parent = the original), 5% of boards are secret; people follow people and
boards of their community; the last 30 days of saves come with close-up and impression events and the
per-pin counters. Each user's latest save is held out (not written) to measure hit rate.

Then, in one process, with the graph built from the database:
  * related pins: `related_pins` + `present_pins` (what GET /ext/v1/pins/{id}/related does), cold cache,
    vs the naive baseline: board co-occurrence in one SQL query;
  * home feed: first page (generate a ranked session and store it) and a next page (a slice of it), vs the
    chronological feed (pins.feeds.following_then_recent) it replaces;
  * hit rate of the held-out saves in the first 300 feed items, feed vs chronological;
  * event ingestion: a batch of 50 impressions (validation, visibility, log rows, counter upserts, commit).

    .venv/bin/python bench/feed_service.py                         # 2k users, 20k pins, 80k saves
    .venv/bin/python bench/feed_service.py --users 20000 --pins 200000 --boards 40000 --saves 800000
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select

from pinhaven.accounts.models import User, UserFollow
from pinhaven.accounts.scopes import Viewer, session_viewer
from pinhaven.boards.models import Board, BoardFollow
from pinhaven.config import load_settings
from pinhaven.context import AppContext, build_context
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.db.ids import new_id
from pinhaven.discovery import feed, related
from pinhaven.discovery.evaluation import percentiles
from pinhaven.discovery.service import graph_store
from pinhaven.discovery.synthetic import SyntheticWorld, WorldConfig, generate_world
from pinhaven.discovery.walks import warm_up
from pinhaven.events import counters
from pinhaven.events import service as events_service
from pinhaven.events.models import EngagementEvent
from pinhaven.media.models import MediaImage
from pinhaven.pagination import PageParams
from pinhaven.pins import feeds
from pinhaven.pins.models import Pin
from pinhaven.pins.present import present_pins

DAY = 86_400
WORDS = ("kitchen", "garden", "travel", "recipe", "outfit", "poster", "forest", "yoga", "wedding", "camera")


def _bulk(ctx: AppContext, model: Any, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    with session_scope(ctx.sessions) as db:
        for start in range(0, len(rows), chunk):
            db.execute(insert(model), rows[start : start + chunk])


def populate(ctx: AppContext, w: SyntheticWorld, *, secret_share: float, seed: int) -> dict[str, Any]:
    """Write the world; returns the dense → database id maps and each evaluated user's held-out pin."""
    rng = np.random.default_rng(seed)
    now = utcnow()
    horizon = w.config.horizon_days * DAY
    at = [now - timedelta(seconds=int(horizon - t)) for t in w.save_time]
    n_users, n_boards, n_pins = int(w.save_user.max()) + 1, w.board_owner.size, w.pin_creator.size
    n_users = max(n_users, int(w.board_owner.max()) + 1)
    user_ids = [new_id() for _ in range(n_users)]
    _bulk(ctx, User, [{"id": user_ids[u], "username": f"u{u}", "email": f"u{u}@bench.test", "password_hash": "x"}
                      for u in range(n_users)])  # fmt: skip
    secret = rng.random(n_boards) < secret_share
    board_ids = [new_id() for _ in range(n_boards)]
    _bulk(ctx, Board, [{"id": board_ids[b], "owner_id": user_ids[w.board_owner[b]],
                        "name": f"{WORDS[w.board_community[b] % len(WORDS)]} {b}",
                        "name_key": f"{WORDS[w.board_community[b] % len(WORDS)]} {b}",
                        "privacy": "SECRET" if secret[b] else "PUBLIC"} for b in range(n_boards)])  # fmt: skip
    image_ids = [new_id() for _ in range(n_pins)]
    _bulk(ctx, MediaImage, [{"id": image_ids[p], "sha256": hashlib.sha256(f"img{p}".encode()).hexdigest(),
                             "width": 600, "height": 800, "original_format": "jpeg", "byte_size": 50_000,
                             "status": "ready"} for p in range(n_pins)])  # fmt: skip
    # Hold out each active user's latest repin (the thing to predict).
    last_repin: dict[int, int] = {}
    for i in np.flatnonzero(~w.save_created):
        last_repin[int(w.save_user[i])] = int(i)
    held_out = {u: i for u, i in last_repin.items() if (w.save_user == u).sum() >= 6}
    skip = set(held_out.values())
    original: dict[int, int] = {}
    pins: list[dict[str, Any]] = []
    saves_public: dict[int, int] = defaultdict(int)
    for i in range(w.n_saves):
        if i in skip:
            continue
        p, b, u = int(w.save_pin[i]), int(w.save_board[i]), int(w.save_user[i])
        pid = new_id(at[i])
        parent = None if w.save_created[i] else original.get(p)
        if w.save_created[i]:
            original[p] = pid
        elif parent is None:
            continue
        if parent is not None and not secret[b]:
            saves_public[parent] += 1
        pins.append({"id": pid, "board_id": board_ids[b], "creator_id": user_ids[u], "image_id": image_ids[p],
                     "parent_pin_id": parent, "title": f"{WORDS[w.pin_community[p] % len(WORDS)]} idea {p}",
                     "created_at": at[i]})  # fmt: skip
    for row in pins:
        row["save_count"] = saves_public.get(row["id"], 0)
    _bulk(ctx, Pin, pins)
    # Follows: a few people and boards of one's own community.
    by_comm: dict[int, list[int]] = defaultdict(list)
    for b in range(n_boards):
        if not secret[b]:
            by_comm[int(w.board_community[b])].append(b)
    follows, board_follows = set(), set()
    owner_comm = {int(w.board_owner[b]): int(w.board_community[b]) for b in range(n_boards)}
    for u, comm in owner_comm.items():
        for b in rng.choice(by_comm[comm], size=min(3, len(by_comm[comm])), replace=False):
            board_follows.add((user_ids[u], board_ids[int(b)]))
            if int(w.board_owner[b]) != u:
                follows.add((user_ids[u], user_ids[int(w.board_owner[b])]))
    _bulk(ctx, UserFollow, [{"follower_id": a, "followee_id": b} for a, b in follows])
    _bulk(ctx, BoardFollow, [{"user_id": a, "board_id": b} for a, b in board_follows])
    # Events of the last 30 days: each repin is a save; close-ups and impressions around it; counters.
    events: list[dict[str, Any]] = []
    deltas: dict[tuple[int, date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    recent = now - timedelta(days=30)
    for row in pins:
        if row["parent_pin_id"] is None or row["created_at"] < recent:
            continue
        for kind, n in (("save", 1), ("closeup", 1), ("impression", 4)):
            for _ in range(n):
                events.append({"id": new_id(), "user_id": row["creator_id"], "pin_id": row["parent_pin_id"],
                               "type": kind, "surface": "home", "position": 0, "at": row["created_at"]})  # fmt: skip
                name = {"save": "saves", "closeup": "closeups", "impression": "impressions"}[kind]
                deltas[(row["parent_pin_id"], row["created_at"].date())][name] += 1
    _bulk(ctx, EngagementEvent, events)
    with session_scope(ctx.sessions) as db:
        counters.bump(db=db, deltas=deltas)
    return {"users": user_ids, "original": original, "held_out": held_out, "events": len(events),
            "pins": len(pins), "images": image_ids}  # fmt: skip


class Timer:
    """Wall-clock and this thread's CPU time per call (they differ on a shared, loaded box)."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __call__(self, fn: Callable[[], Any]) -> Any:
        w, c = time.perf_counter(), time.thread_time()
        out = fn()
        self.cpu.append(time.thread_time() - c)
        self.wall.append(time.perf_counter() - w)
        return out

    def summary(self, target: str = "") -> str:
        (w50, w99), (c50, c99) = percentiles(self.wall), percentiles(self.cpu)
        text = f"wall p50 {w50:5.1f} / p99 {w99:5.1f} ms; CPU p50 {c50:5.1f} / p99 {c99:5.1f} ms (n={len(self.wall)})"
        return f"{text}; target p99 {target}" if target else text


def stage_table(stages: list[dict[str, float]]) -> str:
    names = list(dict.fromkeys(k for s in stages for k in s))
    return "; ".join(f"{k} {np.median([s.get(k, 0.0) for s in stages]) * 1e3:.1f}" for k in names)


def cooccurrence(db: Any, pin_id: int, limit: int = 300) -> list[int]:
    """Naive related pins: pins (or their originals) sharing the most public boards with the query."""
    boards = select(Pin.board_id).where((Pin.id == pin_id) | (Pin.parent_pin_id == pin_id))
    key = func.coalesce(Pin.parent_pin_id, Pin.id)
    query = (
        select(key, func.count())
        .join(Board, Board.id == Pin.board_id)
        .where(Pin.board_id.in_(boards), Board.privacy == "PUBLIC", key != pin_id)
        .group_by(key)
        .order_by(func.count().desc())
        .limit(limit)
    )
    return [int(p) for p, _ in db.execute(query)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--pins", type=int, default=20_000)
    parser.add_argument("--boards", type=int, default=4_000)
    parser.add_argument("--saves", type=int, default=80_000, help="every save, including each pin's creation")
    parser.add_argument("--secret-share", type=float, default=0.05)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--feed-users", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file in a temp dir")
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []

    def row(name: str, value: str) -> None:
        rows.append((name, value))
        print(f"  {name}: {value}", flush=True)

    print(f"load average at start: {os.getloadavg()}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="pinhaven-feed-bench-"))
    settings = load_settings(env={}, data_dir=tmp, database_url=args.database_url or f"sqlite:///{tmp / 'bench.db'}",
                             worker_threads=0, semantic_search=False, secret_key="bench")  # fmt: skip
    ctx = build_context(settings)
    config = WorldConfig(users=args.users, pins=args.pins, boards=args.boards, saves=args.saves,
                         horizon_days=90, seed=args.seed)  # fmt: skip
    t = time.perf_counter()
    world = generate_world(config)
    info = populate(ctx, world, secret_share=args.secret_share, seed=args.seed)
    row(
        "instance",
        f"{len(info['users']):,} users, {args.boards:,} boards, {info['pins']:,} pin rows "
        f"({args.pins:,} originals), {info['events']:,} events; written in {time.perf_counter() - t:.1f} s",
    )
    store = graph_store(ctx)
    t = time.perf_counter()
    graph = store.current()
    row(
        "graph build from the database",
        f"{time.perf_counter() - t:.2f} s: {graph.n_pins:,} pins, "
        f"{graph.n_edges:,} edges, {graph.memory_bytes() / 2**20:.1f} MiB",
    )
    t = time.perf_counter()
    warm_up()
    row("walk kernel warm-up", f"{time.perf_counter() - t:.2f} s")
    # As `serve` does after start-up (discovery.service): shared sources computed, start-up objects frozen.
    feed.prime(ctx)
    gc.collect()
    gc.freeze()

    rng = np.random.default_rng(args.seed + 1)
    users = info["users"]
    viewers: list[Viewer] = [session_viewer(users[int(u)]) for u in rng.integers(0, len(users), args.queries)]
    with session_scope(ctx.read_sessions) as db:
        public = list(db.scalars(select(Pin.id).join(Board, Board.id == Pin.board_id)
                                 .where(Board.privacy == "PUBLIC", Pin.parent_pin_id.is_(None))))  # fmt: skip
    queries = [public[int(i)] for i in rng.integers(0, len(public), args.queries)]

    # ---- related pins ------------------------------------------------------------------------------
    full, rank_only, naive = Timer(), Timer(), Timer()
    related_stages: list[dict[str, float]] = []
    for viewer, pin_id in zip(viewers, queries, strict=True):
        related.forget_ranked_lists(ctx)  # cold: every query ranks
        with session_scope(ctx.read_sessions) as db:

            def one(db: Any = db, viewer: Viewer = viewer, pin_id: int = pin_id) -> Any:
                page = rank_only(lambda: related.related_pins(
                    ctx, db=db, viewer=viewer, pin_id=pin_id, page=PageParams(page_size=25)))  # fmt: skip
                return present_pins(db=db, viewer=viewer, pins=page.items, base_url="")

            full(one)
        with session_scope(ctx.read_sessions) as db:
            naive(lambda db=db, pin_id=pin_id: cooccurrence(db, pin_id))
            stages: dict[str, float] = {}
            related.rank_related(ctx, db=db, viewer=viewer, pin=db.get(Pin, pin_id), stages=stages)
            related_stages.append(stages)
    row("related: rank + first page (service)", rank_only.summary())
    row("related: + v5 presentation (what the API returns)", full.summary("<= 30 ms"))
    row("related: median ms per stage", stage_table(related_stages))
    row("related baseline: SQL board co-occurrence", naive.summary())

    # ---- home feed ------------------------------------------------------------------------------------
    held = info["held_out"]
    active = list(held)[: args.feed_users]
    first, following, chrono = Timer(), Timer(), Timer()
    feed_stages: list[dict[str, float]] = []
    hits = {"feed": 0, "chronological": 0}
    for u in active:
        viewer = session_viewer(users[u])
        with session_scope(ctx.read_sessions) as db:
            page = first(lambda db=db, viewer=viewer: feed.home_feed(
                ctx, db=db, viewer=viewer, page=PageParams(page_size=25)))  # fmt: skip
            present_pins(db=db, viewer=viewer, pins=page.items, base_url="")
        with session_scope(ctx.read_sessions) as db:
            following(lambda db=db, viewer=viewer, page=page: feed.home_feed(
                ctx, db=db, viewer=viewer, page=PageParams(page_size=25, bookmark=page.bookmark)))  # fmt: skip
        with session_scope(ctx.read_sessions) as db:
            chrono(lambda db=db, viewer=viewer: feeds.following_then_recent(
                db=db, viewer=viewer, page=PageParams(page_size=25)))  # fmt: skip
            head = feeds.following_then_recent(db=db, viewer=viewer, page=PageParams(page_size=250))
            tail = feeds.following_then_recent(
                db=db, viewer=viewer, page=PageParams(page_size=50, bookmark=head.bookmark)
            )
            chrono_items = head.items + (tail.items if head.bookmark else [])
            session = feed.explain_session(ctx, db=db, session_id=int(page.request_id or 0))
            ids = [p for p, _, _ in session]
            images = {
                int(p): int(i) for p, i in db.execute(select(Pin.id, Pin.image_id).where(Pin.id.in_(ids)))
            }
            stages = {}
            feed.generate(ctx, db=db, viewer=viewer, stages=stages)
            feed_stages.append(stages)
        target = info["images"][int(world.save_pin[held[u]])]
        hits["feed"] += any(images.get(p) == target for p in ids)
        hits["chronological"] += any(p.image_id == target for p in chrono_items)
    row("feed: first page (rank a 300-pin session, store it)", first.summary("<= 50 ms"))
    row("feed: median ms per stage of the ranking", stage_table(feed_stages))
    row("feed: next page (slice of the stored session)", following.summary())
    row("feed baseline: chronological first page", chrono.summary())
    n = max(len(active), 1)
    row(
        "hit rate of held-out saves in the first 300 items",
        f"feed {hits['feed'] / n:.1%}   chronological {hits['chronological'] / n:.1%}   (users={len(active)})",
    )

    # ---- events ---------------------------------------------------------------------------------------
    ingest = Timer()
    for i in range(100):
        viewer = viewers[i % len(viewers)]
        batch = [{"type": "impression", "pin_id": str(queries[(i * 50 + k) % len(queries)]), "surface": "home",
                  "position": k} for k in range(50)]  # fmt: skip
        ingest(lambda viewer=viewer, batch=batch: _ingest(ctx, viewer, batch))
    row("events: batch of 50 impressions, committed", ingest.summary())

    print("\n| measurement | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print(f"\nload average at end: {os.getloadavg()}")


def _ingest(ctx: AppContext, viewer: Viewer, batch: list[dict[str, Any]]) -> None:
    with session_scope(ctx.sessions) as db:
        events_service.record_batch(db=db, viewer=viewer, events=batch)


if __name__ == "__main__":
    main()
