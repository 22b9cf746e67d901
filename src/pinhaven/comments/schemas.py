"""Request and response shapes of comments and reactions (/ext/v1)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pinhaven.accounts.schemas import UserSummary
from pinhaven.boards.schemas import ID_PATTERN
from pinhaven.pins.schemas import PinRead

ReactionType = Literal["love", "good_idea", "thanks", "wow", "haha"]


class CommentRead(BaseModel):
    id: str
    pin_id: str
    parent_id: str | None
    text: str
    mentions: list[str]  # usernames mentioned that exist (pages link them)
    author: UserSummary
    created_at: str
    edited_at: str | None
    can_edit: bool
    can_delete: bool
    replies: list[CommentRead] = []
    reply_count: int = 0


class CommentPage(BaseModel):
    items: list[CommentRead]
    bookmark: str | None
    comment_count: int
    reactions: dict[str, int]
    my_reaction: str | None


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=2000)  # the 500-character limit is the service's (400 with a clear message)
    parent_id: str | None = Field(default=None, pattern=ID_PATTERN, max_length=19)


class CommentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=2000)


class ReactionWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reaction_type: ReactionType


class ReactionSummary(BaseModel):
    pin_id: str
    reactions: dict[str, int]
    my_reaction: str | None


class PinWithSocial(PinRead):
    """/ext/v1/pins/{id}: the v5 Pin plus its comment and reaction counts (v5 has no such fields)."""

    comment_count: int = 0
    reactions: dict[str, int] = {}
    my_reaction: str | None = None
