"""Blocked people's pins are not suggested: the home feed leaves out pins made by anyone blocked either way."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.factories import Account
from tests.social.helpers import board, follow, pin

from pinhaven.context import AppContext


def feed_pins(client: TestClient, account: Account) -> list[str]:
    response = client.get("/ext/v1/feed/home", params={"page_size": 50}, headers=account.headers)
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()["items"]]


def test_home_feed_leaves_out_blocked_people(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    bob_board = board(client, bob)
    bobs = [pin(client, bob, bob_board, seed=i) for i in range(3)]
    follow(client, alice, "bob")
    assert set(bobs) <= set(feed_pins(client, alice))
    assert (
        client.post("/ext/v1/users/alice/block", headers=bob.headers).status_code == 200
    )  # bob blocks alice
    assert not set(bobs) & set(feed_pins(client, alice))
