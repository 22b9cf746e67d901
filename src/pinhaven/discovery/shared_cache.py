"""Discovery's entries in the shared cache (Redis, `cache_url`): feed sessions and candidate-source lists.

Only used when the cache is shared: in process, `feed._SessionCache` and `sources.SourceCache` already hold
these values, and a second in-process copy would only double the memory.

Neither needs invalidation: a feed session is immutable once ranked, and both hold pin ids that are re-checked
for privacy, deletion and hides when a page is served (feed._serve, the feed's privacy filter on the fused
list). Sharing them means one host's ranking serves every host: a scroll continues on whichever host the load
balancer picks, and N hosts scan trending and topics once per TTL instead of N times.
"""

from __future__ import annotations

import json
import time

from pinhaven.cache import Cache

__all__ = [
    "FEED_SESSION_TTL_SECONDS",
    "SessionValues",
    "fetch_source",
    "publish_source",
    "share_session",
    "shared_session",
]

FEED_SESSION_TTL_SECONDS = 3600.0  # a scroll rarely lasts longer; after that the feed_sessions row serves
# (id, user_id, items as (pin_id, source, score), previous session id, excluded pin ids)
SessionValues = tuple[int, int, list[tuple[int, str, float]], int | None, list[int]]


def share_session(cache: Cache, values: SessionValues) -> None:
    if cache.shared:
        session_id, user_id, items, previous_id, excluded = values
        body = json.dumps([user_id, items, previous_id, excluded]).encode()
        cache.set(f"feedsession:{session_id}", body, FEED_SESSION_TTL_SECONDS)


def shared_session(cache: Cache, session_id: int) -> SessionValues | None:
    if not cache.shared:
        return None
    body = cache.get(f"feedsession:{session_id}")
    if body is None:
        return None
    user_id, items, previous_id, excluded = json.loads(body)
    return (
        session_id,
        int(user_id),
        [(int(p), str(s), float(sc)) for p, s, sc in items],
        previous_id,
        [int(p) for p in excluded],
    )


def publish_source(cache: Cache, key: str, value: object, ttl: float) -> None:
    """Share a freshly computed candidate list (lists of (pin id, score) only; anything else stays local)."""
    if not cache.shared or not isinstance(value, list):
        return
    if not all(isinstance(item, tuple) and len(item) == 2 for item in value):
        return
    body = json.dumps([time.time(), value]).encode()
    cache.set(f"source:{key}", body, ttl * 2)


def fetch_source(cache: Cache, key: str, ttl: float) -> list[tuple[int, float]] | None:
    """A list another host computed less than `ttl` seconds ago (wall clocks: hosts run NTP)."""
    if not cache.shared:
        return None
    body = cache.get(f"source:{key}")
    if body is None:
        return None
    made_at, value = json.loads(body)
    if time.time() - float(made_at) >= ttl:
        return None
    return [(int(p), float(s)) for p, s in value]
