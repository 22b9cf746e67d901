"""Rows → Pinterest v5 dicts (AdAccount, CampaignResponse, AdGroupResponse, AdResponse, bulk results)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.ads.models import Ad, AdAccount, AdCampaign, AdGroup
from pinhaven.ads.service import ItemResult, summary_status, targeting_of
from pinhaven.pins.models import Pin


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def account(db: Session, row: AdAccount) -> dict[str, Any]:
    owner = db.get(User, row.owner_id)
    return {
        "id": str(row.id),
        "name": row.name,
        "owner": {"username": owner.username if owner else "", "id": str(row.owner_id)},
        "country": row.country,
        "currency": row.currency,
        "permissions": ["OWNER"],
        "created_time": _ts(row.created_at),
        "updated_time": _ts(row.updated_at),
    }


def campaign(row: AdCampaign) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "ad_account_id": str(row.ad_account_id),
        "name": row.name,
        "status": row.status,
        "lifetime_spend_cap": row.lifetime_spend_cap,
        "daily_spend_cap": row.daily_spend_cap,
        "order_line_id": None,
        "tracking_urls": None,
        "start_time": row.start_time,
        "end_time": row.end_time,
        "is_flexible_daily_budgets": False,
        "objective_type": row.objective_type,
        "created_time": _ts(row.created_at),
        "updated_time": _ts(row.updated_at),
        "type": "campaign",
        "is_campaign_budget_optimization": False,
        "summary_status": summary_status(row.status, row.start_time, row.end_time),
    }


def ad_group(row: AdGroup) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "ad_account_id": str(row.ad_account_id),
        "campaign_id": str(row.campaign_id),
        "name": row.name,
        "status": row.status,
        "budget_in_micro_currency": row.budget_in_micro_currency,
        "bid_in_micro_currency": row.bid_in_micro_currency,
        "optimization_goal_metadata": None,
        "budget_type": row.budget_type,
        "start_time": row.start_time,
        "end_time": row.end_time,
        "targeting_spec": targeting_of(row),
        "lifetime_frequency_cap": row.lifetime_frequency_cap,
        "tracking_urls": None,
        "auto_targeting_enabled": False,
        "placement_group": row.placement_group,
        "pacing_delivery_type": "STANDARD",
        "billable_event": row.billable_event,
        "bid_strategy_type": "MAX_BID",
        "targeting_template_ids": None,
        "created_time": _ts(row.created_at),
        "updated_time": _ts(row.updated_at),
        "type": "adgroup",
        "conversion_learning_mode_type": None,
        "summary_status": summary_status(row.status, row.start_time, row.end_time),
    }


def ads(db: Session, rows: Sequence[Ad]) -> list[dict[str, Any]]:
    existing = set(db.scalars(select(Pin.id).where(Pin.id.in_([r.pin_id for r in rows])))) if rows else set()
    return [_ad(row, row.pin_id not in existing) for row in rows]


def _ad(row: Ad, pin_deleted: bool) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "ad_group_id": str(row.ad_group_id),
        "campaign_id": str(row.campaign_id),
        "ad_account_id": str(row.ad_account_id),
        "pin_id": str(row.pin_id),
        "creative_type": "REGULAR",
        "destination_url": row.destination_url,
        "name": row.name,
        "status": row.status,
        "review_status": row.review_status,
        "is_pin_deleted": pin_deleted,
        "is_removable": False,
        "android_deep_link": None,
        "ios_deep_link": None,
        "click_tracking_url": None,
        "view_tracking_url": None,
        "tracking_urls": None,
        "carousel_android_deep_links": None,
        "carousel_destination_urls": None,
        "carousel_ios_deep_links": None,
        "lead_form_id": None,
        "grid_click_type": "CLOSEUP",
        "customizable_cta_type": None,
        "quiz_pin_data": None,
        "collection_items_destination_url_template": None,
        "rejected_reasons": [],
        "rejection_labels": [],
        "type": "pinpromotion",
        "created_time": _ts(row.created_at),
        "updated_time": _ts(row.updated_at),
        "summary_status": "RUNNING" if row.status == "ACTIVE" and not pin_deleted else row.status,
    }


def _exception(result: ItemResult) -> dict[str, Any]:
    """v5 Exception: `{code, message}`."""
    assert result.error is not None
    return {"code": result.error.error_code, "message": result.error.message}


def campaign_results(results: Sequence[ItemResult]) -> dict[str, Any]:
    """CampaignCreateResponse / CampaignUpdateResponse: `{items: [{data, exceptions: [..]}]}`."""
    return {
        "items": [
            {"data": campaign(r.obj), "exceptions": []}
            if r.error is None
            else {"exceptions": [_exception(r)]}
            for r in results
        ]
    }


def ad_group_results(results: Sequence[ItemResult]) -> dict[str, Any]:
    """AdGroupArrayResponse: `{items: [{data, exceptions: [..]}]}`."""
    return {
        "items": [
            {"data": ad_group(r.obj), "exceptions": []}
            if r.error is None
            else {"exceptions": [_exception(r)]}
            for r in results
        ]
    }


def ad_results(db: Session, results: Sequence[ItemResult]) -> dict[str, Any]:
    """AdArrayResponse: v5 gives each element one `exceptions` object, not a list."""
    written = ads(db, [r.obj for r in results if r.error is None])
    by_id = {item["id"]: item for item in written}
    items: list[dict[str, Any]] = []
    for r in results:
        if r.error is None:
            items.append({"data": by_id[str(r.obj.id)]})
        else:
            items.append({"exceptions": _exception(r)})
    return {"items": items}
