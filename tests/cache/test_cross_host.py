"""Two hosts of one instance: two AppContexts with their own data dirs, sharing the database and one Redis.

Whatever host A changes, host B must not serve the old answer: a revoked token, a board made secret, a pin
edited or deleted — each checked right after the write, within the documented 1-second bound. A feed scroll
started on A continues on B. The last test shows the in-process cache keeps `--processes` workers of one host
(one data dir) just as current.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.cache.conftest import REDIS_URL
from tests.conftest import ALL_BACKENDS
from tests.discovery_service.helpers import World
from tests.factories import Account, make_account

from pinhaven.accounts.follows import follow_user
from pinhaven.accounts.scopes import session_viewer
from pinhaven.accounts.service import _token_hash
from pinhaven.accounts.token_cache import tokens_of
from pinhaven.app import create_app
from pinhaven.cache import cache_of
from pinhaven.cache.redis_cache import RedisCache
from pinhaven.config import load_settings
from pinhaven.context import AppContext, build_context
from pinhaven.db.engine import session_scope

BOUND_SECONDS = 1.0


def _host(tmp_path: Path, name: str, database_url: str, **cache: str) -> AppContext:
    settings = load_settings(
        env={},
        data_dir=tmp_path / name,
        database_url=database_url,
        password_hash_fast=True,
        worker_threads=0,
        semantic_search=False,
        secret_key="one-instance",
        **cache,
    )
    return build_context(settings)


@pytest.fixture
def hosts(tmp_path: Path, database_url: str, redis_prefix: str) -> Iterator[tuple[AppContext, AppContext]]:
    shared = {"cache_url": REDIS_URL, "cache_key_prefix": redis_prefix}
    a = _host(tmp_path, "host-a", database_url, **shared)
    b = _host(tmp_path, "host-b", database_url, **shared)
    assert cache_of(a).shared and cache_of(b).shared
    yield a, b
    for ctx in (a, b):
        cache_of(ctx).close()
        ctx.engine.dispose()


@pytest.fixture
def clients(hosts: tuple[AppContext, AppContext]) -> Iterator[tuple[TestClient, TestClient]]:
    a, b = hosts
    with TestClient(create_app(ctx=a)) as on_a, TestClient(create_app(ctx=b)) as on_b:
        yield on_a, on_b


def within_bound(check: Callable[[], bool]) -> float:
    """Seconds until `check()` holds; fails when that takes longer than the bound."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < BOUND_SECONDS, "host B still serves the old answer"
        time.sleep(0.02)
    return time.monotonic() - start


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_a_token_revoked_on_a_is_refused_on_b(
    hosts: tuple[AppContext, AppContext], clients: tuple[TestClient, TestClient]
) -> None:
    a, b = hosts
    _, on_b = clients
    alice = make_account(a, "alice")
    for _ in range(2):
        assert on_b.get("/v5/user_account", headers=alice.headers).status_code == 200
    assert tokens_of(b).get(_token_hash(alice.token)) is not None  # B answers from the shared cache now
    assert tokens_of(a).get(_token_hash(alice.token)) is not None  # ...and so would A, never having seen it
    with session_scope(a.sessions) as db:
        from pinhaven.accounts import service as accounts_service

        token_id = accounts_service.list_tokens(db=db, user=alice.user)[0].id
        accounts_service.revoke_token(db=db, user=alice.user, token_id=token_id)
    within_bound(lambda: on_b.get("/v5/user_account", headers=alice.headers).status_code == 401)
    assert on_b.get("/v5/user_account", headers=alice.headers).status_code == 401


def _world(a: AppContext) -> tuple[World, Account, Account, dict[str, list[int]]]:
    world = World(a)
    alice, bob, carol = (make_account(a, name) for name in ("alice", "bob", "carol"))
    kitchen, garden = world.board(alice, "Kitchen"), world.board(alice, "Garden")
    pins = {
        "kitchen": [world.pin(alice, kitchen, f"kitchen {i}") for i in range(4)],
        "garden": [world.pin(alice, garden, f"garden {i}") for i in range(4)],
        "boards": [kitchen, garden],
    }
    mixed = world.board(carol, "Mixed")  # carol saves from both boards: a walk from one reaches the other
    for pin_id in pins["kitchen"][:2] + pins["garden"][:2]:
        world.save(carol, pin_id, mixed)
    with session_scope(a.sessions) as db:
        follow_user(db=db, viewer=session_viewer(bob.user.id), username="alice")
    return world, alice, bob, pins


