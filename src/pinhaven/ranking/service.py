"""The model registry: train (evaluate, register, promote only if better), list, promote, roll back.

A model is a `ranking_models` row plus its files under `<data_dir>/models/ranking/v<version>/`. States:
candidate (just trained), active (serves; at most one), retired (served before), rejected (lost its
evaluation). Rollback re-activates the most recently promoted model before the active one, or none
(the hand-tuned scorer serves).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.errors import Conflict, InvalidInput, NotFound
from pinhaven.ranking import training
from pinhaven.ranking.dataset import load_examples
from pinhaven.ranking.model import LearnedModel, ModelUnavailable, model_dir
from pinhaven.ranking.models import RankingModel
from pinhaven.ranking.objectives import format_weights, parse_weights

__all__ = [
    "TrainOutcome",
    "active",
    "get_or_raise",
    "list_models",
    "promote",
    "rollback",
    "train_and_register",
]

log = logging.getLogger("pinhaven.ranking")


@dataclass(frozen=True)
class TrainOutcome:
    version: int
    promoted: bool
    reason: str
    metrics: dict[str, Any]


def list_models(*, db: Session) -> list[RankingModel]:
    """Every registered model, newest first."""
    return list(db.scalars(select(RankingModel).order_by(RankingModel.version.desc())))


def get_or_raise(*, db: Session, version: int) -> RankingModel:
    found = db.get(RankingModel, version)
    if found is None:
        raise NotFound(f"no ranking model v{version}")
    return found


def active(*, db: Session) -> RankingModel | None:
    """The model that serves, if any."""
    return db.scalar(select(RankingModel).where(RankingModel.state == "active").limit(1))


def promote(*, db: Session, data_dir: Path, version: int) -> RankingModel:
    """Make `version` the serving model (its files must load); the active one is retired."""
    model = get_or_raise(db=db, version=version)
    if model.state == "active":
        raise Conflict(f"v{version} is already the active model")
    try:
        LearnedModel.load(model_dir(data_dir, version), version)
    except ModelUnavailable as exc:
        raise Conflict(f"v{version} cannot serve: {exc}") from None
    current = active(db=db)
    if current is not None:
        current.state = "retired"
    model.state = "active"
    model.promoted_at = utcnow()
    db.flush()
    log.info(
        "ranking: v%d is now the active model (was %s)", version, f"v{current.version}" if current else "none"
    )
    return model


def rollback(*, db: Session) -> RankingModel | None:
    """Retire the active model and re-activate the one promoted before it (None: the hand-tuned scorer)."""
    current = active(db=db)
    if current is None:
        raise Conflict("no active model to roll back")
    previous = db.scalar(
        select(RankingModel)
        .where(RankingModel.state == "retired", RankingModel.promoted_at.is_not(None),
               RankingModel.version != current.version)
        .order_by(RankingModel.promoted_at.desc(), RankingModel.version.desc())
        .limit(1)
    )  # fmt: skip
    current.state = "rejected"  # rolled back: never picked again by a later rollback
    current.metrics = {**current.metrics, "rolled_back_at": utcnow().isoformat()}
    if previous is not None:
        previous.state = "active"
        previous.promoted_at = utcnow()
    db.flush()
    log.info(
        "ranking: rolled back v%d; now %s",
        current.version,
        f"v{previous.version}" if previous else "hand-tuned",
    )
    return previous


def _load_current(data_dir: Path, row: RankingModel | None) -> LearnedModel | None:
    if row is None:
        return None
    try:
        return LearnedModel.load(model_dir(data_dir, row.version), row.version)
    except ModelUnavailable as exc:
        log.warning(
            "ranking: active model v%d not comparable (%s); judged against hand-tuned only", row.version, exc
        )
        return None


def train_and_register(
    ctx: AppContext,
    *,
    weights: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    rounds: int = 300,
    promote_if_better: bool = True,
) -> TrainOutcome:
    """Train on the labelled log, evaluate on the newest sessions, register; promote if it wins.

    Raises InvalidInput when there is too little labelled data."""
    utility = parse_weights(weights or ctx.settings.ranking_weights)
    with session_scope(ctx.read_sessions) as db:
        examples = load_examples(db=db, since=since, until=until)
        current_row = active(db=db)
        current_version = current_row.version if current_row else None
        current = _load_current(ctx.settings.data_dir, current_row)
    older, holdout = training.split(examples)
    try:
        trained = training.train(older, rounds=rounds)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="examples") from None
    model = trained.model
    scorers: dict[str, training.Scoring] = {
        "candidate": lambda rows: model.utility(rows, utility),
        "hand-tuned": training.hand_tuned_scores,
        "popularity": lambda rows: rows[:, 3].astype("float64"),  # the pin's engagement rate
    }
    if current is not None:
        scorers["current"] = lambda rows: current.utility(rows, utility)
    result = training.evaluate(holdout, scorers, utility)
    ndcg = result.ndcg
    best_other = max(ndcg["hand-tuned"], ndcg.get("current", float("-inf")))
    if result.sessions == 0:
        better, reason = False, "no hold-out session with any engagement: nothing proves it better"
    elif ndcg["candidate"] > best_other:
        better, reason = True, f"nDCG@25 {ndcg['candidate']:.4f} beats {best_other:.4f}"
    else:
        rival = (
            "the active model" if ndcg.get("current", float("-inf")) >= ndcg["hand-tuned"] else "hand-tuned"
        )
        better, reason = False, f"nDCG@25 {ndcg['candidate']:.4f} does not beat {rival} ({best_other:.4f})"
    metrics: dict[str, Any] = {
        "ndcg@25": {k: round(v, 5) for k, v in ndcg.items()},
        "holdout_sessions": result.sessions,
        "holdout_rows": result.rows,
        "train_rows": trained.rows,
        "train_seconds": round(trained.seconds, 2),
        "positives": trained.positives,
        "weights": format_weights(utility),
        "compared_with": f"v{current_version}" if current is not None else None,
        "decision": reason,
    }
    with session_scope(ctx.sessions) as db:
        row = RankingModel(
            state="candidate", n_examples=len(examples), feature_names=model.feature_names, metrics=metrics
        )
        db.add(row)
        db.flush()
        version = row.version
        model.version, model.name = version, f"learned-v{version}"
        model.save(
            model_dir(ctx.settings.data_dir, version), {"objectives": sorted(model.boosters), **metrics}
        )
        if better and promote_if_better:
            promote(db=db, data_dir=ctx.settings.data_dir, version=version)
        elif not better:
            row.state = "rejected"
    log.info("ranking: trained v%d on %d impressions; %s", version, trained.rows, reason)
    return TrainOutcome(version, better and promote_if_better, reason, metrics)


def labelled_since_last_model(*, db: Session) -> int:
    """Labelled sessions logged after the newest model was trained (the scheduled job's trigger)."""
    from pinhaven.ranking.models import FeatureLog

    last = db.scalar(select(func.max(RankingModel.created_at)))
    query = select(func.count()).select_from(FeatureLog).where(FeatureLog.labelled_at.is_not(None))
    if last is not None:
        query = query.where(FeatureLog.labelled_at > last)
    return int(db.scalar(query) or 0)
