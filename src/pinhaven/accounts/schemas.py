"""Request and response shapes of accounts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class AccountRead(BaseModel):
    """v5 Account (GET /user_account)."""

    account_type: Literal["PINNER", "BUSINESS"]
    id: str
    username: str
    profile_image: str
    website_url: str
    about: str
    business_name: str | None = None
    board_count: int
    pin_count: int
    follower_count: int
    following_count: int
    monthly_views: int = 0


class UserSummary(BaseModel):
    id: str
    username: str
    display_name: str
    profile_image: str


class UserPage(BaseModel):
    items: list[UserSummary]
    bookmark: str | None


class ProfileRead(BaseModel):
    """A user's public profile as the viewer may see it (/ext/v1)."""

    id: str
    username: str
    display_name: str
    about: str
    website_url: str
    profile_image: str
    account_type: str
    board_count: int
    pin_count: int
    follower_count: int
    following_count: int
    is_following: bool
    is_me: bool


class SessionRead(BaseModel):
    """A signed-in web session (GET /ext/v1/me/sessions)."""

    id: str
    created_at: str
    last_seen_at: str
    expires_at: str
    user_agent: str
    current: bool


class SessionList(BaseModel):
    items: list[SessionRead]


class SessionsEnded(BaseModel):
    ended: int
