"""Offline evaluation of the learned ranker on a simulated population driving the real home feed.

    .venv/bin/python bench/ranking.py                 # ≈ 2-3 minutes on a shared 2-core box
    .venv/bin/python bench/ranking.py --users 300 --days 8

World: topics; creators with one board per topic they post in; pins with a topic and a quality. Users have
mixed latent tastes (a Dirichlet mixture over topics: most like 1-3 topics). A pin's true relevance to a
user is taste[topic] × quality. Each simulated day every user opens the home feed (the real service:
sources → privacy → features → scorer → diversity, logged as a feed session) and looks down the first page
with position bias (P(look at position i) = 1 / (1 + i/4)); a looked-at pin gets an impression, then maybe a
close-up, a click and a save (more likely the more relevant it is: saves are real saves, which feed the
walks, the graph and ALS) or, when off-taste, a hide. Between days the ALS source is refitted.

Then the labelled log is split by day: models train on the first days, and on the held-out last days each
scorer re-ranks every session's full candidate list (all ≈ 300 candidates, not only the shown page), graded
by the simulator's true relevance: nDCG@25 (graded gain = relevance) and recall@25 (share of the truly
relevant candidates, relevance ≥ 0.25, in the top 25). Scorers: popularity (the pin's save count), the
hand-tuned scorer, the learned ranker, and the learned ranker with the candidates only the new sources (ALS,
multi-interest) proposed removed — the new sources' contribution. Also: training time, model size, ALS fit
time, and scoring latency for 300 candidates. The load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.scopes import session_viewer
from pinhaven.boards import service as boards_service
from pinhaven.config import load_settings
from pinhaven.context import AppContext, build_context
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.discovery import feed
from pinhaven.events import service as events_service
from pinhaven.events.models import PinStats
from pinhaven.media.models import MediaImage
from pinhaven.pagination import PageParams
from pinhaven.pins import service as pins_service
from pinhaven.ranking import als, service
from pinhaven.ranking.dataset import load_examples
from pinhaven.ranking.features import LEARNED_FEATURES, SOURCE_NAMES
from pinhaven.ranking.labels import label_logs
from pinhaven.ranking.model import LearnedModel, model_dir
from pinhaven.ranking.models import FeatureLog
from pinhaven.ranking.objectives import parse_weights
from pinhaven.ranking.training import hand_tuned_scores, ndcg_at

PAGE = 25
RELEVANT = 0.25


class Sim:
    def __init__(self, ctx: AppContext, users: int, pins: int, topics: int, seed: int) -> None:
        self.ctx, self.rng = ctx, random.Random(seed)
        nrng = np.random.default_rng(seed)
        self.topics = topics
        self.taste: dict[int, np.ndarray] = {}
        self.topic_of: dict[int, int] = {}
        self.quality: dict[int, float] = {}
        self.saved_board: dict[int, int] = {}
        creators = [self._user(f"creator{i}") for i in range(max(8, topics * 2))]
        boards: dict[tuple[int, int], int] = {}
        with session_scope(ctx.sessions) as db:
            for i in range(pins):
                creator = creators[i % len(creators)]
                topic = (i % len(creators) + self.rng.randrange(2)) % topics  # each creator posts in 2 topics
                if (creator, topic) not in boards:
                    boards[(creator, topic)] = boards_service.create(
                        db=db, owner_id=creator, name=f"topic {topic}", privacy="PUBLIC"
                    ).id
                image = MediaImage(sha256=hashlib.sha256(f"{seed}-{i}".encode()).hexdigest(), width=100,
                                   height=100, original_format="jpeg", byte_size=1000, status="ready")  # fmt: skip
                db.add(image)
                db.flush()
                pin = pins_service.create(
                    db=db, viewer=session_viewer(creator), board_id=boards[(creator, topic)], image=image,
                    fields=pins_service.PinFields(title=f"pin {i}"),
                )  # fmt: skip
                self.topic_of[pin.id] = topic
                self.quality[pin.id] = float(0.4 + 0.6 * self.rng.random())
        self.users = []
        for u in range(users):
            uid = self._user(f"user{u}")
            self.taste[uid] = nrng.dirichlet([0.3] * topics)
            with session_scope(ctx.sessions) as db:
                self.saved_board[uid] = boards_service.create(
                    db=db, owner_id=uid, name="Saved", privacy="PUBLIC"
                ).id
            self.users.append(uid)

    def _user(self, name: str) -> int:
        with session_scope(self.ctx.sessions) as db:
            return accounts_service.create(
                db=db, username=name, email=f"{name}@example.test", password="x" * 12
            ).id

    def relevance(self, user: int, pin: int) -> float:
        topic = self.topic_of.get(pin)
        if topic is None:  # a user's saved copy of a pin: the original's relevance
            return 0.0
        return float(min(1.0, self.taste[user][topic] * 1.6) * self.quality[pin])

    def session(self, user: int) -> int | None:
        """One feed visit: the real first page, position-biased looking, engagement as the taste says."""
        viewer = session_viewer(user)
        with session_scope(self.ctx.read_sessions) as db:
            page = feed.home_feed(self.ctx, db=db, viewer=viewer, page=PageParams(page_size=PAGE))
        if page.request_id is None:
            return None
        events, saves, hides = [], [], []
        for position, pin in enumerate(page.items):
            if self.rng.random() > 1.0 / (1.0 + position / 4.0):
                continue
            rel = self.relevance(user, pin.id)
            events.append({"type": "impression", "pin_id": str(pin.id), "surface": "home", "position": position,
                           "request_id": page.request_id})  # fmt: skip
            if self.rng.random() < 0.7 * rel:
                events.append(
                    {"type": "closeup", "pin_id": str(pin.id), "surface": "home", "position": position}
                )
                if self.rng.random() < 0.4 * rel:
                    events.append({"type": "click", "pin_id": str(pin.id), "surface": "home"})
                if self.rng.random() < 0.6 * rel:
                    saves.append(pin.id)
            elif rel < 0.08 and self.rng.random() < 0.15:
                hides.append(pin.id)
        with session_scope(self.ctx.sessions) as db:
            events_service.record_batch(db=db, viewer=viewer, events=events)
            for pin_id in saves:
                pins_service.save(
                    db=db, viewer=viewer, pin_id=pin_id, board_id=self.saved_board[user], section_id=None
                )
            for pin_id in hides:
                events_service.hide(db=db, viewer=viewer, pin_id=pin_id)
        return int(page.request_id)


def evaluate(
    ctx: AppContext, sim: Sim, sessions: list[int], model: LearnedModel
) -> dict[str, tuple[float, float]]:
    """Mean nDCG@25 and recall@25 per scorer over the full candidate lists of the held-out sessions."""
    weights = parse_weights(ctx.settings.ranking_weights)
    new_only = sum(1 << SOURCE_NAMES.index(s) for s in ("als", "interests"))
    results: dict[str, list[tuple[float, float]]] = {}
    with session_scope(ctx.read_sessions) as db:
        saves = dict(db.query(PinStats.pin_id, PinStats.saves).all())
        for session_id in sessions:
            row = db.get(FeatureLog, session_id)
            if row is None:
                continue
            pins = np.frombuffer(row.pin_ids, dtype="<i8")
            rows = np.frombuffer(row.features, dtype="<f4").reshape(len(pins), len(LEARNED_FEATURES))
            bits = np.frombuffer(row.source_bits, dtype="<u2")
            gains = np.asarray([sim.relevance(row.user_id, int(p)) for p in pins])
            learned = model.utility(rows, weights)
            old_sources = (bits.astype(np.int64) & ~new_only) != 0
            scorers = {
                "popularity": np.asarray([saves.get(int(p), 0) for p in pins], dtype=float),
                "hand-tuned": hand_tuned_scores(rows),
                "learned": learned,
                "learned, without the new sources' candidates": np.where(old_sources, learned, -1e9),
            }
            relevant = gains >= RELEVANT
            for name, scores in scorers.items():
                ndcg = ndcg_at(scores, gains, PAGE)
                if ndcg is None:
                    continue
                top = np.argsort(-scores, kind="stable")[:PAGE]
                recall = float(relevant[top].sum() / relevant.sum()) if relevant.any() else 0.0
                results.setdefault(name, []).append((ndcg, recall))
    return {
        k: (float(np.mean([a for a, _ in v])), float(np.mean([b for _, b in v]))) for k, v in results.items()
    }


def training_scale(n: int, seed: int = 3) -> None:
    """Training time on n synthetic impressions (planted: saves follow one source column), no database."""
    from pinhaven.ranking.dataset import Examples
    from pinhaven.ranking.objectives import OBJECTIVES
    from pinhaven.ranking.training import train

    rng = np.random.default_rng(seed)
    width = len(LEARNED_FEATURES)
    x = rng.random((n, width + 1), dtype=np.float32)
    x[:, -1] = rng.integers(0, 25, n)
    taste = x[:, LEARNED_FEATURES.index("src_walk")]
    look = 1.0 / (1.0 + x[:, -1] / 4.0)
    labels = {o: (rng.random(n) < p * look).astype(np.int8) for o, p in zip(
        OBJECTIVES, (0.02 + 0.3 * taste**2, 0.02 + 0.2 * taste, 0.05 + 0.3 * taste, 0.03 * (1 - taste)), strict=True)}  # fmt: skip
    sessions = np.arange(n, dtype=np.int64) // 300
    examples = Examples(x, labels, sessions, sessions.astype(float), np.arange(n, dtype=np.int64))
    t = time.perf_counter()
    trained = train(examples)
    seconds = time.perf_counter() - t
    trees = {o: b.num_trees() for o, b in trained.model.boosters.items()}
    load = os.getloadavg()
    print(f"training on {n:,} impressions: {seconds:.1f} s for 4 objectives (trees after early stopping: {trees}); "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=120)
    parser.add_argument("--pins", type=int, default=1500)
    parser.add_argument("--topics", type=int, default=8)
    parser.add_argument("--days", type=int, default=6, help="simulated days; the last --holdout are held out")
    parser.add_argument("--holdout", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--training-only", type=int, default=0, metavar="N",
                        help="only time training on N synthetic impressions (e.g. 1000000)")  # fmt: skip
    args = parser.parse_args()
    if args.training_only:
        training_scale(args.training_only)
        return
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(env={}, data_dir=Path(tmp), password_hash_fast=True, worker_threads=0,
                                 semantic_search=False, secret_key="bench", ranking_train_interval_seconds=0)  # fmt: skip
        ctx = build_context(settings)
        sim = Sim(ctx, args.users, args.pins, args.topics, args.seed)
        print(f"world: {args.users} users, {args.pins} pins, {args.topics} topics "
              f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
        day_sessions: list[list[int]] = []
        feed_ms: list[float] = []
        als_seconds = 0.0
        for day in range(args.days):
            sessions = []
            for user in sim.users:
                t = time.perf_counter()
                found = sim.session(user)
                feed_ms.append((time.perf_counter() - t) * 1000)
                if found is not None:
                    sessions.append(found)
            day_sessions.append(sessions)
            t = time.perf_counter()
            als.fit(ctx)
            als_seconds = time.perf_counter() - t
            print(f"day {day + 1}: {len(sessions)} sessions, load {os.getloadavg()[0]:.1f}", flush=True)
        with session_scope(ctx.sessions) as db:
            labelled, impressions = label_logs(db=db, now=utcnow() + timedelta(hours=8))
        train_days = args.days - args.holdout
        holdout = [s for day in day_sessions[train_days:] for s in day]
        with session_scope(ctx.read_sessions) as db:
            cut = min(r.created_at for r in db.query(FeatureLog).filter(FeatureLog.id.in_(holdout)))
            examples = len(load_examples(db=db, until=cut))
        t = time.perf_counter()
        outcome = service.train_and_register(ctx, until=cut, promote_if_better=False)
        train_seconds = time.perf_counter() - t
        path = model_dir(settings.data_dir, outcome.version)
        model = LearnedModel.load(path, outcome.version)
        size = sum(f.stat().st_size for f in path.iterdir())
        scores = evaluate(ctx, sim, holdout, model)
        with session_scope(ctx.read_sessions) as db:
            sample = db.get(FeatureLog, holdout[0])
            assert sample is not None
            rows = np.frombuffer(sample.features, dtype="<f4").reshape(-1, len(LEARNED_FEATURES))[:300]
        weights = parse_weights(settings.ranking_weights)
        timings = []
        for _ in range(200):
            t = time.perf_counter()
            model.utility(rows, weights)
            timings.append((time.perf_counter() - t) * 1000)
        ctx.engine.dispose()
    load = os.getloadavg()
    print()
    print(f"labelled sessions {labelled}, impressions {impressions}; training examples (first {train_days} days) "
          f"{examples}; held-out sessions {len(holdout)} (last {args.holdout} days)")  # fmt: skip
    print(f"{'scorer':48} {'nDCG@25':>8} {'recall@25':>10}")
    base = scores["hand-tuned"][0]
    for name, (ndcg, recall) in scores.items():
        print(f"{name:48} {ndcg:8.4f} {recall:10.4f}   ({(ndcg / base - 1) * 100:+.1f}% nDCG vs hand-tuned)")
    print(
        f"training: {train_seconds:.1f} s for 4 objectives on {examples} impressions; model files {size / 1024:.0f} KB"
    )
    print(f"ALS fit (last day): {als_seconds:.2f} s")
    ft = np.percentile(feed_ms, [50, 99])
    print(f"feed first page (in-process, ranking + logging): p50 {ft[0]:.0f} ms, p99 {ft[1]:.0f} ms")
    st = np.percentile(timings, [50, 99])
    print(
        f"scoring {rows.shape[0]} candidates (4 boosters, one batch each): p50 {st[0]:.2f} ms, p99 {st[1]:.2f} ms"
    )
    print(f"model registry decision on its own hold-out: {outcome.reason}")
    print(
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; total {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
