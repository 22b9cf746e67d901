"""Training and time-split evaluation of the multi-objective ranker.

    examples (oldest first) → time split: the newest HOLDOUT_FRACTION of the sessions are held out
    → one LightGBM binary model per objective on the older sessions (position as a training-only feature,
      monotone constraints where the direction is obvious)
    → on the hold-out, each scorer re-ranks every session's shown pins and is graded by nDCG@25 with the
      utility of what the user then did as gain: the candidate, the active model, the hand-tuned scorer
      and popularity (the pin's engagement rate)
The registry promotes the candidate only if it beats both the hand-tuned scorer and the active model.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from pinhaven.ranking.dataset import Examples
from pinhaven.ranking.features import LEARNED_FEATURES
from pinhaven.ranking.model import MODEL_FEATURES, LearnedModel, hand_tuned_scores, model_input
from pinhaven.ranking.objectives import OBJECTIVES

__all__ = [
    "HOLDOUT_FRACTION",
    "EvalResult",
    "Trained",
    "evaluate",
    "hand_tuned_scores",
    "ndcg_at",
    "split",
    "train",
]

HOLDOUT_FRACTION = 0.2
NDCG_K = 25
MIN_EXAMPLES = 200  # fewer impressions than this: nothing worth learning
MAX_ROWS = 200_000  # per objective: above it, negatives are sampled down (and weighted back up)
VALIDATION_FRACTION = 0.15  # newest training sessions that decide when boosting stops
_INCREASING = {
    "save": ("engagement_rate", "board_affinity", "creator_affinity", "save_rate", "hand_tuned"),
    "click": ("engagement_rate", "board_affinity", "creator_affinity", "click_rate", "hand_tuned"),
    "closeup": ("engagement_rate", "board_affinity", "creator_affinity", "closeup_rate", "hand_tuned"),
    "hide": ("hide_rate",),
}
_DECREASING = {"save": ("seen", "position"), "click": ("seen", "position"), "closeup": ("seen", "position")}


@dataclass
class Trained:
    model: LearnedModel
    seconds: float
    rows: int
    positives: dict[str, int]


@dataclass
class EvalResult:
    ndcg: dict[str, float]  # scorer name -> mean nDCG@25 over hold-out sessions with any gain
    sessions: int
    rows: int


def split(examples: Examples, holdout_fraction: float = HOLDOUT_FRACTION) -> tuple[Examples, Examples]:
    """(older sessions, newest sessions): a time split by session, never one session on both sides."""
    sessions = np.unique(examples.session)
    if len(sessions) < 2:
        return examples, examples.take(np.zeros(len(examples), dtype=bool))
    cut = sessions[min(len(sessions) - 1, max(1, math.floor(len(sessions) * (1.0 - holdout_fraction))))]
    return examples.take(examples.session < cut), examples.take(examples.session >= cut)


def _constraints(objective: str) -> list[int]:
    up, down = _INCREASING.get(objective, ()), _DECREASING.get(objective, ())
    return [1 if n in up else -1 if n in down else 0 for n in MODEL_FEATURES]


def _downsampled(y: npt.NDArray[np.int8], seed: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Row indices and weights: every positive, and negatives sampled down so that at most MAX_ROWS rows
    remain, weighted by the inverse of their sampling rate (probabilities stay calibrated)."""
    every = np.arange(len(y), dtype=np.int64)
    if len(y) <= MAX_ROWS:
        return every, np.ones(len(y))
    positive = every[y > 0]
    negative = every[y == 0]
    rate = max(MAX_ROWS - len(positive), MAX_ROWS // 10) / max(len(negative), 1)
    if rate >= 1.0:
        return every, np.ones(len(y))
    kept = negative[np.random.default_rng(seed).random(len(negative)) < rate]
    rows = np.sort(np.concatenate([positive, kept]))
    return rows, np.where(y[rows] > 0, 1.0, 1.0 / rate)


def train(examples: Examples, *, rounds: int = 300, seed: int = 7) -> Trained:
    """One booster per objective that has positives; ValueError when there is too little to learn from.

    Boosting stops early when the newest VALIDATION_FRACTION of the training sessions stop improving (the
    hold-out used for promotion is never seen here)."""
    import lightgbm

    if len(examples) < MIN_EXAMPLES:
        raise ValueError(f"only {len(examples)} labelled impressions (at least {MIN_EXAMPLES} needed)")
    started = time.perf_counter()
    fit, valid = split(examples, VALIDATION_FRACTION)
    if len(valid) < 50:
        fit, valid = examples, examples.take(np.zeros(len(examples), dtype=bool))
    x_fit = model_input(fit.x[:, :-1], fit.x[:, -1])
    x_valid = model_input(valid.x[:, :-1], valid.x[:, -1])
    boosters: dict[str, Any] = {}
    positives: dict[str, int] = {}
    for objective in OBJECTIVES:
        y = fit.labels[objective]
        positives[objective] = int(examples.labels[objective].sum())
        if y.sum() < 5 or y.sum() == len(y):
            continue  # nothing to tell apart: P = 0 for this objective
        rows, weight = _downsampled(y, seed)
        params = {
            "objective": "binary",
            "learning_rate": 0.05,
            "num_leaves": 15,
            "min_data_in_leaf": max(20, len(y) // 1000),
            "max_bin": 63,
            "feature_fraction": 0.8,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "lambda_l2": 5.0,
            "monotone_constraints": _constraints(objective),
            # One thread: OpenMP threads spin while they wait, and on a busy 2-core box (training runs beside
            # the server) a second one made training several times slower, not faster.
            "num_threads": 1,
            "seed": seed,
            "deterministic": True,
            "verbose": -1,
        }
        data = lightgbm.Dataset(x_fit[rows], label=y[rows], weight=weight, feature_name=MODEL_FEATURES)
        callbacks: list[Callable[..., Any]] = []
        valid_sets = []
        if len(valid) and 0 < valid.labels[objective].sum() < len(valid):
            valid_sets = [lightgbm.Dataset(x_valid, label=valid.labels[objective], reference=data)]
            callbacks = [lightgbm.early_stopping(30, verbose=False)]
        booster = lightgbm.train(
            params, data, num_boost_round=rounds, valid_sets=valid_sets, callbacks=callbacks
        )
        if valid_sets and booster.best_iteration > 0:
            booster = lightgbm.Booster(
                model_str=booster.model_to_string(num_iteration=booster.best_iteration)
            )
        boosters[objective] = booster
    if not boosters:
        raise ValueError("no objective has enough positive examples to learn from")
    model = LearnedModel(0, boosters, list(MODEL_FEATURES))
    return Trained(model, time.perf_counter() - started, len(examples), positives)


def ndcg_at(scores: npt.NDArray[np.float64], gains: npt.NDArray[np.float64], k: int = NDCG_K) -> float | None:
    """nDCG@k of one ranked list (None when nothing in it has any gain)."""
    if gains.max(initial=0.0) <= 0:
        return None
    order = np.lexsort((np.arange(len(scores)), -scores))[:k]  # ties: logged order
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float((gains[order] * discounts[: len(order)]).sum())
    ideal = np.sort(gains)[::-1][:k]
    return dcg / float((ideal * discounts[: len(ideal)]).sum())


def gains_of(examples: Examples, weights: Mapping[str, float]) -> npt.NDArray[np.float64]:
    """The utility of what the user did with each shown pin, floored at 0 (a hide earns nothing)."""
    total = np.zeros(len(examples))
    for objective in OBJECTIVES:
        total += weights.get(objective, 0.0) * examples.labels[objective]
    return np.maximum(total, 0.0)


Scoring = Callable[[npt.NDArray[np.float32]], npt.NDArray[np.float64]]


def evaluate(holdout: Examples, scorers: Mapping[str, Scoring], weights: Mapping[str, float]) -> EvalResult:
    """Mean per-session nDCG@25 of every scorer on the hold-out (each scorer sees serving rows only)."""
    gains = gains_of(holdout, weights)
    rows = holdout.x[:, : len(LEARNED_FEATURES)]
    scored = {name: np.asarray(score(rows), dtype=np.float64) for name, score in scorers.items()}
    results: dict[str, list[float]] = {name: [] for name in scorers}
    bounds = np.flatnonzero(np.diff(holdout.session)) + 1
    for idx in np.split(np.arange(len(holdout)), bounds):
        if len(idx) == 0:
            continue
        for name, values in scored.items():
            value = ndcg_at(values[idx], gains[idx])
            if value is not None:
                results[name].append(value)
    counted = len(next(iter(results.values()), []))
    return EvalResult(
        {name: float(np.mean(v)) if v else 0.0 for name, v in results.items()}, counted, len(holdout)
    )
