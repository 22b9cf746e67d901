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

from pinhaven.discovery.ranking import Features, HandTunedScorer
from pinhaven.ranking.dataset import Examples
from pinhaven.ranking.features import BASE_COUNT, LEARNED_FEATURES
from pinhaven.ranking.model import LearnedModel
from pinhaven.ranking.objectives import OBJECTIVES

__all__ = ["HOLDOUT_FRACTION", "EvalResult", "Trained", "evaluate", "ndcg_at", "split", "train"]

HOLDOUT_FRACTION = 0.2
NDCG_K = 25
MIN_EXAMPLES = 200  # fewer impressions than this: nothing worth learning
FEATURES_WITH_POSITION = [*LEARNED_FEATURES, "position"]
_INCREASING = {
    "save": ("engagement_rate", "board_affinity", "creator_affinity", "save_rate"),
    "click": ("engagement_rate", "board_affinity", "creator_affinity", "click_rate"),
    "closeup": ("engagement_rate", "board_affinity", "creator_affinity", "closeup_rate"),
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
    return [1 if n in up else -1 if n in down else 0 for n in FEATURES_WITH_POSITION]


def train(examples: Examples, *, rounds: int = 120, seed: int = 7) -> Trained:
    """One booster per objective that has positives; ValueError when there is too little to learn from."""
    import lightgbm

    if len(examples) < MIN_EXAMPLES:
        raise ValueError(f"only {len(examples)} labelled impressions (at least {MIN_EXAMPLES} needed)")
    started = time.perf_counter()
    boosters: dict[str, Any] = {}
    positives: dict[str, int] = {}
    for objective in OBJECTIVES:
        y = examples.labels[objective]
        positives[objective] = int(y.sum())
        if positives[objective] < 5 or positives[objective] == len(y):
            continue  # nothing to tell apart: P = 0 for this objective
        params = {
            "objective": "binary",
            "learning_rate": 0.08,
            "num_leaves": 31,
            "min_data_in_leaf": 20,
            "max_bin": 63,
            "feature_fraction": 0.9,
            "lambda_l2": 1.0,
            "monotone_constraints": _constraints(objective),
            # OpenMP threads spin while waiting: on a busy 2-core box a second thread makes small sets
            # several times slower, so only large sets use both cores.
            "num_threads": 2 if len(y) >= 200_000 else 1,
            "seed": seed,
            "deterministic": True,
            "verbose": -1,
        }
        data = lightgbm.Dataset(examples.x, label=y, feature_name=FEATURES_WITH_POSITION, free_raw_data=True)
        boosters[objective] = lightgbm.train(params, data, num_boost_round=rounds)
    if not boosters:
        raise ValueError("no objective has enough positive examples to learn from")
    model = LearnedModel(0, boosters, FEATURES_WITH_POSITION)
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


def hand_tuned_scores(rows: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """The hand-tuned scorer over the first eight (logged) columns, exactly as serving computed it."""
    feats = [Features(*(float(v) for v in r[:BASE_COUNT])) for r in rows]  # type: ignore[arg-type]
    for i, f in enumerate(feats):  # the integer features come back as ints
        feats[i] = f._replace(n_sources=int(f.n_sources), source_code=int(f.source_code), seen=int(f.seen))
    return np.asarray(HandTunedScorer().score(feats), dtype=np.float64)


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
