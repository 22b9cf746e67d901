"""The ranking and experiment tables on SQLite, PostgreSQL and MariaDB: a 300-candidate feature log (36 KB,
over MariaDB's 64 KB BLOB limit once wider), its labels, exposures and the model registry round-trip."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select
from tests.conftest import ALL_BACKENDS
from tests.discovery_service.helpers import World
from tests.factories import Account

from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.db.ids import new_id
from pinhaven.experiments import service as experiments
from pinhaven.experiments.models import Exposure
from pinhaven.ranking.features import LEARNED_FEATURES
from pinhaven.ranking.labels import IMPRESSION_HORIZON, LABEL_WINDOW, label_logs
from pinhaven.ranking.models import FeatureLog, RankingModel

pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)


def test_logs_labels_exposures_and_models_round_trip(ctx: AppContext, alice: Account, bob: Account) -> None:
    world = World(ctx)
    board = world.board(alice, "Things")
    for i in range(8):
        world.pin(alice, board, f"p{i}")
    with session_scope(ctx.sessions) as db:
        experiments.create(db=db, name="ab", arms=[
            {"name": "control", "share": 50, "settings": {}}, {"name": "other", "share": 50, "settings": {}}])  # fmt: skip
        experiments.start(db=db, name="ab")
    experiments.forget_cache(ctx)
    page = world.feed(bob, page_size=4)
    world.events(bob, [{"type": "impression", "pin_id": str(p.id), "surface": "home", "position": i,
                        "request_id": page.request_id} for i, p in enumerate(page.items)])  # fmt: skip
    wide = np.random.default_rng(0).random((600, len(LEARNED_FEATURES)), dtype=np.float32)  # ≈ 70 KB
    with session_scope(ctx.sessions) as db:
        db.add(FeatureLog(id=new_id(), user_id=bob.user.id, scorer="hand-tuned-v1", n_features=wide.shape[1],
                          pin_ids=np.arange(600, dtype="<i8").tobytes(), features=wide.tobytes(),
                          source_bits=np.zeros(600, "<u2").tobytes()))  # fmt: skip
        db.add(
            RankingModel(
                state="candidate", n_examples=1, feature_names=["a"], metrics={"ndcg@25": {"x": 1.0}}
            )
        )
    with session_scope(ctx.sessions) as db:
        assert (
            label_logs(db=db, now=utcnow() + IMPRESSION_HORIZON + LABEL_WINDOW + timedelta(minutes=5))[0] == 2
        )
    with session_scope(ctx.read_sessions) as db:
        logs = {r.id: r for r in db.scalars(select(FeatureLog))}
        row = logs[int(page.request_id or 0)]
        assert row.arm is not None and row.arm.startswith("ab/")
        positions = np.frombuffer(row.positions or b"", dtype="<i2")
        assert sorted(positions[positions >= 0].tolist()) == list(range(len(page.items)))
        big = next(r for r in logs.values() if r.id != row.id)
        assert np.array_equal(np.frombuffer(big.features, dtype="<f4").reshape(wide.shape), wide)
        assert len(db.scalars(select(Exposure)).all()) == 1
        model = db.scalars(select(RankingModel)).one()
        assert model.version >= 1 and model.metrics["ndcg@25"]["x"] == 1.0
