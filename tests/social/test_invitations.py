"""Board invitations: pending until accepted, decline, revoke, re-invite; notifications both ways; an instant
mail to the invitee through a real SMTP server; outsiders and wrong people get 404."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from tests.conftest import ALL_BACKENDS
from tests.factories import make_account
from tests.social.conftest import Mailbox
from tests.social.helpers import board, inbox

from pinhaven.app import create_app
from pinhaven.config import Settings
from pinhaven.context import AppContext, build_context
from pinhaven.jobs.worker import drain
from pinhaven.notifications import mail


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_invite_accept_notifies_both_and_grants_the_board(client: TestClient, ctx: AppContext) -> None:
    alice, bob = make_account(ctx, "alice"), make_account(ctx, "bob")
    secret = board(client, alice, "Wedding", privacy="SECRET")
    invited = client.post(
        f"/ext/v1/boards/{secret}/collaborators", json={"username": "bob"}, headers=alice.headers
    )
    assert invited.status_code == 201
    body = invited.json()
    assert (
        body["status"] == "pending"
        and body["board_name"] == "Wedding"
        and body["inviter"]["username"] == "alice"
    )
    again = client.post(
        f"/ext/v1/boards/{secret}/collaborators", json={"username": "bob"}, headers=alice.headers
    )
    assert again.status_code == 409
    assert client.get(f"/ext/v1/boards/{secret}", headers=bob.headers).status_code == 404  # not yet
    [item] = inbox(client, bob)["items"]
    assert item["type"] == "invite" and item["text"] == "alice invited you to collaborate on a board"
    assert item["object"] == {
        "type": "invitation",
        "id": body["id"],
        "pin_id": None,
        "board_id": None,
        "url": "/invitations",
    }
    mine = client.get("/ext/v1/invitations", headers=bob.headers).json()["items"]
    assert [i["id"] for i in mine] == [body["id"]]
    pending = client.get(f"/ext/v1/boards/{secret}/invitations", headers=alice.headers).json()["items"]
    assert [i["username"] for i in pending] == ["bob"]
    assert client.get(f"/ext/v1/boards/{secret}/invitations", headers=bob.headers).status_code == 404
    # only the invitee may answer
    assert client.post(f"/ext/v1/invitations/{body['id']}/accept", headers=alice.headers).status_code == 404
    accepted = client.post(f"/ext/v1/invitations/{body['id']}/accept", headers=bob.headers)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    detail = client.get(f"/ext/v1/boards/{secret}", headers=bob.headers).json()
    assert detail["is_collaborator"] is True and detail["collaborator_count"] == 1
    assert client.post(f"/ext/v1/invitations/{body['id']}/accept", headers=bob.headers).status_code == 404
    told = [n for n in inbox(client, alice)["items"] if n["type"] == "invite"]
    assert [n["text"] for n in told] == ["bob accepted your invitation to a board"]
    assert told[0]["object"]["url"] == f"/board/{secret}"


def test_decline_revoke_and_reinvite(client: TestClient, ctx: AppContext) -> None:
    alice, bob, carol = (make_account(ctx, n) for n in ("alice", "bob", "carol"))
    shared = board(client, alice, "Shared")
    first = client.post(
        f"/ext/v1/boards/{shared}/collaborators", json={"username": "bob"}, headers=alice.headers
    ).json()
    assert client.post(f"/ext/v1/invitations/{first['id']}/decline", headers=bob.headers).status_code == 204
    assert client.get("/ext/v1/invitations", headers=bob.headers).json()["items"] == []
    assert client.get(f"/ext/v1/boards/{shared}/collaborators").json()["items"] == []
    second = client.post(
        f"/ext/v1/boards/{shared}/collaborators", json={"username": "bob"}, headers=alice.headers
    )
    assert second.status_code == 201 and second.json()["status"] == "pending"
    # only the owner revokes (others who see the board: 403); then the invitation is gone for the invitee
    assert (
        client.delete(f"/ext/v1/invitations/{second.json()['id']}", headers=carol.headers).status_code == 403
    )
    assert (
        client.delete(f"/ext/v1/invitations/{second.json()['id']}", headers=alice.headers).status_code == 204
    )
    assert (
        client.post(f"/ext/v1/invitations/{second.json()['id']}/accept", headers=bob.headers).status_code
        == 404
    )
    assert [
        n for n in inbox(client, bob)["items"] if n["type"] == "invite"
    ] == []  # a revoked one says nothing
    # a collaborator cannot invite; nobody can invite the owner or an unknown user
    assert (
        client.post(
            f"/ext/v1/boards/{shared}/collaborators", json={"username": "carol"}, headers=bob.headers
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/ext/v1/boards/{shared}/collaborators", json={"username": "alice"}, headers=alice.headers
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"/ext/v1/boards/{shared}/collaborators", json={"username": "nobody"}, headers=alice.headers
        ).status_code
        == 404
    )
    assert client.post("/ext/v1/invitations/abc/accept", headers=bob.headers).status_code in (400, 404)


@pytest.fixture
def mail_ctx(settings: Settings, smtp_server: Mailbox) -> Iterator[AppContext]:
    context = build_context(
        settings.with_overrides(smtp_url=smtp_server.url, base_url="http://pinhaven.test")
    )
    yield context
    context.engine.dispose()


def test_the_invitee_gets_an_instant_mail_unless_they_turned_it_off(
    mail_ctx: AppContext, smtp_server: Mailbox
) -> None:
    with TestClient(create_app(ctx=mail_ctx), raise_server_exceptions=False) as client:
        alice, _bob, carol = (make_account(mail_ctx, n) for n in ("alice", "bob", "carol"))
        secret = board(client, alice, "Surprise party", privacy="SECRET")
        client.post(f"/ext/v1/boards/{secret}/collaborators", json={"username": "bob"}, headers=alice.headers)
        client.patch(
            "/ext/v1/notifications/settings",
            json={"settings": {"invite": {"email": False}}},
            headers=carol.headers,
        )
        client.post(
            f"/ext/v1/boards/{secret}/collaborators", json={"username": "carol"}, headers=carol.headers
        )
        client.post(
            f"/ext/v1/boards/{secret}/collaborators", json={"username": "carol"}, headers=alice.headers
        )
        drain(mail_ctx, kinds=[mail.INVITE_JOB])
    [message] = smtp_server.messages
    assert message["To"] == "bob@example.test"
    assert message["Subject"] == "alice invited you to the board “Surprise party”"
    assert "http://pinhaven.test/invitations" in message.get_content()
    assert message["List-Unsubscribe"].startswith("<http://pinhaven.test/notifications/unsubscribe?token=")
    # the digest does not mail invitations a second time
    assert mail.send_digests(mail_ctx) == 0 or all(
        "invited" not in m.get_content() for m in smtp_server.messages[1:]
    )
