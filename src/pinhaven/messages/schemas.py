"""Request and response shapes of /ext/v1 conversations, messages and blocks."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pinhaven.accounts.schemas import UserSummary
from pinhaven.boards.schemas import ID_PATTERN


class MessageRead(BaseModel):
    id: str
    conversation_id: str
    sender: UserSummary
    text: str | None
    pin_id: str | None  # None also when the reader may no longer see the pin
    pin_hidden: bool = False
    created_at: str


class ConversationRead(BaseModel):
    id: str
    members: list[UserSummary]
    last_message: MessageRead | None
    unread_count: int


class ConversationPage(BaseModel):
    items: list[ConversationRead]
    bookmark: str | None
    unread_count: int


class MessagePage(BaseModel):
    items: list[MessageRead]
    bookmark: str | None


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    usernames: list[str] = Field(min_length=1, max_length=10)
    text: str | None = Field(default=None, max_length=4000)
    pin_id: str | None = Field(default=None, pattern=ID_PATTERN, max_length=19)


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=4000)
    pin_id: str | None = Field(default=None, pattern=ID_PATTERN, max_length=19)


class UnreadCount(BaseModel):
    unread_count: int


class MessageSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages_from: Literal["connected", "anyone"]


class BlockRead(BaseModel):
    username: str
    blocked: bool
