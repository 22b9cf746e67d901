"""Report rate limit: reports per person per hour, over the shared rate-limit storage (Redis when configured).

Reports cost moderators' time; a flood of them is refused with 429 rather than queued.
"""

from __future__ import annotations

from limits import RateLimitItemPerHour
from limits.storage import MemoryStorage, Storage

from pinhaven.context import AppContext
from pinhaven.errors import RateLimited
from pinhaven.ratelimits import SharedLimiter, limit_storage

SERVICE_KEY = "moderation.report_limiter"
REPORTS_PER_HOUR = 30


class ReportLimiter:
    def __init__(self, per_hour: int = REPORTS_PER_HOUR, storage: Storage | None = None) -> None:
        self._item = RateLimitItemPerHour(max(1, per_hour))
        self._limiter = SharedLimiter(storage or MemoryStorage(), "reports")

    def check(self, user_id: int) -> None:
        if not self._limiter.hit(self._item, f"u:{user_id}"):
            raise RateLimited(f"Too many reports: at most {self._item.amount} an hour; retry later.")


def report_limiter(ctx: AppContext) -> ReportLimiter:
    """The process's limiter (tests may put one with a smaller limit under SERVICE_KEY)."""
    limiter: ReportLimiter | None = ctx.services.get(SERVICE_KEY)
    if limiter is None:
        limiter = ctx.services.setdefault(SERVICE_KEY, ReportLimiter(storage=limit_storage(ctx)))
    return limiter
