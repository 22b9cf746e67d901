"""Where rate-limit counters live: in memory by default, in Redis when `rate_limit_storage` names one.

In memory each process counts on its own, so N processes allow up to N times a limit; with Redis every process
(and host) takes from the same allowance. A storage that cannot be reached fails open — the request goes on and
a warning is logged — so a Redis outage never locks people out of logging in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from limits import RateLimitItem
from limits.errors import ConfigurationError, StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from pinhaven.context import AppContext
from pinhaven.errors import InvalidInput

__all__ = ["SharedLimiter", "limit_storage", "make_storage"]

log = logging.getLogger("pinhaven.ratelimits")

SERVICE_KEY = "ratelimits.storage"
KEY_PREFIX = "pinhaven"
_WARN_EVERY_SECONDS = 60.0
T = TypeVar("T")


def make_storage(uri: str) -> Storage:
    """A `limits` storage from a URI: `memory://` or `redis://host:port/db` (also `rediss://`)."""
    if uri in ("", "memory://"):
        return MemoryStorage()
    if not uri.startswith(("redis://", "rediss://", "redis+unix://")):
        raise InvalidInput("must be memory:// or a redis:// URI", field="rate_limit_storage")
    try:
        storage = storage_from_string(uri, key_prefix=KEY_PREFIX, wrap_exceptions=True)
    except ConfigurationError as exc:  # e.g. the redis client is not installed
        raise InvalidInput(f"{exc} (install the `redis` extra)", field="rate_limit_storage") from exc
    assert isinstance(storage, Storage)  # a synchronous scheme (async ones are `async+redis://`)
    return storage


def limit_storage(ctx: AppContext) -> Storage:
    """The process's rate-limit storage (one for every limiter, created on first use)."""
    storage: Storage | None = ctx.services.get(SERVICE_KEY)
    if storage is None:
        # Unset, limits follow the cache: an operator who shares the cache shares the allowances too.
        uri = ctx.settings.rate_limit_storage or ctx.settings.cache_url
        storage = ctx.services.setdefault(SERVICE_KEY, make_storage(uri))
    return storage


class SharedLimiter:
    """A moving-window limiter over a (possibly shared) storage that fails open when it is unreachable."""

    def __init__(self, storage: Storage, namespace: str) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._namespace = namespace
        self._warned_at = 0.0

    def hit(self, item: RateLimitItem, key: str, cost: int = 1) -> bool:
        return self._safely(lambda: self._limiter.hit(item, self._namespace, key, cost=cost), True)

    def test(self, item: RateLimitItem, key: str) -> bool:
        return self._safely(lambda: self._limiter.test(item, self._namespace, key), True)

    def clear(self, item: RateLimitItem, key: str) -> None:
        self._safely(lambda: self._limiter.clear(item, self._namespace, key), None)

    def _safely(self, call: Callable[[], T], fallback: T) -> T:
        try:
            return call()
        except StorageError as exc:  # the storage's client errors (connection refused, timeouts): fail open
            now = time.monotonic()
            if now - self._warned_at > _WARN_EVERY_SECONDS:
                self._warned_at = now
                log.warning("rate-limit storage unreachable, not limiting: %s", exc)
            return fallback
