"""Serving: which scorer ranks a feed session, scoring the candidates in one batch, and logging what it saw.

    plan()   at the start of a session: the experiment arms the user is bucketed in (if any) decide the
             scorer, the utility weights, the sources switched off and the SSD θ; else the active model,
             or the hand-tuned scorer when none is active.
    score()  builds the learned feature rows (user features once per request), scores all candidates in
             one batch per objective, and writes the session's feature log and experiment exposures.
Models are loaded once per process (`ModelCache`); the active version is re-read from the registry at most
every ACTIVE_TTL seconds, so a promotion or rollback reaches every process within that. A model that is
missing or corrupt is logged once per process ("falling back to the hand-tuned scorer") and the feed is
ranked by the hand-tuned scorer: never an error page.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.discovery.ranking import Features, HandTunedScorer
from pinhaven.experiments import service as experiments
from pinhaven.experiments.models import Exposure
from pinhaven.ranking.features import LEARNED_FEATURES, UserFeatures, feature_matrix, pin_rates, source_bits
from pinhaven.ranking.model import LearnedModel, ModelUnavailable, model_dir
from pinhaven.ranking.models import FeatureLog, RankingModel
from pinhaven.ranking.objectives import parse_weights

__all__ = ["ModelCache", "RankingPlan", "model_cache", "plan", "score"]

log = logging.getLogger("pinhaven.ranking")
ACTIVE_TTL = 30.0
_HAND_TUNED = HandTunedScorer()
_SERVICE_KEY = "ranking.models"


class ModelCache:
    """The process's loaded models by version, and the registry's active version (re-read every ACTIVE_TTL)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.lock = threading.Lock()
        self.models: dict[int, LearnedModel | None] = {}  # None: failed to load (logged once)
        self.active_version: int | None = None
        self.checked = float("-inf")

    def active(self) -> int | None:
        now = time.monotonic()
        if now - self.checked >= ACTIVE_TTL:
            with self.ctx.read_sessions() as db:
                version = db.scalar(
                    select(RankingModel.version).where(RankingModel.state == "active").limit(1)
                )
            with self.lock:
                self.active_version, self.checked = version, now
        return self.active_version

    def get(self, version: int) -> LearnedModel | None:
        with self.lock:
            if version in self.models:
                return self.models[version]
        try:
            model: LearnedModel | None = LearnedModel.load(
                model_dir(self.ctx.settings.data_dir, version), version
            )
        except ModelUnavailable as exc:
            log.warning(
                "ranking: model v%d unavailable (%s); falling back to the hand-tuned scorer", version, exc
            )
            model = None
        with self.lock:
            self.models[version] = model
        return model

    def refresh(self) -> None:
        """Forget the active version and failed loads (after a promotion in this process; tests)."""
        with self.lock:
            self.checked = float("-inf")
            self.models = {v: m for v, m in self.models.items() if m is not None}


def model_cache(ctx: AppContext) -> ModelCache:
    cache: ModelCache | None = ctx.services.get(_SERVICE_KEY)
    if cache is None:
        cache = ctx.services.setdefault(_SERVICE_KEY, ModelCache(ctx))
    return cache


@dataclass
class RankingPlan:
    """How one session is ranked (decided before its candidates are gathered)."""

    scorer: str = "learned"  # hand-tuned | learned | v<N>
    weights: str | None = None  # None: PINHAVEN_RANKING_WEIGHTS
    sources_off: frozenset[str] = frozenset()
    sources_on: frozenset[str] = frozenset()
    ssd_theta: float | None = None
    arms: list[tuple[int, str, str]] = field(default_factory=list)  # (experiment id, experiment, arm)
    started: float = field(default_factory=time.perf_counter)
    scored_by: str = ""

    @property
    def arm_label(self) -> str | None:
        return ",".join(f"{e}/{a}" for _, e, a in self.arms)[:80] or None

    def source_enabled(self, name: str, *, default: bool = True) -> bool:
        if name in self.sources_off:
            return False
        return True if name in self.sources_on else default


def plan(ctx: AppContext, *, user_id: int, surface: str = "home") -> RankingPlan:
    """The ranking plan for a user's new session: their experiment arms' settings over the defaults."""
    result = RankingPlan()
    for experiment in experiments.running(ctx, surface=surface):
        arm = experiments.arm_for(experiment, user_id)
        result.arms.append((experiment.id, experiment.name, arm.name))
        settings = arm.settings
        if "scorer" in settings:
            result.scorer = str(settings["scorer"])
        if "weights" in settings:
            result.weights = str(settings["weights"])
        toggles: Mapping[str, bool] = settings.get("sources") or {}
        result.sources_off = result.sources_off | {s for s, on in toggles.items() if not on}
        result.sources_on = result.sources_on | {s for s, on in toggles.items() if on}
        if "ssd_theta" in settings:
            result.ssd_theta = float(settings["ssd_theta"])
    return result


def _learned(ctx: AppContext, choice: str) -> LearnedModel | None:
    cache = model_cache(ctx)
    if choice == "hand-tuned":
        return None
    version = cache.active() if choice == "learned" else int(choice[1:])
    return cache.get(version) if version is not None else None


def score(
    ctx: AppContext,
    ranking: RankingPlan,
    *,
    db: Session,
    user_id: int,
    session_id: int | None,
    pin_ids: Sequence[int],
    base: Sequence[Features],
    sources: Mapping[str, Sequence[tuple[int, float]]],
    user: UserFeatures,
    surface: str = "home",
) -> list[float]:
    """Scores for `pin_ids` (same order); logs the session's features and exposures when it has an id."""
    rows = feature_matrix(
        pin_ids=pin_ids, base=base, sources=sources, rates=pin_rates(db, pin_ids), user=user
    )
    model = _learned(ctx, ranking.scorer)
    if model is not None:
        weights = parse_weights(ranking.weights or ctx.settings.ranking_weights)
        scores: list[float] = model.utility(rows, weights).tolist()
        ranking.scored_by = model.name
    else:
        scores = _HAND_TUNED.score(base)
        ranking.scored_by = _HAND_TUNED.name
    if session_id is not None:
        latency_ms = (time.perf_counter() - ranking.started) * 1000.0
        _log_session(ctx, ranking, user_id, session_id, pin_ids, rows, sources, latency_ms, surface)
    return scores


def _log_session(
    ctx: AppContext,
    ranking: RankingPlan,
    user_id: int,
    session_id: int,
    pin_ids: Sequence[int],
    rows: Any,
    sources: Mapping[str, Sequence[tuple[int, float]]],
    latency_ms: float,
    surface: str,
) -> None:
    """One feature-log row (and one exposure per experiment arm) for the session, in a short write of its own
    (the request's session is read-only, as for the feed session itself)."""
    # A session id can be ranked twice (a continuation that found nothing new starts a new pass under the
    # same id): the later ranking is the one served, so it replaces the row.
    with session_scope(ctx.sessions) as db:
        db.merge(
            FeatureLog(
                id=session_id, user_id=user_id, surface=surface, scorer=ranking.scored_by, arm=ranking.arm_label,
                n_features=len(LEARNED_FEATURES), pin_ids=np.asarray(pin_ids, dtype="<i8").tobytes(),
                features=np.ascontiguousarray(rows, dtype="<f4").tobytes(), source_bits=source_bits(pin_ids, sources),
            )
        )  # fmt: skip
        for experiment_id, _, arm in ranking.arms:
            db.merge(
                Exposure(experiment_id=experiment_id, session_id=session_id, user_id=user_id, arm=arm,
                         latency_ms=round(latency_ms, 3))
            )  # fmt: skip
