"""One cache for the whole instance: in process by default, Redis with `PINHAVEN_CACHE_URL` (shared by hosts).

    make_cache(settings)      the implementation the settings choose (built once per AppContext)
    cache_of(ctx) / cache_for(db)   the context's cache (sessions carry it in `Session.info`)
    bump_on_commit(db, names)  advance generations once the session's transaction has committed

What goes through it, and how each stays correct across hosts (docs/ARCHITECTURE.md, "Several processes"):
tokens and board pages are versioned by generations (a revoke or a write is seen on the next request on every
host); related-pin lists, feed sessions and candidate sources hold ids that are re-checked for privacy and
deletion when served, so they are shared with plain TTLs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from pinhaven.cache.memory import MemoryCache
from pinhaven.cache.protocol import Cache, Generation

if TYPE_CHECKING:
    from pinhaven.config import Settings
    from pinhaven.context import AppContext

__all__ = [
    "SESSION_INFO_KEY",
    "Cache",
    "Generation",
    "MemoryCache",
    "bump_on_commit",
    "cache_for",
    "cache_of",
    "key_prefix",
    "make_cache",
]

SERVICE_KEY = "cache"
SESSION_INFO_KEY = "pinhaven.cache"
_PENDING_KEY = "pinhaven.cache.pending_bumps"


def key_prefix(settings: Settings) -> str:
    """`cache_key_prefix`, or one derived from the database URL: hosts of one instance share the database."""
    if settings.cache_key_prefix:
        return settings.cache_key_prefix
    url = settings.resolved_database_url
    try:  # the password is not part of the instance's identity (and must not reach Redis)
        url = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        pass
    return f"pinhaven:{hashlib.sha256(url.encode()).hexdigest()[:12]}:"


def make_cache(settings: Settings) -> Cache:
    if not settings.cache_url:
        return MemoryCache(settings.data_dir)
    from pinhaven.cache.redis_cache import RedisCache  # the `redis` extra is only needed when configured

    return RedisCache(settings.cache_url, prefix=key_prefix(settings))


def cache_of(ctx: AppContext) -> Cache:
    cache: Cache = ctx.services[SERVICE_KEY]
    return cache


def cache_for(db: Session) -> Cache | None:
    """The cache of the context that made this session (None for sessions made by hand, e.g. in tests)."""
    cache: Cache | None = db.info.get(SESSION_INFO_KEY)
    return cache


def bump_on_commit(db: Session, names: Iterable[str]) -> None:
    """Advance these generations after `db` commits (before would let a racing reader re-cache old rows)."""
    pending: set[str] = db.info.setdefault(_PENDING_KEY, set())
    pending.update(names)


@event.listens_for(Session, "after_commit")
def _bump_pending(session: Session) -> None:
    pending: set[str] | None = session.info.pop(_PENDING_KEY, None)
    cache = cache_for(session)
    if pending and cache is not None:
        cache.bump(*pending)
    # Rolled-back sessions keep their pending names for the next commit: an extra bump costs a cache miss,
    # a lost one would serve stale answers.


def session_info(cache: Cache) -> dict[str, Any]:
    return {SESSION_INFO_KEY: cache}
