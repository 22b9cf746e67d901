"""Conversions and reports: dedup, hashed matching, attribution windows, v5 analytics, CSV, the tag."""

from __future__ import annotations

import csv
import hashlib
import io
import time
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from openapi_generated.pinterest_client import ApiClient, Configuration
from openapi_generated.pinterest_client.api.ad_accounts_api import AdAccountsApi
from openapi_generated.pinterest_client.api.ad_groups_api import AdGroupsApi
from openapi_generated.pinterest_client.api.ads_api import AdsApi
from openapi_generated.pinterest_client.api.campaigns_api import CampaignsApi
from openapi_generated.pinterest_client.api.conversion_events_api import ConversionEventsApi
from openapi_generated.pinterest_client.model.conversion_api_response import ConversionApiResponse
from openapi_generated.pinterest_client.model.conversion_events import ConversionEvents
from openapi_generated.pinterest_client.model.conversion_events_custom_data import ConversionEventsCustomData
from openapi_generated.pinterest_client.model.conversion_events_data import ConversionEventsData
from openapi_generated.pinterest_client.model.conversion_events_user_data import ConversionEventsUserData
from tests.ads.helpers import Advertiser, advertiser, board, pin
from tests.factories import Account, make_account

from pinhaven.ads.models import AdEvent
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.db.ids import new_id

COLUMNS = "SPEND_IN_MICRO_DOLLAR,IMPRESSION_1,CLICKTHROUGH_1,CTR,CPC_IN_MICRO_DOLLAR,TOTAL_CONVERSIONS"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _log(
    ctx: AppContext, ad: Advertiser, kind: str, user_id: int | None, ago: timedelta, cost: int = 0
) -> None:
    with session_scope(ctx.sessions) as db:
        db.add(AdEvent(event_id=f"t:{new_id()}", kind=kind, ad_id=int(ad.ad_id), ad_group_id=int(ad.ad_group_id),
                       campaign_id=int(ad.campaign_id), ad_account_id=int(ad.account_id), user_id=user_id,
                       surface="home", cost_micro=cost, pctr=0.01, relevance=0.5,
                       created_at=utcnow() - ago))  # fmt: skip


def _event(event_id: str, email: str, name: str = "checkout", value: str | None = "12.50") -> dict[str, Any]:
    return {
        "event_name": name,
        "action_source": "web",
        "event_time": int(time.time()),
        "event_id": event_id,
        "user_data": {"em": [_sha(email.strip().lower())]},  # v5: the sender normalises, then hashes
        "custom_data": {"currency": "USD", "value": value} if value else {},
    }


def _setup(client: TestClient, ctx: AppContext) -> tuple[Account, Advertiser]:
    shop = make_account(ctx, "shop")
    ad = advertiser(client, shop, pin_id=pin(client, shop, board(client, shop)))
    return shop, ad


def _report(client: TestClient, who: Account, ad: Advertiser, **params: Any) -> list[dict[str, Any]]:
    today = utcnow().date().isoformat()
    start = (utcnow() - timedelta(days=40)).date().isoformat()
    query = {"start_date": start, "end_date": today, "columns": COLUMNS, "granularity": "TOTAL", **params}
    got = client.get(
        f"/v5/ad_accounts/{ad.account_id}/campaigns/analytics", params=query, headers=who.headers
    )
    assert got.status_code == 200, got.text
    return list(got.json())


def test_click_and_view_attribution_windows(client: TestClient, alice: Account, ctx: AppContext) -> None:
    shop, ad = _setup(client, ctx)
    bob = make_account(ctx, "bob")
    carol = make_account(ctx, "carol")
    _log(ctx, ad, "impression", alice.user.id, timedelta(days=10, minutes=1), cost=0)
    _log(ctx, ad, "click", alice.user.id, timedelta(days=10), cost=400_000)
    _log(ctx, ad, "impression", bob.user.id, timedelta(hours=12))
    _log(ctx, ad, "impression", carol.user.id, timedelta(days=2))
    events = [_event("o-1", "Alice@Example.test "), _event("o-2", "bob@example.test"),
              _event("o-3", "carol@example.test"), _event("o-4", "nobody@example.test")]  # fmt: skip
    sent = client.post(f"/v5/ad_accounts/{ad.account_id}/events", json={"data": events}, headers=shop.headers)
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert body["num_events_received"] == 4 and body["num_events_processed"] == 4
    assert "no Pinhaven user matched" in body["events"][3]["warning_message"]
    again = client.post(
        f"/v5/ad_accounts/{ad.account_id}/events", json={"data": events[:1]}, headers=shop.headers
    )
    assert "duplicate" in again.json()["events"][0]["warning_message"]

    (row,) = _report(client, shop, ad)
    # alice: click 10 days before (30-day click window); bob: impression 12 h before (1-day view window);
    # carol: impression 2 days before (outside the view window); nobody: not a user who saw the ad.
    assert row["TOTAL_CONVERSIONS"] == 2
    assert row["SPEND_IN_MICRO_DOLLAR"] == 400_000 and row["CLICKTHROUGH_1"] == 1 and row["IMPRESSION_1"] == 3
    assert row["CPC_IN_MICRO_DOLLAR"] == 400_000 and abs(row["CTR"] - 1 / 3) < 1e-9
    (narrow,) = _report(client, shop, ad, click_window_days=7)
    assert narrow["TOTAL_CONVERSIONS"] == 1  # only bob's view remains


