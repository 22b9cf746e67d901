"""Labelled examples out of the served-features log: one row per impression, in time order.

Every labelled `ranking_feature_logs` row contributes the candidates that were shown (position >= 0), with
the features they were served with, their position (training-only column) and one 0/1 label per
objective. Rows keep their session (for per-session ranking metrics) and their time (for the time split).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.ranking.features import LEARNED_FEATURES
from pinhaven.ranking.models import FeatureLog
from pinhaven.ranking.objectives import LABEL_BITS, OBJECTIVES

__all__ = ["Examples", "load_examples"]


@dataclass
class Examples:
    x: npt.NDArray[np.float32]  # rows x (LEARNED_FEATURES + position)
    labels: dict[str, npt.NDArray[np.int8]]  # objective -> 0/1 per row
    session: npt.NDArray[np.int64]  # index of the row's feed session (0..n_sessions-1, time ordered)
    times: npt.NDArray[np.float64]  # session creation, epoch seconds
    pin_ids: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def take(self, mask: npt.NDArray[np.bool_]) -> Examples:
        return Examples(
            self.x[mask], {o: v[mask] for o, v in self.labels.items()}, self.session[mask],
            self.times[mask], self.pin_ids[mask],
        )  # fmt: skip


def load_examples(
    *, db: Session, since: datetime | None = None, until: datetime | None = None, limit: int = 2_000_000
) -> Examples:
    """Impressions of labelled sessions created in [since, until), oldest first (at most `limit` rows)."""
    width = len(LEARNED_FEATURES)
    query = select(
        FeatureLog.id, FeatureLog.created_at, FeatureLog.n_features, FeatureLog.pin_ids, FeatureLog.features,
        FeatureLog.labels, FeatureLog.positions,
    ).where(FeatureLog.labelled_at.is_not(None)).order_by(FeatureLog.created_at, FeatureLog.id)  # fmt: skip
    if since is not None:
        query = query.where(FeatureLog.created_at >= since)
    if until is not None:
        query = query.where(FeatureLog.created_at < until)
    xs, labels, sessions, times, pins = [], [], [], [], []
    total = 0
    for index, (_, created, n_features, pin_bytes, feature_bytes, label_bytes, position_bytes) in enumerate(
        db.execute(query.execution_options(yield_per=500))
    ):
        if n_features != width or label_bytes is None or position_bytes is None:
            continue  # logged by a version with other features: not comparable
        ids = np.frombuffer(pin_bytes, dtype="<i8")
        positions = np.frombuffer(position_bytes, dtype="<i2")
        shown = positions >= 0
        if not shown.any():
            continue
        feats = np.frombuffer(feature_bytes, dtype="<f4").reshape(len(ids), width)[shown]
        x = np.empty((feats.shape[0], width + 1), dtype=np.float32)
        x[:, :width] = feats
        x[:, width] = positions[shown]
        xs.append(x)
        labels.append(np.frombuffer(label_bytes, dtype=np.uint8)[shown])
        sessions.append(np.full(x.shape[0], index, dtype=np.int64))
        times.append(np.full(x.shape[0], created.timestamp()))
        pins.append(ids[shown])
        total += x.shape[0]
        if total >= limit:
            break
    if not xs:
        empty = np.zeros((0, width + 1), dtype=np.float32)
        return Examples(
            empty, {o: np.zeros(0, dtype=np.int8) for o in OBJECTIVES}, np.zeros(0, dtype=np.int64),
            np.zeros(0), np.zeros(0, dtype=np.int64),
        )  # fmt: skip
    bits = np.concatenate(labels)
    return Examples(
        np.concatenate(xs),
        {o: ((bits & LABEL_BITS[o]) > 0).astype(np.int8) for o in OBJECTIVES},
        np.concatenate(sessions),
        np.concatenate(times),
        np.concatenate(pins),
    )
