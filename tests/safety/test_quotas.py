"""Quotas and API limits (issue 16, "What to build" 4): daily uploads, storage, per-token rate limits."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from tests.conftest import service_unavailable
from tests.factories import Account, image_bytes, make_account, media_source
from tests.web.helpers import WebClient
from typer.testing import CliRunner

from pinhaven.app import create_app
from pinhaven.cli import app as cli
from pinhaven.config import Settings
from pinhaven.context import AppContext, build_context

REDIS_URL = "redis://127.0.0.1:6379/13"

Host = tuple[AppContext, TestClient]


@pytest.fixture
def host(settings: Settings) -> Iterator[Callable[..., Host]]:
    """A server with some settings changed: (context, client)."""
    made: list[Host] = []

    def make(**overrides: Any) -> Host:
        ctx = build_context(settings.with_overrides(**overrides))
        client = TestClient(create_app(ctx=ctx), raise_server_exceptions=False)
        made.append((ctx, client))
        return ctx, client

    yield make
    for ctx, client in made:
        client.close()
        ctx.engine.dispose()


def _board(client: TestClient, who: Account) -> str:
    response = client.post("/v5/boards", json={"name": f"B{uuid.uuid4().hex[:6]}"}, headers=who.headers)
    assert response.status_code == 201, response.text
    board_id: str = response.json()["id"]
    return board_id


def _pin(client: TestClient, who: Account, board: str, seed: int, size: tuple[int, int] = (320, 240)) -> Any:
    body = {"board_id": board, "media_source": media_source(seed=seed, size=size)}
    return client.post("/v5/pins", json=body, headers=who.headers)


def test_the_daily_upload_count_is_429_with_a_clear_message(host: Callable[..., Host]) -> None:
    ctx, client = host(upload_daily_count=2)
    alice = make_account(ctx, "alice")
    board = _board(client, alice)
    assert [_pin(client, alice, board, seed).status_code for seed in range(2)] == [201, 201]
    refused = _pin(client, alice, board, 3)
    assert refused.status_code == 429
    assert (
        refused.json()["code"] == 8  # v5's code for rate limits
        and "Daily upload limit reached: 2 pictures a day" in refused.json()["message"]
    )
    assert "midnight UTC" in refused.json()["message"]
    usage = client.get("/ext/v1/me/usage", headers=alice.headers).json()
    assert usage["uploads_today"] == 2 and usage["upload_limit"] == 2
    assert usage["storage_bytes"] > 0 and usage["bytes_today"] > 0
    bob = make_account(ctx, "bob")  # per user
    assert _pin(client, bob, _board(client, bob), 4).status_code == 201


def test_the_daily_bytes_and_the_storage_quota(host: Callable[..., Host]) -> None:
    one = len(image_bytes(seed=1, size=(320, 240)))
    ctx, client = host(upload_daily_bytes=int(one * 2.5))
    alice = make_account(ctx, "alice")
    board = _board(client, alice)
    assert [_pin(client, alice, board, seed).status_code for seed in range(1, 3)] == [201, 201]
    refused = _pin(client, alice, board, 3)
    assert refused.status_code == 429 and "a day" in refused.json()["message"]

    ctx, client = host(storage_quota_bytes=one * 2, upload_daily_bytes=0)
    carol = make_account(ctx, "carol")
    board = _board(client, carol)
    assert _pin(client, carol, board, 5).status_code == 201
    over = _pin(client, carol, board, 6, size=(640, 480))
    assert over.status_code == 413 and "Storage quota reached" in over.json()["message"]
    # deleting pins frees storage
    pins = client.get("/v5/pins", headers=carol.headers).json()["items"]
    assert client.delete(f"/v5/pins/{pins[0]['id']}", headers=carol.headers).status_code == 204
    assert client.get("/ext/v1/me/usage", headers=carol.headers).json()["storage_bytes"] == 0
    assert _pin(client, carol, board, 6).status_code == 201


def test_web_uploads_count_and_the_settings_page_shows_usage(host: Callable[..., Host]) -> None:
    _, client = host(upload_daily_count=1)
    web = WebClient(client.app)  # type: ignore[arg-type]
    web.signup("ann")
    board = web.create_board("Mine")
    web.upload(board, seed=1)
    files = {"file": ("two.jpg", image_bytes(seed=2), "image/jpeg")}
    refused = web.http.post(
        "/web/api/pins",
        data={"board_id": board},
        files=files,
        headers={"X-CSRF-Token": web.csrf(), "Accept": "application/json"},
    )
    assert refused.status_code == 429 and "Daily upload limit" in refused.json()["message"]
    page = web.get("/settings/usage")
    assert page.status_code == 200 and 'id="usage-uploads">1<' in page.text


def test_tokens_are_rate_limited_with_pinterest_style_headers(host: Callable[..., Host]) -> None:
    ctx, client = host(api_rate_per_minute=5)
    alice, bob = make_account(ctx, "alice"), make_account(ctx, "bob")
    answers = [client.get("/v5/user_account", headers=alice.headers) for _ in range(5)]
    assert [r.status_code for r in answers] == [200] * 5
    assert {r.headers["x-ratelimit-limit"] for r in answers} == {"5"}
    assert [r.headers["x-ratelimit-remaining"] for r in answers] == ["4", "3", "2", "1", "0"]
    refused = client.get("/v5/user_account", headers=alice.headers)
    assert refused.status_code == 429 and refused.json()["code"] in (8, 429)
    assert refused.headers["x-ratelimit-remaining"] == "0" and refused.headers["x-ratelimit-limit"] == "5"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "5 a minute" in refused.json()["message"]
    assert client.get("/v5/user_account", headers=bob.headers).status_code == 200  # per token
    anonymous = client.get("/ext/v1/topics")
    assert anonymous.status_code == 200 and "x-ratelimit-limit" not in anonymous.headers


def test_the_token_allowance_is_shared_through_redis(host: Callable[..., Host]) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        service_unavailable("Redis at 127.0.0.1:6379", exc)
    ctx, first = host(api_rate_per_minute=4, rate_limit_storage=REDIS_URL)
    _, second = host(api_rate_per_minute=4, rate_limit_storage=REDIS_URL)
    alice = make_account(ctx, f"a{uuid.uuid4().hex[:10]}")  # a fresh token: fresh keys in Redis
    statuses = [c.get("/v5/user_account", headers=alice.headers).status_code for c in (first, second) * 2]
    assert statuses == [200] * 4
    assert second.get("/v5/user_account", headers=alice.headers).status_code == 429
    assert first.get("/v5/user_account", headers=alice.headers).headers["x-ratelimit-remaining"] == "0"


def test_admins_see_usage_per_user(ctx: AppContext, client: TestClient, alice: Account, bob: Account) -> None:
    board = _board(client, alice)
    assert _pin(client, alice, board, 1).status_code == 201
    env = {
        "PINHAVEN_DATABASE_URL": ctx.settings.database_url,
        "PINHAVEN_SECRET_KEY": ctx.settings.secret_key,
        "PINHAVEN_WORKER_THREADS": "0",
        "PINHAVEN_SEMANTIC_SEARCH": "0",
    }
    args = ["users", "usage", "--data-dir", str(ctx.settings.data_dir)]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "alice" in line or "bob" in line]
    assert len(lines) == 2 and "alice" in lines[0]  # the heaviest first
    assert "1 / 500" in lines[0] and "0 / 500" in lines[1]
    one = CliRunner().invoke(cli, [*args[:2], "bob", *args[2:]], env=env)
    assert one.exit_code == 0 and "bob" in one.output and "alice" not in one.output
    missing = CliRunner().invoke(cli, [*args[:2], "nobody", *args[2:]], env=env)
    assert missing.exit_code == 1 and "no user named" in missing.output
