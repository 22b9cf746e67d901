"""A trained model set on disk and in memory: one LightGBM booster per objective, plus its metadata.

Files, under `<data_dir>/models/ranking/v<version>/`:
    <objective>.txt   LightGBM text model (objectives with no positive example have no file: P = 0)
    meta.json         feature names, objectives, training sizes and the hold-out metrics
A set whose files are missing, unreadable or disagree with the serving features fails to load with
`ModelUnavailable` (the serving layer then falls back to the hand-tuned scorer and says so in the log).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pinhaven.discovery.ranking import ENGAGEMENT_MID, FRESH_HALF_LIFE_DAYS, SEEN_FACTOR
from pinhaven.ranking.features import BASE_COUNT, LEARNED_FEATURES
from pinhaven.ranking.objectives import OBJECTIVES

__all__ = [
    "MODEL_FEATURES",
    "LearnedModel",
    "ModelUnavailable",
    "hand_tuned_scores",
    "model_dir",
    "model_input",
    "models_root",
]

# The model's columns: the logged features, the hand-tuned score derived from them (the model refines a
# strong prior instead of rediscovering it), and the position (training only; 0 when serving).
MODEL_FEATURES = [*LEARNED_FEATURES, "hand_tuned", "position"]
_COL = {name: i for i, name in enumerate(LEARNED_FEATURES)}


class ModelUnavailable(Exception):
    """A model set cannot be loaded (missing, corrupt or built for other features)."""


def models_root(data_dir: Path) -> Path:
    return data_dir / "models" / "ranking"


def model_dir(data_dir: Path, version: int) -> Path:
    return models_root(data_dir) / f"v{version}"


def hand_tuned_scores(rows: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """`discovery.ranking.HandTunedScorer` over logged rows, vectorised (same formula, same constants)."""
    r = rows[:, :BASE_COUNT].astype(np.float64)
    engagement = r[:, _COL["engagement_rate"]]
    engagement = engagement / (engagement + ENGAGEMENT_MID)
    fresh = 0.5 ** (np.maximum(r[:, _COL["age_days"]], 0.0) / FRESH_HALF_LIFE_DAYS)
    affinity = np.maximum(r[:, _COL["board_affinity"]], r[:, _COL["creator_affinity"]])
    value = (
        r[:, _COL["source_score"]] * (0.5 + 0.5 * engagement) * (0.75 + 0.25 * fresh) * (1.0 + 0.6 * affinity)
    )
    return np.where(r[:, _COL["seen"]] > 0, value * SEEN_FACTOR, value)


def model_input(
    rows: npt.NDArray[np.float32], positions: npt.NDArray[np.float32] | None = None
) -> npt.NDArray[np.float64]:
    """Logged rows → model rows (MODEL_FEATURES): + the hand-tuned score, + the position (0 if not given)."""
    x = np.zeros((rows.shape[0], len(MODEL_FEATURES)), dtype=np.float64)
    x[:, : rows.shape[1]] = rows
    x[:, -2] = hand_tuned_scores(rows)
    if positions is not None:
        x[:, -1] = positions
    return x


class LearnedModel:
    """Scores feature rows with every objective's booster and combines them by utility weights."""

    def __init__(self, version: int, boosters: Mapping[str, Any], feature_names: list[str]) -> None:
        self.version = version
        self.name = f"learned-v{version}"
        self.boosters = dict(boosters)
        self.feature_names = feature_names

    def predict(self, rows: npt.NDArray[np.float32]) -> dict[str, npt.NDArray[np.float64]]:
        """P(objective) per row; `rows` are serving rows (LEARNED_FEATURES), position is added as 0."""
        x = model_input(rows)  # position 0
        out: dict[str, npt.NDArray[np.float64]] = {}
        for objective in OBJECTIVES:
            booster = self.boosters.get(objective)
            if booster is None or rows.shape[0] == 0:
                out[objective] = np.zeros(rows.shape[0])
            else:  # one thread: requests already run in parallel, and thread start-up costs more than 300 rows
                out[objective] = np.asarray(booster.predict(x, num_threads=1), dtype=np.float64)
        return out

    def utility(self, rows: npt.NDArray[np.float32], weights: Mapping[str, float]) -> npt.NDArray[np.float64]:
        """Σ weight · P(objective) per row, in one batch per objective."""
        total = np.zeros(rows.shape[0])
        for objective, p in self.predict(rows).items():
            w = weights.get(objective, 0.0)
            if w:
                total += w * p
        return total

    def save(self, path: Path, meta: dict[str, Any]) -> None:
        """Write the boosters and meta.json (meta last: a folder without it is an unfinished write)."""
        path.mkdir(parents=True, exist_ok=True)
        for objective, booster in self.boosters.items():
            booster.save_model(str(path / f"{objective}.txt"))
        tmp = path / "meta.json.tmp"
        tmp.write_text(json.dumps({**meta, "feature_names": self.feature_names}, indent=2, sort_keys=True))
        os.replace(tmp, path / "meta.json")

    @classmethod
    def load(cls, path: Path, version: int) -> LearnedModel:
        """Read a model set; ModelUnavailable says why it cannot serve."""
        import lightgbm

        try:
            meta = json.loads((path / "meta.json").read_text())
        except FileNotFoundError:
            raise ModelUnavailable(f"{path / 'meta.json'} is missing") from None
        except (OSError, ValueError) as exc:
            raise ModelUnavailable(f"{path / 'meta.json'} is unreadable ({exc})") from None
        names = meta.get("feature_names")
        if names != MODEL_FEATURES:
            raise ModelUnavailable(f"{path} was trained on other features than this version serves")
        boosters: dict[str, Any] = {}
        for objective in meta.get("objectives", []):
            file = path / f"{objective}.txt"
            try:
                booster = lightgbm.Booster(model_file=str(file))
            except Exception as exc:  # LightGBM raises its own error type (or OSError) on any bad file
                raise ModelUnavailable(f"{file} cannot be read ({exc})") from None
            if booster.num_feature() != len(names):
                raise ModelUnavailable(f"{file} expects {booster.num_feature()} features, not {len(names)}")
            boosters[objective] = booster
        return cls(version, boosters, list(names))
