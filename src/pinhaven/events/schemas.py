"""Request and response shapes of the events API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventIn(BaseModel):
    """One event as clients send it (documentation: the API validates each event itself, see EventBatch)."""

    type: str = Field(description="impression | closeup | click (save and hide are recorded by the server)")
    pin_id: str = Field(description="The pin's id (decimal string)")
    surface: str = Field(description="home | related | search | board | profile | pin")
    position: int = Field(default=0, description="0-based slot in the list the pin was shown in (≤ 10000)")
    request_id: str | None = Field(
        default=None, description="The `request_id` of the page that showed the pin"
    )
    at: str | None = Field(default=None, description="ISO 8601 time (default: when received; ≤ 1 day old)")


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # Items stay untyped so one bad event is dropped and counted instead of failing the whole batch.
    events: list[Any] = Field(
        max_length=100,
        description="Up to 100 events shaped like EventIn: {type, pin_id, surface, position, request_id, at}; "
        "bad ones are dropped and counted by reason",
    )


class EventsAccepted(BaseModel):
    accepted: int
    dropped: dict[str, int]


class HideResult(BaseModel):
    pin_id: str
    hidden: bool
    changed: bool
