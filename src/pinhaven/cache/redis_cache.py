"""The shared cache: every process of every host reads and writes the same Redis database.

Keys carry the instance prefix (`cache_key_prefix`, derived from the database URL by default). Generations are
Redis keys `<prefix>gen:<name>` holding a random value that every bump replaces; a versioned entry is stored as
`<generation>|<value>` and read with one MGET of the generation and the entry, so checking freshness costs no
extra round trip, and a bump is seen by every host on its very next read (no process-local copies to drop).

Random generation values, not INCR: if Redis evicts or loses a generation key, the next reader installs a new
random value, which no old entry carries — a counter would restart at 1 and could revive old entries.

Redis errors never fail a request: a read that fails is a miss (the caller reads the database) and a write that
fails is skipped, with a warning at most once a minute. After an error the cache is left alone for
`RETRY_SECONDS` (reads are misses at once: an unreachable host must not cost every request a timeout on the
event loop). A bump that fails is kept and retried before this process reads again, so entries it should have
killed are not served after Redis comes back; only if this process also dies before then do such entries
live until their TTL (tokens 10 s, board pages 10 s), which is the bound for that double failure.
"""

from __future__ import annotations

import logging
import os
import time
from typing import cast

import redis
from redis.exceptions import RedisError

from pinhaven.cache.protocol import Generation

__all__ = ["RedisCache"]

log = logging.getLogger("pinhaven.cache")

_UNAVAILABLE: Generation = ""  # returned when Redis cannot be read: `set_versioned` then stores nothing
_WARN_EVERY_SECONDS = 60.0
RETRY_SECONDS = 1.0


def _new_generation() -> bytes:
    return os.urandom(8).hex().encode()


class RedisCache:
    """Cache entries and generations in Redis, under `prefix`."""

    shared = True

    def __init__(self, url: str, *, prefix: str, timeout: float = 0.5) -> None:
        self.url = url
        self.prefix = prefix
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, health_check_interval=30
        )
        self._warned_at = 0.0
        self._down_until = 0.0
        self._unsent_bumps: frozenset[str] = frozenset()

    def _available(self) -> bool:
        """False while backing off after an error, or while bumps that failed cannot be delivered yet."""
        if self._down_until and time.monotonic() < self._down_until:
            return False
        if self._unsent_bumps:
            return self._send_bumps(frozenset())
        return True

    def _warn(self, action: str, exc: RedisError) -> None:
        now = time.monotonic()
        self._down_until = now + RETRY_SECONDS
        if now - self._warned_at > _WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning("shared cache (%s) unavailable during %s: %s", self.url, action, exc)

    # redis-py types every command as "a value or an awaitable" (its sync and async clients share stubs).
    def _get(self, key: str) -> bytes | None:
        return cast(bytes | None, self.client.get(key))

    def _mget(self, *keys: str) -> list[bytes | None]:
        return cast(list[bytes | None], self.client.mget(keys))

    def _gen_key(self, name: str) -> str:
        return f"{self.prefix}gen:{name}"

    def get(self, key: str) -> bytes | None:
        if not self._available():
            return None
        try:
            return self._get(self.prefix + key)
        except RedisError as exc:
            self._warn("get", exc)
            return None

    def set(self, key: str, value: bytes, ttl: float) -> None:
        if not self._available():
            return
        try:
            self.client.set(self.prefix + key, value, px=max(int(ttl * 1000), 1))
        except RedisError as exc:
            self._warn("set", exc)

    def delete(self, key: str) -> None:
        try:
            self.client.delete(self.prefix + key)
        except RedisError as exc:
            self._warn("delete", exc)

    def generation(self, name: str) -> Generation:
        if not self._available():
            return _UNAVAILABLE
        try:
            value = self._get(self._gen_key(name))
            return self._installed(name) if value is None else value.decode()
        except RedisError as exc:
            self._warn("generation", exc)
            return _UNAVAILABLE

    def _installed(self, name: str) -> Generation:
        """The generation `name` has once it exists (first use, or after Redis lost the key)."""
        key = self._gen_key(name)
        self.client.set(key, _new_generation(), nx=True)
        value = self._get(key)
        return value.decode() if value is not None else _UNAVAILABLE

    def bump(self, *names: str) -> None:
        if names:
            self._send_bumps(
                frozenset(names)
            )  # tried even while backing off: a bump matters more than a read

    def _send_bumps(self, names: frozenset[str]) -> bool:
        pending = names | self._unsent_bumps
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for name in sorted(pending):
                    pipe.set(self._gen_key(name), _new_generation())
                pipe.execute()
        except RedisError as exc:
            self._unsent_bumps = pending
            self._down_until = time.monotonic() + RETRY_SECONDS
            log.error("shared cache (%s): could not bump %s yet (retried before the next read): %s",
                      self.url, sorted(pending), exc)  # fmt: skip
            return False
        self._unsent_bumps = frozenset()
        self._down_until = 0.0
        return True

    def get_versioned(self, key: str, generation: str) -> tuple[bytes | None, Generation]:
        if not self._available():
            return None, _UNAVAILABLE
        try:
            current, entry = self._mget(self._gen_key(generation), self.prefix + key)
            if current is None:
                return None, self._installed(generation)
        except RedisError as exc:
            self._warn("get", exc)
            return None, _UNAVAILABLE
        if entry is not None and entry.startswith(current + b"|"):
            return entry[len(current) + 1 :], current.decode()
        return None, current.decode()

    def set_versioned(self, key: str, seen: Generation, value: bytes, ttl: float) -> None:
        if seen == _UNAVAILABLE:
            return
        self.set(key, seen.encode() + b"|" + value, ttl)

    def close(self) -> None:
        self.client.close()
