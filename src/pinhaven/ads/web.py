"""Web: the click recorder behind promoted cards, and the ads manager pages (campaign → ad group → ad)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import Viewer, session_viewer
from pinhaven.ads import clicks, conversions, manager, service
from pinhaven.ads.models import AdAccount, AdCampaign
from pinhaven.ads.schemas import AdAccountCreate, ConversionEvents
from pinhaven.ads.serving import forget_pool
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.db.ids import parse_id
from pinhaven.deps import DbSession
from pinhaven.errors import InvalidInput, NotFound, PinhavenError
from pinhaven.jsonbody import validated
from pinhaven.web.csrf import require_csrf
from pinhaven.web.session import SignedIn
from pinhaven.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


@router.get("/ads/click")
def click_through(request: Request, t: Annotated[str, Query(max_length=1024)] = "") -> Response:
    """A promoted card's link: record the click (its own short write transaction), then go where it leads."""
    ctx = _ctx(request)
    try:
        with session_scope(ctx.sessions) as db:
            done = clicks.click(db, secret_key=ctx.settings.secret_key, token=t)
    except PinhavenError:
        return RedirectResponse("/", status_code=303)
    if done.destination_url:  # the click id (v5 `epik`) lets the advertiser's conversions name the click
        joiner = "&" if "?" in done.destination_url else "?"
        return RedirectResponse(f"{done.destination_url}{joiner}epik={t}", status_code=303)
    return RedirectResponse(f"/pin/{done.pin_id}", status_code=303)


_PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


@router.get("/ads/tag/{ad_account_id}")
def conversion_tag(
    request: Request,
    ad_account_id: str,
    event: Annotated[str, Query(max_length=32)] = "page_visit",
    event_id: Annotated[str, Query(min_length=1, max_length=128)] = "",
    epik: Annotated[str, Query(max_length=1024)] = "",
    value: Annotated[str | None, Query(max_length=20)] = None,
    currency: Annotated[str | None, Query(max_length=3)] = None,
) -> Response:
    """The conversion tag for advertisers' web pages: an `<img>` that reports one conversion event.

    The page passes on the `epik` click id Pinhaven appended to its URL; `event_id` deduplicates (a reload
    reports nothing twice). Answers a 1×1 GIF; 400 for a malformed event, 404 for an unknown account.
    """
    ctx = _ctx(request)
    payload = {
        "data": [
            {
                "event_name": event,
                "action_source": "web",
                "event_time": int(time.time()),
                "event_id": event_id,
                "user_data": {"click_id": epik or None},
                "custom_data": {"value": value, "currency": currency} if value is not None else None,
            }
        ]
    }
    body = validated(ConversionEvents, payload)
    with session_scope(ctx.sessions) as db:
        account = db.get(AdAccount, parse_id(ad_account_id)) if parse_id(ad_account_id) else None
        if account is None:
            raise NotFound("Ad account not found.")
        result = conversions.record_events(
            db,
            account=account,
            body=body,
            secret_key=ctx.settings.secret_key,
            click_window_days=ctx.settings.ads_click_window_days,
            view_window_days=ctx.settings.ads_view_window_days,
        )
    if result["events"][0]["status"] == "failed":
        raise InvalidInput(result["events"][0]["error_message"] or "invalid event")
    return Response(_PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})


# --- the ads manager ---------------------------------------------------------------------------------------

Text = Annotated[str, Form(max_length=2048)]


def _viewer(me: User) -> Viewer:
    return session_viewer(me.id)


@router.get("/ads/manage")
def manager_home(request: Request, db: DbSession, me: SignedIn, error: str | None = None) -> Response:
    """Your ad accounts and campaigns with spend and results (last 30 days)."""
    accounts = manager.accounts_of(db, me.id)
    blocks = [
        {
            "account": a,
            "campaigns": manager.campaigns_of(db, a),
            "results": manager.results_by(db, a, "CAMPAIGN"),
        }
        for a in accounts
    ]
    today = utcnow().date()
    context = {"blocks": blocks, "error": error, "money": manager.money, "report_end": today.isoformat(),
               "report_start": (today - timedelta(days=29)).isoformat()}  # fmt: skip
    return render(request, "ads/manager.html", context)


@router.post("/ads/manage/accounts")
def manager_create_account(db: DbSession, me: SignedIn, name: Text = "") -> Response:
    try:
        service.create_account(db=db, owner_id=me.id, body=validated(AdAccountCreate, {"name": name.strip()}))
    except PinhavenError as exc:
        db.rollback()
        return _back("/ads/manage", exc)
    return RedirectResponse("/ads/manage", status_code=303)


