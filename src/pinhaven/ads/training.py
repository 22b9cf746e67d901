"""Training the pCTR model from the ad log (`pinhaven ads train-pctr`) and loading it where ads are served.

The model is saved as a LightGBM text file under `<data_dir>/models/ads_pctr.txt` only when it beats the
Beta prior on held-out impressions; every serving process reloads it when the file changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.ads import pctr
from pinhaven.ads.models import AdEvent
from pinhaven.context import AppContext

MODEL_FILE = "models/ads_pctr.txt"
_LOADED_KEY = "ads.pctr_model_mtime"


@dataclass(frozen=True)
class TrainResult:
    impressions: int
    clicks: int
    saved: bool
    auc_model: float | None
    auc_prior: float | None
    reason: str


def model_path(ctx: AppContext) -> Path:
    return ctx.settings.data_dir / MODEL_FILE


def train_from_log(ctx: AppContext, db: Session, *, seed: int = 0) -> TrainResult:
    rows = db.execute(
        select(AdEvent.kind, AdEvent.event_id, AdEvent.ad_id, AdEvent.relevance, AdEvent.surface).order_by(
            AdEvent.created_at, AdEvent.id
        )
    ).all()
    x, y = pctr.log_examples([(r[0], r[1], r[2], r[3], r[4]) for r in rows])
    model = pctr.train(x, y, seed=seed)
    if model is None:
        enough = len(y) >= pctr.MIN_IMPRESSIONS and sum(y) >= pctr.MIN_CLICKS
        reason = (
            "the model did not beat the prior"
            if enough
            else (f"not enough data (needs {pctr.MIN_IMPRESSIONS} impressions and {pctr.MIN_CLICKS} clicks)")
        )
        return TrainResult(len(y), sum(y), False, None, None, reason)
    path = model_path(ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_suffix(".tmp")
    model.booster.save_model(str(staged))
    staged.replace(path)
    return TrainResult(len(y), sum(y), True, model.auc_model, model.auc_prior, "saved")


def refresh_model(ctx: AppContext) -> None:
    """Load (or drop) the saved model when its file changed since this process last looked."""
    from pinhaven.ads.serving import MODEL_KEY

    path = model_path(ctx)
    mtime = path.stat().st_mtime if path.exists() else None
    if ctx.services.get(_LOADED_KEY, "unset") == mtime:
        return
    ctx.services[_LOADED_KEY] = mtime
    if mtime is None:
        ctx.services.pop(MODEL_KEY, None)
        return
    import lightgbm as lgb

    ctx.services[MODEL_KEY] = pctr.Model(
        booster=lgb.Booster(model_file=str(path)), auc_model=0.0, auc_prior=0.0
    )
