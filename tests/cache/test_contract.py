"""The cache contract, for the in-process and the Redis implementation alike."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cache.conftest import REDIS_URL

from pinhaven.cache import Cache, MemoryCache, key_prefix
from pinhaven.cache.redis_cache import RedisCache
from pinhaven.config import load_settings


@pytest.fixture(params=["memory", "redis"])
def caches(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Cache, Cache]]:
    """Two caches of one instance, as two processes (memory: one host, one data dir) or two hosts (redis)."""
    if request.param == "memory":
        yield MemoryCache(tmp_path), MemoryCache(tmp_path)
        return
    prefix = request.getfixturevalue("redis_prefix")
    first, second = RedisCache(REDIS_URL, prefix=prefix), RedisCache(REDIS_URL, prefix=prefix)
    yield first, second
    first.close()
    second.close()


def test_values_expire_and_can_be_deleted(caches: tuple[Cache, Cache]) -> None:
    cache, _ = caches
    assert cache.get("missing") is None
    cache.set("short", b"\x00bytes\xff", 0.2)
    cache.set("long", b"kept", 60)
    assert cache.get("short") == b"\x00bytes\xff"
    time.sleep(0.3)
    assert cache.get("short") is None
    assert cache.get("long") == b"kept"
    cache.delete("long")
    assert cache.get("long") is None


def test_a_bump_anywhere_kills_versioned_entries_everywhere(caches: tuple[Cache, Cache]) -> None:
    mine, other = caches
    value, seen = mine.get_versioned("page", "board:1")
    assert value is None
    mine.set_versioned("page", seen, b"rows", 60)
    assert mine.get_versioned("page", "board:1")[0] == b"rows"
    other.bump("board:1")  # the other process or host wrote to the board
    value, now = mine.get_versioned("page", "board:1")
    assert value is None and now != seen


def test_a_read_that_raced_a_write_is_never_served(caches: tuple[Cache, Cache]) -> None:
    mine, other = caches
    _, seen = mine.get_versioned("token:x", "tokens")  # taken before reading the database...
    other.bump("tokens")  # ...a revocation commits and bumps...
    mine.set_versioned("token:x", seen, b"stale viewer", 60)  # ...and the old read is stored afterwards
    assert mine.get_versioned("token:x", "tokens")[0] is None
    assert other.get_versioned("token:x", "tokens")[0] is None


def test_generations_of_other_names_leave_an_entry_alone(caches: tuple[Cache, Cache]) -> None:
    mine, other = caches
    _, seen = mine.get_versioned("token:y", "tokens")
    mine.set_versioned("token:y", seen, b"viewer", 60)
    other.bump("related")
    assert mine.get_versioned("token:y", "tokens")[0] == b"viewer"


def test_memory_entries_stay_in_their_process(tmp_path: Path) -> None:
    mine, other = MemoryCache(tmp_path), MemoryCache(tmp_path)
    mine.set("k", b"v", 60)
    assert other.get("k") is None
    assert mine.shared is False


def test_memory_cache_is_bounded(tmp_path: Path) -> None:
    cache = MemoryCache(tmp_path, max_entries=3, max_bytes=1000)
    for i in range(5):
        cache.set(f"k{i}", b"x" * 10, 60)
    assert [cache.get(f"k{i}") is not None for i in range(5)] == [False, False, True, True, True]
    cache.set("huge", b"x" * 900, 60)  # more than an eighth of the budget: not kept
    assert cache.get("huge") is None and cache.get("k4") is not None


def test_redis_prefixes_keep_instances_apart(redis_prefix: str) -> None:
    ours, theirs = (
        RedisCache(REDIS_URL, prefix=redis_prefix),
        RedisCache(REDIS_URL, prefix=redis_prefix + "b:"),
    )
    ours.set("k", b"ours", 60)
    assert theirs.get("k") is None
    _, seen = ours.get_versioned("v", "board:1")
    ours.set_versioned("v", seen, b"page", 60)
    theirs.bump("board:1")
    assert ours.get_versioned("v", "board:1")[0] == b"page"
    assert ours.shared is True


def test_a_lost_generation_key_never_revives_old_entries(redis_prefix: str) -> None:
    cache = RedisCache(REDIS_URL, prefix=redis_prefix)
    _, seen = cache.get_versioned("v", "board:9")
    cache.set_versioned("v", seen, b"page", 60)
    cache.client.delete(f"{redis_prefix}gen:board:9")  # evicted, or Redis restarted without its data
    assert cache.get_versioned("v", "board:9")[0] is None


def test_an_unreachable_redis_is_a_miss_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    cache = RedisCache("redis://127.0.0.1:1/0", prefix="nowhere:", timeout=0.2)
    cache.set("k", b"v", 60)
    assert cache.get("k") is None
    value, seen = cache.get_versioned("k", "tokens")
    assert value is None
    cache.set_versioned("k", seen, b"v", 60)  # stores nothing, raises nothing
    cache.bump("tokens")
    assert "could not bump" in caplog.text


def test_the_key_prefix_comes_from_the_database_without_its_password(tmp_path: Path) -> None:
    def prefix(url: str, **extra: str) -> str:
        return key_prefix(load_settings(env={}, data_dir=tmp_path, database_url=url, secret_key="k", **extra))

    one = prefix("postgresql+psycopg://app:secret1@db:5432/pinhaven")
    assert one == prefix("postgresql+psycopg://app:secret2@db:5432/pinhaven")  # a rotated password
    assert one != prefix("postgresql+psycopg://app:secret1@db:5432/other")
    assert "secret" not in one
    assert prefix("sqlite:///x.db", cache_key_prefix="mine:") == "mine:"


def test_a_bump_lost_in_an_outage_is_delivered_before_the_next_read(
    redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    from pinhaven.cache import redis_cache

    cache = RedisCache(REDIS_URL, prefix=redis_prefix)
    _, seen = cache.get_versioned("token:z", "tokens")
    cache.set_versioned("token:z", seen, b"viewer", 60)
    real_pipeline = cache.client.pipeline

    def broken(*args: object, **kwargs: object) -> object:
        raise RedisConnectionError("the network between this host and Redis is down")

    monkeypatch.setattr(cache.client, "pipeline", broken)
    cache.bump("tokens")  # a revocation committed while Redis could not be reached
    assert cache.get_versioned("token:z", "tokens")[0] is None  # backing off: a miss, the database answers
    monkeypatch.setattr(cache.client, "pipeline", real_pipeline)  # Redis is back
    monkeypatch.setattr(redis_cache, "RETRY_SECONDS", 0.0)
    cache._down_until = time.monotonic()
    assert cache.get_versioned("token:z", "tokens")[0] is None  # the pending bump went first
    assert RedisCache(REDIS_URL, prefix=redis_prefix).get_versioned("token:z", "tokens")[0] is None
