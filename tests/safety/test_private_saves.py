"""Defect #16.1: a save into a board the pin's owner cannot see is counted nowhere the owner can read."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.factories import Account, media_source

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def _board(client: TestClient, owner: Account, name: str, privacy: str = "PUBLIC") -> str:
    made = client.post("/v5/boards", headers=owner.headers, json={"name": name, "privacy": privacy})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _pin(client: TestClient, owner: Account, board_id: str) -> str:
    made = client.post(
        "/v5/pins", headers=owner.headers, json={"board_id": board_id, "media_source": media_source(seed=3)}
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _owner_sees(client: TestClient, alice: Account, pin_id: str) -> dict[str, Any]:
    """Every save count alice can read about her pin, by where she reads it."""
    one = client.get(f"/ext/v1/pins/{pin_id}/analytics", headers=alice.headers)
    assert one.status_code == 200, one.text
    summary = client.get("/ext/v1/analytics/pins", headers=alice.headers)
    assert summary.status_code == 200, summary.text
    v5 = client.get(f"/v5/pins/{pin_id}?pin_metrics=true", headers=alice.headers)
    assert v5.status_code == 200, v5.text
    metrics = v5.json()["pin_metrics"]
    group = one.json()["group"]
    listed = [p for p in summary.json()["pins"] if p["pin_id"] == pin_id]
    return {
        "window": one.json()["window"]["saves"],
        "lifetime": one.json()["lifetime"]["saves"],
        "series": sum(d["saves"] for d in one.json()["series"]),
        "group_window": group["window"]["saves"] if group else 0,
        "group_lifetime": group["lifetime"]["saves"] if group else 0,
        "summary_totals": summary.json()["totals"]["saves"],
        "summary_series": sum(d["saves"] for d in summary.json()["series"]),
        "summary_pin": listed[0]["saves"] if listed else 0,
        "summary_listed": bool(listed),
        "v5": [metrics[k]["save"] for k in ("30d", "90d", "lifetime_metrics")],
        "public_save_count": v5.json()["save_count"],
    }


def _nothing(listed: bool = False) -> dict[str, Any]:
    return {
        "window": 0, "lifetime": 0, "series": 0, "group_window": 0, "group_lifetime": 0,
        "summary_totals": 0, "summary_series": 0, "summary_pin": 0, "summary_listed": listed,
        "v5": [0, 0, 0], "public_save_count": 0,
    }  # fmt: skip


def test_saves_into_secret_boards_stay_out_of_the_owners_numbers(
    client: TestClient, alice: Account, bob: Account
) -> None:
    mine = _board(client, alice, "Mine")
    pin_id = _pin(client, alice, mine)
    _pin(client, alice, mine)  # the same picture again: a duplicate group of two, for the group totals
    hidden = _board(client, bob, "Private", privacy="SECRET")
    saved = client.post(f"/v5/pins/{pin_id}/save", headers=bob.headers, json={"board_id": hidden})
    assert saved.status_code == 201, saved.text
    assert _owner_sees(client, alice, pin_id) == _nothing()

    # the same board made public: the save becomes one alice can see, everywhere at once
    assert (
        client.patch(f"/v5/boards/{hidden}", headers=bob.headers, json={"privacy": "PUBLIC"}).status_code
        == 200
    )
    seen = _owner_sees(client, alice, pin_id)
    assert seen == {
        "window": 1, "lifetime": 1, "series": 1, "group_window": 1, "group_lifetime": 1,
        "summary_totals": 1, "summary_series": 1, "summary_pin": 1, "summary_listed": True,
        "v5": [1, 1, 1], "public_save_count": 1,
    }  # fmt: skip

    # and secret again: gone again
    assert (
        client.patch(f"/v5/boards/{hidden}", headers=bob.headers, json={"privacy": "SECRET"}).status_code
        == 200
    )
    assert _owner_sees(client, alice, pin_id) == _nothing()


def test_saves_into_a_secret_board_the_owner_belongs_to_count_for_the_owner(
    client: TestClient, alice: Account, bob: Account
) -> None:
    pin_id = _pin(client, alice, _board(client, alice, "Mine"))
    shared = _board(client, bob, "Shared secret", privacy="SECRET")
    invited = client.post(
        f"/ext/v1/boards/{shared}/collaborators", headers=bob.headers, json={"username": "alice"}
    )
    assert invited.status_code in (200, 201), invited.text
    accepted = client.post(f"/ext/v1/invitations/{invited.json()['id']}/accept", headers=alice.headers)
    assert accepted.status_code == 200, accepted.text
    assert (
        client.post(f"/v5/pins/{pin_id}/save", headers=bob.headers, json={"board_id": shared}).status_code
        == 201
    )
    seen = _owner_sees(client, alice, pin_id)
    assert seen["lifetime"] == seen["window"] == seen["summary_totals"] == 1
    assert seen["v5"] == [1, 1, 1]
    assert seen["public_save_count"] == 0  # the public count is for everyone: still 0
