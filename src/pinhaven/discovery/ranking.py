"""Home-feed ranking: candidate sources fused into one score per pin, then a scorer over named features.

The scorer is a hand-tuned formula today. It sees only `Features` rows (named, numeric, logged with the
source that produced each pin), so a learned model trained on impressions → saves/clicks replaces it by
implementing `Scorer` over the same rows (`Features.vector()` / `FEATURE_NAMES`), without touching the
candidate sources or the feed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

__all__ = [
    "FEATURE_NAMES",
    "SOURCE_WEIGHTS",
    "Features",
    "Fused",
    "HandTunedScorer",
    "Laps",
    "Scorer",
    "engagement_rate",
    "fuse_sources",
]

# How much each candidate source is trusted (hand-tuned). "following": recent pins of followed people
# and boards; "walk": Pixie walks from the user's recent saves/close-ups/clicks; "topic": cold start from
# sign-up topics; "trending": time-decayed engagement; "fresh": new public pins; "popular": most-saved.
SOURCE_WEIGHTS: dict[str, float] = {
    "following": 1.0,
    "walk": 1.0,
    "topic": 0.7,
    "trending": 0.6,
    "fresh": 0.45,
    "popular": 0.35,
    # Appended (codes of the sources above stay stable for logged features): same-board co-occurrence with
    # the user's pins, and pictures that look like them; both work from the first save.
    "board": 0.8,
    "visual": 0.8,
    # Learned sources (pinhaven.ranking.retrieval): ALS collaborative filtering and multi-interest retrieval.
    "als": 0.8,
    "interests": 0.8,
}
SOURCE_CODES = {name: i for i, name in enumerate(SOURCE_WEIGHTS)}
MULTI_SOURCE_BONUS = 0.15  # per extra source that also proposed the pin
ENGAGEMENT_PRIOR_RATE = 0.02  # engagements per impression of an average pin
ENGAGEMENT_PRIOR_WEIGHT = 50.0  # impressions' worth of trust in the prior
ENGAGEMENT_MID = 0.05  # rate at which the engagement factor is half way up
FRESH_HALF_LIFE_DAYS = 7.0
SEEN_FACTOR = 0.25  # a pin shown in the last days keeps a quarter of its score: demoted, not banned


@dataclass(frozen=True)
class Fused:
    score: float  # sum over sources of weight * normalised score in [0, 1]
    source: str  # the source contributing most
    n_sources: int


def _normalised(items: Sequence[tuple[int, float]]) -> dict[int, float]:
    """Scores mapped into (0, 1]: half by square-rooted share of the best, half by rank."""
    if not items:
        return {}
    ranked = sorted(items, key=lambda kv: (-kv[1], kv[0]))
    top = max(ranked[0][1], 1e-12)
    n = len(ranked)
    return {
        pin: 0.5 * math.sqrt(max(score, 0.0) / top) + 0.5 * (1.0 - rank / n)
        for rank, (pin, score) in enumerate(ranked)
    }


def fuse_sources(
    sources: Mapping[str, Sequence[tuple[int, float]]], *, weights: Mapping[str, float] = SOURCE_WEIGHTS
) -> dict[int, Fused]:
    """One fused score per pin over every source that proposed it (sources missing from `weights`: 0.3)."""
    parts: dict[int, list[tuple[float, str]]] = {}
    for name, items in sources.items():
        weight = weights.get(name, 0.3)
        for pin, value in _normalised(items).items():
            parts.setdefault(pin, []).append((weight * value, name))
    fused = {}
    for pin, contributions in parts.items():
        best = max(contributions)
        total = sum(c for c, _ in contributions) * (1.0 + MULTI_SOURCE_BONUS * (len(contributions) - 1))
        fused[pin] = Fused(total, best[1], len(contributions))
    return fused


def engagement_rate(*, impressions: int, closeups: int, clicks: int, saves: int) -> float:
    """Smoothed engagements per impression (saves count most), pulled toward the prior when data is thin."""
    engaged = saves + 0.7 * clicks + 0.3 * closeups
    return (engaged + ENGAGEMENT_PRIOR_RATE * ENGAGEMENT_PRIOR_WEIGHT) / (
        impressions + ENGAGEMENT_PRIOR_WEIGHT
    )


class Features(NamedTuple):
    """Everything the scorer may use about one (user, pin) pair; all numeric (a tuple: cheap to build)."""

    source_score: float
    n_sources: int
    source_code: int  # SOURCE_CODES of the strongest source
    engagement_rate: float
    age_days: float
    board_affinity: float  # [0, 1]: the user's recent actions on / follow of the pin's board
    creator_affinity: float  # [0, 1]: same for the pin's creator
    seen: int  # 1 when the pin had an impression for this user in the last days

    def vector(self) -> tuple[float, ...]:
        """The features in FEATURE_NAMES order (a learned model's input row)."""
        return tuple(float(x) for x in self)


FEATURE_NAMES = Features._fields


class Scorer(Protocol):
    """Turns feature rows into scores (higher first); a learned model implements the same."""

    name: str

    def score(self, rows: Sequence[Features]) -> list[float]: ...


class HandTunedScorer:
    """source strength x engagement x freshness x affinity, demoted when already seen."""

    name = "hand-tuned-v1"

    def score(self, rows: Sequence[Features]) -> list[float]:
        out = []
        for f in rows:
            base = f.source_score
            engagement = f.engagement_rate / (f.engagement_rate + ENGAGEMENT_MID)
            fresh = 0.5 ** (max(f.age_days, 0.0) / FRESH_HALF_LIFE_DAYS)
            affinity = max(f.board_affinity, f.creator_affinity)
            value = base * (0.5 + 0.5 * engagement) * (0.75 + 0.25 * fresh) * (1.0 + 0.6 * affinity)
            out.append(value * (SEEN_FACTOR if f.seen else 1.0))
        return out


class Laps:
    """Adds the time since the previous call to `stages[name]` (benchmarks); a no-op without a dict."""

    def __init__(self, stages: dict[str, float] | None) -> None:
        self.stages = stages
        self.last = time.perf_counter()

    def __call__(self, name: str) -> None:
        if self.stages is not None:
            now = time.perf_counter()
            self.stages[name] = self.stages.get(name, 0.0) + now - self.last
            self.last = now
