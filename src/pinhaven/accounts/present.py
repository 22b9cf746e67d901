"""Rows → account responses."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pinhaven.accounts.follows import is_following_user
from pinhaven.accounts.models import User
from pinhaven.accounts.schemas import AccountRead, ProfileRead, UserSummary
from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import visible_boards_clause
from pinhaven.boards.models import Board
from pinhaven.media.models import MediaImage
from pinhaven.media.service import variant_url
from pinhaven.pins.service import count_visible_for_creator


def profile_image_url(db: Session, user: User, base_url: str, size: str = "150x150") -> str:
    if user.profile_image_id is None:
        return ""
    image = db.get(MediaImage, user.profile_image_id)
    # Profile pictures are public (media.service.access_image): the public media base may serve them.
    return variant_url(image, size, base_url=base_url, public=True) if image else ""


def present_account(*, db: Session, viewer: Viewer, user: User, base_url: str) -> AccountRead:
    """Counts are what `viewer` may see: secret boards and their pins are not counted for others."""
    board_count = db.scalar(
        select(func.count())
        .select_from(Board)
        .where(Board.owner_id == user.id, visible_boards_clause(viewer))
    )
    return AccountRead(
        account_type=user.account_type,  # type: ignore[arg-type]
        id=str(user.id),
        username=user.username,
        profile_image=profile_image_url(db, user, base_url),
        website_url=user.website_url,
        about=user.about,
        business_name=user.display_name if user.account_type == "BUSINESS" else None,
        board_count=int(board_count or 0),
        pin_count=count_visible_for_creator(db=db, viewer=viewer, creator_id=user.id),
        follower_count=max(user.follower_count, 0),
        following_count=max(user.following_count, 0),
    )


def present_user_summary(*, db: Session, user: User, base_url: str) -> UserSummary:
    return UserSummary(
        id=str(user.id),
        username=user.username,
        display_name=user.display_name,
        profile_image=profile_image_url(db, user, base_url),
    )


def present_profile(*, db: Session, viewer: Viewer, user: User, base_url: str) -> ProfileRead:
    account = present_account(db=db, viewer=viewer, user=user, base_url=base_url)
    return ProfileRead(
        id=account.id,
        username=user.username,
        display_name=user.display_name,
        about=user.about,
        website_url=user.website_url,
        profile_image=account.profile_image,
        account_type=user.account_type,
        board_count=account.board_count,
        pin_count=account.pin_count,
        follower_count=account.follower_count,
        following_count=account.following_count,
        is_following=is_following_user(db=db, follower_id=viewer.user_id, followee_id=user.id),
        is_me=viewer.user_id == user.id,
    )