def _ids(response: object) -> list[int]:
    body = response.json()  # type: ignore[attr-defined]
    return [int(item["id"]) for item in body["items"]]


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_board_made_secret_on_a_leaves_b_board_page_related_and_feed_at_once(
    hosts: tuple[AppContext, AppContext], clients: tuple[TestClient, TestClient]
) -> None:
    a, _ = hosts
    on_a, on_b = clients
    _, alice, bob, pins = _world(a)
    garden_board, garden = pins["boards"][1], set(pins["garden"])
    board_url = f"/v5/boards/{garden_board}/pins"
    related_url = f"/ext/v1/pins/{pins['kitchen'][0]}/related?page_size=50"
    assert set(_ids(on_b.get(board_url, headers=bob.headers))) == garden  # cached on B (and in Redis)
    assert garden & set(_ids(on_b.get(related_url, headers=bob.headers)))  # a ranked list cached for bob
    first = on_a.get("/ext/v1/feed/home?page_size=2", headers=bob.headers).json()
    assert first["bookmark"]

    changed = on_a.patch(f"/v5/boards/{garden_board}", json={"privacy": "SECRET"}, headers=alice.headers)
    assert changed.status_code == 200

    within_bound(lambda: on_b.get(board_url, headers=bob.headers).status_code == 404)
    assert not garden & set(_ids(on_b.get(related_url, headers=bob.headers)))
    bookmark, shown = first["bookmark"], [int(i["id"]) for i in first["items"]]
    for _ in range(6):  # the rest of the scroll A started, served by B (the feed never ends: a few pages)
        page = on_b.get(
            "/ext/v1/feed/home", params={"page_size": 3, "bookmark": bookmark}, headers=bob.headers
        )
        assert page.status_code == 200
        assert not garden & set(_ids(page))
        shown += _ids(page)
        bookmark = page.json()["bookmark"]
        if not bookmark:
            break
    assert set(pins["kitchen"]) <= set(shown)
    assert set(_ids(on_b.get(board_url, headers=alice.headers))) == garden  # the owner still sees them


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_pin_edited_or_deleted_on_a_is_not_served_by_b(
    hosts: tuple[AppContext, AppContext], clients: tuple[TestClient, TestClient]
) -> None:
    a, b = hosts
    on_a, on_b = clients
    _, alice, bob, pins = _world(a)
    url = f"/v5/boards/{pins['boards'][0]}/pins"
    edited, deleted = pins["kitchen"][0], pins["kitchen"][1]
    mine = on_b.get(url, headers=alice.headers).json()["items"]
    theirs = on_b.get(url, headers=bob.headers).json()["items"]  # the same cached page, another viewer
    assert all(item["is_owner"] for item in mine) and not any(item["is_owner"] for item in theirs)
    assert [i["id"] for i in mine] == [i["id"] for i in theirs]
    redis_b = cache_of(b)
    assert isinstance(redis_b, RedisCache)
    assert len(list(redis_b.client.scan_iter(match=f"{redis_b.prefix}boardpage:*"))) == 1  # one entry, both

    assert (
        on_a.patch(f"/v5/pins/{edited}", json={"title": "New title"}, headers=alice.headers).status_code
        == 200
    )
    assert on_a.delete(f"/v5/pins/{deleted}", headers=alice.headers).status_code == 204

    def current() -> bool:
        items = {int(i["id"]): i for i in on_b.get(url, headers=bob.headers).json()["items"]}
        return deleted not in items and items[edited]["title"] == "New title"

    within_bound(current)
    assert on_b.get(f"/v5/pins/{deleted}", headers=bob.headers).status_code == 404
    related = on_b.get(f"/ext/v1/pins/{pins['kitchen'][2]}/related?page_size=50", headers=bob.headers)
    assert deleted not in _ids(related)


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_a_feed_started_on_a_continues_on_b(
    hosts: tuple[AppContext, AppContext], clients: tuple[TestClient, TestClient]
) -> None:
    a, b = hosts
    on_a, on_b = clients
    _, _, bob, pins = _world(a)
    first = on_a.get("/ext/v1/feed/home?page_size=3", headers=bob.headers).json()
    assert first["bookmark"]
    assert cache_of(b).get(f"feedsession:{first['request_id']}") is not None  # B reads A's ranking
    second = on_b.get(
        "/ext/v1/feed/home", params={"page_size": 3, "bookmark": first["bookmark"]}, headers=bob.headers
    )
    assert second.status_code == 200, second.text
    assert second.json()["request_id"] == first["request_id"]  # the same session, continued
    shown = [int(i["id"]) for i in first["items"]] + _ids(second)
    assert len(shown) == 6 and len(set(shown)) == 6  # one ranked list: no pin twice across the hosts
    assert set(shown) <= set(pins["kitchen"] + pins["garden"]) | _carols_copies(a, pins)


