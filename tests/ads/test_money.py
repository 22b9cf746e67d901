"""Money is exact: caps hold under concurrent charges (SQLite and PostgreSQL), events count once, clicks
are deduplicated per user and ad for 24 h."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from tests.factories import make_account

from pinhaven.ads.billing import AdRef, charge, record_click, record_impression
from pinhaven.ads.models import Ad, AdAccount, AdCampaign, AdClickMark, AdEvent, AdGroup
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope


def _ad(ctx: AppContext, *, daily_cap: int | None, group_budget: int | None = None) -> AdRef:
    owner = make_account(ctx, "payer")
    with session_scope(ctx.sessions) as db:
        account = AdAccount(owner_id=owner.user.id, name="Payer")
        db.add(account)
        db.flush()
        campaign = AdCampaign(ad_account_id=account.id, name="c", objective_type="AWARENESS",
                              daily_spend_cap=daily_cap, spend_day="", spend_today=0, spend_total=0)  # fmt: skip
        db.add(campaign)
        db.flush()
        group = AdGroup(ad_account_id=account.id, campaign_id=campaign.id, name="g", bid_in_micro_currency=1,
                        budget_in_micro_currency=group_budget, spend_day="", spend_today=0, spend_total=0)  # fmt: skip
        db.add(group)
        db.flush()
        ad = Ad(ad_account_id=account.id, campaign_id=campaign.id, ad_group_id=group.id, pin_id=1)
        db.add(ad)
        db.flush()
        return AdRef(ad.id, group.id, campaign.id, account.id)


def _spend(ctx: AppContext, ref: AdRef) -> tuple[int, int]:
    with ctx.sessions() as db:
        c = db.get(AdCampaign, ref.campaign_id)
        g = db.get(AdGroup, ref.ad_group_id)
        assert c is not None and g is not None
        return c.spend_today, g.spend_today


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql", "mariadb"], indirect=True)
def test_concurrent_charges_stop_within_one_event_of_the_daily_cap(ctx: AppContext) -> None:
    cap, cost = 10_000, 300
    ref = _ad(ctx, daily_cap=cap)
    charged: list[int] = []
    lock = threading.Lock()

    def spend() -> None:
        for _ in range(15):
            with session_scope(ctx.sessions) as db:
                ok = charge(db, ref=ref, cost_micro=cost)
            if ok:
                with lock:
                    charged.append(cost)

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    campaign_spend, group_spend = _spend(ctx, ref)
    assert campaign_spend == sum(charged) == group_spend
    assert cap <= campaign_spend < cap + cost  # over the cap by less than one billable event
    assert len(charged) == -(-cap // cost)  # exactly ceil(cap / cost) charges passed


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql", "mariadb"], indirect=True)
def test_an_impression_event_is_recorded_and_charged_once_under_concurrency(ctx: AppContext) -> None:
    ref = _ad(ctx, daily_cap=None)
    results: list[bool] = []

    def record() -> None:
        with session_scope(ctx.sessions) as db:
            ok = record_impression(db, event_id="i:42:0", ref=ref, user_id=None, surface="home",
                                   cost_micro=7, pctr=0.01, relevance=0.5)  # fmt: skip
        results.append(ok)

    threads = [threading.Thread(target=record) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    assert _spend(ctx, ref) == (7, 7)


def test_the_ad_group_budget_caps_spend_too(ctx: AppContext) -> None:
    ref = _ad(ctx, daily_cap=None, group_budget=1_000)
    outcomes = []
    for _ in range(5):
        with session_scope(ctx.sessions) as db:
            outcomes.append(charge(db, ref=ref, cost_micro=400))
    assert outcomes == [True, True, True, False, False]
    assert _spend(ctx, ref) == (1_200, 1_200)


def test_clicks_bill_once_per_user_and_ad_per_24_hours(ctx: AppContext) -> None:
    ref = _ad(ctx, daily_cap=None)

    def click(event_id: str, user: str) -> int:
        with session_scope(ctx.sessions) as db:
            return record_click(db, event_id=event_id, ref=ref, user_key=user, user_id=None, surface="home",
                                price_micro=250, cpc=True).billed_micro  # fmt: skip

    assert click("c:1", "u:1") == 250
    assert click("c:2", "u:1") == 0  # the same user again within 24 h: recorded, not billed
    assert click("c:3", "u:2") == 250  # someone else
    assert click("c:1", "u:1") == 0  # a replayed event id
    with session_scope(ctx.sessions) as db:
        db.execute(update(AdClickMark).values(clicked_at=utcnow() - timedelta(hours=25)))
    assert click("c:4", "u:1") == 250
    with ctx.sessions() as db:
        costs = list(
            db.scalars(select(AdEvent.cost_micro).where(AdEvent.kind == "click").order_by(AdEvent.event_id))
        )
    assert sorted(costs) == [0, 250, 250, 250]
    assert _spend(ctx, ref)[0] == 750
