"""People following people; follower and following counts kept current."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User, UserFollow
from pinhaven.accounts.scopes import Viewer
from pinhaven.accounts.service import get_by_username_or_raise
from pinhaven.errors import InvalidInput, Unauthorized
from pinhaven.pagination import Page, PageParams, bookmark_int, page_from_rows
from pinhaven.stream import events as stream_events


def _me(viewer: Viewer) -> int:
    if viewer.user_id is None:
        raise Unauthorized("Sign in to follow people.")
    return viewer.user_id


def follow_user(*, db: Session, viewer: Viewer, username: str) -> User:
    """Follow a user (idempotent)."""
    me = _me(viewer)
    target = get_by_username_or_raise(db=db, username=username)
    if target.id == me:
        raise InvalidInput("you cannot follow yourself", field="username")
    if db.get(UserFollow, (me, target.id)) is None:
        from pinhaven.notifications import hooks as social

        social.check_may_follow(db, me, target.id)  # blocked people cannot follow
        db.add(UserFollow(follower_id=me, followee_id=target.id))
        db.flush()
        _bump(db, follower_id=me, followee_id=target.id, delta=1)
        stream_events.follow(db=db, kind="user", follower_id=me, target_id=target.id, on=True)
        social.on_user_followed(db, me, target.id)
    return target


def unfollow_user(*, db: Session, viewer: Viewer, username: str) -> User:
    """Stop following a user (idempotent)."""
    me = _me(viewer)
    target = get_by_username_or_raise(db=db, username=username)
    follow = db.get(UserFollow, (me, target.id))
    if follow is not None:
        db.delete(follow)
        db.flush()
        _bump(db, follower_id=me, followee_id=target.id, delta=-1)
        stream_events.follow(db=db, kind="user", follower_id=me, target_id=target.id, on=False)
    return target


def _bump(db: Session, *, follower_id: int, followee_id: int, delta: int) -> None:
    db.execute(
        update(User).where(User.id == follower_id).values(following_count=User.following_count + delta)
    )
    db.execute(update(User).where(User.id == followee_id).values(follower_count=User.follower_count + delta))
    db.expire_all()


def is_following_user(*, db: Session, follower_id: int | None, followee_id: int) -> bool:
    if follower_id is None:
        return False
    return db.get(UserFollow, (follower_id, followee_id)) is not None


def active_users_clause() -> tuple[ColumnElement[bool], ...]:
    """WHERE terms over `User`: leave out deactivated and deleted accounts (accounts/lifecycle.py) and
    suspended ones (moderation/)."""
    return (User.deactivated_at.is_(None), User.deleted_at.is_(None), User.suspended_at.is_(None))


def list_followers(*, db: Session, user_id: int, page: PageParams) -> Page[User]:
    """People who follow `user_id`, most recent first (keyset on the follower's id within this user)."""
    query = (
        select(User)
        .join(UserFollow, UserFollow.follower_id == User.id)
        .where(UserFollow.followee_id == user_id, *active_users_clause())
    )
    cursor = bookmark_int(page.bookmark)
    if cursor is not None:
        query = query.where(User.id < cursor)
    rows = list(db.scalars(query.order_by(User.id.desc()).limit(page.page_size + 1)))
    return page_from_rows(rows, page.page_size, lambda u: u.id)


def list_following(*, db: Session, user_id: int, page: PageParams) -> Page[User]:
    """People `user_id` follows."""
    query = (
        select(User)
        .join(UserFollow, UserFollow.followee_id == User.id)
        .where(UserFollow.follower_id == user_id, *active_users_clause())
    )
    cursor = bookmark_int(page.bookmark)
    if cursor is not None:
        query = query.where(User.id < cursor)
    rows = list(db.scalars(query.order_by(User.id.desc()).limit(page.page_size + 1)))
    return page_from_rows(rows, page.page_size, lambda u: u.id)


def followed_user_ids(*, db: Session, user_id: int) -> list[int]:
    return list(db.scalars(select(UserFollow.followee_id).where(UserFollow.follower_id == user_id)))
