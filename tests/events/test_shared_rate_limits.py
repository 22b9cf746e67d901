"""Rate limits shared through Redis: two app instances (as two processes or hosts would be) take from one
allowance; in memory each counts alone; an unreachable Redis fails open. Uses the real local Redis server."""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from tests.conftest import REQUIRE_SERVICES
from tests.factories import Account, media_source
from tests.web.helpers import PASSWORD, WebClient

from pinhaven.app import create_app
from pinhaven.config import ConfigError, Settings, load_settings
from pinhaven.context import AppContext, build_context
from pinhaven.events.ratelimit import SERVICE_KEY, EventLimiter
from pinhaven.ratelimits import make_storage

REDIS_URL = "redis://127.0.0.1:6379/15"  # a database of its own; keys are prefixed `pinhaven`


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_url() -> str:
    if not _redis_up():
        if REQUIRE_SERVICES:
            pytest.fail("Redis is not running on 127.0.0.1:6379 (PINHAVEN_REQUIRE_SERVICES=1)")
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return REDIS_URL


@pytest.fixture
def second_ctx(settings: Settings, ctx: AppContext) -> Iterator[AppContext]:
    """Another AppContext on the same database and data dir: what a second process builds."""
    other = build_context(settings)
    yield other
    other.engine.dispose()


def _events(pin_id: str, first: int, count: int) -> dict[str, object]:
    events = [
        {"type": "impression", "pin_id": pin_id, "surface": "home", "position": i}
        for i in range(first, first + count)
    ]
    return {"events": events}


def _pin(client: TestClient, who: Account) -> str:
    board = client.post("/v5/boards", json={"name": f"B{uuid.uuid4().hex[:6]}"}, headers=who.headers).json()[
        "id"
    ]

    made = client.post(
        "/v5/pins", json={"board_id": board, "media_source": media_source(seed=1)}, headers=who.headers
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


@pytest.mark.parametrize(("shared", "second_status"), [(True, 429), (False, 200)])
def test_event_allowance_is_shared_by_processes_only_through_redis(
    redis_url: str,
    ctx: AppContext,
    second_ctx: AppContext,
    alice: Account,
    bob: Account,
    shared: bool,
    second_status: int,
) -> None:
    for context in (ctx, second_ctx):  # each "process" has its own connection to the storage
        storage = make_storage(redis_url) if shared else None
        context.services[SERVICE_KEY] = EventLimiter(per_user=5, per_address=2, storage=storage)
    with TestClient(create_app(ctx=ctx)) as first, TestClient(create_app(ctx=second_ctx)) as second:
        pin = _pin(first, alice)
        assert first.post("/ext/v1/events", json=_events(pin, 0, 4), headers=bob.headers).status_code == 200
        response = second.post("/ext/v1/events", json=_events(pin, 4, 3), headers=bob.headers)
        assert response.status_code == second_status
        if shared:
            assert "per minute" in response.json()["message"]
            # the refused batch took nothing: one more event still fits in the shared allowance
            assert (
                second.post("/ext/v1/events", json=_events(pin, 7, 1), headers=bob.headers).status_code == 200
            )


def test_failed_logins_count_across_processes_with_redis(redis_url: str, settings: Settings) -> None:
    shared = settings.with_overrides(rate_limit_storage=redis_url, login_rate_per_minute=3)
    contexts = [build_context(shared), build_context(shared)]
    try:
        apps = [create_app(ctx=c) for c in contexts]
        username = f"u{uuid.uuid4().hex[:10]}"  # a fresh key in the shared storage
        WebClient(apps[0]).signup(username)
        one, two = WebClient(apps[0]), WebClient(apps[1])
        one.get("/login")
        two.get("/login")
        assert one.post("/login", {"login": username, "password": "wrong password"}).status_code == 400
        assert one.post("/login", {"login": username, "password": "wrong password"}).status_code == 400
        assert two.post("/login", {"login": username, "password": "wrong password"}).status_code == 400
        blocked = two.post("/login", {"login": username, "password": PASSWORD})
        assert blocked.status_code == 429  # three failures, two of them seen by the other process
    finally:
        for c in contexts:
            c.engine.dispose()


def test_an_unreachable_redis_fails_open_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    limiter = EventLimiter(per_user=1, storage=make_storage("redis://127.0.0.1:1/0"))
    with caplog.at_level(logging.WARNING, logger="pinhaven.ratelimits"):
        for _ in range(3):  # over the limit of 1, but nothing can count: allowed
            limiter.check(user_id=1, address="127.0.0.1", cost=1)
    assert "rate-limit storage unreachable" in caplog.text


def test_a_bad_storage_uri_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="PINHAVEN_RATE_LIMIT_STORAGE"):
        load_settings(env={"PINHAVEN_RATE_LIMIT_STORAGE": "memcached://x"})
