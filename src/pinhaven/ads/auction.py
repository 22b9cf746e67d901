"""The auction: generalised second price on bid × pCTR, with a reserve price and a relevance floor.

Each candidate's score is its expected value per impression in micro-currency:
  * CLICKTHROUGH (cost per click): bid × pCTR
  * IMPRESSION (cost per mille):   bid / 1000

Candidates below the relevance floor are dropped whatever their bid (an irrelevant ad never shows), then those
whose score is below the reserve. The rest rank by score; ties go to the lower ad id (deterministic). For k
slots the top k win, and each pays the least that keeps its rank: the next candidate's score, or the reserve
when there is none. A cost-per-click winner pays that per click, divided by its own pCTR, rounded up to the
micro, and never more than its bid; an impression winner pays it per impression. Prices are integers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

CPC = "CLICKTHROUGH"
CPM = "IMPRESSION"


@dataclass(frozen=True)
class Candidate:
    ad_id: int
    bid_micro: int
    billable_event: str  # CLICKTHROUGH | IMPRESSION
    pctr: float
    relevance: float
    advertiser_id: int = 0

    @property
    def score(self) -> float:
        """Expected micro-currency per impression."""
        if self.billable_event == CPM:
            return self.bid_micro / 1000.0
        return self.bid_micro * self.pctr


@dataclass(frozen=True)
class Winner:
    candidate: Candidate
    rank: int
    price_micro: int  # per click (CLICKTHROUGH) or per impression (IMPRESSION)

    @property
    def impression_cost(self) -> int:
        return self.price_micro if self.candidate.billable_event == CPM else 0


def _price(winner: Candidate, next_score: float) -> int:
    if winner.billable_event == CPM:
        per_impression = math.ceil(next_score - 1e-9)
        return min(per_impression, math.ceil(winner.bid_micro / 1000.0))
    if winner.pctr <= 0:
        return winner.bid_micro
    return min(winner.bid_micro, math.ceil(next_score / winner.pctr - 1e-9))


def run(
    candidates: Sequence[Candidate],
    *,
    slots: int,
    reserve_micro: float,
    relevance_floor: float,
    one_per_advertiser: bool = True,
) -> list[Winner]:
    """The winners of `slots` slots, in rank order (see the module docstring for the rules)."""
    if slots <= 0:
        return []
    eligible = [
        c
        for c in candidates
        if c.relevance >= relevance_floor and c.bid_micro > 0 and c.score >= reserve_micro and c.score > 0
    ]
    eligible.sort(key=lambda c: (-c.score, c.ad_id))
    if one_per_advertiser:
        seen: set[int] = set()
        distinct = []
        for c in eligible:
            if c.advertiser_id in seen:
                continue
            seen.add(c.advertiser_id)
            distinct.append(c)
        eligible = distinct
    winners = []
    for rank, candidate in enumerate(eligible[:slots]):
        following = eligible[rank + 1].score if rank + 1 < len(eligible) else 0.0
        winners.append(Winner(candidate, rank, _price(candidate, max(following, reserve_micro))))
    return winners
