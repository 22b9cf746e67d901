"""Per-token API rate limits with Pinterest-style headers.

Every request authenticated with a bearer token takes one from that token's allowance,
`api_rate_per_minute` in a moving minute (0: no limit). The answer carries `X-RateLimit-Limit` and
`X-RateLimit-Remaining`; over the allowance it is 429 `{code, message}` with `Retry-After` (seconds until a
request fits again). Counters live in the shared rate-limit storage (`pinhaven.ratelimits`): in memory per
process by default, in Redis across every process and host when `rate_limit_storage` or `cache_url` names one.
Like every limiter here it fails open when the storage cannot be reached.

The dependency that resolves the token (`deps._token_viewer`) calls `take`; `RateLimitHeaders`, an ASGI
middleware, copies the numbers it left in the request's state onto the response, whatever the handler
returned (many handlers return pre-serialised `Response`s, which FastAPI's injected `Response` cannot reach).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter

from pinhaven.context import AppContext
from pinhaven.errors import RateLimited
from pinhaven.ratelimits import limit_storage

__all__ = ["ApiLimiter", "RateLimitHeaders", "api_limiter", "take"]

log = logging.getLogger("pinhaven.ratelimits")

SERVICE_KEY = "safety.api_limiter"
STATE_KEY = "pinhaven.ratelimit"
NAMESPACE = "api-token"


@dataclass(frozen=True)
class Allowance:
    limit: int
    remaining: int
    reset_at: float  # epoch seconds when the oldest counted request leaves the window


class ApiLimiter:
    """`per_minute` requests per token in a moving minute."""

    def __init__(self, per_minute: int, storage: Storage) -> None:
        self.per_minute = per_minute
        self._item = RateLimitItemPerMinute(max(1, per_minute))
        self._limiter = MovingWindowRateLimiter(storage)
        self._warned_at = 0.0

    def take(self, key: str) -> Allowance | None:
        """Count one request for `key`: its allowance after it, or None when the storage is unreachable.

        Raises RateLimited (nothing counted) when the allowance is spent."""
        try:
            allowed = self._limiter.hit(self._item, NAMESPACE, key)
            stats = self._limiter.get_window_stats(self._item, NAMESPACE, key)
        except StorageError as exc:  # fail open, like every limiter here (ratelimits.SharedLimiter)
            now = time.monotonic()
            if now - self._warned_at > 60:
                self._warned_at = now
                log.warning("rate-limit storage unreachable, not limiting API tokens: %s", exc)
            return None
        allowance = Allowance(self.per_minute, max(0, stats.remaining), stats.reset_time)
        if not allowed:
            raise TokenRateLimited(allowance)
        return allowance


class TokenRateLimited(RateLimited):
    """A token spent its allowance; carries the numbers for the headers."""

    def __init__(self, allowance: Allowance) -> None:
        wait = max(1, math.ceil(allowance.reset_at - time.time()))
        super().__init__(
            f"Too many requests: this token may make {allowance.limit} a minute; retry in {wait} s."
        )
        self.allowance = allowance


def api_limiter(ctx: AppContext) -> ApiLimiter | None:
    """The process's limiter, or None when `api_rate_per_minute` is 0."""
    if ctx.settings.api_rate_per_minute <= 0:
        return None
    limiter: ApiLimiter | None = ctx.services.get(SERVICE_KEY)
    if limiter is None:
        limiter = ctx.services.setdefault(
            SERVICE_KEY, ApiLimiter(ctx.settings.api_rate_per_minute, limit_storage(ctx))
        )
    return limiter


def take(ctx: AppContext, state: Any, token_hash: str) -> None:
    """Count a token-authenticated request; leave the allowance in the request `state` for the headers."""
    limiter = api_limiter(ctx)
    if limiter is None or getattr(state, "ratelimit", None) is not None:
        return  # no limit, or this request was counted already (several dependencies resolve the caller)
    try:
        allowance = limiter.take(token_hash)
    except TokenRateLimited as exc:
        state.ratelimit = exc.allowance
        raise
    if allowance is not None:
        state.ratelimit = allowance


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RateLimitHeaders:
    """Adds `X-RateLimit-Limit`/`-Remaining` (and an exact `Retry-After` on 429) to token requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state") or {}
                allowance = state.get("ratelimit") if isinstance(state, dict) else None
                if isinstance(allowance, Allowance):
                    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"retry-after"]
                    headers.append((b"x-ratelimit-limit", str(allowance.limit).encode()))
                    headers.append((b"x-ratelimit-remaining", str(allowance.remaining).encode()))
                    if message["status"] == 429:
                        wait = max(1, math.ceil(allowance.reset_at - time.time()))
                        headers.append((b"retry-after", str(wait).encode()))
                    else:
                        headers.extend(
                            (k, v) for k, v in message.get("headers", []) if k.lower() == b"retry-after"
                        )
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
