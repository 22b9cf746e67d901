"""Web: the click recorder behind promoted cards, and the ads manager pages (campaign → ad group → ad)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from pinhaven.ads import clicks, conversions
from pinhaven.ads.models import AdAccount
from pinhaven.ads.schemas import ConversionEvents
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.db.ids import parse_id
from pinhaven.errors import InvalidInput, NotFound, PinhavenError
from pinhaven.jsonbody import validated
from pinhaven.web.csrf import require_csrf

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