def _carols_copies(a: AppContext, pins: dict[str, list[int]]) -> set[int]:
    from sqlalchemy import select

    from pinhaven.pins.models import Pin

    with session_scope(a.read_sessions) as db:
        query = select(Pin.id).where(Pin.parent_pin_id.in_(pins["kitchen"] + pins["garden"]))
        return {int(p) for p in db.scalars(query)}


def test_in_process_caches_of_one_host_see_each_others_writes(tmp_path: Path) -> None:
    """`serve --processes 2`: one data dir, each process its own in-memory cache, stamp files between them."""
    url = f"sqlite:///{tmp_path / 'one.db'}"
    first, second = _host(tmp_path, "data", url), _host(tmp_path, "data", url)
    try:
        assert not cache_of(first).shared
        _, alice, bob, pins = _world(first)
        board_url = f"/v5/boards/{pins['boards'][0]}/pins"
        with TestClient(create_app(ctx=first)) as one, TestClient(create_app(ctx=second)) as two:
            assert len(_ids(two.get(board_url, headers=bob.headers))) == 4  # cached in process two
            assert two.get("/v5/user_account", headers=bob.headers).status_code == 200
            assert one.delete(f"/v5/pins/{pins['kitchen'][3]}", headers=alice.headers).status_code == 204
            assert pins["kitchen"][3] not in _ids(two.get(board_url, headers=bob.headers))
            with session_scope(first.sessions) as db:
                from pinhaven.accounts import service as accounts_service

                token_id = accounts_service.list_tokens(db=db, user=bob.user)[0].id
                accounts_service.revoke_token(db=db, user=bob.user, token_id=token_id)
            assert two.get("/v5/user_account", headers=bob.headers).status_code == 401
    finally:
        first.engine.dispose()
        second.engine.dispose()


def test_an_image_processed_on_a_shows_ready_on_b_board_page(
    hosts: tuple[AppContext, AppContext], clients: tuple[TestClient, TestClient]
) -> None:
    from tests.factories import media_source

    from pinhaven.jobs.worker import drain

    a, _ = hosts
    on_a, on_b = clients
    alice = make_account(a, "alice")
    board = on_a.post("/v5/boards", json={"name": "Uploads"}, headers=alice.headers).json()["id"]
    made = on_a.post(
        "/v5/pins", json={"board_id": board, "media_source": media_source(seed=3)}, headers=alice.headers
    )
    assert made.status_code == 201, made.text
    url = f"/v5/boards/{board}/pins"
    assert on_b.get(url, headers=alice.headers).json()["items"][0]["image_status"] == "processing"  # cached
    assert drain(a) >= 1  # host A's worker renders the variants
    within_bound(lambda: on_b.get(url, headers=alice.headers).json()["items"][0]["image_status"] == "ready")
