"""/ext/v1 comments and reactions: threads one level deep, mentions, edit/delete rules, 500 characters, rate
limit, counts on /ext/v1/pins/{id}, notifications, and privacy (secret pins answer 404 like the pin)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.conftest import ALL_BACKENDS
from tests.factories import Account, make_account
from tests.social.helpers import board, inbox, pin

from pinhaven.comments.ratelimit import SERVICE_KEY, CommentLimiter
from pinhaven.context import AppContext


def comment(client: TestClient, account: Account, pin_id: str, text: str, parent: str | None = None) -> dict:
    body: dict[str, object] = {"text": text}
    if parent:
        body["parent_id"] = parent
    response = client.post(f"/ext/v1/pins/{pin_id}/comments", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_threads_replies_mentions_and_notifications(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    carol = make_account(ctx, "carol")
    pin_id = pin(client, alice, board(client, alice))
    top = comment(client, bob, pin_id, "Love this, @carol look! @nobody_here")
    assert top["author"]["username"] == "bob" and top["mentions"] == ["carol"]
    assert top["can_edit"] and top["can_delete"] and top["parent_id"] is None
    reply = comment(client, carol, pin_id, "Thanks @bob", parent=top["id"])
    deeper = comment(client, alice, pin_id, "me too", parent=reply["id"])  # joins the top comment's thread
    assert reply["parent_id"] == top["id"] and deeper["parent_id"] == top["id"]
    page = client.get(f"/ext/v1/pins/{pin_id}/comments").json()  # anyone may read a public pin's comments
    assert page["comment_count"] == 3
    [thread] = page["items"]
    assert [r["text"] for r in thread["replies"]] == ["Thanks @bob", "me too"] and thread["reply_count"] == 2
    assert thread["can_delete"] is False  # an anonymous reader
    texts = {n["text"] for n in inbox(client, alice)["items"]}
    assert texts == {"bob commented on your pin", "carol commented on your pin"}
    carol_items = inbox(client, carol)["items"]
    assert [n["type"] for n in carol_items] == ["mention"]
    assert (
        carol_items[0]["text"] == "bob mentioned you" and carol_items[0]["object"]["url"] == f"/pin/{pin_id}"
    )
    assert carol_items[0]["excerpt"].startswith("Love this")
    bob_items = inbox(client, bob)["items"]
    assert {n["text"] for n in bob_items} == {
        "carol replied to your comment",
        "alice replied to your comment",
    }


def test_edit_and_delete_rules(client: TestClient, ctx: AppContext, alice: Account, bob: Account) -> None:
    carol = make_account(ctx, "carol")
    pin_id = pin(client, alice, board(client, alice))
    mine = comment(client, bob, pin_id, "first")
    reply = comment(client, carol, pin_id, "reply", parent=mine["id"])
    response = client.patch(
        f"/ext/v1/comments/{mine['id']}", json={"text": "first, edited"}, headers=carol.headers
    )
    assert response.status_code == 403
    response = client.patch(
        f"/ext/v1/comments/{mine['id']}", json={"text": "first, edited"}, headers=bob.headers
    )
    assert (
        response.status_code == 200
        and response.json()["edited_at"]
        and response.json()["text"] == "first, edited"
    )
    assert client.delete(f"/ext/v1/comments/{mine['id']}", headers=carol.headers).status_code == 403
    # the pin's owner deletes anyone's comment; replies go with it
    assert {n["text"] for n in inbox(client, alice)["items"]} == {
        "bob commented on your pin",
        "carol commented on your pin",
    }
    assert [n["text"] for n in inbox(client, bob)["items"]] == ["carol replied to your comment"]
    assert client.delete(f"/ext/v1/comments/{mine['id']}", headers=alice.headers).status_code == 204
    # the deleted words leave every inbox too
    assert inbox(client, alice)["items"] == [] and inbox(client, bob)["items"] == []
    assert client.get(f"/ext/v1/pins/{pin_id}/comments").json()["comment_count"] == 0
    assert client.delete(f"/ext/v1/comments/{reply['id']}", headers=carol.headers).status_code == 404
    own = comment(client, carol, pin_id, "mine")
    assert client.delete(f"/ext/v1/comments/{own['id']}", headers=carol.headers).status_code == 204


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   "},
        {"text": "x" * 501},
        {"text": "bad\x00byte"},
        {},
        {"text": 5},
        {"text": "a", "x": 1},
    ],
)
def test_bad_comments_are_400(client: TestClient, alice: Account, body: object) -> None:
    pin_id = pin(client, alice, board(client, alice))
    response = client.post(f"/ext/v1/pins/{pin_id}/comments", json=body, headers=alice.headers)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"code", "message"}


def test_500_characters_are_fine_and_a_reply_to_another_pins_comment_is_404(
    client: TestClient, alice: Account
) -> None:
    board_id = board(client, alice)
    one, two = pin(client, alice, board_id, seed=1), pin(client, alice, board_id, seed=2)
    long = comment(client, alice, one, "y" * 500)
    response = client.post(
        f"/ext/v1/pins/{two}/comments", json={"text": "hi", "parent_id": long["id"]}, headers=alice.headers
    )
    assert response.status_code == 404


def test_comments_are_rate_limited(client: TestClient, ctx: AppContext, alice: Account) -> None:
    ctx.services[SERVICE_KEY] = CommentLimiter(per_minute=3)
    pin_id = pin(client, alice, board(client, alice))
    for i in range(3):
        comment(client, alice, pin_id, f"n{i}")
    response = client.post(f"/ext/v1/pins/{pin_id}/comments", json={"text": "more"}, headers=alice.headers)
    assert response.status_code == 429 and response.json()["code"] == 8
    assert response.headers["Retry-After"]


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_secret_pins_comments_and_reactions_are_404_to_outsiders(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    carol = make_account(ctx, "carol")
    secret = board(client, alice, "Hidden", privacy="SECRET")
    pin_id = pin(client, alice, secret)
    added = client.post(
        f"/ext/v1/boards/{secret}/collaborators", json={"username": "carol"}, headers=alice.headers
    )
    assert added.status_code in (200, 201)
    if client.get("/ext/v1/invitations", headers=carol.headers).status_code == 200:  # invitations exist
        [invitation] = client.get("/ext/v1/invitations", headers=carol.headers).json()["items"]
        client.post(f"/ext/v1/invitations/{invitation['id']}/accept", headers=carol.headers)
    own = comment(client, alice, pin_id, "note to self, @bob and @carol")
    for path in (
        f"/ext/v1/pins/{pin_id}/comments",
        f"/ext/v1/pins/{pin_id}/reactions",
        f"/ext/v1/pins/{pin_id}",
    ):
        for headers in ({}, bob.headers):
            response = client.get(path, headers=headers)
            assert response.status_code == 404, (path, response.text)
            assert response.json()["message"] == "Pin not found."
    for method, path, body in (
        ("POST", f"/ext/v1/pins/{pin_id}/comments", {"text": "hi"}),
        ("POST", f"/ext/v1/pins/{pin_id}/reactions", {"reaction_type": "love"}),
        ("DELETE", f"/ext/v1/pins/{pin_id}/reactions", None),
        ("DELETE", f"/ext/v1/comments/{own['id']}", None),
        ("PATCH", f"/ext/v1/comments/{own['id']}", {"text": "x"}),
    ):
        response = client.request(method, path, json=body, headers=bob.headers)
        assert response.status_code == 404, (method, path, response.text)
    # bob was mentioned but cannot see the pin: told nothing; carol (a collaborator) was told
    assert inbox(client, bob)["items"] == []
    assert [n["type"] for n in inbox(client, carol)["items"] if n["type"] == "mention"] == ["mention"]
    assert client.get(f"/ext/v1/pins/{pin_id}/comments", headers=alice.headers).json()["comment_count"] == 1


def test_reactions_counts_change_and_notify(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    carol = make_account(ctx, "carol")
    pin_id = pin(client, alice, board(client, alice))
    response = client.post(
        f"/ext/v1/pins/{pin_id}/reactions", json={"reaction_type": "love"}, headers=bob.headers
    )
    assert response.status_code == 200
    assert response.json()["reactions"]["love"] == 1 and response.json()["my_reaction"] == "love"
    client.post(f"/ext/v1/pins/{pin_id}/reactions", json={"reaction_type": "wow"}, headers=carol.headers)
    changed = client.post(
        f"/ext/v1/pins/{pin_id}/reactions", json={"reaction_type": "good_idea"}, headers=bob.headers
    ).json()
    assert changed["reactions"] == {"love": 0, "good_idea": 1, "thanks": 0, "wow": 1, "haha": 0}
    bad = client.post(
        f"/ext/v1/pins/{pin_id}/reactions", json={"reaction_type": "angry"}, headers=bob.headers
    )
    assert bad.status_code == 400
    detail = client.get(f"/ext/v1/pins/{pin_id}", headers=bob.headers).json()
    assert detail["comment_count"] == 0 and detail["reactions"]["good_idea"] == 1
    assert detail["my_reaction"] == "good_idea" and detail["id"] == pin_id
    removed = client.delete(f"/ext/v1/pins/{pin_id}/reactions", headers=bob.headers).json()
    assert removed["my_reaction"] is None and removed["reactions"]["good_idea"] == 0
    [item] = [n for n in inbox(client, alice)["items"] if n["type"] == "reaction"]
    assert item["text"] == "carol and 1 other reacted to your pin"
    assert client.post(f"/ext/v1/pins/{pin_id}/reactions", json={"reaction_type": "love"}).status_code == 401


def test_blocked_people_cannot_comment_react_or_mention(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    from pinhaven.db.engine import session_scope
    from pinhaven.messages import blocks

    with session_scope(ctx.sessions) as db:
        from pinhaven.accounts.scopes import session_viewer

        blocks.block(db=db, viewer=session_viewer(alice.user.id), username="bob")
    pin_id = pin(client, alice, board(client, alice))
    response = client.post(f"/ext/v1/pins/{pin_id}/comments", json={"text": "hi"}, headers=bob.headers)
    assert response.status_code == 403
    response = client.post(
        f"/ext/v1/pins/{pin_id}/reactions", json={"reaction_type": "love"}, headers=bob.headers
    )
    assert response.status_code == 403
    carol = make_account(ctx, "carol")
    carol_pin = pin(client, carol, board(client, carol))
    comment(client, bob, carol_pin, "hey @alice")
    assert [n for n in inbox(client, alice)["items"] if n["type"] == "mention"] == []
