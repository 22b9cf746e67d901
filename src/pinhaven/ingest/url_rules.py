"""The learned link rules (domain → query parameters to drop), cached in process.

Every pin created with a link normalises it with these rules, so reading `learned_url_params` on each call
would add a query to every pin write and import row. The rules change only when the learning job runs
(hourly by default), so each process keeps them for `TTL_SECONDS` per database; the learning run clears
its own process's copy at once, other processes follow within the TTL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope

__all__ = ["TTL_SECONDS", "Rules", "forget_rules", "learned_rules", "rules_for"]

Rules = Mapping[str, frozenset[str]]

TTL_SECONDS = 30.0

_lock = threading.Lock()
_cache: dict[str, tuple[float, Rules]] = {}  # database URL (password hidden) → (loaded at, rules)


def _key(bind: Engine | Connection) -> str:
    return str(bind.engine.url)  # str() hides the password


def _cached(key: str) -> Rules | None:
    with _lock:
        hit = _cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < TTL_SECONDS:
        return hit[1]
    return None


def _load(db: Session, key: str) -> Rules:
    from pinhaven.ingest.url_learning import LearnedUrlParams

    rules = {row.domain: frozenset(row.params) for row in db.scalars(select(LearnedUrlParams))}
    with _lock:
        _cache[key] = (time.monotonic(), rules)
    return rules


def learned_rules(db: Session) -> Rules:
    """The rules for `db`'s database: from the cache, or one query when the cached copy is stale."""
    key = _key(db.get_bind())
    found = _cached(key)
    return found if found is not None else _load(db, key)


def rules_for(ctx: AppContext) -> Rules:
    """Like `learned_rules`, for code outside a transaction (a read session is opened only on a miss)."""
    key = _key(ctx.engine)
    found = _cached(key)
    if found is not None:
        return found
    with session_scope(ctx.read_sessions) as db:
        return _load(db, key)


def forget_rules() -> None:
    """Drop every cached copy (after learning, and in tests)."""
    with _lock:
        _cache.clear()
