"""Roles on accounts: member (default), moderator (the queue and its actions), admin (also instance settings)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import Viewer
from pinhaven.errors import Forbidden, InvalidInput, Unauthorized
from pinhaven.moderation.state import MODERATOR_ROLES, ROLES


def set_role(*, db: Session, user: User, role: str) -> User:
    if role not in ROLES:
        raise InvalidInput(f"must be one of {', '.join(ROLES)}", field="role")
    user.role = role
    db.flush()
    return user


def is_moderator(user: User | None) -> bool:
    return user is not None and user.role in MODERATOR_ROLES and user.suspended_at is None


def is_admin(user: User | None) -> bool:
    return user is not None and user.role == "admin" and user.suspended_at is None


def require_moderator(user: User | None) -> User:
    if user is None:
        raise Unauthorized("Authentication required.")
    if not is_moderator(user):
        raise Forbidden("Only moderators can do that.")
    return user


def require_admin(user: User | None) -> User:
    if user is None:
        raise Unauthorized("Authentication required.")
    if not is_admin(user):
        raise Forbidden("Only admins can do that.")
    return user


def viewer_user(*, db: Session, viewer: Viewer) -> User:
    """The signed-in user behind `viewer` (Unauthorized for visitors)."""
    if viewer.user_id is None:
        raise Unauthorized("Authentication required.")
    user = db.get(User, viewer.user_id)
    if user is None:
        raise Unauthorized("Authentication required.")
    return user
