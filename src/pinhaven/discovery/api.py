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
    """The caller's home feed, paginated with `page_size` (1-250, default 25) and the signed `bookmark`.
    Signed in: a ranked, personalised session (pins from people and boards they follow mixed with
    recommendations), served page by page without repeats; `caught_up` is true on a page made only of pins
    shown before, and `request_id` goes into the impression events of the pins shown. Signed out: recent
    public pins. Promoted pins may fill some slots. Only pins the caller may see are served (never pins
    from secret boards they cannot see, hidden pins or pins hidden by moderation). Errors: 400 for a bad
    page size or a bookmark this server did not issue to this caller; 401 for a bad token.
    """
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
    """Pins related to a pin the caller may see ("more like this"), paginated with `page_size` (1-250, default
    25) and the signed `bookmark`, with a `request_id` for impression events; promoted pins may fill some
    slots. Anyone may call it, signed in or not. Related pins are only those the caller may see, and a pin
    on a secret board answers 404 to anyone but the board's owner and collaborators (a token also needs
    `pins:read_secret`). Errors: 404 for an unknown or invisible pin; 400 for a bad page size or bookmark;
    401 for a bad token.
    """
    result = related.related_pins(ctx, db=db, viewer=viewer, pin_id=parse_id(pin_id), page=page)
    items = present_pins(db=db, viewer=viewer, pins=result.items, base_url=base_url)
    items = promoted.into_pins(ctx, db, viewer=viewer, items=items, surface="related", text=promoted.page_text(items), base_url=base_url)  # fmt: skip
    return DiscoveryPage(items=items, bookmark=result.bookmark, request_id=result.request_id)


@router.get("/topics", response_model=TopicList)
def list_topics() -> TopicList:
    """The topics people pick at sign-up to seed their recommendations (keys and labels), and how many they
    must pick (`min_picks`). Public: anyone may call it, signed in or not; not the topic taxonomy, which is
    at `/ext/v1/taxonomy`. No errors but the generic ones.
    """
    return TopicList(
        items=[TopicRead(key=t.key, label=t.label) for t in topics.TOPICS], min_picks=topics.MIN_PICKS
    )


@router.get("/me/interests", response_model=InterestsRead)
def get_interests(db: DbSession, viewer: CurrentViewer) -> InterestsRead:
    """The caller's sign-up topics (keys), or null when they were never asked (the home page then offers the
    picker). Needs a signed-in caller (token or session cookie). Errors: 401 when signed out or for a bad
    token.
    """
    return InterestsRead(topics=topics.get_interests(db=db, user_id=user_id_of(viewer)))


@router.put("/me/interests", response_model=InterestsRead)
def put_interests(
    db: DbSession, viewer: Annotated[Viewer, Depends(Scopes("user_accounts:write"))], body: InterestsUpdate
) -> InterestsRead:
    """Set the caller's sign-up topics: at least 3 known keys from `/ext/v1/topics` (up to 50), or `[]` to
    skip. They seed the home feed's recommendations. Needs `user_accounts:write` (token, or session cookie
    with its CSRF token). Answers the stored topics. Errors: 400 for unknown keys or fewer than 3; 403 for
    a missing scope or CSRF token; 401 when signed out.
    """
    picks = topics.set_interests(db=db, user_id=user_id_of(viewer), topics=body.topics)
    return InterestsRead(topics=picks)


@router.get("/analytics/pins", response_model=AnalyticsRead)
def pin_analytics(
    db: DbSession, viewer: CurrentViewer, days: Annotated[int, Query(ge=1, le=analytics.MAX_DAYS)] = 30
) -> AnalyticsRead:
    """The caller's creator analytics over the last `days` UTC days (1-90, default 30): impressions,
    close-ups, outbound clicks and saves per day and in total, and their top pins. Needs a signed-in caller
    (token or session cookie). Errors: 400 for a bad `days`; 401 when signed out or for a bad token.
    """
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
    """One pin's counters (impressions, close-ups, outbound clicks, saves) over the last `days` UTC days
    (1-90, default 30) and over its lifetime, per day, and the same figures across its duplicate group.
    Only the pin's creator or its board's owner may call it (token or session cookie). Errors: 403 for
    anyone else; 404 for an unknown pin or one the caller may not see; 400 for a bad `days`; 401 when
    signed out or for a bad token.
    """
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
