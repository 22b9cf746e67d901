"""Blocks: a blocked person cannot follow, message or mention the blocker, nor is shown the blocker's content
as a suggestion (and the blocker stops seeing theirs)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User, UserFollow
from pinhaven.accounts.scopes import Viewer
from pinhaven.accounts.service import get_by_username_or_raise
from pinhaven.errors import InvalidInput, Unauthorized
from pinhaven.messages.models import UserBlock


def blocked_between(db: Session, a: int | None, b: int | None) -> bool:
    """Has either of the two blocked the other?"""
    if a is None or b is None or a == b:
        return False
    found = db.scalar(
        select(UserBlock.blocker_id)
        .where(
            or_(
                (UserBlock.blocker_id == a) & (UserBlock.blocked_id == b),
                (UserBlock.blocker_id == b) & (UserBlock.blocked_id == a),
            )
        )
        .limit(1)
    )
    return found is not None


def blocked_user_ids(db: Session, user_id: int | None) -> set[int]:
    """Everyone `user_id` blocked or was blocked by (for filtering suggestions)."""
    if user_id is None:
        return set()
    ids = set(db.scalars(select(UserBlock.blocked_id).where(UserBlock.blocker_id == user_id)))
    ids.update(db.scalars(select(UserBlock.blocker_id).where(UserBlock.blocked_id == user_id)))
    return ids


def filter_blocked(db: Session, user_id: int | None, user_ids: Iterable[int]) -> list[int]:
    blocked = blocked_user_ids(db, user_id)
    return [u for u in user_ids if u not in blocked]


def block(*, db: Session, viewer: Viewer, username: str) -> User:
    """Block a person (idempotent): follows between you in both directions end."""
    if viewer.user_id is None:
        raise Unauthorized("Sign in to block people.")
    target = get_by_username_or_raise(db=db, username=username)
    if target.id == viewer.user_id:
        raise InvalidInput("you cannot block yourself", field="username")
    if db.get(UserBlock, (viewer.user_id, target.id)) is None:
        db.add(UserBlock(blocker_id=viewer.user_id, blocked_id=target.id))
        db.flush()
        from pinhaven.accounts import follows

        me = db.get(User, viewer.user_id)
        assert me is not None
        for follower, followee in ((viewer.user_id, target.id), (target.id, viewer.user_id)):
            if db.get(UserFollow, (follower, followee)) is not None:
                who = Viewer(user_id=follower, scopes=viewer.scopes, via=viewer.via)
                follows.unfollow_user(
                    db=db, viewer=who, username=(target if followee == target.id else me).username
                )
    return target


def unblock(*, db: Session, viewer: Viewer, username: str) -> User:
    if viewer.user_id is None:
        raise Unauthorized("Sign in to block people.")
    target = get_by_username_or_raise(db=db, username=username)
    db.execute(
        delete(UserBlock).where(UserBlock.blocker_id == viewer.user_id, UserBlock.blocked_id == target.id)
    )
    return target


def is_blocking(db: Session, blocker_id: int | None, blocked_id: int) -> bool:
    return blocker_id is not None and db.get(UserBlock, (blocker_id, blocked_id)) is not None
