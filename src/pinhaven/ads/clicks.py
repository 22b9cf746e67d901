"""Clicks on promoted pins: the signed token served with the ad → one recorded (and maybe billed) click."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from pinhaven.ads import auction
from pinhaven.ads.billing import AdRef, record_click
from pinhaven.ads.models import Ad, AdGroup
from pinhaven.ads.serving import read_click
from pinhaven.errors import InvalidInput


@dataclass(frozen=True)
class Click:
    ad_id: int
    pin_id: int
    destination_url: str | None
    recorded: bool
    billed_micro: int


def click(db: Session, *, secret_key: str, token: str) -> Click:
    """Record the click a served token stands for: once per served impression; billed (cost-per-click ads)
    at the auction price unless the same user clicked the same ad in the last 24 h or a cap is reached."""
    parsed = read_click(secret_key, token)
    if parsed is None:
        raise InvalidInput("is not a current ad click token from this server", field="token")
    ad = db.get(Ad, parsed.ad_id)
    group = db.get(AdGroup, ad.ad_group_id) if ad is not None else None
    if ad is None or group is None:
        raise InvalidInput("the ad no longer exists", field="token")
    user_key = f"u:{parsed.user_id}" if parsed.user_id is not None else f"anon:{parsed.impression}"
    result = record_click(
        db,
        event_id="c:" + parsed.impression.removeprefix("i:"),
        ref=AdRef(ad.id, ad.ad_group_id, ad.campaign_id, ad.ad_account_id),
        user_key=user_key,
        user_id=parsed.user_id,
        surface=parsed.surface,
        price_micro=parsed.price_micro,
        cpc=group.billable_event == auction.CPC,
    )
    return Click(ad.id, ad.pin_id, ad.destination_url, result.recorded, result.billed_micro)
