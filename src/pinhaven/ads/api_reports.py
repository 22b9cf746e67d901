"""HTTP: /v5 ads analytics (account, campaigns, ad groups, ads), conversion events, and a CSV export.

Included in the app before `ads.api.router`, so `/campaigns/analytics` is never read as a campaign id.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from pinhaven.accounts.scopes import Viewer
from pinhaven.ads import conversions, reports, service
from pinhaven.ads.schemas import ConversionEvents
from pinhaven.deps import Ctx, DbSession, Scopes, v5_scopes

router = APIRouter(tags=["ads"])

AdsRead = Annotated[Viewer, Depends(v5_scopes("ads:read"))]
AdsWrite = Annotated[Viewer, Depends(v5_scopes("ads:read", "ads:write"))]
Columns = Annotated[list[Annotated[str, Query(max_length=2000)]], Query(max_length=60)]
Ids = Annotated[list[Annotated[str, Query(max_length=19)]] | None, Query(max_length=250)]
Granularity = Literal["TOTAL", "DAY", "HOUR", "WEEK", "MONTH"]
Window = Annotated[int, Query(ge=0, le=90)]  # v5 offers 0, 1, 7, 14, 30, 60
DateText = Annotated[str, Query(max_length=10)]


def _analytics(
    db: DbSession,
    viewer: Viewer,
    ad_account_id: str,
    level: str,
    start_date: str,
    end_date: str,
    columns: list[str],
    granularity: str,
    ids: list[str] | None,
    click_window_days: int,
    view_window_days: int,
) -> list[dict[str, Any]]:
    account = service.access_account(db=db, viewer=viewer, ad_account_id=ad_account_id)
    request = reports.parse_request(
        level=level,
        start_date=start_date,
        end_date=end_date,
        columns=",".join(columns),
        granularity=granularity,
        ids=ids,
        click_window_days=click_window_days,
        view_window_days=view_window_days,
    )
    return reports.rows(db, account=account, request=request)


@router.get("/v5/ad_accounts/{ad_account_id}/analytics")
def account_analytics(
    db: DbSession,
    viewer: AdsRead,
    ad_account_id: str,
    start_date: DateText,
    end_date: DateText,
    columns: Columns,
    granularity: Granularity = "DAY",
    click_window_days: Window = 30,
    view_window_days: Window = 1,
    engagement_window_days: Window = 30,
    conversion_report_time: Literal["TIME_OF_AD_ACTION", "TIME_OF_CONVERSION"] = "TIME_OF_CONVERSION",
) -> list[dict[str, Any]]:
    return _analytics(db, viewer, ad_account_id, "AD_ACCOUNT", start_date, end_date, columns, granularity,
                      None, click_window_days, view_window_days)  # fmt: skip


@router.get("/v5/ad_accounts/{ad_account_id}/campaigns/analytics")
def campaign_analytics(
    db: DbSession,
    viewer: AdsRead,
    ad_account_id: str,
    start_date: DateText,
    end_date: DateText,
    columns: Columns,
    campaign_ids: Ids = None,
    granularity: Granularity = "DAY",
    click_window_days: Window = 30,
    view_window_days: Window = 1,
    engagement_window_days: Window = 30,
    conversion_report_time: Literal["TIME_OF_AD_ACTION", "TIME_OF_CONVERSION"] = "TIME_OF_CONVERSION",
) -> list[dict[str, Any]]:
    return _analytics(db, viewer, ad_account_id, "CAMPAIGN", start_date, end_date, columns, granularity,
                      campaign_ids, click_window_days, view_window_days)  # fmt: skip


@router.get("/v5/ad_accounts/{ad_account_id}/ad_groups/analytics")
def ad_group_analytics(
    db: DbSession,
    viewer: AdsRead,
    ad_account_id: str,
    start_date: DateText,
    end_date: DateText,
    columns: Columns,
    ad_group_ids: Ids = None,
    granularity: Granularity = "DAY",
    click_window_days: Window = 30,
    view_window_days: Window = 1,
    engagement_window_days: Window = 30,
    conversion_report_time: Literal["TIME_OF_AD_ACTION", "TIME_OF_CONVERSION"] = "TIME_OF_CONVERSION",
) -> list[dict[str, Any]]:
    return _analytics(db, viewer, ad_account_id, "AD_GROUP", start_date, end_date, columns, granularity,
                      ad_group_ids, click_window_days, view_window_days)  # fmt: skip


@router.get("/v5/ad_accounts/{ad_account_id}/ads/analytics")
def ad_analytics(
    db: DbSession,
    viewer: AdsRead,
    ad_account_id: str,
    start_date: DateText,
    end_date: DateText,
    columns: Columns,
    ad_ids: Ids = None,
    granularity: Granularity = "DAY",
    click_window_days: Window = 30,
    view_window_days: Window = 1,
    engagement_window_days: Window = 30,
    conversion_report_time: Literal["TIME_OF_AD_ACTION", "TIME_OF_CONVERSION"] = "TIME_OF_CONVERSION",
) -> list[dict[str, Any]]:
    return _analytics(db, viewer, ad_account_id, "AD", start_date, end_date, columns, granularity,
                      ad_ids, click_window_days, view_window_days)  # fmt: skip


@router.post("/v5/ad_accounts/{ad_account_id}/events")
def send_conversion_events(
    db: DbSession, ctx: Ctx, viewer: AdsWrite, ad_account_id: str, body: ConversionEvents, test: bool = False
) -> dict[str, Any]:
    """v5 conversion API: events deduplicated by event_id, user data hashed (see ads/conversions.py)."""
    account = service.access_account(db=db, viewer=viewer, ad_account_id=ad_account_id)
    return conversions.record_events(
        db,
        account=account,
        body=body,
        secret_key=ctx.settings.secret_key,
        click_window_days=ctx.settings.ads_click_window_days,
        view_window_days=ctx.settings.ads_view_window_days,
        test=test,
    )


@router.get("/ext/v1/ad_accounts/{ad_account_id}/report.csv")
def report_csv(
    db: DbSession,
    viewer: Annotated[Viewer, Depends(Scopes("ads:read"))],
    ad_account_id: str,
    start_date: DateText,
    end_date: DateText,
    columns: Columns,
    level: Literal["AD_ACCOUNT", "CAMPAIGN", "AD_GROUP", "AD"] = "CAMPAIGN",
    granularity: Granularity = "DAY",
    ids: Ids = None,
) -> Response:
    """Any of the analytics reports as CSV (bearer token, or the signed-in ads manager)."""
    account = service.access_account(db=db, viewer=viewer, ad_account_id=ad_account_id)
    request = reports.parse_request(level=level, start_date=start_date, end_date=end_date,
                                    columns=",".join(columns), granularity=granularity, ids=ids)  # fmt: skip
    body = reports.to_csv(reports.rows(db, account=account, request=request), request)
    filename = f"pinhaven-ads-{account.id}-{request.start}-{request.end}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip
