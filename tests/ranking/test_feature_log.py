"""Served features are logged per feed session, and the labelling job turns them into examples."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select
from tests.discovery_service.helpers import World, ids
from tests.factories import Account

from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.events.models import EngagementEvent
from pinhaven.ranking.dataset import load_examples
from pinhaven.ranking.features import LEARNED_FEATURES, SOURCE_NAMES
from pinhaven.ranking.labels import IMPRESSION_HORIZON, LABEL_WINDOW, label_logs
from pinhaven.ranking.models import FeatureLog
from pinhaven.ranking.objectives import LABEL_BITS


@pytest.fixture
def world(ctx: AppContext) -> World:
    return World(ctx)


def _log(ctx: AppContext, session_id: int) -> FeatureLog:
    with session_scope(ctx.read_sessions) as db:
        row = db.get(FeatureLog, session_id)
        assert row is not None
        db.expunge(row)
        return row


def test_each_feed_session_logs_the_float32_rows_it_was_scored_with(
    ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    board = world.board(alice, "Things")
    made = [world.pin(alice, board, f"p{i}") for i in range(12)]
    page = world.feed(bob, page_size=5)
    row = _log(ctx, int(page.request_id or 0))
    pins = np.frombuffer(row.pin_ids, dtype="<i8")
    feats = np.frombuffer(row.features, dtype="<f4").reshape(len(pins), row.n_features)
    assert row.n_features == len(LEARNED_FEATURES) and row.user_id == bob.user.id
    assert row.scorer == "hand-tuned-v1" and row.labelled_at is None
    assert set(ids(page.items)) <= set(pins.tolist()) <= set(made)
    # Every candidate is attributed to the sources that proposed it (fresh pins here).
    bits = np.frombuffer(row.source_bits, dtype="<u2")
    assert all(b & (1 << SOURCE_NAMES.index("fresh")) for b in bits)
    assert np.isfinite(feats).all() and (feats[:, LEARNED_FEATURES.index("age_days")] >= 0).all()
    # The next page of the same session logs nothing new.
    world.feed(bob, page_size=5, bookmark=page.bookmark)
    with session_scope(ctx.read_sessions) as db:
        assert len(db.scalars(select(FeatureLog.id)).all()) == 1


def test_labels_join_impressions_to_later_actions_within_the_window(
    ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    board = world.board(alice, "Things")
    for i in range(10):
        world.pin(alice, board, f"p{i}")
    mine = world.board(bob, "Mine")
    page = world.feed(bob, page_size=6)
    shown = ids(page.items)
    session = page.request_id
    impressions = [
        {"type": "impression", "pin_id": str(p), "surface": "home", "position": i, "request_id": session}
        for i, p in enumerate(shown[:5])
    ]
    assert world.events(bob, impressions).accepted == 5
    world.events(bob, [{"type": "closeup", "pin_id": str(shown[1]), "surface": "home", "position": 1}])
    world.save(bob, shown[2], mine)
    world.hide(bob, shown[3])
    world.save(bob, shown[5], mine)  # never had an impression: no example, no label
    with session_scope(ctx.sessions) as db:  # a click two hours after the impression: outside the window
        db.add(EngagementEvent(user_id=bob.user.id, pin_id=shown[4], type="click", surface="home",
                               at=utcnow() + LABEL_WINDOW + timedelta(hours=1)))  # fmt: skip
    with session_scope(ctx.sessions) as db:
        assert label_logs(db=db) == (0, 0)  # too recent: labels could still change
    later = utcnow() + IMPRESSION_HORIZON + LABEL_WINDOW + timedelta(minutes=1)
    with session_scope(ctx.sessions) as db:
        assert label_logs(db=db, now=later) == (1, 5)
    row = _log(ctx, int(session or 0))
    pins = np.frombuffer(row.pin_ids, dtype="<i8").tolist()
    labels = np.frombuffer(row.labels or b"", dtype=np.uint8)
    positions = np.frombuffer(row.positions or b"", dtype="<i2")
    at = {p: pins.index(p) for p in shown}
    assert [int(positions[at[p]]) for p in shown] == [0, 1, 2, 3, 4, -1]
    imp = LABEL_BITS["impression"]
    assert [int(labels[at[p]]) for p in shown] == [
        imp,
        imp | LABEL_BITS["closeup"],
        imp | LABEL_BITS["save"],
        imp | LABEL_BITS["hide"],
        imp,
        0,
    ]
    with session_scope(ctx.read_sessions) as db:
        examples = load_examples(db=db)
    assert len(examples) == 5 and examples.labels["save"].sum() == 1 and examples.labels["hide"].sum() == 1
    assert examples.x[:, -1].tolist() == sorted(examples.x[:, -1].tolist())  # position column, last


def test_secret_pins_never_enter_another_users_logged_candidates(
    ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    public = world.board(alice, "Public")
    secret = world.board(alice, "Secret", secret=True)
    shown = [world.pin(alice, public, f"p{i}") for i in range(6)]
    hidden = [world.pin(alice, secret, f"s{i}") for i in range(6)]
    page = world.feed(bob, page_size=5)
    pins = set(np.frombuffer(_log(ctx, int(page.request_id or 0)).pin_ids, dtype="<i8").tolist())
    assert pins <= set(shown) and not pins & set(hidden)
    own = world.feed(alice, page_size=5)  # alice's own pins never rank in her own feed either
    assert own.request_id is None or not set(ids(own.items)) & set(hidden)