@router.post("/ads/manage/campaigns")
def manager_create_campaign(
    db: DbSession,
    me: SignedIn,
    ad_account_id: Text = "",
    name: Text = "",
    objective_type: Text = "CONSIDERATION",
    daily_spend_cap: Text = "",
) -> Response:
    try:
        account = service.access_account(db=db, viewer=_viewer(me), ad_account_id=ad_account_id)
        item = {"name": name.strip(), "objective_type": objective_type,
                "daily_spend_cap": manager.micros(daily_spend_cap, field="daily_spend_cap")}  # fmt: skip
        (result,) = service.create_campaigns(db=db, account=account, items=[item])
        if result.error is not None:
            raise result.error
    except PinhavenError as exc:
        db.rollback()
        return _back("/ads/manage", exc)
    return RedirectResponse(f"/ads/manage/campaign/{result.obj.id}", status_code=303)


def _campaign(db: Session, me: User, campaign_id: str) -> tuple[AdAccount, AdCampaign]:
    parsed = parse_id(campaign_id)
    campaign = db.get(AdCampaign, parsed) if parsed is not None else None
    account = db.get(AdAccount, campaign.ad_account_id) if campaign is not None else None
    if campaign is None or account is None or account.owner_id != me.id:
        raise NotFound("Campaign not found.")
    return account, campaign


@router.get("/ads/manage/campaign/{campaign_id}")
def manager_campaign(
    request: Request, db: DbSession, me: SignedIn, campaign_id: str, error: str | None = None
) -> Response:
    """One campaign: its ad groups and ads with spend and results; forms for a new ad group and a new ad."""
    account, campaign = _campaign(db, me, campaign_id)
    context = {
        "account": account,
        "campaign": campaign,
        "groups": manager.groups_of(db, campaign),
        "ads": manager.ads_of(db, campaign),
        "group_results": manager.results_by(db, account, "AD_GROUP"),
        "ad_results": manager.results_by(db, account, "AD"),
        "pins": manager.promotable_pins(db, me.id),
        "targeting_of": service.targeting_of,
        "money": manager.money,
        "error": error,
    }
    return render(request, "ads/campaign.html", context)


@router.post("/ads/manage/campaign/{campaign_id}/status")
def manager_campaign_status(
    request: Request, db: DbSession, me: SignedIn, campaign_id: str, status: Text = ""
) -> Response:
    account, campaign = _campaign(db, me, campaign_id)
    forget_pool(_ctx(request))
    (result,) = service.update_campaigns(
        db=db, account=account, items=[{"id": str(campaign.id), "status": status}]
    )
    if result.error is not None:
        db.rollback()
        return _back(f"/ads/manage/campaign/{campaign_id}", result.error)
    return RedirectResponse(f"/ads/manage/campaign/{campaign_id}", status_code=303)


@router.post("/ads/manage/campaign/{campaign_id}/ad_groups")
def manager_create_ad_group(
    db: DbSession,
    me: SignedIn,
    campaign_id: str,
    name: Text = "",
    bid: Text = "",
    budget: Text = "",
    billable_event: Text = "CLICKTHROUGH",
    keywords: Text = "",
    interests: Text = "",
) -> Response:
    account, campaign = _campaign(db, me, campaign_id)
    try:
        targeting = {"KEYWORD": [k for k in keywords.split(",") if k.strip()],
                     "INTEREST": [i for i in interests.split(",") if i.strip()]}  # fmt: skip
        item = {"campaign_id": str(campaign.id), "name": name.strip(), "billable_event": billable_event,
                "bid_in_micro_currency": manager.micros(bid, field="bid", required=True),
                "budget_in_micro_currency": manager.micros(budget, field="budget"), "targeting_spec": targeting}  # fmt: skip
        (result,) = service.create_ad_groups(db=db, account=account, items=[item])
        if result.error is not None:
            raise result.error
    except PinhavenError as exc:
        db.rollback()
        return _back(f"/ads/manage/campaign/{campaign_id}", exc)
    return RedirectResponse(f"/ads/manage/campaign/{campaign_id}", status_code=303)


@router.post("/ads/manage/campaign/{campaign_id}/ads")
def manager_create_ad(
    db: DbSession,
    me: SignedIn,
    campaign_id: str,
    ad_group_id: Text = "",
    pin_id: Text = "",
    destination_url: Text = "",
) -> Response:
    account, _campaign_row = _campaign(db, me, campaign_id)
    item = {"ad_group_id": ad_group_id, "pin_id": pin_id, "destination_url": destination_url.strip() or None}
    (result,) = service.create_ads(db=db, account=account, items=[item])
    if result.error is not None:
        db.rollback()
        return _back(f"/ads/manage/campaign/{campaign_id}", result.error)
    return RedirectResponse(f"/ads/manage/campaign/{campaign_id}", status_code=303)


def _back(path: str, exc: PinhavenError) -> Response:
    return RedirectResponse(f"{path}?{urlencode({'error': exc.message})}", status_code=303)
