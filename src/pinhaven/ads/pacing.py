"""Pacing: spread a daily budget over the day by probabilistic throttling.

The budget line is uniform over the UTC day: by second t an ad group "should" have spent budget × t / 86400.
An ad group joins an auction with probability

    p = clamp((line(t + horizon) - spent) / (budget × horizon / 86400), 0, 1)

so it participates fully while it is at or behind the line, is throttled more and more as its spend runs
ahead of it, and stops once it is a whole horizon ahead. Nothing is spent beyond the budget: the billing
UPDATE refuses a charge once the cap is reached (see `billing.py`), so the only overshoot is the one
billable event that crossed it.
"""

from __future__ import annotations

import random

DAY_SECONDS = 86_400
DEFAULT_HORIZON_SECONDS = 1_800


def participation_probability(
    *,
    budget_micro: int | None,
    spent_micro: int,
    seconds_into_day: float,
    horizon_seconds: float = DEFAULT_HORIZON_SECONDS,
) -> float:
    """Probability that an ad group with this daily budget and spend so far enters the next auction."""
    if budget_micro is None:
        return 1.0
    if budget_micro <= 0 or spent_micro >= budget_micro:
        return 0.0
    ahead = min(1.0, (seconds_into_day + horizon_seconds) / DAY_SECONDS)
    headroom = budget_micro * ahead - spent_micro
    window = budget_micro * horizon_seconds / DAY_SECONDS
    return max(0.0, min(1.0, headroom / window))


def participates(
    rng: random.Random,
    *,
    budget_micro: int | None,
    spent_micro: int,
    seconds_into_day: float,
    horizon_seconds: float = DEFAULT_HORIZON_SECONDS,
) -> bool:
    p = participation_probability(
        budget_micro=budget_micro,
        spent_micro=spent_micro,
        seconds_into_day=seconds_into_day,
        horizon_seconds=horizon_seconds,
    )
    return p >= 1.0 or (p > 0.0 and rng.random() < p)
