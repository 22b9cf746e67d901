"""Rate limits for the events API: events per minute per user (or per address for anonymous impressions).

`limits` with a moving window over the shared rate-limit storage (`pinhaven.ratelimits`): exact per process in
memory, or across every process and host with `PINHAVEN_RATE_LIMIT_STORAGE=redis://...`.
"""

from __future__ import annotations

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage, Storage

from pinhaven.context import AppContext
from pinhaven.errors import RateLimited
from pinhaven.ratelimits import SharedLimiter, limit_storage

SERVICE_KEY = "events.limiter"
USER_EVENTS_PER_MINUTE = 3000  # a fast scroller produces ~200 impressions a minute
ANONYMOUS_EVENTS_PER_MINUTE = 600  # per client address


class EventLimiter:
    """Counts events (not requests): a batch of 100 costs 100."""

    def __init__(
        self,
        *,
        per_user: int = USER_EVENTS_PER_MINUTE,
        per_address: int = ANONYMOUS_EVENTS_PER_MINUTE,
        storage: Storage | None = None,
    ) -> None:
        self._user = RateLimitItemPerMinute(max(1, per_user))
        self._address = RateLimitItemPerMinute(max(1, per_address))
        self._limiter = SharedLimiter(storage or MemoryStorage(), "events")

    def check(self, *, user_id: int | None, address: str, cost: int) -> None:
        """Take `cost` from the caller's allowance, or raise RateLimited (nothing is taken then)."""
        if cost <= 0:
            return
        item, key = (self._user, f"u:{user_id}") if user_id is not None else (self._address, f"a:{address}")
        if cost > item.amount or not self._limiter.hit(item, key, cost=cost):
            raise RateLimited(
                f"Too many events: at most {item.amount} per minute "
                f"{'per user' if user_id is not None else 'per address when signed out'}; retry later."
            )


def event_limiter(ctx: AppContext) -> EventLimiter:
    """The process's limiter (tests may put one with smaller limits under SERVICE_KEY)."""
    limiter: EventLimiter | None = ctx.services.get(SERVICE_KEY)
    if limiter is None:
        limiter = ctx.services.setdefault(SERVICE_KEY, EventLimiter(storage=limit_storage(ctx)))
    return limiter
