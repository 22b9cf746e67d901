"""Request and response shapes of boards and sections (Pinterest v5)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pinhaven.text_rules import Line, Paragraph

ID_PATTERN = r"^\d+$"


class Owner(BaseModel):
    username: str


class BoardMedia(BaseModel):
    image_cover_url: str | None = None
    pin_thumbnail_urls: list[str] = Field(default_factory=list)


class BoardRead(BaseModel):
    id: str
    name: str
    description: str | None
    privacy: Literal["PUBLIC", "PROTECTED", "SECRET"]
    owner: Owner
    created_at: str
    board_pins_modified_at: str
    pin_count: int
    follower_count: int
    collaborator_count: int
    media: BoardMedia
    is_ads_only: bool = False


class BoardPage(BaseModel):
    items: list[BoardRead]
    bookmark: str | None


class BoardCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Line = Field(min_length=1, max_length=180)
    description: Paragraph | None = Field(default=None, max_length=500)
    # Omitted: the instance's default board privacy (PUBLIC unless an admin chose SECRET; moderation/instance.py).
    privacy: Literal["PUBLIC", "PROTECTED", "SECRET"] | None = None


class BoardUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Line | None = Field(default=None, min_length=1, max_length=180)
    description: Paragraph | None = Field(default=None, max_length=500)
    privacy: Literal["PUBLIC", "SECRET"] | None = None


class SectionRead(BaseModel):
    id: str
    name: str


class SectionPage(BaseModel):
    items: list[SectionRead]
    bookmark: str | None


class SectionWrite(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Line = Field(min_length=1, max_length=180)


class CollaboratorAdd(BaseModel):
    model_config = ConfigDict(extra="ignore")

    username: Line = Field(min_length=1, max_length=30)


class BoardDetail(BoardRead):
    """/ext/v1 board: the v5 Board plus what the viewer may do with it."""

    is_following: bool
    is_owner: bool
    is_collaborator: bool
