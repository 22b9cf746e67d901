"""Users, passwords, profiles and API tokens."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from pinhaven.accounts.models import ApiToken, User
from pinhaven.accounts.passwords import hash_password, stand_in_hash, verify_password
from pinhaven.accounts.scopes import DEFAULT_TOKEN_SCOPES, Viewer, parse_scopes
from pinhaven.accounts.sessions import revoke_all as revoke_all_sessions
from pinhaven.accounts.token_cache import GENERATION as TOKENS_GENERATION
from pinhaven.accounts.token_cache import TokenCache
from pinhaven.cache import bump_on_commit, cache_for
from pinhaven.db.base import utcnow
from pinhaven.db.engine import SessionFactory, session_scope
from pinhaven.errors import Conflict, InvalidInput, NotFound, Unauthorized

log = logging.getLogger("pinhaven.accounts")

USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{3,30}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
TOKEN_PREFIX = "phv_"


def _check_username(username: str) -> str:
    if not USERNAME_RE.match(username):
        raise InvalidInput("must be 3–30 letters, digits or underscores", field="username")
    return username


def _check_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise InvalidInput("is not a valid email address", field="email")
    return email.lower()


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"must be at least {MIN_PASSWORD} characters", field="password")
    if len(password) > 1024:
        raise InvalidInput("must be at most 1024 characters", field="password")
    return password


def get(*, db: Session, user_id: int) -> User | None:
    return db.get(User, user_id)


def get_or_raise(*, db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("User not found.")
    return user


def get_by_username(*, db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(func.lower(User.username) == username.lower()))


def is_active(user: User) -> bool:
    """Neither deactivated nor deleted (accounts/lifecycle.py) nor suspended by a moderator (moderation/):
    such accounts are hidden from everyone."""
    return user.deactivated_at is None and user.deleted_at is None and user.suspended_at is None


def get_by_username_or_raise(*, db: Session, username: str) -> User:
    """The active user of that name; NotFound for an unknown, deactivated or deleted account."""
    user = get_by_username(db=db, username=username)
    if user is None or not is_active(user):
        raise NotFound(f"User {username!r} not found.")
    return user


SIGNUP_CONFLICT = "That username or email is taken: choose another username, or log in."


def create(
    *,
    db: Session,
    username: str,
    email: str,
    password: str,
    display_name: str = "",
    account_type: str = "PINNER",
) -> User:
    """A new user; usernames and emails are unique regardless of case.

    Whether an email is registered is nobody else's business: a taken username or email give the same
    answer, after the same work (the password is hashed first, as a successful sign-up does).
    """
    _check_username(username)
    email = _check_email(email)
    _check_password(password)
    if account_type not in ("PINNER", "BUSINESS"):
        raise InvalidInput("must be PINNER or BUSINESS", field="account_type")
    password_hash = hash_password(password)
    taken = get_by_username(db=db, username=username) is not None
    if taken or db.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(SIGNUP_CONFLICT)
    user = User(
        username=username,
        email=email,
        password_hash=password_hash,
        display_name=display_name.strip()[:100] or username,
        account_type=account_type,
    )
    db.add(user)
    db.flush()
    return user


def login_key(*, db: Session, login: str) -> str:
    """The log-in throttling key: the account's id when a username or email names one (both spellings of one
    account share it), else the normalised text typed."""
    login = login.strip()
    if "@" in login:
        user_id = db.scalar(select(User.id).where(User.email == login.lower()))
    else:
        user_id = db.scalar(select(User.id).where(func.lower(User.username) == login.lower()))
    return f"user:{user_id}" if user_id is not None else f"login:{login.lower()}"


def authenticate(*, db: Session, login: str, password: str) -> User | None:
    """The user whose username or email and password match, else None.

    Logging in reactivates a deactivated account; a deleted one (erasure pending) never logs in.
    """
    login = login.strip()
    if "@" in login:
        user = db.scalar(select(User).where(User.email == login.lower()))
    else:
        user = get_by_username(db=db, username=login)
    if user is None:
        verify_password(stand_in_hash(), password)  # the same cost whether or not the account exists
        return None
    if not verify_password(user.password_hash, password) or user.deleted_at is not None:
        return None
    if user.suspended_at is not None:  # suspended by a moderator (moderation/): no new sessions
        return None
    if user.deactivated_at is not None:
        from pinhaven.accounts import lifecycle

        lifecycle.reactivate(db=db, user=user)
    return user


def change_password(*, db: Session, user: User, current_password: str, new_password: str) -> None:
    """Change the password and end every session (the caller opens a new one for the person who changed it)."""
    if not verify_password(user.password_hash, current_password):
        raise InvalidInput("is not your current password", field="current_password")
    user.password_hash = hash_password(_check_password(new_password))
    user.session_version += 1
    db.flush()
    revoke_all_sessions(db=db, user_id=user.id)


def update_profile(
    *,
    db: Session,
    user: User,
    display_name: str | None = None,
    about: str | None = None,
    website_url: str | None = None,
    profile_image_id: int | None = None,
) -> User:
    if display_name is not None:
        display_name = display_name.strip()
        if not 1 <= len(display_name) <= 100:
            raise InvalidInput("must be 1–100 characters", field="display_name")
        user.display_name = display_name
    if about is not None:
        if len(about) > 500:
            raise InvalidInput("must be at most 500 characters", field="about")
        user.about = about
    if website_url is not None:
        website_url = website_url.strip()
        if website_url and not re.match(r"^https?://[^\s]+$", website_url):
            raise InvalidInput("must be an http(s) URL", field="website_url")
        if len(website_url) > 2048:
            raise InvalidInput("must be at most 2048 characters", field="website_url")
        user.website_url = website_url
    if profile_image_id is not None:
        user.profile_image_id = profile_image_id
    db.flush()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    *, db: Session, user: User, name: str, scopes: str | list[str] | tuple[str, ...] = DEFAULT_TOKEN_SCOPES
) -> tuple[ApiToken, str]:
    """A new API token; the plaintext is returned once and only its hash is kept."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("must be 1–100 characters", field="name")
    try:
        scope_set = parse_scopes(scopes)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="scopes") from exc
    if not scope_set:
        raise InvalidInput("choose at least one scope", field="scopes")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name, token_hash=_token_hash(plaintext), scopes=" ".join(sorted(scope_set))
    )
    db.add(token)
    db.flush()
    return token, plaintext


