"""Web sessions: signed, HttpOnly cookies; CSRF tokens bound to the session."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User

SESSION_COOKIE = "ph_session"
CSRF_COOKIE = "ph_csrf"  # for signed-out forms (sign-up, log-in): double-submit value
CSRF_HEADER = "X-CSRF-Token"
SESSION_MAX_AGE = 60 * 60 * 24 * 30


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="pinhaven.session")


def make_session_cookie(*, secret_key: str, user: User) -> str:
    # The nonce makes each login's cookie (and so its CSRF token) distinct.
    return _serializer(secret_key).dumps(
        {"u": str(user.id), "v": user.session_version, "n": secrets.token_hex(8)}
    )


def user_for_session_cookie(*, db: Session, secret_key: str, cookie: str | None) -> User | None:
    """The signed-in user, or None for a missing, forged, expired or superseded cookie."""
    if not cookie:
        return None
    try:
        data = _serializer(secret_key).loads(cookie, max_age=SESSION_MAX_AGE)
        user_id = int(data["u"])
        version = int(data["v"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    user = db.get(User, user_id)
    if user is None or user.session_version != version:
        return None
    return user


def csrf_token(*, secret_key: str, binding: str) -> str:
    """The CSRF token for a session cookie (or a signed-out visitor's random CSRF cookie)."""
    return hmac.new(secret_key.encode(), b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def csrf_valid(*, secret_key: str, binding: str | None, token: str | None) -> bool:
    if not binding or not token:
        return False
    return hmac.compare_digest(csrf_token(secret_key=secret_key, binding=binding), token)
