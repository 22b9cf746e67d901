"""Collaborative filtering candidate source: implicit ALS on saves, clicks and close-ups.

Training (`fit`, run by the scheduled ranking job and `pinhaven ranker als`): the user × pin matrix of the
last HISTORY_DAYS of engagement on pins **a signed-out visitor may see** (public boards, not moderated) —
secret pins never enter the model, so no user's factors are shaped by another user's secret pins and no
recommendation can name one. Confidence = Σ ACTION_WEIGHTS of a user's actions on the pin.
Saved as `<data_dir>/models/als/als.npz` (ids and float32 factors), replaced atomically.

Serving (`recommend`): the process loads the file once (re-checked every RELOAD_SECONDS) and scores every
item against the user's factors in one matrix–vector product; the feed's privacy filter still runs on every
candidate (a pin made secret after training never shows).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import ANONYMOUS
from pinhaven.boards.access import visible_pins_clause
from pinhaven.boards.models import Board
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.events.models import EngagementEvent
from pinhaven.pins.models import Pin

__all__ = ["AlsModel", "als_path", "fit", "load", "recommend"]

HISTORY_DAYS = 90
ACTION_WEIGHTS = {"save": 4.0, "click": 2.0, "closeup": 1.0}
ALPHA = 10.0  # confidence scale
FACTORS = 64
ITERATIONS = 15
RELOAD_SECONDS = 60.0
TOP_K = 200
log = logging.getLogger("pinhaven.ranking")
_SERVICE_KEY = "ranking.als"


@dataclass
class AlsModel:
    user_ids: npt.NDArray[np.int64]
    item_ids: npt.NDArray[np.int64]
    user_factors: npt.NDArray[np.float32]
    item_factors: npt.NDArray[np.float32]

    def __post_init__(self) -> None:
        self.row_of = {int(u): i for i, u in enumerate(self.user_ids)}

    def recommend(self, user_id: int, k: int = TOP_K) -> list[tuple[int, float]]:
        """The k best items for a known user ([] for a user the model has not seen), best first."""
        row = self.row_of.get(user_id)
        if row is None or len(self.item_ids) == 0:
            return []
        scores = self.item_factors @ self.user_factors[row]
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.item_ids[i]), float(scores[i])) for i in top if scores[i] > 0]


def als_path(data_dir: Path) -> Path:
    return data_dir / "models" / "als" / "als.npz"


def _interactions(db: Session, since: datetime) -> tuple[list[int], list[int], list[float]]:
    weights: dict[tuple[int, int], float] = {}
    query = (
        select(EngagementEvent.user_id, EngagementEvent.pin_id, EngagementEvent.type)
        .join(Pin, Pin.id == EngagementEvent.pin_id)
        .join(Board, Board.id == Pin.board_id)
        .where(
            EngagementEvent.at >= since,
            EngagementEvent.user_id.is_not(None),
            EngagementEvent.type.in_(tuple(ACTION_WEIGHTS)),
            visible_pins_clause(ANONYMOUS),  # public pins only: secret pins never shape the model
        )
    )
    for user_id, pin_id, kind in db.execute(query.execution_options(yield_per=20_000)):
        key = (int(user_id), int(pin_id))
        weights[key] = weights.get(key, 0.0) + ACTION_WEIGHTS[kind]
    users = [u for u, _ in weights]
    items = [p for _, p in weights]
    return users, items, list(weights.values())


def fit(
    ctx: AppContext, *, now: datetime | None = None, factors: int = FACTORS, iterations: int = ITERATIONS
) -> int:
    """Refit ALS from the engagement log and replace the model file; returns the number of interactions."""
    from implicit.als import AlternatingLeastSquares
    from scipy.sparse import csr_matrix
    from threadpoolctl import threadpool_limits

    with ctx.read_sessions() as db:
        users, items, values = _interactions(db, (now or utcnow()) - timedelta(days=HISTORY_DAYS))
    if not values:
        return 0
    user_ids, user_rows = np.unique(np.asarray(users, dtype=np.int64), return_inverse=True)
    item_ids, item_cols = np.unique(np.asarray(items, dtype=np.int64), return_inverse=True)
    matrix = csr_matrix(
        (1.0 + ALPHA * np.asarray(values, dtype=np.float32), (user_rows, item_cols)),
        shape=(len(user_ids), len(item_ids)),
    )
    with threadpool_limits(1, "blas"):  # implicit parallelises itself; BLAS threads on top only contend
        model = AlternatingLeastSquares(
            factors=factors,
            iterations=iterations,
            regularization=0.05,
            random_state=7,
            calculate_training_loss=False,
        )
        model.fit(matrix, show_progress=False)
    path = als_path(ctx.settings.data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(
        tmp, user_ids=user_ids, item_ids=item_ids,
        user_factors=np.asarray(model.user_factors, dtype=np.float32),
        item_factors=np.asarray(model.item_factors, dtype=np.float32),
    )  # fmt: skip
    os.replace(tmp, path)
    _holder(ctx).forget()
    log.info(
        "ranking: ALS fitted on %d interactions (%d users x %d pins)",
        len(values),
        len(user_ids),
        len(item_ids),
    )
    return len(values)


def load(path: Path) -> AlsModel | None:
    try:
        with np.load(path) as data:
            return AlsModel(data["user_ids"], data["item_ids"], data["user_factors"], data["item_factors"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ranking: ALS model %s unreadable (%s); the als source is empty", path, exc)
        return None


class _Holder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.model: AlsModel | None = None
        self.mtime: float | None = None
        self.checked = float("-inf")

    def forget(self) -> None:
        with self.lock:
            self.checked = float("-inf")

    def get(self) -> AlsModel | None:
        now = time.monotonic()
        with self.lock:
            if now - self.checked < RELOAD_SECONDS:
                return self.model
            self.checked = now
            try:
                mtime: float | None = self.path.stat().st_mtime
            except FileNotFoundError:
                mtime = None
            if mtime != self.mtime:
                self.model, self.mtime = (load(self.path) if mtime is not None else None), mtime
            return self.model


def _holder(ctx: AppContext) -> _Holder:
    holder: _Holder | None = ctx.services.get(_SERVICE_KEY)
    if holder is None:
        holder = ctx.services.setdefault(_SERVICE_KEY, _Holder(als_path(ctx.settings.data_dir)))
    return holder


def recommend(ctx: AppContext, *, user_id: int, k: int = TOP_K) -> list[tuple[int, float]]:
    """The als source: [(pin_id, score)] for the user (empty without a model or for an unknown user)."""
    model = _holder(ctx).get()
    return model.recommend(user_id, k) if model is not None else []
