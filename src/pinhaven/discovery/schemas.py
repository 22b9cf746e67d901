"""Response and request shapes of the discovery API (/ext/v1 feed, related pins, topics, analytics)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from pinhaven.pins.schemas import PinRead


class DiscoveryPage(BaseModel):
    """A v5-style page of pins; `request_id` goes into the engagement events of the pins shown."""

    items: list[PinRead]
    bookmark: str | None
    request_id: str | None = None
    caught_up: bool = Field(
        default=False, description="Home feed: every pin of this page was shown to you before (older pins)"
    )


class TopicRead(BaseModel):
    key: str
    label: str


class TopicList(BaseModel):
    items: list[TopicRead]
    min_picks: int


class InterestsUpdate(BaseModel):
    topics: list[str] = Field(max_length=50, description="Topic keys from GET /ext/v1/topics; [] skips")


class InterestsRead(BaseModel):
    topics: list[str] | None


class Counts(BaseModel):
    impressions: int
    closeups: int
    outbound_clicks: int
    saves: int


class DayCounts(Counts):
    day: str


class PinCounts(Counts):
    pin_id: str
    title: str | None


class AnalyticsRead(BaseModel):
    days: int
    totals: Counts
    series: list[DayCounts]
    pins: list[PinCounts]


class GroupCounts(BaseModel):
    group_id: str
    pin_count: int = Field(description="Pins of the duplicate group you may see, this one included")
    window: Counts
    lifetime: Counts


class PinAnalyticsRead(BaseModel):
    pin_id: str
    days: int
    window: Counts
    lifetime: Counts
    series: list[DayCounts]
    group: GroupCounts | None = Field(
        description="The same picture across its duplicate group; null if alone"
    )
