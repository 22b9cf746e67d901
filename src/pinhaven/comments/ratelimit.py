"""Comment rate limit: comments (and replies) per user per minute, over the shared rate-limit storage."""

from __future__ import annotations

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage, Storage

from pinhaven.context import AppContext
from pinhaven.errors import RateLimited
from pinhaven.ratelimits import SharedLimiter, limit_storage

SERVICE_KEY = "comments.limiter"
COMMENTS_PER_MINUTE = 10


class CommentLimiter:
    def __init__(self, per_minute: int = COMMENTS_PER_MINUTE, storage: Storage | None = None) -> None:
        self._item = RateLimitItemPerMinute(max(1, per_minute))
        self._limiter = SharedLimiter(storage or MemoryStorage(), "comments")

    def check(self, user_id: int) -> None:
        if not self._limiter.hit(self._item, f"u:{user_id}"):
            raise RateLimited(f"Too many comments: at most {self._item.amount} a minute; retry later.")


def comment_limiter(ctx: AppContext) -> CommentLimiter:
    """The process's limiter (tests may put one with a smaller limit under SERVICE_KEY)."""
    limiter: CommentLimiter | None = ctx.services.get(SERVICE_KEY)
    if limiter is None:
        limiter = ctx.services.setdefault(SERVICE_KEY, CommentLimiter(storage=limit_storage(ctx)))
    return limiter
