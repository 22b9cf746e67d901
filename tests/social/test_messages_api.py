"""/ext/v1 conversations, messages and blocks: who may message whom, group conversations, unread counts,
pins (secret ones refused for outsiders, hidden once they turn secret), blocks end follows and refuse follows,
messages, mentions."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.conftest import ALL_BACKENDS
from tests.factories import Account, make_account
from tests.social.helpers import board, follow, inbox, pin

from pinhaven.context import AppContext


def start(client: TestClient, sender: Account, *names: str, **body: object) -> object:
    return client.post(
        "/ext/v1/conversations", json={"usernames": list(names), **body}, headers=sender.headers
    )


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_message_people_you_are_connected_with_and_unread_counts(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    carol = make_account(ctx, "carol")
    refused = start(client, alice, "bob", text="hi")
    assert refused.status_code == 403 and "follow" in refused.json()["message"]
    follow(client, bob, "alice")  # bob follows alice: either may now write to the other
    created = start(client, alice, "bob", text="Hi Bob")
    assert created.status_code == 201, created.text
    conversation = created.json()
    assert [m["username"] for m in conversation["members"]] == ["alice", "bob"]
    assert conversation["last_message"]["text"] == "Hi Bob" and conversation["unread_count"] == 0
    again = start(client, bob, "alice")
    assert again.json()["id"] == conversation["id"]  # one conversation per group
    listed = client.get("/ext/v1/conversations", headers=bob.headers).json()
    assert listed["unread_count"] == 1 and listed["items"][0]["unread_count"] == 1
    cid = conversation["id"]
    reply = client.post(f"/ext/v1/conversations/{cid}/messages", json={"text": "Hello!"}, headers=bob.headers)
    assert reply.status_code == 201 and reply.json()["sender"]["username"] == "bob"
    assert (
        client.get("/ext/v1/conversations", headers=bob.headers).json()["unread_count"] == 0
    )  # replying reads
    assert client.get("/ext/v1/conversations", headers=alice.headers).json()["unread_count"] == 1
    assert client.post(f"/ext/v1/conversations/{cid}/read", headers=alice.headers).json() == {
        "unread_count": 0
    }
    messages = client.get(f"/ext/v1/conversations/{cid}/messages", headers=alice.headers).json()["items"]
    assert [m["text"] for m in messages] == ["Hello!", "Hi Bob"]  # newest first
    [item] = [n for n in inbox(client, alice)["items"] if n["type"] == "message"]
    assert item["text"] == "bob sent you a message" and item["object"]["url"] == f"/messages/{cid}"
    # outsiders: 404
    for method, path in (
        ("GET", f"/ext/v1/conversations/{cid}/messages"),
        ("POST", f"/ext/v1/conversations/{cid}/messages"),
    ):
        response = client.request(method, path, json={"text": "x"}, headers=carol.headers)
        assert response.status_code == 404
    assert client.get("/ext/v1/conversations", headers=carol.headers).json()["items"] == []


def test_groups_settings_and_bad_input(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    carol = make_account(ctx, "carol")
    follow(client, alice, "bob")
    assert start(client, alice, "bob", "carol", text="all of us").status_code == 403  # carol: not connected
    assert client.patch(
        "/ext/v1/messages/settings", json={"messages_from": "anyone"}, headers=carol.headers
    ).json() == {"messages_from": "anyone"}
    group = start(client, alice, "bob", "@carol", text="all of us")
    assert group.status_code == 201 and len(group.json()["members"]) == 3
    for body in (
        {"usernames": []},
        {"usernames": ["alice"]},
        {"usernames": ["bob"], "text": "x" * 2001},
        {"usernames": "bob"},
    ):
        response = client.post("/ext/v1/conversations", json=body, headers=alice.headers)
        assert response.status_code == 400, (body, response.text)
    empty = client.post(
        f"/ext/v1/conversations/{group.json()['id']}/messages", json={"text": "  "}, headers=alice.headers
    )
    assert empty.status_code == 400
    assert start(client, alice, "nobody_at_all").status_code == 404
    bad = client.patch("/ext/v1/messages/settings", json={"messages_from": "everyone"}, headers=alice.headers)
    assert bad.status_code == 400
    assert client.get("/ext/v1/conversations").status_code == 401


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_a_secret_pin_goes_only_to_people_who_may_see_it(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    follow(client, bob, "alice")
    public_pin = pin(client, alice, board(client, alice, "Open"))
    secret_board = board(client, alice, "Hidden", privacy="SECRET")
    secret_pin = pin(client, alice, secret_board, seed=2)
    refused = start(client, alice, "bob", pin_id=secret_pin)
    assert refused.status_code == 403 and "secret" in refused.json()["message"]
    conversation = client.get("/ext/v1/conversations", headers=bob.headers).json()
    assert conversation["items"] == []  # nothing was sent
    sent = start(client, alice, "bob", pin_id=public_pin, text="look")
    assert sent.status_code == 201 and sent.json()["last_message"]["pin_id"] == public_pin
    cid = sent.json()["id"]
    # bob cannot send a pin he cannot see (404, as the pin)
    response = client.post(
        f"/ext/v1/conversations/{cid}/messages", json={"pin_id": secret_pin}, headers=bob.headers
    )
    assert response.status_code == 404
    # the pin moves to the secret board: bob no longer sees it in the conversation; alice still does
    client.patch(f"/v5/pins/{public_pin}", json={"board_id": secret_board}, headers=alice.headers)
    [bobs_view] = client.get(f"/ext/v1/conversations/{cid}/messages", headers=bob.headers).json()["items"]
    assert bobs_view["pin_id"] is None and bobs_view["pin_hidden"] is True and bobs_view["text"] == "look"
    [alices_view] = client.get(f"/ext/v1/conversations/{cid}/messages", headers=alice.headers).json()["items"]
    assert alices_view["pin_id"] == public_pin


def test_block_ends_follows_and_refuses_follows_messages_and_mentions(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    follow(client, bob, "alice")
    follow(client, alice, "bob")
    cid = start(client, bob, "alice", text="hi").json()["id"]
    response = client.post("/ext/v1/users/bob/block", headers=alice.headers)
    assert response.status_code == 200 and response.json() == {"username": "bob", "blocked": True}
    assert client.get("/ext/v1/users/alice", headers=bob.headers).json()["follower_count"] == 0
    assert follow(client, bob, "alice").status_code == 403
    assert follow(client, alice, "bob").status_code == 403
    assert start(client, bob, "alice", text="again").status_code == 403
    response = client.post(f"/ext/v1/conversations/{cid}/messages", json={"text": "x"}, headers=bob.headers)
    assert response.status_code == 403
    carol = make_account(ctx, "carol")
    carol_pin = pin(client, carol, board(client, carol))
    client.post(f"/ext/v1/pins/{carol_pin}/comments", json={"text": "@alice look"}, headers=bob.headers)
    assert [n for n in inbox(client, alice)["items"] if n["type"] == "mention"] == []
    assert client.post("/ext/v1/users/alice/block", headers=alice.headers).status_code == 400
    assert client.post("/ext/v1/users/nobody_here/block", headers=alice.headers).status_code == 404
    assert client.delete("/ext/v1/users/bob/block", headers=alice.headers).json()["blocked"] is False
    assert follow(client, bob, "alice").status_code == 200
