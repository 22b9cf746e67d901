"""Web sessions: server-side rows named by signed, HttpOnly cookies; CSRF tokens bound to the session.

The cookie carries `{user id, session secret}` signed with the secret key; the `user_sessions` row holds only
the secret's SHA-256. A session ends when its row is revoked (log out, "log out everywhere", password change)
or expires (`SESSION_MAX_AGE` after log-in): a replayed cookie then finds a revoked row and is anonymous.

Lookups go through the instance cache (`pinhaven.cache`), like bearer tokens (`accounts.token_cache`): an
entry `session:<hash>` is versioned by the generation `sessions:<user id>`, so a request with a recently seen
cookie costs no database round trip. Revoking drops the entry at once and bumps the user's generation after
the transaction commits, so every process (every host, with Redis) refuses the cookie on its next request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User, UserSession
from pinhaven.cache import Cache, bump_on_commit, cache_for, cache_of
from pinhaven.db.base import utcnow
from pinhaven.db.engine import SessionFactory, session_scope
from pinhaven.errors import NotFound

if TYPE_CHECKING:
    from pinhaven.context import AppContext

log = logging.getLogger("pinhaven.accounts")

SESSION_COOKIE = "ph_session"
CSRF_COOKIE = "ph_csrf"  # for signed-out forms (sign-up, log-in): double-submit value
CSRF_HEADER = "X-CSRF-Token"
SESSION_MAX_AGE = 60 * 60 * 24 * 30
LAST_SEEN_EVERY = timedelta(minutes=5)  # `last_seen_at` granularity: a write per request would serialise
CACHE_TTL_SECONDS = 1.0  # in process: bounds what other hosts sharing the database still serve
SHARED_CACHE_TTL_SECONDS = 10.0  # Redis: revocations bump the shared generation; this bounds a lost bump
SERVICE_KEY = "accounts.sessions"


@dataclass(frozen=True)
class SessionRef:
    """A live session: its row id and its user."""

    session_id: int
    user_id: int


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="pinhaven.session")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _generation(user_id: int) -> str:
    return f"sessions:{user_id}"


def _key(token_hash: str) -> str:
    return f"session:{token_hash}"


def parse_cookie(*, secret_key: str, cookie: str | None) -> tuple[int, str] | None:
    """(user id, secret hash) from a well-signed, unexpired cookie; None for anything else (no I/O)."""
    if not cookie or len(cookie) > 512:
        return None
    try:
        data = _serializer(secret_key).loads(cookie, max_age=SESSION_MAX_AGE)
        user_id = int(data["u"])
        secret = data["s"]
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    if not isinstance(secret, str) or not secret:
        return None
    return user_id, _hash(secret)


def create(*, db: Session, secret_key: str, user: User, user_agent: str = "") -> tuple[UserSession, str]:
    """A new session row for `user`, and the cookie value that names it."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(
        user_id=user.id,
        token_hash=_hash(secret),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(seconds=SESSION_MAX_AGE),
        user_agent=user_agent[:200],
    )
    db.add(row)
    db.flush()
    return row, _serializer(secret_key).dumps({"u": str(user.id), "s": secret})


def make_session_cookie(*, db: Session, secret_key: str, user: User, user_agent: str = "") -> str:
    """A cookie for a new session of `user` (its row is written in `db`'s transaction)."""
    return create(db=db, secret_key=secret_key, user=user, user_agent=user_agent)[1]