def test_raw_personal_data_and_bad_events_are_refused(client: TestClient, ctx: AppContext) -> None:
    shop, ad = _setup(client, ctx)
    raw = _event("x", "a@b.c")
    raw["user_data"] = {"em": ["a@b.c"]}
    sent = client.post(f"/v5/ad_accounts/{ad.account_id}/events", json={"data": [raw]}, headers=shop.headers)
    assert sent.status_code == 400 and "em" in sent.json()["message"]
    future = _event("f", "a@b.c")
    future["event_time"] = int(time.time()) + 86_400
    sent = client.post(
        f"/v5/ad_accounts/{ad.account_id}/events", json={"data": [future]}, headers=shop.headers
    )
    assert sent.json()["events"][0]["status"] == "failed"
    bad = client.get(
        f"/v5/ad_accounts/{ad.account_id}/analytics",
        params={"start_date": "2026-01-01", "end_date": "2026-01-02", "columns": "NOPE"},
        headers=shop.headers,
    )
    assert bad.status_code == 400 and "columns" in bad.json()["message"]


def test_daily_rows_and_csv_export(client: TestClient, alice: Account, ctx: AppContext) -> None:
    shop, ad = _setup(client, ctx)
    _log(ctx, ad, "impression", alice.user.id, timedelta(days=1), cost=1_000)
    _log(ctx, ad, "impression", alice.user.id, timedelta(seconds=5), cost=2_000)
    rows = _report(client, shop, ad, granularity="DAY")
    assert [r["SPEND_IN_MICRO_DOLLAR"] for r in rows] == [1_000, 2_000]
    assert rows[0]["DATE"] < rows[1]["DATE"] and all(r["CAMPAIGN_ID"] == ad.campaign_id for r in rows)
    today = utcnow().date().isoformat()
    start = (utcnow() - timedelta(days=30)).date().isoformat()
    got = client.get(
        f"/ext/v1/ad_accounts/{ad.account_id}/report.csv",
        params={"start_date": start, "end_date": today, "columns": COLUMNS, "level": "AD"},
        headers=shop.headers,
    )
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    parsed = list(csv.DictReader(io.StringIO(got.text)))
    assert [r["SPEND_IN_MICRO_DOLLAR"] for r in parsed] == ["1000", "2000"] and parsed[0]["AD_ID"] == ad.ad_id
    other = make_account(ctx, "other")
    assert client.get(f"/ext/v1/ad_accounts/{ad.account_id}/report.csv", params={"start_date": start,
                      "end_date": today, "columns": COLUMNS}, headers=other.headers).status_code == 404  # fmt: skip


def test_conversion_tag_attributes_through_the_click_id(
    client: TestClient, alice: Account, ctx: AppContext
) -> None:
    from pinhaven.ads.serving import sign_click

    shop, ad = _setup(client, ctx)
    _log(ctx, ad, "click", alice.user.id, timedelta(minutes=3))
    epik = sign_click(ctx.settings.secret_key, ad_id=int(ad.ad_id), user_id=alice.user.id, price=0,
                      surface="home", impression="i:1:0")  # fmt: skip
    tag = client.get(f"/ads/tag/{ad.account_id}", params={"event": "signup", "event_id": "s1", "epik": epik})
    assert tag.status_code == 200 and tag.headers["content-type"] == "image/gif"
    client.get(f"/ads/tag/{ad.account_id}", params={"event": "signup", "event_id": "s1", "epik": epik})
    assert _report(client, shop, ad)[0]["TOTAL_CONVERSIONS"] == 1
    assert (
        client.get(f"/ads/tag/{ad.account_id}", params={"event": "nope", "event_id": "s2"}).status_code == 400
    )
    assert client.get("/ads/tag/123", params={"event": "signup", "event_id": "s3"}).status_code == 404


def test_analytics_and_events_through_the_official_client(
    live: str, client: TestClient, alice: Account, ctx: AppContext
) -> None:
    shop, ad = _setup(client, ctx)
    _log(ctx, ad, "click", alice.user.id, timedelta(hours=1), cost=300_000)
    cfg = Configuration(host=f"{live}/v5", access_token=shop.token)
    with ApiClient(cfg) as api:
        sent = ConversionEventsApi(api).events_create(
            ad.account_id,
            ConversionEvents(
                data=[
                    ConversionEventsData(
                        event_name="checkout",
                        action_source="web",
                        event_time=int(time.time()),
                        event_id="order-77",
                        user_data=ConversionEventsUserData(em=[_sha("alice@example.test")]),
                        custom_data=ConversionEventsCustomData(currency="USD", value="19.99"),
                    )
                ]
            ),
        )
        assert isinstance(sent, ConversionApiResponse) and sent.num_events_processed == 1
        today = utcnow().date().isoformat()
        common = {"start_date": today, "end_date": today, "columns": COLUMNS.split(","), "granularity": "DAY"}
        account_rows = AdAccountsApi(api).ad_account_analytics(ad.account_id, **common)
        campaign_rows = CampaignsApi(api).campaigns_analytics(
            ad.account_id, campaign_ids=[ad.campaign_id], **common
        )
        group_rows = AdGroupsApi(api).ad_groups_analytics(
            ad.account_id, ad_group_ids=[ad.ad_group_id], **common
        )
        ad_rows = AdsApi(api).ads_analytics(ad.account_id, ad_ids=[ad.ad_id], **common)
    for rows, key in ((account_rows, "AD_ACCOUNT_ID"), (campaign_rows, "CAMPAIGN_ID"), (group_rows, "AD_GROUP_ID"),
                      (ad_rows, "AD_ID")):  # fmt: skip
        (row,) = rows.value
        assert row[key] in (ad.account_id, ad.campaign_id, ad.ad_group_id, ad.ad_id)
        assert (
            row["SPEND_IN_MICRO_DOLLAR"] == 300_000
            and row["TOTAL_CONVERSIONS"] == 1
            and str(row["DATE"]) == today
        )
