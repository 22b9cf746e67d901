"""The one cache interface every domain uses; `memory.MemoryCache` and `redis_cache.RedisCache` implement it.

Values are bytes (JSON helpers in `pinhaven.cache`); every entry has a TTL. Keys are given without the
instance prefix: the implementation adds it, so two instances on one Redis never read each other's entries.

Generations are the invalidation mechanism. A *generation* is a named counter (`tokens`, `board:123`) that
writers bump after their transaction commits. A *versioned* entry is stored together with the generation that
was current before its value was read from the database, and is served only while that generation is still the
current one — so a reader that raced with a write can never re-publish the old answer after the bump.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["Cache", "Generation"]

# Opaque: compare for equality only (an int counter in Redis, a stamp file's identity in process).
Generation = str


class Cache(Protocol):
    """A TTL key-value cache of bytes with generation-versioned entries."""

    @property
    def shared(self) -> bool:
        """True when every process and host of the instance reads the same entries (Redis)."""
        ...

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl: float) -> None: ...

    def delete(self, key: str) -> None: ...

    def generation(self, name: str) -> Generation:
        """The current value of generation `name` (read it *before* reading what you will cache)."""
        ...

    def bump(self, *names: str) -> None:
        """Advance these generations: every entry versioned by an older value is dead, on every host."""
        ...

    def get_versioned(self, key: str, generation: str) -> tuple[bytes | None, Generation]:
        """The entry if it was stored under the current value of `generation`, and that current value.

        On a miss, pass the returned generation to `set_versioned` after reading the value afresh.
        """
        ...

    def set_versioned(self, key: str, seen: Generation, value: bytes, ttl: float) -> None:
        """Store `value`, read after generation value `seen` was taken (see `get_versioned`)."""
        ...

    def close(self) -> None: ...
