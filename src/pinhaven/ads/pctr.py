"""Predicted click-through rate: a Beta-smoothed prior per ad, and a LightGBM model once the log is big enough.

The prior: pCTR = (clicks + α) / (impressions + α + β) with α = prior_ctr × strength, β = (1 - prior_ctr) ×
strength. A new ad starts at the instance-wide prior CTR and moves towards its own rate as impressions come.

The model (`train`): LightGBM over features logged at serve time (the ad's smoothed CTR and log impressions,
relevance, surface, slot position), labelled by whether the impression was clicked. It is trained only with
at least `MIN_IMPRESSIONS` impressions and `MIN_CLICKS` clicks, and used only when it beats the prior on a
held-out split (AUC); until then the prior is the prediction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_PRIOR_CTR = 0.01
DEFAULT_STRENGTH = 200.0
MIN_IMPRESSIONS = 2_000
MIN_CLICKS = 50
SURFACES = ("home", "search", "related")


@dataclass(frozen=True)
class Prior:
    ctr: float = DEFAULT_PRIOR_CTR
    strength: float = DEFAULT_STRENGTH

    def predict(self, clicks: int, impressions: int) -> float:
        alpha = self.ctr * self.strength
        return (clicks + alpha) / (impressions + self.strength)


def features(
    *, clicks: int, impressions: int, relevance: float, surface: str, position: int, prior: Prior
) -> list[float]:
    return [
        prior.predict(clicks, impressions),
        math.log1p(impressions),
        relevance,
        float(SURFACES.index(surface)) if surface in SURFACES else 0.0,
        float(position),
    ]


def auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Area under the ROC curve (rank statistic, ties averaged)."""
    y = np.asarray(labels, dtype=np.int8)
    s = np.asarray(scores, dtype=np.float64)
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return 0.5
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_scores = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2.0) / (positives * negatives))


@dataclass
class Model:
    booster: Any
    auc_model: float
    auc_prior: float

    def predict(self, rows: Sequence[Sequence[float]]) -> list[float]:
        return [float(v) for v in self.booster.predict(np.asarray(rows, dtype=np.float64))]


def train(rows: Sequence[Sequence[float]], labels: Sequence[int], *, seed: int = 0) -> Model | None:
    """A LightGBM model when there is enough data and it beats the prior (feature 0) on held-out rows."""
    if len(rows) < MIN_IMPRESSIONS or sum(labels) < MIN_CLICKS:
        return None
    import lightgbm as lgb

    x = np.asarray(rows, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int8)
    rng = np.random.default_rng(seed)
    test = rng.random(len(y)) < 0.2
    params = {
        "objective": "binary",
        "learning_rate": 0.05,
        "num_leaves": 15,
        "min_data_in_leaf": 50,
        "verbose": -1,
        "seed": seed,
        "num_threads": 1,
    }
    booster = lgb.train(params, lgb.Dataset(x[~test], label=y[~test]), num_boost_round=100)
    auc_model = auc(y[test].tolist(), [float(v) for v in booster.predict(x[test])])
    auc_prior = auc(y[test].tolist(), x[test, 0].tolist())
    if auc_model <= auc_prior:
        return None
    return Model(booster=booster, auc_model=auc_model, auc_prior=auc_prior)


def log_examples(
    rows: Sequence[tuple[str, str, int, float, str]], prior: Prior | None = None
) -> tuple[list[list[float]], list[int]]:
    """Training rows from the ad log: `(kind, event_id, ad_id, relevance, surface)` in time order.

    Each impression's features use the ad's counts *before* it (as serving saw them); its label is whether
    a click with the matching event id (`c:<serve>:<slot>` for `i:<serve>:<slot>`) was recorded.
    """
    prior = prior or Prior()
    clicked = {event_id[2:] for kind, event_id, *_ in rows if kind == "click"}
    impressions: dict[int, int] = {}
    clicks: dict[int, int] = {}
    x: list[list[float]] = []
    y: list[int] = []
    for kind, event_id, ad_id, relevance, surface in rows:
        if kind == "click":
            clicks[ad_id] = clicks.get(ad_id, 0) + 1
            continue
        seen = impressions.get(ad_id, 0)
        x.append(features(clicks=clicks.get(ad_id, 0), impressions=seen, relevance=relevance, surface=surface,
                          position=0, prior=prior))  # fmt: skip
        y.append(1 if event_id[2:] in clicked else 0)
        impressions[ad_id] = seen + 1
    return x, y
