"""Training on the labelled log, time-split evaluation, the registry (promote only if better, rollback) and
the serving fallback when a model cannot be loaded."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import numpy as np
import pytest
from tests.discovery_service.helpers import World
from tests.factories import Account
from tests.ranking.helpers import COL, plant_log, random_rows

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.errors import Conflict, InvalidInput
from pinhaven.ranking import service
from pinhaven.ranking.model import LearnedModel, model_dir
from pinhaven.ranking.models import FeatureLog
from pinhaven.ranking.serving import model_cache

START = datetime(2026, 11, 1, tzinfo=UTC)


def _state(ctx: AppContext) -> dict[int, str]:
    with session_scope(ctx.read_sessions) as db:
        return {m.version: m.state for m in service.list_models(db=db)}


def test_a_model_trained_on_the_log_learns_the_planted_preference_and_is_promoted(
    ctx: AppContext, alice: Account
) -> None:
    plant_log(ctx, user_id=alice.user.id, start=START, sessions=300)
    outcome = service.train_and_register(ctx)
    ndcg = outcome.metrics["ndcg@25"]
    assert outcome.promoted and _state(ctx) == {outcome.version: "active"}
    assert ndcg["candidate"] > ndcg["hand-tuned"] * 1.15 and ndcg["candidate"] > ndcg["popularity"]
    model = LearnedModel.load(model_dir(ctx.settings.data_dir, outcome.version), outcome.version)
    rows = random_rows(np.random.default_rng(5), 200)
    liked, other = rows.copy(), rows.copy()
    liked[:, COL["src_visual"]], other[:, COL["src_visual"]] = 0.95, 0.0
    p_liked, p_other = model.predict(liked), model.predict(other)
    assert (p_liked["save"] > p_other["save"]).mean() > 0.95
    assert (p_liked["hide"] < p_other["hide"]).mean() > 0.8
    assert (
        outcome.metrics["holdout_sessions"] > 0
        and (model_dir(ctx.settings.data_dir, 1) / "meta.json").exists()
    )


def test_promotion_refuses_a_model_worse_than_the_active_one(ctx: AppContext, alice: Account) -> None:
    after = plant_log(ctx, user_id=alice.user.id, start=START, sessions=300)
    first = service.train_and_register(ctx)
    assert first.promoted
    # Later sessions: the older ones carry labels unrelated to the pins (a broken logger), the newest (the
    # hold-out) the real preference. A model learned from the noise must not replace the active one.
    later = plant_log(ctx, user_id=alice.user.id, start=after, sessions=240, noise=True, seed=1)
    plant_log(ctx, user_id=alice.user.id, start=later, sessions=60, seed=2)
    second = service.train_and_register(ctx, since=after)
    assert not second.promoted and "does not beat the active model" in second.reason
    assert _state(ctx) == {first.version: "active", second.version: "rejected"}


def test_too_little_data_is_refused_with_a_clear_message(ctx: AppContext, alice: Account) -> None:
    plant_log(ctx, user_id=alice.user.id, start=START, sessions=3)
    with pytest.raises(InvalidInput, match="labelled impressions"):
        service.train_and_register(ctx)


def test_rollback_restores_the_previous_model_then_the_hand_tuned_scorer(
    ctx: AppContext, alice: Account
) -> None:
    plant_log(ctx, user_id=alice.user.id, start=START, sessions=200)
    v1 = service.train_and_register(ctx).version
    v2 = service.train_and_register(ctx, promote_if_better=False, rounds=30).version
    with session_scope(ctx.sessions) as db:
        service.promote(db=db, data_dir=ctx.settings.data_dir, version=v2)
    assert _state(ctx) == {v1: "retired", v2: "active"}
    with session_scope(ctx.sessions) as db:
        restored = service.rollback(db=db)
        assert restored is not None and restored.version == v1
    assert _state(ctx) == {v1: "active", v2: "rejected"}
    with session_scope(ctx.sessions) as db:
        assert service.rollback(db=db) is None
        with pytest.raises(Conflict):
            service.rollback(db=db)


def _served_by(ctx: AppContext, world: World, who: Account) -> str:
    page = world.feed(who, page_size=5)
    with session_scope(ctx.read_sessions) as db:
        row = db.get(FeatureLog, int(page.request_id or 0))
        assert row is not None
        return row.scorer


def test_the_feed_ranks_with_the_active_model_and_falls_back_when_its_file_is_corrupt(
    ctx: AppContext, alice: Account, bob: Account, caplog: pytest.LogCaptureFixture
) -> None:
    world = World(ctx)
    board = world.board(alice, "Things")
    for i in range(12):
        world.pin(alice, board, f"p{i}")
    plant_log(ctx, user_id=alice.user.id, start=START, sessions=200)
    version = service.train_and_register(ctx).version
    assert _served_by(ctx, world, bob) == f"learned-v{version}"
    (model_dir(ctx.settings.data_dir, version) / "save.txt").write_text("tree\nnot a model\n")
    ctx.services.pop("ranking.models")  # a new process: nothing loaded yet
    with caplog.at_level(logging.WARNING, logger="pinhaven.ranking"):
        assert _served_by(ctx, world, bob) == "hand-tuned-v1"
        assert _served_by(ctx, world, bob) == "hand-tuned-v1"
    fallbacks = [r for r in caplog.records if "falling back to the hand-tuned scorer" in r.getMessage()]
    assert len(fallbacks) == 1 and f"v{version}" in fallbacks[0].getMessage()
    model_cache(ctx).refresh()
    for file in model_dir(ctx.settings.data_dir, version).iterdir():
        file.unlink()
    ctx.services.pop("ranking.models")
    assert _served_by(ctx, world, bob) == "hand-tuned-v1"  # missing files: same fallback, no error


def test_scoring_300_candidates_is_one_fast_batch(ctx: AppContext, alice: Account) -> None:
    plant_log(ctx, user_id=alice.user.id, start=START, sessions=200)
    version = service.train_and_register(ctx).version
    model = LearnedModel.load(model_dir(ctx.settings.data_dir, version), version)
    rows = random_rows(np.random.default_rng(1), 300)
    weights = {"save": 1.0, "click": 0.6, "closeup": 0.3, "hide": -2.0}
    model.utility(rows, weights)
    import time

    timings = []
    for _ in range(20):
        started = time.perf_counter()
        model.utility(rows, weights)
        timings.append(time.perf_counter() - started)
    # Target ≤ 5 ms on a quiet machine (measured by bench/ranking.py); the bound here survives a busy CI box.
    assert sorted(timings)[10] < 0.25


def test_the_vectorised_hand_tuned_score_is_the_hand_tuned_scorer() -> None:
    from pinhaven.discovery.ranking import Features, HandTunedScorer
    from pinhaven.ranking.model import hand_tuned_scores

    rows = random_rows(np.random.default_rng(9), 300)
    feats = [
        Features(*(float(v) for v in r[:8]))._replace(
            n_sources=int(r[1]), source_code=int(r[2]), seen=int(r[7])
        )
        for r in rows
    ]
    assert np.allclose(hand_tuned_scores(rows), HandTunedScorer().score(feats), rtol=1e-5)
