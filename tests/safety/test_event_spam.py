"""Defect #16.7: signed-out callers cannot move someone's analytics beyond one impression per visitor, pin
and day (and a few visitors per address)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.conftest import ALL_BACKENDS
from tests.discovery_service.helpers import World
from tests.factories import Account

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.events import visitors
from pinhaven.events.models import AnonymousView, PinStats
from pinhaven.events.visitors import PER_ADDRESS_PIN_DAY, visitor_of

pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)


def _impressions(pin_id: int, n: int) -> dict[str, Any]:
    # distinct positions: the batch's own duplicate filter would otherwise take them first
    return {
        "events": [
            {"type": "impression", "pin_id": str(pin_id), "surface": "home", "position": i} for i in range(n)
        ]
    }


def _count(ctx: AppContext, pin_id: int) -> int:
    with session_scope(ctx.sessions) as db:
        return int(db.scalar(select(PinStats.impressions).where(PinStats.pin_id == pin_id)) or 0)


def _from(app_client: TestClient, address: str, agent: str) -> TestClient:
    client = TestClient(app_client.app, raise_server_exceptions=False, client=(address, 40000))
    client.headers["User-Agent"] = agent
    return client


def test_a_spamming_visitor_adds_one_impression_per_pin_and_day(
    ctx: AppContext, client: TestClient, alice: Account
) -> None:
    world = World(ctx)
    pin = world.pin(alice, world.board(alice, "Open"))
    spammer = _from(client, "198.51.100.7", "curl/8")
    first = spammer.post("/ext/v1/events", json=_impressions(pin, 50))
    assert first.status_code == 200
    assert first.json()["accepted"] == 1 and first.json()["dropped"] == {"already_counted": 49}
    for _ in range(5):
        again = spammer.post("/ext/v1/events", json=_impressions(pin, 20)).json()
        assert again["accepted"] == 0
    assert _count(ctx, pin) == 1


def test_rotating_user_agents_from_one_address_is_capped(
    ctx: AppContext, client: TestClient, alice: Account
) -> None:
    world = World(ctx)
    pin = world.pin(alice, world.board(alice, "Open"))
    accepted = [
        _from(client, "198.51.100.7", f"agent-{i}")
        .post("/ext/v1/events", json=_impressions(pin, 1))
        .json()["accepted"]
        for i in range(PER_ADDRESS_PIN_DAY + 5)
    ]
    assert accepted == [1] * PER_ADDRESS_PIN_DAY + [0] * 5
    # IPv6 addresses in one /64 are one address
    v6 = [
        _from(client, f"2001:db8:1:2::{i:x}", "same")
        .post("/ext/v1/events", json=_impressions(pin, 1))
        .json()["accepted"]
        for i in range(1, PER_ADDRESS_PIN_DAY + 3)
    ]
    assert sum(v6) == PER_ADDRESS_PIN_DAY
    # real visitors elsewhere still count, each once
    assert (
        _from(client, "203.0.113.9", "firefox")
        .post("/ext/v1/events", json=_impressions(pin, 3))
        .json()["accepted"]
        == 1
    )
    assert _count(ctx, pin) == 2 * PER_ADDRESS_PIN_DAY + 1


def test_signed_in_impressions_are_not_deduplicated_by_visitor(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account
) -> None:
    world = World(ctx)
    pin = world.pin(alice, world.board(alice, "Open"))
    response = client.post("/ext/v1/events", json=_impressions(pin, 4), headers=bob.headers)
    assert response.json()["accepted"] == 4  # per-user limits apply to accounts instead


def test_visitor_keys_are_keyed_hashes_and_old_days_are_pruned(
    ctx: AppContext, client: TestClient, alice: Account
) -> None:
    one = visitor_of(secret_key="s1", address="198.51.100.7", user_agent="ua")
    assert one == visitor_of(secret_key="s1", address="198.51.100.7", user_agent="ua")
    assert one.key != visitor_of(secret_key="s2", address="198.51.100.7", user_agent="ua").key
    assert "198" not in one.key + one.address and len(one.key) == 32
    world = World(ctx)
    pin = world.pin(alice, world.board(alice, "Open"))
    today = date.today()
    with session_scope(ctx.sessions) as db:
        for age in (0, 1, 2, 3, 10):
            db.add(AnonymousView(pin_id=pin, day=today - timedelta(days=age), visitor=f"v{age}", address="a"))
    with session_scope(ctx.sessions) as db:
        assert visitors.prune(db=db, today=today) == 2
        assert db.scalar(select(func.count()).select_from(AnonymousView)) == 3
