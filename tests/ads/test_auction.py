"""The auction on hand-computed cases: second price, reserve, relevance floor, ties; pacing; pCTR prior."""

from __future__ import annotations

import random

from pinhaven.ads import pctr
from pinhaven.ads.auction import Candidate, run
from pinhaven.ads.pacing import participates, participation_probability


def _c(
    ad_id: int, bid: int, p: float, rel: float = 1.0, event: str = "CLICKTHROUGH", adv: int = 0
) -> Candidate:
    return Candidate(ad_id=ad_id, bid_micro=bid, billable_event=event, pctr=p, relevance=rel,
                     advertiser_id=adv or ad_id)  # fmt: skip


def test_second_price_per_click_is_the_least_that_keeps_the_rank() -> None:
    # scores: A 2.00 × 0.05 = 0.100, B 3.00 × 0.02 = 0.060, C 1.00 × 0.03 = 0.030 (micro per impression ×1e6)
    a, b, c = _c(1, 2_000_000, 0.05), _c(2, 3_000_000, 0.02), _c(3, 1_000_000, 0.03)
    winners = run([c, b, a], slots=2, reserve_micro=0, relevance_floor=0)
    assert [w.candidate.ad_id for w in winners] == [1, 2]
    assert winners[0].price_micro == 1_200_000  # 60,000 / 0.05
    assert winners[1].price_micro == 1_500_000  # 30,000 / 0.02
    assert all(w.price_micro <= w.candidate.bid_micro for w in winners)


def test_reserve_sets_the_last_price_and_drops_bids_below_it() -> None:
    a, b = _c(1, 2_000_000, 0.05), _c(2, 100_000, 0.01)  # B scores 1,000 < reserve 5,000
    winners = run([a, b], slots=2, reserve_micro=5_000, relevance_floor=0)
    assert [w.candidate.ad_id for w in winners] == [1]
    assert winners[0].price_micro == 100_000  # 5,000 / 0.05


def test_relevance_floor_beats_any_bid() -> None:
    rich = _c(1, 900_000_000, 0.5, rel=0.01)
    modest = _c(2, 1_000_000, 0.01, rel=0.4)
    winners = run([rich, modest], slots=1, reserve_micro=0, relevance_floor=0.05)
    assert [w.candidate.ad_id for w in winners] == [2] and winners[0].price_micro == 0


def test_ties_go_to_the_lower_ad_id_and_pay_their_bid() -> None:
    x, y = _c(7, 1_000_000, 0.02), _c(5, 2_000_000, 0.01)  # both score 20,000
    winners = run([x, y], slots=1, reserve_micro=0, relevance_floor=0)
    assert winners[0].candidate.ad_id == 5 and winners[0].price_micro == 2_000_000
    assert run([y, x], slots=1, reserve_micro=0, relevance_floor=0) == winners


def test_impression_ads_pay_per_impression_and_one_slot_per_advertiser() -> None:
    cpm = _c(1, 8_000_000, 0.0, event="IMPRESSION")  # 8 per mille = 8,000 micro per impression
    cpc = _c(2, 500_000, 0.01)  # 5,000
    same = _c(3, 400_000, 0.01, adv=1)  # advertiser 1 again: skipped
    winners = run([cpm, cpc, same], slots=3, reserve_micro=1_000, relevance_floor=0)
    assert [w.candidate.ad_id for w in winners] == [1, 2]
    assert winners[0].price_micro == 5_000 and winners[0].impression_cost == 5_000
    assert winners[1].price_micro == 100_000 and winners[1].impression_cost == 0  # reserve 1,000 / 0.01


def test_pacing_throttles_by_spend_rate() -> None:
    budget = 24_000_000
    noon = 43_200
    assert participation_probability(budget_micro=budget, spent_micro=0, seconds_into_day=noon) == 1.0
    on_line = participation_probability(budget_micro=budget, spent_micro=12_000_000, seconds_into_day=noon)
    assert on_line == 1.0
    half_ahead = participation_probability(budget_micro=budget, spent_micro=12_250_000, seconds_into_day=noon)
    assert abs(half_ahead - 0.5) < 1e-9  # a quarter-hour ahead of the line with a half-hour horizon
    assert participation_probability(budget_micro=budget, spent_micro=12_500_000, seconds_into_day=noon) == 0
    assert participation_probability(budget_micro=budget, spent_micro=budget, seconds_into_day=86_000) == 0
    assert participation_probability(budget_micro=None, spent_micro=10**12, seconds_into_day=0) == 1.0
    rng = random.Random(1)
    share = sum(
        participates(rng, budget_micro=budget, spent_micro=12_250_000, seconds_into_day=noon)
        for _ in range(4000)
    )
    assert 1800 < share < 2200


def test_prior_moves_from_the_instance_rate_to_the_ads_own() -> None:
    prior = pctr.Prior(ctr=0.01, strength=200)
    assert prior.predict(0, 0) == 0.01
    assert abs(prior.predict(50, 1000) - 52 / 1200) < 1e-12
    assert pctr.auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
