"""Request and response shapes of /ext/v1/notifications."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from pinhaven.accounts.schemas import UserSummary
from pinhaven.boards.schemas import ID_PATTERN


class NotificationObject(BaseModel):
    type: str  # user | board | pin | comment | invitation | conversation | followed_save
    id: str | None
    pin_id: str | None = None
    board_id: str | None = None
    url: str


class NotificationRead(BaseModel):
    id: str
    type: str  # follow | save | comment | reaction | mention | invite | message
    actors: list[UserSummary]
    actor_count: int
    object: NotificationObject
    text: str
    excerpt: str | None
    is_read: bool
    created_at: str
    updated_at: str


class NotificationPage(BaseModel):
    items: list[NotificationRead]
    bookmark: str | None
    unread_count: int


class MarkRead(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[str] | None = Field(default=None, max_length=250)
    all: bool = False

    def parsed_ids(self) -> list[int] | None:
        if self.ids is None:
            return None
        import re

        pattern = re.compile(ID_PATTERN)
        out = []
        for value in self.ids:
            if not pattern.match(value) or len(value) > 19:
                from pinhaven.errors import InvalidInput

                raise InvalidInput("must be numeric ids", field="ids")
            out.append(int(value))
        return out


class MarkReadResult(BaseModel):
    updated: int
    unread_count: int


class NotificationSettingRead(BaseModel):
    type: str
    label: str
    in_app: bool
    email: bool


class NotificationSettings(BaseModel):
    items: list[NotificationSettingRead]


class NotificationSettingChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    in_app: bool | None = None
    email: bool | None = None


class NotificationSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    settings: dict[str, NotificationSettingChange] = Field(max_length=20)
