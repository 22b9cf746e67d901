"""Report → hide → gone from every public surface for others, owner still sees it with a notice → restore."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.conftest import ALL_BACKENDS
from tests.factories import Account, make_account
from tests.moderation.helpers import board, ids, make_role, pin, surfaces
from tests.search.helpers import run_index_jobs

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope

pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)


@pytest.fixture
def mod(ctx: AppContext) -> Account:
    account = make_account(ctx, "mod")
    make_role(ctx, account, "moderator")
    return account


def test_report_hide_restore_across_surfaces(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account, mod: Account
) -> None:
    board_id = board(client, alice, "Coast")
    bad = pin(client, alice, board_id, seed=1, title="Lighthouse at dusk")
    fine = pin(client, alice, board_id, seed=2, title="Lighthouse keeper's cottage")
    before = surfaces(ctx, client, bob, board_id, "alice", fine)
    assert all(bad in shown for shown in before.values()), before

    reported = client.post(
        "/ext/v1/reports",
        json={"object_type": "pin", "object_id": bad, "reason": "spam", "note": "same link everywhere"},
        headers=bob.headers,
    )
    assert reported.status_code == 201, reported.text
    assert reported.json()["status"] == "open" and reported.json()["outcome"] is None
    again = client.post(
        "/ext/v1/reports",
        json={"object_type": "pin", "object_id": bad, "reason": "spam"},
        headers=bob.headers,
    )
    assert again.status_code == 409

    # Members cannot see the queue; moderators see the case with its report.
    assert client.get("/ext/v1/moderation/queue", headers=bob.headers).status_code == 403
    queue = client.get("/ext/v1/moderation/queue", headers=mod.headers)
    assert queue.status_code == 200
    (case,) = queue.json()["items"]
    assert case["object_id"] == bad and case["report_count"] == 1 and case["state"] == "visible"
    assert case["reports"][0]["reason"] == "spam" and case["summary"]["title"] == "Lighthouse at dusk"

    hidden = client.post(
        "/ext/v1/moderation/actions",
        json={"case_id": case["id"], "action": "hide", "note": "spam"},
        headers=mod.headers,
    )
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["state"] == "hidden" and hidden.json()["actions"][0]["action"] == "hide"

    for viewer in (bob, None):
        after = surfaces(ctx, client, viewer, board_id, "alice", fine)
        assert all(bad not in shown for shown in after.values()), after
        assert fine in after["board_ext"] and fine in after["search"]
    assert client.get(f"/v5/pins/{bad}", headers=bob.headers).status_code == 404
    assert client.get(f"/ext/v1/pins/{bad}").status_code == 404
    # The owner still sees it (its own page; their profile), and is told why.
    assert client.get(f"/v5/pins/{bad}", headers=alice.headers).status_code == 200
    assert bad in surfaces(ctx, client, alice, board_id, "alice", fine)["profile"]
    # The reporter sees the outcome.
    mine = client.get("/ext/v1/reports", headers=bob.headers).json()["items"]
    assert [(r["object_id"], r["status"], r["outcome"]) for r in mine] == [(bad, "resolved", "hidden")]

    restored = client.post(
        "/ext/v1/moderation/actions",
        json={"object_type": "pin", "object_id": bad, "action": "restore"},
        headers=mod.headers,
    )
    assert restored.status_code == 200 and restored.json()["state"] == "visible"
    back = surfaces(ctx, client, bob, board_id, "alice", fine)
    assert all(bad in shown for shown in back.values()), back
    log = client.get("/ext/v1/moderation/log", headers=mod.headers).json()["items"]
    assert [entry["action"] for entry in log] == ["restore", "hide"]


def test_removed_pin_is_gone_for_its_owner_and_its_media_not_served(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account, mod: Account
) -> None:
    board_id = board(client, alice, "Coast")
    bad = pin(client, alice, board_id, seed=3, title="Lighthouse")
    created = client.get(f"/v5/pins/{bad}", headers=alice.headers).json()
    media_url = created["media"]["images"]["600x"]["url"]
    path = media_url.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200
    response = client.post(
        "/ext/v1/moderation/actions",
        json={"object_type": "pin", "object_id": bad, "action": "remove"},
        headers=mod.headers,
    )
    assert response.status_code == 200 and response.json()["state"] == "removed"
    assert client.get(f"/v5/pins/{bad}", headers=alice.headers).status_code == 404
    assert client.get("/" + path).status_code == 404
    assert client.get("/" + path, headers=alice.headers).status_code == 404


def test_suspension_hides_everything_and_revokes_tokens(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account, mod: Account
) -> None:
    board_id = board(client, alice, "Coast")
    first = pin(client, alice, board_id, seed=4, title="Lighthouse")
    reported = client.post(
        "/ext/v1/reports",
        json={"object_type": "user", "object_id": str(alice.user.id), "reason": "harassment"},
        headers=bob.headers,
    )
    assert reported.status_code == 201, reported.text
    case_id = client.get("/ext/v1/moderation/queue", headers=mod.headers).json()["items"][0]["id"]
    assert client.get("/ext/v1/search/people", params={"q": "alice"}, headers=bob.headers).json()["items"]
    suspended = client.post(
        "/ext/v1/moderation/actions", json={"case_id": case_id, "action": "suspend"}, headers=mod.headers
    )
    assert suspended.status_code == 200 and suspended.json()["state"] == "suspended"
    assert client.get("/v5/user_account", headers=alice.headers).status_code == 401  # token revoked
    assert client.get(f"/ext/v1/pins/{first}", headers=bob.headers).status_code == 404
    assert client.get(f"/ext/v1/boards/{board_id}/pins", headers=bob.headers).status_code == 404
    assert client.get("/ext/v1/users/alice", headers=bob.headers).status_code == 404
    people = client.get("/ext/v1/search/people", params={"q": "alice"}, headers=bob.headers)
    assert people.status_code == 200 and people.json()["items"] == []
    run_index_jobs(ctx)
    assert first not in ids(client.get("/ext/v1/search/pins", params={"q": "lighthouse"}))
    restored = client.post(
        "/ext/v1/moderation/actions", json={"case_id": case_id, "action": "restore"}, headers=mod.headers
    )
    assert restored.status_code == 200 and restored.json()["state"] == "visible"
    assert client.get(f"/ext/v1/pins/{first}", headers=bob.headers).status_code == 200


def test_bad_reports_and_actions_are_4xx(
    client: TestClient, alice: Account, bob: Account, mod: Account
) -> None:
    board_id = board(client, alice, "Coast")
    secret = board(client, alice, "Secret", privacy="SECRET")
    hidden_pin = pin(client, alice, secret, seed=5)
    cases = [
        ({"object_type": "pin", "object_id": hidden_pin, "reason": "spam"}, 404),  # cannot see it
        ({"object_type": "pin", "object_id": "99999999", "reason": "spam"}, 404),
        ({"object_type": "planet", "object_id": "1", "reason": "spam"}, 400),
        ({"object_type": "board", "object_id": board_id, "reason": "because"}, 400),
        ({"object_type": "board", "object_id": "x1", "reason": "spam"}, 400),
        ({"object_type": "board", "object_id": board_id, "reason": "spam", "note": "n" * 501}, 400),
        ({"object_type": "board", "object_id": board_id, "reason": "spam", "extra": 1}, 400),
    ]
    for body, status in cases:
        response = client.post("/ext/v1/reports", json=body, headers=bob.headers)
        assert response.status_code == status, (body, response.text)
        assert set(response.json()) == {"code", "message"}
    own = client.post(
        "/ext/v1/reports",
        json={"object_type": "board", "object_id": board_id, "reason": "spam"},
        headers=alice.headers,
    )
    assert own.status_code == 400
    assert (
        client.post(
            "/ext/v1/reports", json={"object_type": "board", "object_id": board_id, "reason": "spam"}
        ).status_code
        == 401
    )
    for body, status in [
        ({"action": "hide"}, 400),
        ({"action": "explode", "case_id": "1"}, 400),
        ({"action": "hide", "case_id": "12345"}, 404),
        ({"action": "hide", "object_type": "user", "object_id": str(alice.user.id)}, 400),
    ]:
        response = client.post("/ext/v1/moderation/actions", json=body, headers=mod.headers)
        assert response.status_code == status, (body, response.text)
    assert (
        client.post(
            "/ext/v1/moderation/actions", json={"action": "hide", "case_id": "1"}, headers=bob.headers
        ).status_code
        == 403
    )


def test_comments_are_reportable_and_removed(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account, mod: Account
) -> None:
    from pinhaven.comments.models import PinComment

    board_id = board(client, alice, "Coast")
    pin_id = pin(client, alice, board_id, seed=6)
    with session_scope(ctx.sessions) as db:
        comment = PinComment(pin_id=int(pin_id), author_id=bob.user.id, text="buy my followers")
        db.add(comment)
        db.flush()
        comment_id = str(comment.id)
    reported = client.post(
        "/ext/v1/reports",
        json={"object_type": "comment", "object_id": comment_id, "reason": "spam"},
        headers=alice.headers,
    )
    assert reported.status_code == 201, reported.text
    (case,) = client.get("/ext/v1/moderation/queue", headers=mod.headers).json()["items"]
    assert case["object_type"] == "comment" and case["summary"]["title"] == "buy my followers"
    removed = client.post(
        "/ext/v1/moderation/actions", json={"case_id": case["id"], "action": "remove"}, headers=mod.headers
    )
    assert removed.status_code == 200 and removed.json()["state"] == "removed"
    with session_scope(ctx.sessions) as db:
        assert db.get(PinComment, int(comment_id)) is None


def test_a_suspended_persons_comments_disappear(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account, mod: Account
) -> None:
    board_id = board(client, alice, "Coast")
    pin_id = pin(client, alice, board_id, seed=8)
    posted = client.post(
        f"/ext/v1/pins/{pin_id}/comments", json={"text": "visit my shop"}, headers=bob.headers
    )
    assert posted.status_code == 201, posted.text
    assert len(client.get(f"/ext/v1/pins/{pin_id}/comments", headers=alice.headers).json()["items"]) == 1
    suspended = client.post(
        "/ext/v1/moderation/actions",
        json={"object_type": "user", "object_id": str(bob.user.id), "action": "suspend"},
        headers=mod.headers,
    )
    assert suspended.status_code == 200
    assert client.get(f"/ext/v1/pins/{pin_id}/comments", headers=alice.headers).json()["items"] == []


def test_hidden_board_takes_its_pins_along(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account, mod: Account
) -> None:
    board_id = board(client, alice, "Coast")
    other = board(client, alice, "Kitchens")
    on_it = pin(client, alice, board_id, seed=11, title="Lighthouse")
    elsewhere = pin(client, alice, other, seed=12, title="Lighthouse tiles")
    hidden = client.post(
        "/ext/v1/moderation/actions",
        json={"object_type": "board", "object_id": board_id, "action": "hide"},
        headers=mod.headers,
    )
    assert hidden.status_code == 200 and hidden.json()["state"] == "hidden"
    assert client.get(f"/v5/boards/{board_id}", headers=bob.headers).status_code == 404
    assert client.get(f"/v5/boards/{board_id}/pins", headers=bob.headers).status_code == 404
    assert client.get(f"/ext/v1/pins/{on_it}", headers=bob.headers).status_code == 404
    listed = client.get("/ext/v1/users/alice/boards", headers=bob.headers)
    assert {b["id"] for b in listed.json()["items"]} == {other}
    found = surfaces(ctx, client, bob, other, "alice", elsewhere)
    assert on_it not in found["search"] and on_it not in found["profile"] and elsewhere in found["search"]
    assert client.get(f"/v5/boards/{board_id}", headers=alice.headers).status_code == 200  # the owner's view


def test_report_flood_is_refused_with_429(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account
) -> None:
    from pinhaven.moderation.ratelimit import SERVICE_KEY, ReportLimiter

    ctx.services[SERVICE_KEY] = ReportLimiter(per_hour=2)
    boards = [board(client, alice, f"Board {n}") for n in range(3)]
    answers = [
        client.post(
            "/ext/v1/reports",
            json={"object_type": "board", "object_id": b, "reason": "spam"},
            headers=bob.headers,
        )
        for b in boards
    ]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2].headers["Retry-After"] and set(answers[2].json()) == {"code", "message"}


def test_hiding_a_pin_hides_its_saves_and_restore_brings_them_back(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account, mod: Account
) -> None:
    carol = make_account(ctx, "carol")
    original = pin(client, alice, board(client, alice, "Coast"), seed=13, title="Lighthouse")
    bobs_board = board(client, bob, "Saved")
    saved = client.post(f"/v5/pins/{original}/save", json={"board_id": bobs_board}, headers=bob.headers)
    assert saved.status_code == 201
    save_id = saved.json()["id"]
    assert client.get(f"/ext/v1/pins/{save_id}", headers=carol.headers).status_code == 200
    for action, status in (("remove", 404), ("restore", 200)):
        response = client.post(
            "/ext/v1/moderation/actions",
            json={"object_type": "pin", "object_id": original, "action": action},
            headers=mod.headers,
        )
        assert response.status_code == 200
        assert client.get(f"/ext/v1/pins/{save_id}", headers=carol.headers).status_code == status
        assert client.get(f"/ext/v1/pins/{original}", headers=carol.headers).status_code == status
        listed = client.get(f"/ext/v1/boards/{bobs_board}/pins", headers=carol.headers).json()["items"]
        assert (save_id in {p["id"] for p in listed}) == (status == 200)
