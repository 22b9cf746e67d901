"""Log-in throttling: failed attempts per account and per client address, counted in a moving minute.

Per *account*, whatever identifier was typed: the username and the email of one account share a counter
(`accounts.service.login_key`), so switching identifiers does not double the guesses. Per *address*: failures
against any accounts from one address share a second, larger allowance, so spraying many usernames from one
address is throttled too. Uses the `limits` package over the shared rate-limit storage
(`pinhaven.ratelimits`): per process in memory, or across every process with Redis.
"""

from __future__ import annotations

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage, Storage

from pinhaven.context import AppContext
from pinhaven.ratelimits import SharedLimiter, limit_storage

SERVICE_KEY = "web.login_limiter"
SIGNUP_SERVICE_KEY = "web.signup_limiter"


class AttemptLimiter:
    """Allows `per_minute` counted attempts per key in a moving minute."""

    def __init__(self, per_minute: int, storage: Storage | None = None, namespace: str = "login") -> None:
        self._item = RateLimitItemPerMinute(max(1, per_minute))
        self._limiter = SharedLimiter(storage or MemoryStorage(), namespace)

    def allowed(self, key: str) -> bool:
        return self._limiter.test(self._item, key)

    def record(self, key: str) -> None:
        self._limiter.hit(self._item, key)

    def reset(self, key: str) -> None:
        self._limiter.clear(self._item, key)


class LoginLimiter:
    """Failed log-ins: `per_account` a minute per account, `per_address` a minute per client address.

    A successful log-in clears its account's count, never its address's (else an attacker could interleave
    log-ins to an account of their own to keep spraying).
    """

    def __init__(self, per_account: int, per_address: int, storage: Storage | None = None) -> None:
        storage = storage or MemoryStorage()
        self.account = AttemptLimiter(per_account, storage, "login")
        self.address = AttemptLimiter(per_address, storage, "login-address")

    def allowed(self, account_key: str, address: str) -> bool:
        return self.account.allowed(account_key) and self.address.allowed(address)

    def record_failure(self, account_key: str, address: str) -> None:
        self.account.record(account_key)
        self.address.record(address)

    def reset(self, account_key: str) -> None:
        self.account.reset(account_key)


def login_limiter(ctx: AppContext) -> LoginLimiter:
    """The process's limiter (created on first use from `login_rate_per_minute` and
    `login_address_rate_per_minute`)."""
    limiter: LoginLimiter | None = ctx.services.get(SERVICE_KEY)
    if limiter is None:
        settings = ctx.settings
        limiter = ctx.services.setdefault(
            SERVICE_KEY,
            LoginLimiter(
                settings.login_rate_per_minute, settings.login_address_rate_per_minute, limit_storage(ctx)
            ),
        )
    return limiter


def signup_limiter(ctx: AppContext) -> AttemptLimiter:
    """Refused sign-ups per client address (a refusal is the one answer that tells a taken email from a free
    one: bounding them bounds how fast anyone can test emails). Same rate as failed log-ins."""
    limiter: AttemptLimiter | None = ctx.services.get(SIGNUP_SERVICE_KEY)
    if limiter is None:
        limiter = ctx.services.setdefault(
            SIGNUP_SERVICE_KEY,
            AttemptLimiter(ctx.settings.login_rate_per_minute, limit_storage(ctx), namespace="signup"),
        )
    return limiter
