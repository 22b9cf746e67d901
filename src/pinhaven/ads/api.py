"""HTTP: /v5/ad_accounts, campaigns, ad groups and ads (Pinterest API v5, scopes ads:read / ads:write)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from pinhaven.accounts.scopes import Viewer
from pinhaven.ads import clicks, present, service
from pinhaven.ads.schemas import AdAccountCreate
from pinhaven.ads.serving import forget_pool
from pinhaven.deps import Ctx, DbSession, Pagination, Scopes, user_id_of, v5_scopes

router = APIRouter(prefix="/v5", tags=["ads"])

AdsRead = Annotated[Viewer, Depends(v5_scopes("ads:read"))]
AdsWrite = Annotated[Viewer, Depends(v5_scopes("ads:read", "ads:write"))]
Ids = Annotated[list[Annotated[str, Query(max_length=19)]] | None, Query(max_length=250)]
Statuses = Annotated[list[Literal["ACTIVE", "PAUSED", "ARCHIVED"]] | None, Query(max_length=3)]
Order = Literal["ASCENDING", "DESCENDING"]
BulkBody = Annotated[Any, Body()]


def _page(items: list[dict[str, Any]], bookmark: str | None) -> dict[str, Any]:
    return {"items": items, "bookmark": bookmark}


@router.post("/ad_accounts", status_code=201)
def create_ad_account(db: DbSession, viewer: AdsWrite, body: AdAccountCreate) -> JSONResponse:
    account = service.create_account(db=db, owner_id=user_id_of(viewer), body=body)
    return JSONResponse(present.account(db, account), status_code=201)


@router.get("/ad_accounts")
def list_ad_accounts(
    db: DbSession, viewer: AdsRead, page: Pagination, include_shared_accounts: bool = True
) -> dict[str, Any]:
    result = service.list_accounts(db=db, owner_id=user_id_of(viewer), page=page)
    return _page([present.account(db, a) for a in result.items], result.bookmark)


@router.get("/ad_accounts/{ad_account_id}")
def get_ad_account(db: DbSession, viewer: AdsRead, ad_account_id: str) -> dict[str, Any]:
    return present.account(db, service.access_account(db=db, viewer=viewer, ad_account_id=ad_account_id))


# --- campaigns ---------------------------------------------------------------------------------------------


@router.post("/ad_accounts/{ad_account_id}/campaigns")
def create_campaigns(
    db: DbSession, ctx: Ctx, viewer: AdsWrite, ad_account_id: str, body: BulkBody
) -> dict[str, Any]:
    account = service.access_account(db=db, viewer=viewer, ad_account_id=ad_account_id)
    forget_pool(ctx)  # this process serves the change at once (others within seconds)
    return present.campaign_results(service.create_campaigns(db=db, account=account, items=body))


@router.patch("/ad_accounts/{ad_account_id}/campaigns")
def update_campaigns(
    db: DbSession, ctx: Ctx, viewer: AdsWrite, ad_account_id: str, body: BulkBody
) -> dict[str, Any]:
    account = service.access_account(db=db, viewer=viewer, ad_account_id=ad_account_id)
    forget_pool(ctx)
    return present.campaign_results(service.update_campaigns(db=db, account=account, items=body))


@router.get("/ad_accounts/{ad_account_id}/campaigns")
def list_campaigns(
    db: DbSession,
    viewer: AdsRead,
    ad_account_id: str,
    page: Pagination,
    campaign_ids: Ids = None,
    entity_statuses: Statuses = None,
    order: Order = "ASCENDING",
) -> dict[str, Any]:
    account = service.access_account(db=db, viewer=viewer, ad_account_id=ad_account_id)
    result = service.list_campaigns(
        db=db, account=account, page=page, campaign_ids=campaign_ids, statuses=entity_statuses, order=order
    )
    return _page([present.campaign(c) for c in result.items], result.bookmark)


# --- ad groups ---------------------------------------------------------------------------------------------


@router.post("/ad_accounts/{ad_account_id}/ad_groups")
def create_ad_groups(
    db: DbSession, ctx: Ctx, viewer: AdsWrite, ad_account_id: str, body: BulkBody
) -> dict[str, Any]:
    account = service.access_account(db=db, viewer=viewer, ad_account_id=ad_account_id)
    forget_pool(ctx)
    return present.ad_group_results(service.create_ad_groups(db=db, account=account, items=body))


@router.patch("/ad_accounts/{ad_account_id}/ad_groups")
def update_ad_groups(
    db: DbSession, ctx: Ctx, viewer: AdsWrite, ad_account_id: str, body: BulkBody
) -> dict[str, Any]:
    account = service.access_account(db=db, viewer=viewer, ad_account_id=ad_account_id)
    forget_pool(ctx)
    return present.ad_group_results(service.update_ad_groups(db=db, account=account, items=body))


@router.get("/ad_accounts/{ad_account_id}/ad_groups")
def list_ad_groups(
    db: DbSession,
    viewer: AdsRead,
    ad_account_id: str,
    page: Pagination,
    campaign_ids: Ids = None,
    ad_group_ids: Ids = None,
    entity_statuses: Statuses = None,
    order: Order = "ASCENDING",
    translate_interests_to_names: bool = False,
) -> dict[str, Any]:
    account = service.access_account(db=db, viewer=viewer, ad_account_id=ad_account_id)
    result = service.list_ad_groups(
        db=db,
        account=account,
        page=page,
        campaign_ids=campaign_ids,
        ad_group_ids=ad_group_ids,
        statuses=entity_statuses,
        order=order,
    )
    return _page([present.ad_group(g) for g in result.items], result.bookmark)


# --- ads ---------------------------------------------------------------------------------------------------


@router.post("/ad_accounts/{ad_account_id}/ads")
def create_ads(
    db: DbSession, ctx: Ctx, viewer: AdsWrite, ad_account_id: str, body: BulkBody
) -> dict[str, Any]:
    account = service.access_account(db=db, viewer=viewer, ad_account_id=ad_account_id)
    forget_pool(ctx)
    return present.ad_results(db, service.create_ads(db=db, account=account, items=body))


@router.patch("/ad_accounts/{ad_account_id}/ads")
def update_ads(
    db: DbSession, ctx: Ctx, viewer: AdsWrite, ad_account_id: str, body: BulkBody
) -> dict[str, Any]:
    account = service.access_account(db=db, viewer=viewer, ad_account_id=ad_account_id)
    forget_pool(ctx)
    return present.ad_results(db, service.update_ads(db=db, account=account, items=body))


@router.get("/ad_accounts/{ad_account_id}/ads")
def list_ads(
    db: DbSession,
    viewer: AdsRead,
    ad_account_id: str,
    page: Pagination,
    campaign_ids: Ids = None,
    ad_group_ids: Ids = None,
    ad_ids: Ids = None,
    entity_statuses: Statuses = None,
    order: Order = "ASCENDING",
) -> dict[str, Any]:
    account = service.access_account(db=db, viewer=viewer, ad_account_id=ad_account_id)
    result = service.list_ads(
        db=db,
        account=account,
        page=page,
        campaign_ids=campaign_ids,
        ad_group_ids=ad_group_ids,
        ad_ids=ad_ids,
        statuses=entity_statuses,
        order=order,
    )
    return _page(present.ads(db, result.items), result.bookmark)


# Single-object reads: the app includes `reports.router` (/campaigns/analytics, ...) before this router, so
# "analytics" is never taken for an id.
@router.get("/ad_accounts/{ad_account_id}/campaigns/{campaign_id}")
def get_campaign(db: DbSession, viewer: AdsRead, ad_account_id: str, campaign_id: str) -> dict[str, Any]:
    account = service.access_account(db=db, viewer=viewer, ad_account_id=ad_account_id)
    return present.campaign(service.get_campaign(db=db, account=account, campaign_id=campaign_id))


@router.get("/ad_accounts/{ad_account_id}/ad_groups/{ad_group_id}")
def get_ad_group(db: DbSession, viewer: AdsRead, ad_account_id: str, ad_group_id: str) -> dict[str, Any]:
    account = service.access_account(db=db, viewer=viewer, ad_account_id=ad_account_id)
    return present.ad_group(service.get_ad_group(db=db, account=account, ad_group_id=ad_group_id))


@router.get("/ad_accounts/{ad_account_id}/ads/{ad_id}")
def get_ad(db: DbSession, viewer: AdsRead, ad_account_id: str, ad_id: str) -> dict[str, Any]:
    account = service.access_account(db=db, viewer=viewer, ad_account_id=ad_account_id)
    return present.ads(db, [service.get_ad(db=db, account=account, ad_id=ad_id)])[0]


# --- /ext/v1: clicks on promoted pins (anyone who was served the ad) --------------------------------------

ext_router = APIRouter(prefix="/ext/v1", tags=["ads"])


# A click is an engagement event: the scope of POST /ext/v1/events (signed-out visitors too).
ClickReporter = Annotated[Viewer, Depends(Scopes("user_accounts:write", allow_anonymous=True))]


class ClickBody(BaseModel):
    token: str = Field(min_length=1, max_length=1024)


@ext_router.post("/ads/click")
def record_click(db: DbSession, ctx: Ctx, viewer: ClickReporter, body: ClickBody) -> dict[str, Any]:
    """Report a click on a promoted pin with the `ad_click_token` it was served with. Signed-out visitors may call
    it; a token needs `user_accounts:write` (as for engagement events), a cookie write the CSRF token. The answer
    names the ad, the pin and the destination URL, and whether the click was billed (a repeat click by the same
    person on the same ad within 24 hours is not). Errors: 400 for a malformed, forged or expired token or an ad that
    no longer exists; 403 for a missing scope or CSRF token; 429 when rate-limited."""
    done = clicks.click(db, secret_key=ctx.settings.secret_key, token=body.token)
    return {"ad_id": str(done.ad_id), "pin_id": str(done.pin_id), "destination_url": done.destination_url,
            "recorded": done.recorded}  # fmt: skip
