"""Request and response shapes of reports, the moderation queue and instance settings (/ext/v1)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pinhaven.text_rules import Line, Paragraph

ID_PATTERN = r"^\d+$"


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    object_type: Line = Field(min_length=1, max_length=16, description="pin | board | user (| comment)")
    object_id: str = Field(pattern=ID_PATTERN, max_length=20)
    reason: Literal[
        "spam", "nudity", "harassment", "violence", "hate", "self_harm", "copyright", "misleading", "other"
    ]
    note: Paragraph = Field(default="", max_length=500)


class ReportRead(BaseModel):
    id: str
    object_type: str
    object_id: str
    reason: str
    note: str
    status: str
    outcome: str | None
    created_at: str


class ReportPage(BaseModel):
    items: list[ReportRead]


class ActionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["dismiss", "hide", "remove", "suspend", "restore"]
    case_id: str | None = Field(default=None, pattern=ID_PATTERN, max_length=20)
    object_type: Line | None = Field(default=None, max_length=16)
    object_id: str | None = Field(default=None, pattern=ID_PATTERN, max_length=20)
    note: Paragraph = Field(default="", max_length=500)


class ActionRead(BaseModel):
    id: str
    action: str
    actor_id: str | None
    object_type: str
    object_id: str
    note: str
    created_at: str


class CaseRead(BaseModel):
    id: str
    object_type: str
    object_id: str
    owner_id: str | None
    status: str
    outcome: str | None
    state: str
    auto_hidden: bool
    report_count: int
    signals: dict[str, Any]
    summary: dict[str, Any]
    reports: list[ReportRead]
    actions: list[ActionRead]


class CasePage(BaseModel):
    items: list[CaseRead]


class ActionPage(BaseModel):
    items: list[ActionRead]


class InstanceSettingsRead(BaseModel):
    signup: Literal["open", "closed", "invite"]
    default_board_privacy: Literal["PUBLIC", "SECRET"]
    anonymous_browsing: bool
    spam_threshold: float
    nudity_threshold: float
    flood_threshold: float


class InstanceSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signup: Literal["open", "closed", "invite"] | None = None
    default_board_privacy: Literal["PUBLIC", "SECRET"] | None = None
    anonymous_browsing: bool | None = None
    spam_threshold: float | None = Field(default=None, ge=0, le=1)
    nudity_threshold: float | None = Field(default=None, ge=0, le=1)
    flood_threshold: float | None = Field(default=None, ge=0, le=1)


class InviteRead(BaseModel):
    code: str
    created_at: str
    used: bool


class RoleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["member", "moderator", "admin"]
