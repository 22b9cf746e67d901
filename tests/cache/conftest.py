"""Redis for the cache tests: the local server's database 14, every test under a key prefix of its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from tests.conftest import service_unavailable

REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A fresh key prefix; its keys are deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_unavailable("Redis at 127.0.0.1:6379", exc)
    prefix = f"test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()