class SessionCache:
    """Secret hash → SessionRef in the instance cache, versioned by the user's `sessions:<id>` generation."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self.ttl = SHARED_CACHE_TTL_SECONDS if cache.shared else CACHE_TTL_SECONDS

    def get(self, user_id: int, token_hash: str) -> tuple[SessionRef | None, str]:
        value, generation = self.cache.get_versioned(_key(token_hash), _generation(user_id))
        if value is None:
            return None, generation
        session_id, cached_user = json.loads(value)
        if cached_user != user_id:
            return None, generation
        return SessionRef(session_id=session_id, user_id=user_id), generation

    def put(self, token_hash: str, ref: SessionRef, seen: str, ttl: float) -> None:
        value = json.dumps([ref.session_id, ref.user_id]).encode()
        self.cache.set_versioned(_key(token_hash), seen, value, min(self.ttl, ttl))


def session_cache_of(ctx: AppContext) -> SessionCache:
    found: SessionCache | None = ctx.services.get(SERVICE_KEY)
    if found is None:
        found = ctx.services.setdefault(SERVICE_KEY, SessionCache(cache_of(ctx)))
    return found


def cached_session(*, ctx: AppContext, cookie: str | None) -> tuple[SessionRef | None, bool]:
    """(the session, True) when the cookie is invalid or cached (no database needed), else (None, False)."""
    parsed = parse_cookie(secret_key=ctx.settings.secret_key, cookie=cookie)
    if parsed is None:
        return None, True
    ref, _ = session_cache_of(ctx).get(*parsed)
    return ref, ref is not None


def resolve(*, ctx: AppContext, cookie: str | None) -> SessionRef | None:
    """The live session a cookie names (cache first, else one short read, then cached); None if it is not live.

    Runs outside the request's own transaction. A stale `last_seen_at` is stamped in a short write of its own,
    on a background thread.
    """
    parsed = parse_cookie(secret_key=ctx.settings.secret_key, cookie=cookie)
    if parsed is None:
        return None
    user_id, token_hash = parsed
    cache = session_cache_of(ctx)
    ref, generation = cache.get(user_id, token_hash)  # taken before the read: a racing revoke is noticed
    if ref is not None:
        return ref
    with ctx.read_sessions() as db:
        row = _live_row(db=db, user_id=user_id, token_hash=token_hash)
        if row is None:
            return None
        ref = SessionRef(session_id=row.id, user_id=row.user_id)
        remaining = (row.expires_at - utcnow()).total_seconds()
        stale = utcnow() - row.last_seen_at > LAST_SEEN_EVERY
    if stale:  # off the request's thread: it must never wait for (or hold up) the request's own writes
        _SEEN_WRITER.submit(_record_seen, sessions=ctx.sessions, session_id=ref.session_id)
    cache.put(token_hash, ref, generation, remaining)
    return ref


def _live_row(*, db: Session, user_id: int, token_hash: str) -> UserSession | None:
    row = db.scalar(select(UserSession).where(UserSession.token_hash == token_hash))
    if row is None or row.user_id != user_id or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return row


_SEEN_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pinhaven-session-seen")


def _record_seen(*, sessions: SessionFactory, session_id: int) -> None:
    """Stamp `last_seen_at` in its own short transaction (best effort: never fails the request)."""
    try:
        with session_scope(sessions) as db:
            db.execute(
                sql_update(UserSession).where(UserSession.id == session_id).values(last_seen_at=utcnow())
            )
    except Exception:  # best effort, on a background thread: log, never raise
        log.warning("could not record use of session %s", session_id, exc_info=True)


def list_active(*, db: Session, user_id: int) -> list[UserSession]:
    """The user's live sessions, newest first."""
    now = utcnow()
    query = (
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None), UserSession.expires_at > now)
        .order_by(UserSession.created_at.desc(), UserSession.id.desc())
    )
    return list(db.scalars(query))


def _forget(db: Session, rows: list[UserSession], user_ids: set[int]) -> None:
    cache = cache_for(db)
    if cache is not None:
        for row in rows:
            cache.delete(_key(row.token_hash))
    # Only once committed: a process that re-reads a row before the commit must drop what it cached.
    bump_on_commit(db, [_generation(uid) for uid in user_ids])


def revoke(*, db: Session, user_id: int, session_id: int) -> UserSession:
    """End one of the user's sessions (NotFound for someone else's or an unknown id)."""
    row = db.get(UserSession, session_id)
    if row is None or row.user_id != user_id:
        raise NotFound("Session not found.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.flush()
        _forget(db, [row], {user_id})
    return row


def revoke_all(*, db: Session, user_id: int, keep_session_id: int | None = None) -> int:
    """End every live session of the user except `keep_session_id`; the number ended."""
    rows = [row for row in list_active(db=db, user_id=user_id) if row.id != keep_session_id]
    now = utcnow()
    for row in rows:
        row.revoked_at = now
    db.flush()
    _forget(db, rows, {user_id})
    return len(rows)


def revoke_by_cookie(*, db: Session, secret_key: str, cookie: str | None) -> bool:
    """End the session this cookie names (log out); False when it names none that is live."""
    parsed = parse_cookie(secret_key=secret_key, cookie=cookie)
    if parsed is None:
        return False
    row = _live_row(db=db, user_id=parsed[0], token_hash=parsed[1])
    if row is None:
        return False
    revoke(db=db, user_id=row.user_id, session_id=row.id)
    return True


def is_current(row: UserSession, current: SessionRef | None) -> bool:
    return current is not None and current.session_id == row.id


def csrf_token(*, secret_key: str, binding: str) -> str:
    """The CSRF token for a session cookie (or a signed-out visitor's random CSRF cookie)."""
    return hmac.new(secret_key.encode(), b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def csrf_valid(*, secret_key: str, binding: str | None, token: str | None) -> bool:
    if not binding or not token:
        return False
    return hmac.compare_digest(csrf_token(secret_key=secret_key, binding=binding), token)
