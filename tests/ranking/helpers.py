"""A generated served-features log with a planted preference: users save, click and close up pins that the
`visual` source proposed strongly, and hide the others; nothing else in the rows matters."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.db.ids import new_id
from pinhaven.ranking.features import LEARNED_FEATURES
from pinhaven.ranking.models import FeatureLog
from pinhaven.ranking.objectives import LABEL_BITS

COL = {name: i for i, name in enumerate(LEARNED_FEATURES)}


def random_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    """Plausible serving rows: every column random in its range."""
    rows = rng.random((n, len(LEARNED_FEATURES)), dtype=np.float32)
    rows[:, COL["n_sources"]] = rng.integers(1, 4, n)
    rows[:, COL["source_code"]] = rng.integers(0, 8, n)
    rows[:, COL["seen"]] = rng.random(n) < 0.2
    rows[:, COL["age_days"]] *= 30
    rows[:, COL["engagement_rate"]] = 0.01 + 0.1 * rng.random(n)
    rows[:, COL["src_visual"]] *= rng.random(n) < 0.5  # half the pins were not proposed by it
    return rows


def plant_log(
    ctx: AppContext,
    *,
    user_id: int,
    start: datetime,
    sessions: int,
    shown: int = 30,
    candidates: int = 40,
    noise: bool = False,
    seed: int = 0,
) -> datetime:
    """Write `sessions` labelled feature logs a minute apart from `start`; returns the time after the last."""
    rng = np.random.default_rng(seed)
    at = start
    with session_scope(ctx.sessions) as db:
        for _ in range(sessions):
            rows = random_rows(rng, candidates)
            taste = rows[:, COL["src_visual"]]
            if noise:
                taste = rng.random(candidates).astype(np.float32)
                rng.shuffle(taste)
                taste = np.where(rng.random(candidates) < 0.5, taste, 0)
            positions = np.full(candidates, -1, dtype="<i2")
            order = rng.permutation(candidates)[:shown]
            positions[order] = np.arange(shown)
            labels = np.zeros(candidates, dtype=np.uint8)
            labels[order] |= LABEL_BITS["impression"]
            look = 1.0 / (1.0 + positions[order] / 10.0)  # position bias: lower rows are looked at less
            for bit, p in (
                ("save", 0.02 + 0.6 * taste[order] ** 2),
                ("click", 0.02 + 0.3 * taste[order]),
                ("closeup", 0.05 + 0.4 * taste[order]),
                ("hide", 0.02 + 0.2 * (taste[order] == 0)),
            ):
                hit = rng.random(shown) < p * look
                labels[order[hit]] |= LABEL_BITS[bit]
            db.add(
                FeatureLog(
                    id=new_id(), user_id=user_id, surface="home", scorer="hand-tuned-v1",
                    n_features=len(LEARNED_FEATURES),
                    pin_ids=np.arange(1, candidates + 1, dtype="<i8").tobytes(),
                    features=rows.astype("<f4").tobytes(), source_bits=np.zeros(candidates, "<u2").tobytes(),
                    created_at=at, labelled_at=at + timedelta(hours=8), labels=labels.tobytes(),
                    positions=positions.tobytes(),
                )
            )  # fmt: skip
            at += timedelta(minutes=1)
    return at
