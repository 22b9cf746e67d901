"""Advertiser objects over HTTP: validation per bulk item, integer money, ownership, secret pins, scopes."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.ads.helpers import advertiser, board, pin
from tests.factories import Account, make_account

from pinhaven.context import AppContext


def test_money_must_be_integer_micros_and_each_bulk_item_fails_alone(
    client: TestClient, alice: Account
) -> None:
    aid = client.post("/v5/ad_accounts", headers=alice.headers, json={"name": "Shop"}).json()["id"]
    items = [
        {"name": "ok", "objective_type": "AWARENESS", "daily_spend_cap": 1_000_000},
        {"name": "fraction", "objective_type": "AWARENESS", "daily_spend_cap": 1.5},
        {"name": "string", "objective_type": "AWARENESS", "daily_spend_cap": "100"},
        {"name": "objective", "objective_type": "NOPE"},
    ]
    made = client.post(f"/v5/ad_accounts/{aid}/campaigns", headers=alice.headers, json=items)
    assert made.status_code == 200, made.text
    results = made.json()["items"]
    assert results[0]["data"]["daily_spend_cap"] == 1_000_000 and results[0]["exceptions"] == []
    for failed in results[1:]:
        assert "data" not in failed and failed["exceptions"][0]["code"] == 400
    listed = client.get(f"/v5/ad_accounts/{aid}/campaigns", headers=alice.headers).json()["items"]
    assert [c["name"] for c in listed] == ["ok"]
    not_array = client.post(f"/v5/ad_accounts/{aid}/campaigns", headers=alice.headers, json={"name": "x"})
    assert not_array.status_code == 400 and not_array.json()["code"] == 400


def test_only_your_own_public_pin_can_be_promoted(
    client: TestClient, alice: Account, ctx: AppContext
) -> None:
    bob = make_account(ctx, "bob")
    public = pin(client, alice, board(client, alice, "Open"), "Chair")
    secret = pin(client, alice, board(client, alice, "Hidden", "SECRET"), "Gift")
    bobs = pin(client, bob, board(client, bob, "Bob"), "Bob's")
    ad = advertiser(client, alice, pin_id=public)
    made = client.post(
        f"/v5/ad_accounts/{ad.account_id}/ads",
        headers=alice.headers,
        json=[
            {"ad_group_id": ad.ad_group_id, "pin_id": secret},
            {"ad_group_id": ad.ad_group_id, "pin_id": bobs},
        ],
    )
    assert made.status_code == 200
    messages = [item["exceptions"]["message"] for item in made.json()["items"]]
    assert "secret" in messages[0] and "your own" in messages[1]


def test_other_users_and_tokens_without_ads_scopes(
    client: TestClient, alice: Account, ctx: AppContext
) -> None:
    ad = advertiser(client, alice, pin_id=pin(client, alice, board(client, alice)))
    bob = make_account(ctx, "bob")
    for path in ("", "/campaigns", "/ad_groups", "/ads", f"/ads/{ad.ad_id}", f"/campaigns/{ad.campaign_id}"):
        seen = client.get(f"/v5/ad_accounts/{ad.account_id}{path}", headers=bob.headers)
        assert seen.status_code == 404, path
    reader = make_account(ctx, "carol", scopes="pins:read boards:read ads:read")
    assert client.get("/v5/ad_accounts", headers=reader.headers).status_code == 200
    refused = client.post("/v5/ad_accounts", headers=reader.headers, json={"name": "x"})
    assert refused.status_code == 403 and "ads:write" in refused.json()["message"]
    none = make_account(ctx, "dave", scopes="pins:read boards:read")
    assert client.get("/v5/ad_accounts", headers=none.headers).status_code == 403
    assert client.get("/v5/ad_accounts").status_code == 401


def test_patch_ad_group_bid_and_targeting(client: TestClient, alice: Account) -> None:
    ad = advertiser(client, alice, pin_id=pin(client, alice, board(client, alice)))
    patched = client.patch(
        f"/v5/ad_accounts/{ad.account_id}/ad_groups",
        headers=alice.headers,
        json=[
            {"id": ad.ad_group_id, "bid_in_micro_currency": 750_000, "targeting_spec": {"KEYWORD": ["lamp"]}}
        ],
    )
    data = patched.json()["items"][0]["data"]
    assert data["bid_in_micro_currency"] == 750_000 and data["targeting_spec"] == {"KEYWORD": ["lamp"]}
    wrong = client.patch(
        f"/v5/ad_accounts/{ad.account_id}/ad_groups", headers=alice.headers, json=[{"id": "123", "name": "x"}]
    )
    assert wrong.json()["items"][0]["exceptions"][0]["code"] == 404
