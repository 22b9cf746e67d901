"""POST /ext/v1/events: validation, anonymous impressions, rate limits, counters and v5 pin_metrics; hides."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.discovery_service.helpers import World
from tests.factories import Account, make_account
from tests.web.helpers import WebClient

from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.events.models import EngagementEvent, PinStats
from pinhaven.events.ratelimit import SERVICE_KEY, EventLimiter


@pytest.fixture
def world(ctx: AppContext) -> World:
    return World(ctx)


def ev(pin_id: int | str, type: str = "impression", **extra: Any) -> dict[str, Any]:
    return {"type": type, "pin_id": str(pin_id), "surface": "home", "position": 0, **extra}


def post(client: TestClient, who: Account | None, events: list[Any]) -> Any:
    return client.post("/ext/v1/events", json={"events": events}, headers=who.headers if who else {})


def test_bad_events_are_dropped_and_counted_never_failing_the_batch(
    client: TestClient, world: World, alice: Account, bob: Account
) -> None:
    public = world.pin(alice, world.board(alice, "Open"))
    secret = world.pin(alice, world.board(alice, "Mine", secret=True))
    too_old = (utcnow() - timedelta(days=3)).isoformat()
    events = [
        ev(public), ev(public, "closeup", position=3), ev(public, "click", surface="pin"),
        ev(public, "like"), ev(public, "save"), ev(public, "hide"),
        ev(public, position=-1), ev(public, position=10_001), ev(public, position="7"),
        ev(public, surface="moon"), ev(secret), ev(123456789), ev("not-a-number"),
        ev(public, request_id="bad id with spaces"), ev(public, at=too_old), ev(public),
        "not an object", None,
    ]  # fmt: skip
    response = post(client, bob, events)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "accepted": 3,
        "dropped": {"bad_position": 3, "bad_request_id": 1, "bad_time": 1, "duplicate": 1, "malformed": 2,
                    "recorded_by_server": 2, "unknown_pin": 3, "unknown_surface": 1, "unknown_type": 1},
    }  # fmt: skip
    # The secret pin's owner may report on it.
    assert post(client, alice, [ev(secret)]).json()["accepted"] == 1


def test_batches_over_one_hundred_events_are_refused(
    client: TestClient, world: World, alice: Account
) -> None:
    pin = world.pin(alice, world.board(alice, "Open"))
    response = post(client, alice, [ev(pin, position=i) for i in range(101)])
    assert response.status_code == 400 and "events" in response.json()["message"]


def test_signed_out_visitors_may_report_impressions_only(
    client: TestClient, world: World, alice: Account
) -> None:
    pin = world.pin(alice, world.board(alice, "Open"))
    body = post(client, None, [ev(pin), ev(pin, "closeup"), ev(pin, "click")]).json()
    assert body == {"accepted": 1, "dropped": {"sign_in_required": 2}}
    with world.ctx.sessions() as db:
        row = db.scalars(select(EngagementEvent)).one()
        assert row.user_id is None and row.type == "impression"


def test_session_cookie_callers_need_the_csrf_header(app: Any, world: World, alice: Account) -> None:
    web = WebClient(app)
    web.signup("carla")
    pin = world.pin(alice, world.board(alice, "Open"))
    payload = {"events": [ev(pin)]}
    assert web.http.post("/ext/v1/events", json=payload).status_code == 403
    ok = web.http.post("/ext/v1/events", json=payload, headers={"X-CSRF-Token": web.csrf()})
    assert ok.status_code == 200 and ok.json()["accepted"] == 1


def test_rate_limit_answers_429_with_code_and_message(
    client: TestClient, ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    ctx.services[SERVICE_KEY] = EventLimiter(per_user=5, per_address=2)
    pin = world.pin(alice, world.board(alice, "Open"))
    assert post(client, bob, [ev(pin, position=i) for i in range(4)]).status_code == 200
    refused = post(client, bob, [ev(pin, position=i) for i in range(4, 6)])
    assert refused.status_code == 429
    assert refused.json()["code"] == 8 and "per minute" in refused.json()["message"]
    assert post(client, alice, [ev(pin)]).status_code == 200  # limits are per user
    assert post(client, None, [ev(pin), ev(pin, position=1), ev(pin, position=2)]).status_code == 429


def metrics(client: TestClient, who: Account, path: str) -> Any:
    response = client.get(path, headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_counters_and_pin_metrics_for_the_owner_only(
    client: TestClient, world: World, alice: Account, bob: Account
) -> None:
    board = world.board(alice, "Open")
    pin, other = world.pin(alice, board, "Counted"), world.pin(alice, board, "Quiet")
    events = [ev(pin, position=i) for i in range(3)] + [ev(pin, "closeup"), ev(pin, "click", surface="pin")]
    assert post(client, bob, events).json()["accepted"] == 5
    bob_board = client.post("/v5/boards", json={"name": "Bob's"}, headers=bob.headers).json()["id"]
    saved = client.post(f"/v5/pins/{pin}/save", json={"board_id": bob_board}, headers=bob.headers)
    assert saved.status_code == 201
    expected = {"impression": 3, "pin_click": 1, "outbound_click": 1, "save": 1}
    mine = metrics(client, alice, f"/v5/pins/{pin}?pin_metrics=true")["pin_metrics"]
    assert mine == {"30d": expected, "90d": expected, "lifetime_metrics": expected}
    assert metrics(client, alice, f"/v5/pins/{pin}")["pin_metrics"] is None  # only when asked
    assert metrics(client, bob, f"/v5/pins/{pin}?pin_metrics=true")["pin_metrics"] is None  # not the owner
    listed = metrics(client, alice, f"/v5/boards/{board}/pins?pin_metrics=true")["items"]
    by_id = {item["id"]: item["pin_metrics"] for item in listed}
    assert by_id[str(pin)]["lifetime_metrics"] == expected
    assert by_id[str(other)]["lifetime_metrics"] == {
        "impression": 0,
        "pin_click": 0,
        "outbound_click": 0,
        "save": 0,
    }
    own = metrics(client, alice, "/v5/pins?pin_metrics=true")["items"]
    assert {item["id"] for item in own} == {str(pin), str(other)} and all(i["pin_metrics"] for i in own)
    with world.ctx.sessions() as db:  # the save came from the write path, in its transaction
        saves = db.scalar(
            select(func.count()).where(EngagementEvent.type == "save", EngagementEvent.pin_id == pin)
        )
        assert saves == 1 and db.get(PinStats, pin).saves == 1  # type: ignore[union-attr]


def test_hide_and_unhide(client: TestClient, world: World, alice: Account, bob: Account) -> None:
    pin = world.pin(alice, world.board(alice, "Open"))
    secret = world.pin(alice, world.board(alice, "Mine", secret=True))
    first = client.post(f"/ext/v1/pins/{pin}/hide", headers=bob.headers)
    assert first.status_code == 200 and first.json() == {"pin_id": str(pin), "hidden": True, "changed": True}
    assert client.post(f"/ext/v1/pins/{pin}/hide", headers=bob.headers).json()["changed"] is False
    assert client.post(f"/ext/v1/pins/{secret}/hide", headers=bob.headers).status_code == 404
    assert client.post(f"/ext/v1/pins/{pin}/hide").status_code == 401
    undone = client.delete(f"/ext/v1/pins/{pin}/hide", headers=bob.headers)
    assert undone.json() == {"pin_id": str(pin), "hidden": False, "changed": True}
    with world.ctx.sessions() as db:
        assert db.get(PinStats, pin).hides == 1  # type: ignore[union-attr]


def test_events_of_a_deleted_user_go_with_them(ctx: AppContext, world: World, alice: Account) -> None:
    carol = make_account(ctx, "carol")
    pin = world.pin(alice, world.board(alice, "Open"))
    assert world.events(carol, [ev(pin), ev(pin, "closeup")]).accepted == 2
    with ctx.sessions() as db:
        from pinhaven.accounts.models import User

        db.delete(db.get(User, carol.user.id))
        db.commit()
        assert db.scalar(select(func.count()).select_from(EngagementEvent)) == 0
        assert db.get(PinStats, pin).impressions == 1  # type: ignore[union-attr]  # counters stay