def list_tokens(*, db: Session, user: User) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def revoke_token(*, db: Session, user: User, token_id: int) -> ApiToken:
    token = db.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("Token not found.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.flush()
        cache = cache_for(db)
        if cache is not None:
            TokenCache(cache).forget(token.token_hash)
        # Only once committed: a process that re-reads the token before the commit must drop it afterwards.
        bump_on_commit(db, [TOKENS_GENERATION])
    return token


def viewer_for_token(*, db: Session, plaintext: str) -> tuple[Viewer, int | None]:
    """The viewer a bearer token stands for, and the token's id when its `last_used_at` is stale.

    Unauthorized when the token is unknown or revoked.
    """
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(plaintext)))
    if token is None or token.revoked_at is not None:
        raise Unauthorized("Authentication failed: unknown or revoked access token.")
    owner = db.get(User, token.user_id)
    if owner is None or not is_active(owner):  # tokens sleep while the account is deactivated
        raise Unauthorized("Authentication failed: unknown or revoked access token.")
    viewer = Viewer(user_id=token.user_id, scopes=parse_scopes(token.scopes), via="token")
    # Minute granularity: a write per request would serialise readers.
    stale = token.last_used_at is None or utcnow() - token.last_used_at > timedelta(minutes=1)
    return viewer, token.id if stale else None


def cached_viewer(*, tokens: TokenCache, plaintext: str) -> Viewer | None:
    """The viewer for a bearer token resolved lately and not revoked since (no database access)."""
    return tokens.get(_token_hash(plaintext))


def resolve_token(
    *, read_sessions: SessionFactory, sessions: SessionFactory, tokens: TokenCache, plaintext: str
) -> Viewer:
    """The viewer for a bearer token, read in a short transaction of its own and then cached.

    Unauthorized when the token is unknown or revoked (never cached). A stale `last_used_at` is stamped in
    another short transaction: callers resolve the viewer before their own transaction takes any lock.
    """
    stamp = tokens.stamp()  # before the read: a revocation committed after it invalidates what we cache
    with read_sessions() as db:
        viewer, stale_token_id = viewer_for_token(db=db, plaintext=plaintext)
    if stale_token_id is not None:
        record_token_use(sessions=sessions, token_id=stale_token_id)
    tokens.put(_token_hash(plaintext), viewer, stamp)
    return viewer


def stamp_token_use(*, db: Session, token_id: int) -> None:
    """Stamp `last_used_at` in the current transaction."""
    db.execute(sql_update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))


def record_token_use(*, sessions: SessionFactory, token_id: int) -> None:
    """Stamp `last_used_at` in its own short transaction (best effort: never fails the request)."""
    try:
        with session_scope(sessions) as db:
            stamp_token_use(db=db, token_id=token_id)
    except SQLAlchemyError:
        log.warning("could not record use of token %s", token_id, exc_info=True)
