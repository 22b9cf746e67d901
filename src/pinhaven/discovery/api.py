"""HTTP: /ext/v1 home feed, related pins, sign-up topics and creator analytics."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from pinhaven.accounts.scopes import Viewer
from pinhaven.ads import inject as promoted
from pinhaven.db.ids import parse_id
from pinhaven.deps import BaseUrl, Ctx, CurrentViewer, DbSession, Pagination, Scopes, user_id_of
from pinhaven.discovery import analytics, feed, related, topics
from pinhaven.discovery.schemas import (
    AnalyticsRead,
    Counts,
    DayCounts,
    DiscoveryPage,
    GroupCounts,
    InterestsRead,
    InterestsUpdate,
    PinAnalyticsRead,
    PinCounts,
    TopicList,
    TopicRead,
)
from pinhaven.pins.present import present_pins

router = APIRouter(prefix="/ext/v1", tags=["discovery"])


@router.get("/feed/home", response_model=DiscoveryPage)
def home_feed(
    db: DbSession, ctx: Ctx, viewer: CurrentViewer, page: Pagination, base_url: BaseUrl
) -> DiscoveryPage:
    """Personalised home feed (signed in); recent public pins for anonymous callers."""
    result = feed.home_feed(ctx, db=db, viewer=viewer, page=page)
    items = present_pins(db=db, viewer=viewer, pins=result.items, base_url=base_url)
    items = promoted.into_pins(ctx, db, viewer=viewer, items=items, surface="home", text=promoted.page_text(items), base_url=base_url)  # fmt: skip
    return DiscoveryPage(
        items=items, bookmark=result.bookmark, request_id=result.request_id, caught_up=result.caught_up
    )


@router.get("/pins/{pin_id}/related", response_model=DiscoveryPage)
def related_pins(
    db: DbSession, ctx: Ctx, viewer: CurrentViewer, pin_id: str, page: Pagination, base_url: BaseUrl
) -> DiscoveryPage:
    """Pins related to a pin you may see ("more like this")."""
    result = related.related_pins(ctx, db=db, viewer=viewer, pin_id=parse_id(pin_id), page=page)
    items = present_pins(db=db, viewer=viewer, pins=result.items, base_url=base_url)
    items = promoted.into_pins(ctx, db, viewer=viewer, items=items, surface="related", text=promoted.page_text(items), base_url=base_url)  # fmt: skip
    return DiscoveryPage(items=items, bookmark=result.bookmark, request_id=result.request_id)


@router.get("/topics", response_model=TopicList)
def list_topics() -> TopicList:
    """The topics people pick at sign-up (cold-start recommendations)."""
    return TopicList(
        items=[TopicRead(key=t.key, label=t.label) for t in topics.TOPICS], min_picks=topics.MIN_PICKS
    )


@router.get("/me/interests", response_model=InterestsRead)
def get_interests(db: DbSession, viewer: CurrentViewer) -> InterestsRead:
    return InterestsRead(topics=topics.get_interests(db=db, user_id=user_id_of(viewer)))


@router.put("/me/interests", response_model=InterestsRead)
def put_interests(
    db: DbSession, viewer: Annotated[Viewer, Depends(Scopes("user_accounts:write"))], body: InterestsUpdate
) -> InterestsRead:
    """Set your topics (at least 3 known keys), or [] to skip."""
    picks = topics.set_interests(db=db, user_id=user_id_of(viewer), topics=body.topics)
    return InterestsRead(topics=picks)


@router.get("/analytics/pins", response_model=AnalyticsRead)
def pin_analytics(
    db: DbSession, viewer: CurrentViewer, days: Annotated[int, Query(ge=1, le=analytics.MAX_DAYS)] = 30
) -> AnalyticsRead:
    """Your pins' impressions, close-ups, outbound clicks and saves per day, and your top pins."""
    summary = analytics.creator_summary(db=db, viewer=viewer, days=days)
    return AnalyticsRead(
        days=summary.days,
        totals=Counts(**summary.totals),
        series=[DayCounts(**{**asdict(p), "day": p.day.isoformat()}) for p in summary.series],
        pins=[
            PinCounts(
                pin_id=str(t.pin.id),
                title=t.pin.title,
                impressions=t.impressions,
                closeups=t.closeups,
                outbound_clicks=t.outbound_clicks,
                saves=t.saves,
            )
            for t in summary.pins
        ],
    )


@router.get("/pins/{pin_id}/analytics", response_model=PinAnalyticsRead)
def one_pin_analytics(
    db: DbSession,
    viewer: CurrentViewer,
    pin_id: str,
    days: Annotated[int, Query(ge=1, le=analytics.MAX_DAYS)] = 30,
) -> PinAnalyticsRead:
    """One of your pins: its counters per day, and the same picture across its duplicate group."""
    stats = analytics.pin_stats(db=db, viewer=viewer, pin_id=parse_id(pin_id), days=days)
    group = stats.group
    return PinAnalyticsRead(
        pin_id=str(stats.pin.id),
        days=stats.days,
        window=Counts(**stats.window),
        lifetime=Counts(**stats.lifetime),
        series=[DayCounts(**{**asdict(p), "day": p.day.isoformat()}) for p in stats.series],
        group=None
        if group is None
        else GroupCounts(
            group_id=str(group.group_id),
            pin_count=group.pin_count,
            window=Counts(**group.window),
            lifetime=Counts(**group.lifetime),
        ),
    )
