"""The learned ranker's feature rows: the hand-tuned scorer's eight features plus what a model can use more.

Columns, in LEARNED_FEATURES order (a model is trained and served on exactly these; the served rows are
logged, so training never recomputes them):
    the eight `discovery.ranking.Features` (so the hand-tuned score can be recomputed from any logged row),
    one column per candidate source: 1 - rank / len(source) when that source proposed the pin, else 0,
    the pin's smoothed save, click, close-up and hide rates (separately; the hand-tuned scorer blends them),
    user-level features, computed once per request and shared by every row (request-level deduplication).
`position` is a training-only column appended by training (serving scores as if at position 0), so the
models learn what the position explains instead of crediting it to the pins shown first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.discovery.ranking import FEATURE_NAMES, SOURCE_CODES, Features
from pinhaven.events.models import PinStats

__all__ = [
    "BASE_COUNT",
    "LEARNED_FEATURES",
    "SOURCE_NAMES",
    "UserFeatures",
    "feature_matrix",
    "pin_rates",
    "source_bits",
]

# Sources known to the feature layout (append only: a logged column keeps its meaning).
SOURCE_NAMES: tuple[str, ...] = (*SOURCE_CODES, *(n for n in ("als", "interests") if n not in SOURCE_CODES))
RATE_NAMES = ("save_rate", "click_rate", "closeup_rate", "hide_rate")
USER_NAMES = ("user_actions", "user_hides", "user_follows")
LEARNED_FEATURES: tuple[str, ...] = (
    *FEATURE_NAMES,
    *(f"src_{name}" for name in SOURCE_NAMES),
    *RATE_NAMES,
    *USER_NAMES,
)
BASE_COUNT = len(FEATURE_NAMES)
RATE_PRIOR_WEIGHT = 50.0  # impressions' worth of trust in the prior rate
RATE_PRIORS = (0.01, 0.01, 0.03, 0.005)  # save, click, close-up, hide per impression of an average pin


@dataclass(frozen=True)
class UserFeatures:
    """What is known about the viewer, computed once per request."""

    actions: int  # recent saves, close-ups, clicks and own pins
    hides: int
    follows: int

    def row(self) -> tuple[float, float, float]:
        return (math.log1p(self.actions), math.log1p(self.hides), math.log1p(self.follows))


def pin_rates(db: Session, pin_ids: Sequence[int]) -> dict[int, tuple[float, float, float, float]]:
    """Smoothed (save, click, close-up, hide) rates per impression of each pin (lifetime counters)."""
    out: dict[int, tuple[float, float, float, float]] = {}
    for start in range(0, len(pin_ids), 900):
        rows = db.execute(
            select(PinStats.pin_id, PinStats.impressions, PinStats.saves, PinStats.outbound_clicks,
                   PinStats.closeups, PinStats.hides).where(PinStats.pin_id.in_(pin_ids[start : start + 900]))
        )  # fmt: skip
        for pin_id, impressions, *counts in rows:
            n = float(impressions or 0) + RATE_PRIOR_WEIGHT
            out[int(pin_id)] = tuple(  # type: ignore[assignment]
                (float(c or 0) + prior * RATE_PRIOR_WEIGHT) / n
                for c, prior in zip(counts, RATE_PRIORS, strict=True)
            )
    return out


def _source_ranks(sources: Mapping[str, Sequence[tuple[int, float]]]) -> list[dict[int, float]]:
    columns: list[dict[int, float]] = []
    for name in SOURCE_NAMES:
        items = sources.get(name) or ()
        n = len(items)
        ranked = sorted(items, key=lambda kv: (-kv[1], kv[0]))
        column: dict[int, float] = {}
        for rank, (pin, _) in enumerate(ranked):
            column.setdefault(pin, 1.0 - rank / n)
        columns.append(column)
    return columns


def feature_matrix(
    *,
    pin_ids: Sequence[int],
    base: Sequence[Features],
    sources: Mapping[str, Sequence[tuple[int, float]]],
    rates: Mapping[int, tuple[float, float, float, float]],
    user: UserFeatures,
) -> npt.NDArray[np.float32]:
    """float32 rows (len(pin_ids) x len(LEARNED_FEATURES)) in `pin_ids` order."""
    n = len(pin_ids)
    out = np.zeros((n, len(LEARNED_FEATURES)), dtype=np.float32)
    if n == 0:
        return out
    out[:, :BASE_COUNT] = np.asarray(base, dtype=np.float32)
    col = BASE_COUNT
    for column in _source_ranks(sources):
        out[:, col] = [column.get(p, 0.0) for p in pin_ids]
        col += 1
    default = RATE_PRIORS
    out[:, col : col + len(RATE_NAMES)] = [rates.get(p, default) for p in pin_ids]
    col += len(RATE_NAMES)
    out[:, col:] = user.row()  # one user row, broadcast to every candidate
    return out


def source_bits(pin_ids: Sequence[int], sources: Mapping[str, Sequence[tuple[int, float]]]) -> bytes:
    """uint16 per pin: bit i set when SOURCE_NAMES[i] proposed it (attribution of every source, not only
    the strongest one)."""
    bits = dict.fromkeys(pin_ids, 0)
    for i, name in enumerate(SOURCE_NAMES):
        for pin, _ in sources.get(name) or ():
            if pin in bits:
                bits[pin] |= 1 << i
    return np.fromiter((bits[p] for p in pin_ids), dtype="<u2", count=len(pin_ids)).tobytes()
