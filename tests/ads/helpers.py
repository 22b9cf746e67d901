"""Shared helpers of the ads tests: boards and pins through the API, an advertiser set up in one call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from tests.factories import Account, media_source


def board(client: TestClient, owner: Account, name: str = "Shop", privacy: str = "PUBLIC") -> str:
    made = client.post("/v5/boards", headers=owner.headers, json={"name": name, "privacy": privacy})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def pin(client: TestClient, owner: Account, board_id: str, title: str = "A pin", seed: int = 1) -> str:
    made = client.post(
        "/v5/pins",
        headers=owner.headers,
        json={
            "board_id": board_id,
            "title": title,
            "link": "https://shop.example/item",
            "media_source": media_source(seed=seed, size=(64, 48)),
        },
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


@dataclass
class Advertiser:
    account_id: str
    campaign_id: str
    ad_group_id: str
    ad_id: str
    pin_id: str


def advertiser(
    client: TestClient,
    who: Account,
    *,
    pin_id: str,
    bid: int = 2_000_000,
    daily_cap: int | None = None,
    billable_event: str = "CLICKTHROUGH",
    targeting: dict[str, list[str]] | None = None,
) -> Advertiser:
    """An ad account with one campaign, one ad group and one ad promoting `pin_id`."""
    h = who.headers
    account = client.post("/v5/ad_accounts", headers=h, json={"name": f"{who.user.username} shop"})
    assert account.status_code == 201, account.text
    aid = account.json()["id"]
    campaign: dict[str, Any] = {"ad_account_id": aid, "name": "Spring", "objective_type": "CONSIDERATION"}
    if daily_cap is not None:
        campaign["daily_spend_cap"] = daily_cap
    made = client.post(f"/v5/ad_accounts/{aid}/campaigns", headers=h, json=[campaign])
    assert made.status_code == 200, made.text
    cid = made.json()["items"][0]["data"]["id"]
    group = {
        "campaign_id": cid,
        "name": "Group",
        "bid_in_micro_currency": bid,
        "billable_event": billable_event,
        "targeting_spec": targeting or {},
    }
    made = client.post(f"/v5/ad_accounts/{aid}/ad_groups", headers=h, json=[group])
    assert made.status_code == 200, made.text
    gid = made.json()["items"][0]["data"]["id"]
    made = client.post(f"/v5/ad_accounts/{aid}/ads", headers=h, json=[{"ad_group_id": gid, "pin_id": pin_id}])
    assert made.status_code == 200, made.text
    return Advertiser(aid, cid, gid, made.json()["items"][0]["data"]["id"], pin_id)
