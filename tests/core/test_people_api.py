"""/ext/v1 people and boards: profiles, follows, collaborators — counts and privacy on every database."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.conftest import ALL_BACKENDS
from tests.factories import Account, make_account, media_source

from pinhaven.context import AppContext

pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)


def board(client: TestClient, account: Account, name: str = "Travel", privacy: str = "PUBLIC") -> str:
    response = client.post("/v5/boards", json={"name": name, "privacy": privacy}, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def pin(client: TestClient, account: Account, board_id: str) -> str:
    body = {"board_id": board_id, "media_source": media_source()}
    response = client.post("/v5/pins", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_follow_and_unfollow_a_user_updates_counts_and_lists(
    client: TestClient, alice: Account, bob: Account
) -> None:
    followed = client.post("/ext/v1/users/alice/follow", headers=bob.headers)
    assert followed.status_code == 200 and followed.json()["is_following"] is True
    assert followed.json()["follower_count"] == 1
    assert (
        client.post("/ext/v1/users/alice/follow", headers=bob.headers).json()["follower_count"] == 1
    )  # idempotent
    followers = client.get("/ext/v1/users/alice/followers").json()
    assert [u["username"] for u in followers["items"]] == ["bob"]
    assert [u["username"] for u in client.get("/ext/v1/users/bob/following").json()["items"]] == ["alice"]
    assert client.get("/ext/v1/users/bob", headers=bob.headers).json()["following_count"] == 1
    unfollowed = client.delete("/ext/v1/users/alice/follow", headers=bob.headers)
    assert unfollowed.json()["follower_count"] == 0 and unfollowed.json()["is_following"] is False


def test_cannot_follow_yourself_or_nobody(client: TestClient, alice: Account) -> None:
    assert client.post("/ext/v1/users/alice/follow", headers=alice.headers).status_code == 400
    assert client.post("/ext/v1/users/nobody/follow", headers=alice.headers).status_code == 404
    assert client.post("/ext/v1/users/alice/follow").status_code == 401


def test_profile_counts_hide_secret_content_from_others(
    client: TestClient, alice: Account, bob: Account
) -> None:
    pin(client, alice, board(client, alice, "Open"))
    pin(client, alice, board(client, alice, "Hidden", privacy="SECRET"))
    as_bob = client.get("/ext/v1/users/alice", headers=bob.headers).json()
    as_alice = client.get("/ext/v1/users/alice", headers=alice.headers).json()
    anonymous = client.get("/ext/v1/users/alice").json()
    assert (as_bob["board_count"], as_bob["pin_count"]) == (1, 1)
    assert (anonymous["board_count"], anonymous["pin_count"]) == (1, 1)
    assert (as_alice["board_count"], as_alice["pin_count"]) == (2, 2)
    names = [b["name"] for b in client.get("/ext/v1/users/alice/boards", headers=bob.headers).json()["items"]]
    assert names == ["Open"]
    assert len(client.get("/ext/v1/users/alice/pins", headers=bob.headers).json()["items"]) == 1


def test_profile_pins_split_created_and_saved(client: TestClient, alice: Account, bob: Account) -> None:
    original = pin(client, bob, board(client, bob))
    own = pin(client, alice, board(client, alice, "Mine"))
    saved = client.post(
        f"/v5/pins/{original}/save", json={"board_id": board(client, alice, "Saves")}, headers=alice.headers
    )

    def ids(kind):
        return [
            p["id"] for p in client.get("/ext/v1/users/alice/pins", params={"kind": kind}).json()["items"]
        ]

    assert ids("created") == [own]
    assert ids("saved") == [saved.json()["id"]]


def test_board_follow_counts_and_privacy(client: TestClient, alice: Account, bob: Account) -> None:
    public = board(client, alice)
    secret = board(client, alice, "Secret", privacy="SECRET")
    followed = client.post(f"/ext/v1/boards/{public}/follow", headers=bob.headers)
    assert (
        followed.status_code == 200
        and followed.json()["follower_count"] == 1
        and followed.json()["is_following"]
    )
    assert client.post(f"/ext/v1/boards/{secret}/follow", headers=bob.headers).status_code == 404
    assert client.post(f"/ext/v1/boards/{public}/follow", headers=alice.headers).status_code == 400
    listed = client.get("/ext/v1/users/bob/following/boards").json()["items"]
    assert [b["id"] for b in listed] == [public]
    assert client.delete(f"/ext/v1/boards/{public}/follow", headers=bob.headers).json()["follower_count"] == 0


def test_collaborators_can_pin_to_and_see_a_secret_board(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    carol = make_account(ctx, "carol")
    secret = board(client, alice, "Wedding", privacy="SECRET")
    assert client.get(f"/ext/v1/boards/{secret}", headers=bob.headers).status_code == 404
    added = client.post(
        f"/ext/v1/boards/{secret}/collaborators", json={"username": "bob"}, headers=alice.headers
    )
    assert added.status_code == 201 and added.json()["username"] == "bob"
    assert added.json()["status"] == "pending"  # an invitation: bob collaborates once he accepts
    assert client.get(f"/ext/v1/boards/{secret}", headers=bob.headers).status_code == 404
    accepted = client.post(f"/ext/v1/invitations/{added.json()['id']}/accept", headers=bob.headers)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert (
        client.post(
            f"/ext/v1/boards/{secret}/collaborators", json={"username": "bob"}, headers=alice.headers
        ).status_code
        == 409
    )
    assert (
        client.post(
            f"/ext/v1/boards/{secret}/collaborators", json={"username": "carol"}, headers=bob.headers
        ).status_code
        == 403
    )
    detail = client.get(f"/ext/v1/boards/{secret}", headers=bob.headers).json()
    assert detail["is_collaborator"] is True and detail["collaborator_count"] == 1
    bobs_pin = pin(client, bob, secret)
    assert client.get(f"/ext/v1/pins/{bobs_pin}", headers=alice.headers).status_code == 200
    assert client.get(f"/ext/v1/pins/{bobs_pin}", headers=carol.headers).status_code == 404
    assert [
        u["username"]
        for u in client.get(f"/ext/v1/boards/{secret}/collaborators", headers=alice.headers).json()["items"]
    ] == ["bob"]
    # A collaborator may leave; then the secret board disappears for them again.
    assert client.delete(f"/ext/v1/boards/{secret}/collaborators/bob", headers=bob.headers).status_code == 204
    assert client.get(f"/ext/v1/boards/{secret}", headers=bob.headers).status_code == 404
    assert client.get(f"/ext/v1/pins/{bobs_pin}", headers=bob.headers).status_code == 404


def test_anonymous_visitors_see_public_boards_and_pins_only(client: TestClient, alice: Account) -> None:
    public, secret = board(client, alice), board(client, alice, "S", privacy="SECRET")
    public_pin, secret_pin = pin(client, alice, public), pin(client, alice, secret)
    assert client.get(f"/ext/v1/pins/{public_pin}").status_code == 200
    assert client.get(f"/ext/v1/pins/{secret_pin}").status_code == 404
    assert client.get(f"/ext/v1/boards/{secret}/pins").status_code == 404
    assert [p["id"] for p in client.get(f"/ext/v1/boards/{public}/pins").json()["items"]] == [public_pin]


def test_board_privacy_change_updates_public_save_counts(
    client: TestClient, alice: Account, bob: Account
) -> None:
    source = pin(client, alice, board(client, alice))
    target = board(client, bob, "Bob")
    client.post(f"/v5/pins/{source}/save", json={"board_id": target}, headers=bob.headers)
    save_count = lambda: client.get(f"/ext/v1/pins/{source}").json()["save_count"]
    assert save_count() == 1
    client.patch(f"/v5/boards/{target}", json={"privacy": "SECRET"}, headers=bob.headers)
    assert save_count() == 0
    client.patch(f"/v5/boards/{target}", json={"privacy": "PUBLIC"}, headers=bob.headers)
    assert save_count() == 1
    assert client.delete(f"/v5/boards/{target}", headers=bob.headers).status_code == 204
    assert save_count() == 0
