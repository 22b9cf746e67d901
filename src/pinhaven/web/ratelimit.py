"""Log-in throttling: failed attempts per username and client address, counted in a moving window.

Uses the `limits` package over the shared rate-limit storage (`pinhaven.ratelimits`): per process in memory,
or across every process with `PINHAVEN_RATE_LIMIT_STORAGE=redis://...`.
"""

from __future__ import annotations

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage, Storage

from pinhaven.context import AppContext
from pinhaven.ratelimits import SharedLimiter, limit_storage

SERVICE_KEY = "web.login_limiter"
SIGNUP_SERVICE_KEY = "web.signup_limiter"


class LoginLimiter:
    """Allows `per_minute` failed log-ins per (username, address); success clears the count."""

    def __init__(self, per_minute: int, storage: Storage | None = None, namespace: str = "login") -> None:
        self._item = RateLimitItemPerMinute(max(1, per_minute))
        self._limiter = SharedLimiter(storage or MemoryStorage(), namespace)

    @staticmethod
    def _key(login: str, address: str) -> str:
        return f"{login.strip().lower()}|{address}"

    def allowed(self, login: str, address: str) -> bool:
        return self._limiter.test(self._item, self._key(login, address))

    def record_failure(self, login: str, address: str) -> None:
        self._limiter.hit(self._item, self._key(login, address))

    def reset(self, login: str, address: str) -> None:
        self._limiter.clear(self._item, self._key(login, address))


def login_limiter(ctx: AppContext) -> LoginLimiter:
    """The process's limiter (created on first use from `settings.login_rate_per_minute`)."""
    limiter: LoginLimiter | None = ctx.services.get(SERVICE_KEY)
    if limiter is None:
        limiter = ctx.services.setdefault(
            SERVICE_KEY, LoginLimiter(ctx.settings.login_rate_per_minute, limit_storage(ctx))
        )
    return limiter


def signup_limiter(ctx: AppContext) -> LoginLimiter:
    """Refused sign-ups per client address (a refusal is the one answer that tells a taken email from a free
    one: bounding them bounds how fast anyone can test emails). Same rate as failed log-ins."""
    limiter: LoginLimiter | None = ctx.services.get(SIGNUP_SERVICE_KEY)
    if limiter is None:
        limiter = ctx.services.setdefault(
            SIGNUP_SERVICE_KEY,
            LoginLimiter(ctx.settings.login_rate_per_minute, limit_storage(ctx), namespace="signup"),
        )
    return limiter
