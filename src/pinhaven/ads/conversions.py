"""Conversions (v5 conversion API): deduplicated by event_id, matched to people, attributed to ads.

Matching: `user_data.click_id` may carry the `epik` click token Pinhaven appended to the ad's destination URL
(exact: the person and the ad clicked); otherwise the hashed e-mails (`em`, SHA-256 of the lower-cased,
trimmed address, as v5 requires) are compared with the hashed addresses of the people who saw or clicked
this account's ads within the attribution window. Raw personal data is never accepted or stored: `em` and
`external_id` must be 64 hex digits, and only the matched user id is kept.

Attribution: the person's last click on the account's ads within `click_window_days` before the event, else
their last impression within `view_window_days` (instance settings; reports may narrow them).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.ads.models import AdAccount, AdConversion, AdEvent
from pinhaven.ads.schemas import ConversionEvent, ConversionEvents
from pinhaven.ads.serving import read_click
from pinhaven.db.base import utcnow
from pinhaven.db.ids import new_id
from pinhaven.errors import InvalidInput


def email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def record_events(
    db: Session,
    *,
    account: AdAccount,
    body: ConversionEvents,
    secret_key: str,
    click_window_days: int,
    view_window_days: int,
    test: bool = False,
) -> dict[str, Any]:
    """v5 ConversionApiResponse: one status per event; `test` checks without storing."""
    results = []
    processed = 0
    for event in body.data:
        try:
            warning = _record(db, account, event, secret_key, click_window_days, view_window_days, test)
        except InvalidInput as exc:
            results.append({"status": "failed", "error_message": exc.message, "warning_message": None})
            continue
        processed += 1
        results.append({"status": "processed", "error_message": None, "warning_message": warning})
    return {"num_events_received": len(body.data), "num_events_processed": processed, "events": results}


def _record(
    db: Session,
    account: AdAccount,
    event: ConversionEvent,
    secret_key: str,
    click_days: int,
    view_days: int,
    test: bool,
) -> str | None:
    event_time = datetime.fromtimestamp(event.event_time, UTC)
    if event_time > utcnow() + timedelta(minutes=5):
        raise InvalidInput("is in the future", field="event_time")
    value_micro = None
    currency = None
    if event.custom_data is not None and event.custom_data.value is not None:
        value_micro = int(Decimal(event.custom_data.value) * 1_000_000)
        currency = event.custom_data.currency or account.currency
    user_id, clicked_ad = _match(db, account, event, secret_key, event_time, click_days)
    touch = _attribute(db, account, user_id, clicked_ad, event_time, click_days, view_days)
    if test:
        return "test event: checked, not stored"
    values = {
        "id": new_id(),
        "ad_account_id": account.id,
        "event_id": event.event_id,
        "event_name": event.event_name,
        "action_source": event.action_source,
        "event_time": event_time,
        "user_id": user_id,
        "value_micro": value_micro,
        "currency": currency,
        "created_at": utcnow(),
        **touch,
    }
    try:
        with db.begin_nested():
            db.execute(insert(AdConversion).values(**values))
    except IntegrityError:
        return "duplicate event_id: already recorded, ignored"
    return None if user_id is not None else "no Pinhaven user matched: recorded, not attributed"


def _match(
    db: Session, account: AdAccount, event: ConversionEvent, secret_key: str, at: datetime, click_days: int
) -> tuple[int | None, int | None]:
    if event.user_data.click_id:
        token = read_click(secret_key, event.user_data.click_id, max_age=timedelta(days=click_days))
        if token is not None and token.user_id is not None:
            return token.user_id, token.ad_id
    hashes = set(event.user_data.em)
    if not hashes:
        return None, None
    since = at - timedelta(days=click_days)
    audience = select(AdEvent.user_id).where(
        AdEvent.ad_account_id == account.id, AdEvent.created_at >= since, AdEvent.user_id.is_not(None)
    )
    for user_id, email in db.execute(select(User.id, User.email).where(User.id.in_(audience.distinct()))):
        if email and email_hash(email) in hashes:
            return user_id, None
    return None, None


def _attribute(
    db: Session,
    account: AdAccount,
    user_id: int | None,
    clicked_ad: int | None,
    at: datetime,
    click_days: int,
    view_days: int,
) -> dict[str, Any]:
    none = {"ad_id": None, "ad_group_id": None, "campaign_id": None, "attribution": None, "touched_at": None}
    if user_id is None:
        return none
    for kind, days in (("click", click_days), ("impression", view_days)):
        query = select(AdEvent).where(
            AdEvent.ad_account_id == account.id,
            AdEvent.user_id == user_id,
            AdEvent.kind == kind,
            AdEvent.created_at <= at,
            AdEvent.created_at >= at - timedelta(days=days),
        )
        if kind == "click" and clicked_ad is not None:
            query = query.where(AdEvent.ad_id == clicked_ad)
        touch = db.scalars(query.order_by(AdEvent.created_at.desc()).limit(1)).first()
        if touch is not None:
            return {
                "ad_id": touch.ad_id,
                "ad_group_id": touch.ad_group_id,
                "campaign_id": touch.campaign_id,
                "attribution": "click" if kind == "click" else "view",
                "touched_at": touch.created_at,
            }
    return none
