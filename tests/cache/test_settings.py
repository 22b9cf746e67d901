"""Choosing the cache at start-up: PINHAVEN_CACHE_URL, its validation, and rate limits following it."""

from __future__ import annotations

from pathlib import Path

import pytest
from limits.storage import MemoryStorage, RedisStorage
from tests.cache.conftest import REDIS_URL

from pinhaven.cache import MemoryCache, cache_of
from pinhaven.cache.redis_cache import RedisCache
from pinhaven.config import ConfigError, Settings, load_settings
from pinhaven.context import build_context
from pinhaven.ratelimits import limit_storage


def _settings(tmp_path: Path, **values: str) -> Settings:
    env = {"PINHAVEN_DATA_DIR": str(tmp_path), **{f"PINHAVEN_{k.upper()}": v for k, v in values.items()}}
    return load_settings(env=env, password_hash_fast=True, worker_threads=0, semantic_search=False)


def test_the_default_is_in_process_with_limits_in_memory(tmp_path: Path) -> None:
    ctx = build_context(_settings(tmp_path))
    try:
        assert isinstance(cache_of(ctx), MemoryCache)
        assert isinstance(limit_storage(ctx), MemoryStorage)
    finally:
        ctx.engine.dispose()


def test_a_redis_cache_url_shares_the_cache_and_the_rate_limits(tmp_path: Path, redis_prefix: str) -> None:
    ctx = build_context(_settings(tmp_path, cache_url=REDIS_URL, cache_key_prefix=redis_prefix))
    try:
        assert isinstance(cache_of(ctx), RedisCache)
        assert isinstance(limit_storage(ctx), RedisStorage)  # rate_limit_storage unset: follows the cache
    finally:
        ctx.engine.dispose()
    explicit = build_context(
        _settings(
            tmp_path, cache_url=REDIS_URL, cache_key_prefix=redis_prefix, rate_limit_storage="memory://"
        )
    )
    try:
        assert isinstance(limit_storage(explicit), MemoryStorage)  # an explicit choice wins
    finally:
        explicit.engine.dispose()


def test_a_bad_cache_url_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PINHAVEN_CACHE_URL"):
        _settings(tmp_path, cache_url="memcached://127.0.0.1:11211")
