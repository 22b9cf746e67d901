"""/ext/v1/notifications: what creates them, aggregation, order, pagination, unread counts, mark read,
settings, and privacy (secret boards, tokens without read_secret, blocks)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.conftest import ALL_BACKENDS
from tests.factories import Account, make_account
from tests.social.helpers import board, follow, inbox, pin, save

from pinhaven.context import AppContext
from pinhaven.jobs.worker import drain

ON_EVERY_ENGINE = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)


def test_follow_creates_a_notification_with_actor_object_and_time(
    client: TestClient, alice: Account, bob: Account
) -> None:
    assert follow(client, bob, "alice").status_code == 200
    body = inbox(client, alice)
    assert body["unread_count"] == 1
    [item] = body["items"]
    assert item["type"] == "follow"
    assert [a["username"] for a in item["actors"]] == ["bob"]
    assert item["object"]["type"] == "user" and item["object"]["url"] == "/u/bob"
    assert item["text"] == "bob started following you"
    assert item["created_at"].endswith("+00:00") and item["is_read"] is False
    assert inbox(client, bob)["items"] == []  # nothing to the actor


@ON_EVERY_ENGINE
def test_saves_of_one_pin_aggregate_into_one_item(
    client: TestClient, ctx: AppContext, alice: Account
) -> None:
    alice_board = board(client, alice)
    pin_id = pin(client, alice, alice_board)
    savers = [make_account(ctx, f"saver{i}") for i in range(5)]
    for i, saver in enumerate(savers):
        save(client, saver, pin_id, board(client, saver, f"Mine {i}"))
    body = inbox(client, alice)
    saves = [n for n in body["items"] if n["type"] == "save"]
    assert len(saves) == 1
    item = saves[0]
    assert item["actor_count"] == 5
    assert item["actors"][0]["username"] == "saver4"  # the latest first
    assert item["text"] == "saver4 and 4 others saved your pin"
    assert item["object"] == {
        "type": "pin",
        "id": pin_id,
        "pin_id": pin_id,
        "board_id": alice_board,
        "url": f"/pin/{pin_id}",
    }
    # once read, the next save starts a new item
    client.post("/ext/v1/notifications/read", json={"all": True}, headers=alice.headers)
    extra = make_account(ctx, "late")
    save(client, extra, pin_id, board(client, extra))
    items = inbox(client, alice)["items"]
    assert items[0]["text"] == "late saved your pin" and items[0]["is_read"] is False
    assert items[1]["is_read"] is True


@ON_EVERY_ENGINE
def test_newest_first_pagination_with_signed_bookmarks(
    client: TestClient, ctx: AppContext, alice: Account
) -> None:
    for i in range(5):
        follow(client, make_account(ctx, f"fan{i}"), "alice")
    # follows aggregate: one item for alice's followers
    first = inbox(client, alice)
    assert len(first["items"]) == 1 and first["items"][0]["actor_count"] == 5
    alice_board = board(client, alice)
    pins = [pin(client, alice, alice_board, seed=i) for i in range(3)]
    for i, pin_id in enumerate(pins):
        saver = make_account(ctx, f"saver_{i}")
        save(client, saver, pin_id, board(client, saver))
    page1 = inbox(client, alice, page_size=2)
    assert [n["object"]["id"] for n in page1["items"]] == [pins[2], pins[1]]
    assert page1["bookmark"]
    page2 = inbox(client, alice, page_size=2, bookmark=page1["bookmark"])
    assert [n["type"] for n in page2["items"]] == ["save", "follow"]
    assert page2["bookmark"] is None
    forged = client.get(
        "/ext/v1/notifications", params={"bookmark": page1["bookmark"] + "x"}, headers=alice.headers
    )
    assert forged.status_code == 400 and forged.json()["code"] == 400
    unread = inbox(client, alice, unread_only=True)
    assert len(unread["items"]) == 4 and unread["unread_count"] == 4


def test_mark_read_by_ids_and_all_only_touches_your_own(
    client: TestClient, alice: Account, bob: Account, ctx: AppContext
) -> None:
    carol = make_account(ctx, "carol")
    follow(client, bob, "alice")
    follow(client, alice, "bob")
    follow(client, carol, "bob")
    alice_item = inbox(client, alice)["items"][0]["id"]
    bob_items = inbox(client, bob)
    assert bob_items["unread_count"] == 1  # bob's follows aggregate (alice + carol)
    # bob cannot mark alice's item read
    response = client.post("/ext/v1/notifications/read", json={"ids": [alice_item]}, headers=bob.headers)
    assert response.status_code == 200 and response.json()["updated"] == 0
    assert inbox(client, alice)["unread_count"] == 1
    response = client.post("/ext/v1/notifications/read", json={"ids": [alice_item]}, headers=alice.headers)
    assert response.json() == {"updated": 1, "unread_count": 0}
    response = client.post("/ext/v1/notifications/read", json={"all": True}, headers=bob.headers)
    assert response.json() == {"updated": 1, "unread_count": 0}


@pytest.mark.parametrize(
    "body",
    [{}, {"ids": ["abc"]}, {"ids": "1"}, {"all": "yes please"}, {"ids": ["1"] * 251}, {"nope": 1}, [1]],
)
def test_mark_read_refuses_bad_bodies_with_400(client: TestClient, alice: Account, body: object) -> None:
    response = client.post("/ext/v1/notifications/read", json=body, headers=alice.headers)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"code", "message"}


def test_needs_sign_in_and_scopes(client: TestClient, ctx: AppContext) -> None:
    assert client.get("/ext/v1/notifications").status_code == 401
    reader = make_account(ctx, "reader", scopes="user_accounts:read")
    assert client.get("/ext/v1/notifications", headers=reader.headers).status_code == 200
    response = client.post("/ext/v1/notifications/read", json={"all": True}, headers=reader.headers)
    assert response.status_code == 403


def test_settings_turn_a_type_off_in_app(client: TestClient, alice: Account, bob: Account) -> None:
    response = client.get("/ext/v1/notifications/settings", headers=alice.headers)
    assert response.status_code == 200
    assert {s["type"] for s in response.json()["items"]} == {
        "follow", "save", "comment", "reaction", "mention", "invite", "message",
    }  # fmt: skip
    response = client.patch(
        "/ext/v1/notifications/settings",
        json={"settings": {"follow": {"in_app": False}}},
        headers=alice.headers,
    )
    assert response.status_code == 200
    follow_setting = next(s for s in response.json()["items"] if s["type"] == "follow")
    assert follow_setting == {"type": "follow", "label": "New followers", "in_app": False, "email": True}
    follow(client, bob, "alice")
    assert inbox(client, alice) == {"items": [], "bookmark": None, "unread_count": 0}
    bad = client.patch(
        "/ext/v1/notifications/settings",
        json={"settings": {"gossip": {"in_app": False}}},
        headers=alice.headers,
    )
    assert bad.status_code == 400


@ON_EVERY_ENGINE
def test_nothing_about_a_secret_board_reaches_someone_who_cannot_see_it(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    """Alice's pin is saved from a public board; then she moves it to a secret board: the save notification
    stays hers (she sees her secret board) but a token of hers without read_secret does not see it."""
    public = board(client, alice, "Open")
    secret = board(client, alice, "Hidden", privacy="SECRET")
    pin_id = pin(client, alice, public)
    save(client, bob, pin_id, board(client, bob))
    assert len(inbox(client, alice)["items"]) == 1
    moved = client.patch(f"/v5/pins/{pin_id}", json={"board_id": secret}, headers=alice.headers)
    assert moved.status_code == 200
    assert len(inbox(client, alice)["items"]) == 1
    narrow = make_account(ctx, "narrow", scopes="user_accounts:read")
    # a token of alice's without pins:read_secret
    from pinhaven.accounts import service as accounts_service
    from pinhaven.db.engine import session_scope

    with session_scope(ctx.sessions) as db:
        user = accounts_service.get_by_username_or_raise(db=db, username="alice")
        _, token = accounts_service.create_token(
            db=db, user=user, name="narrow", scopes=("user_accounts:read",)
        )
    del narrow
    body = client.get("/ext/v1/notifications", headers={"Authorization": f"Bearer {token}"}).json()
    assert body["items"] == [] and body["unread_count"] == 0


def test_board_follow_and_saves_into_secret_boards_say_nothing(
    client: TestClient, alice: Account, bob: Account
) -> None:
    alice_board = board(client, alice)
    pin_id = pin(client, alice, alice_board)
    save(client, bob, pin_id, board(client, bob, "Private", privacy="SECRET"))
    assert inbox(client, alice)["items"] == []
    response = client.post(f"/ext/v1/boards/{alice_board}/follow", headers=bob.headers)
    assert response.status_code == 200
    [item] = inbox(client, alice)["items"]
    assert item["text"] == "bob started following your board"
    assert item["object"]["url"] == f"/board/{alice_board}"


def test_a_save_fans_out_to_the_savers_followers(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    fans = [make_account(ctx, f"fan{i}") for i in range(3)]
    for fan in fans:
        follow(client, fan, "bob")
    pin_id = pin(client, alice, board(client, alice))
    saved = save(client, bob, pin_id, board(client, bob))
    drain(ctx)
    for fan in fans:
        [item] = inbox(client, fan)["items"]
        assert item["text"] == "bob saved a pin" and item["object"]["pin_id"] == saved
    # alice was told "saved your pin", not twice
    assert [n["type"] for n in inbox(client, alice)["items"]] == ["save"]


def test_a_deactivated_actor_is_not_named(client: TestClient, alice: Account, bob: Account) -> None:
    follow(client, bob, "alice")
    assert inbox(client, alice)["items"][0]["text"] == "bob started following you"
    assert client.post("/ext/v1/me/deactivate", headers=bob.headers).status_code == 200
    [item] = inbox(client, alice)["items"]
    assert item["actors"] == [] and item["text"] == "Someone started following you"
