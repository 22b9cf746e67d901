"""Advertiser objects: ad accounts, campaigns, ad groups and ads; who may see and change them.

An ad account belongs to one user and is visible only to that user (anyone else gets 404). Bulk writes take
arrays as v5 does and answer one result per item: an item that fails validation gets its own exception and
writes nothing, the others are written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.ads.models import Ad, AdAccount, AdCampaign, AdGroup
from pinhaven.ads.schemas import (
    MAX_BULK,
    AdAccountCreate,
    AdCreate,
    AdGroupCreate,
    AdGroupUpdate,
    AdUpdate,
    CampaignCreate,
    CampaignUpdate,
)
from pinhaven.boards.models import Board
from pinhaven.db.base import utcnow
from pinhaven.db.ids import parse_id
from pinhaven.errors import InvalidInput, NotFound, PinhavenError
from pinhaven.jsonbody import validated
from pinhaven.pagination import Page, PageParams, bookmark_int, page_from_rows
from pinhaven.pins.models import Pin

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ItemResult:
    """One item of a bulk write: the object written, or why not."""

    obj: Any  # None when `error` is set
    error: PinhavenError | None


def day_of(moment: datetime | None = None) -> str:
    return (moment or utcnow()).astimezone(UTC).strftime("%Y-%m-%d")


# --- ad accounts -------------------------------------------------------------------------------------------


def access_account(*, db: Session, viewer: Viewer, ad_account_id: str | int | None) -> AdAccount:
    """The ad account if `viewer` owns it, else NotFound (existence does not leak)."""
    account_id = parse_id(ad_account_id)
    account = db.get(AdAccount, account_id) if account_id is not None else None
    if account is None or viewer.user_id is None or account.owner_id != viewer.user_id:
        raise NotFound("Ad account not found.")
    return account


def create_account(*, db: Session, owner_id: int, body: AdAccountCreate) -> AdAccount:
    if body.owner_user_id is not None and parse_id(body.owner_user_id) != owner_id:
        raise InvalidInput("you can only create ad accounts you own", field="owner_user_id")
    account = AdAccount(owner_id=owner_id, name=body.name, country=body.country, currency=body.currency)
    db.add(account)
    db.flush()
    return account


def list_accounts(*, db: Session, owner_id: int, page: PageParams) -> Page[AdAccount]:
    query = select(AdAccount).where(AdAccount.owner_id == owner_id)
    return _page(db, query, AdAccount.id, page, "ASCENDING")


def _page(db: Session, query: Select[Any], id_column: Any, page: PageParams, order: str) -> Page[Any]:
    after = bookmark_int(page.bookmark)
    descending = order == "DESCENDING"
    if after is not None:
        query = query.where(id_column < after if descending else id_column > after)
    query = query.order_by(id_column.desc() if descending else id_column).limit(page.page_size + 1)
    return page_from_rows(list(db.scalars(query)), page.page_size, lambda row: row.id)


def _bulk(items: Any, model: type[M], write: Callable[[M], T]) -> list[ItemResult]:
    if not isinstance(items, list) or not items:
        raise InvalidInput("the body must be a non-empty array of objects")
    if len(items) > MAX_BULK:
        raise InvalidInput(f"at most {MAX_BULK} items per request")
    results = []
    for item in items:
        try:
            results.append(ItemResult(write(validated(model, item)), None))
        except PinhavenError as exc:
            results.append(ItemResult(None, exc))
    return results


def _check_window(start: int | None, end: int | None) -> None:
    if start is not None and end is not None and end <= start:
        raise InvalidInput("must be after start_time", field="end_time")


def _same_account(account: AdAccount, given: str | None) -> None:
    if given is not None and parse_id(given) != account.id:
        raise InvalidInput("does not match the ad account in the path", field="ad_account_id")


def _filtered(query: Select[Any], column: Any, ids: Sequence[str] | None) -> Select[Any]:
    if ids:
        parsed = [parse_id(i) for i in ids]
        if any(p is None for p in parsed):
            raise InvalidInput("must be numeric ids", field=column.key + "s")
        query = query.where(column.in_(parsed))
    return query


def _touch(obj: Any) -> None:
    obj.updated_at = utcnow()


# --- campaigns ---------------------------------------------------------------------------------------------


def create_campaigns(*, db: Session, account: AdAccount, items: Any) -> list[ItemResult]:
    def write(body: CampaignCreate) -> AdCampaign:
        _same_account(account, body.ad_account_id)
        _check_window(body.start_time, body.end_time)
        campaign = AdCampaign(
            ad_account_id=account.id,
            name=body.name,
            objective_type=body.objective_type,
            status=body.status,
            daily_spend_cap=body.daily_spend_cap,
            lifetime_spend_cap=body.lifetime_spend_cap,
            start_time=body.start_time,
            end_time=body.end_time,
            spend_day="",
            spend_today=0,
            spend_total=0,
        )
        db.add(campaign)
        db.flush()
        return campaign

    return _bulk(items, CampaignCreate, write)


def get_campaign(*, db: Session, account: AdAccount, campaign_id: str | int | None) -> AdCampaign:
    parsed = parse_id(campaign_id)
    campaign = db.get(AdCampaign, parsed) if parsed is not None else None
    if campaign is None or campaign.ad_account_id != account.id:
        raise NotFound("Campaign not found.")
    return campaign


def update_campaigns(*, db: Session, account: AdAccount, items: Any) -> list[ItemResult]:
    def write(body: CampaignUpdate) -> AdCampaign:
        _same_account(account, body.ad_account_id)
        campaign = get_campaign(db=db, account=account, campaign_id=body.id)
        fields = body.model_fields_set - {"id", "ad_account_id"}
        start = body.start_time if "start_time" in fields else campaign.start_time
        end = body.end_time if "end_time" in fields else campaign.end_time
        _check_window(start, end)
        for name in fields:
            value = getattr(body, name)
            if value is None and name in ("name", "objective_type", "status"):
                raise InvalidInput("must not be null", field=name)
            setattr(campaign, name, value)
        _touch(campaign)
        db.flush()
        return campaign

    return _bulk(items, CampaignUpdate, write)


def list_campaigns(
    *,
    db: Session,
    account: AdAccount,
    page: PageParams,
    campaign_ids: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    order: str = "ASCENDING",
) -> Page[AdCampaign]:
    query = select(AdCampaign).where(AdCampaign.ad_account_id == account.id)
    query = _filtered(query, AdCampaign.id, campaign_ids)
    if statuses:
        query = query.where(AdCampaign.status.in_(statuses))
    return _page(db, query, AdCampaign.id, page, order)


# --- ad groups ---------------------------------------------------------------------------------------------


def _targeting_json(spec: dict[str, list[str]] | None) -> str:
    if not spec:
        return "{}"
    cleaned = {key.upper(): [v.strip() for v in values if v.strip()] for key, values in spec.items()}
    return json.dumps({k: v for k, v in cleaned.items() if v}, sort_keys=True)


def targeting_of(group: AdGroup) -> dict[str, list[str]]:
    try:
        value = json.loads(group.targeting or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def create_ad_groups(*, db: Session, account: AdAccount, items: Any) -> list[ItemResult]:
    def write(body: AdGroupCreate) -> AdGroup:
        campaign = get_campaign(db=db, account=account, campaign_id=body.campaign_id)
        _check_window(body.start_time, body.end_time)
        if body.bid_in_micro_currency is None:
            raise InvalidInput(
                "a bid is required (Pinhaven has no automatic bidding)", field="bid_in_micro_currency"
            )
        group = AdGroup(
            ad_account_id=account.id,
            campaign_id=campaign.id,
            name=body.name,
            status=body.status,
            budget_in_micro_currency=body.budget_in_micro_currency,
            budget_type=body.budget_type,
            bid_in_micro_currency=body.bid_in_micro_currency,
            billable_event=body.billable_event,
            targeting=_targeting_json(body.targeting_spec),
            lifetime_frequency_cap=body.lifetime_frequency_cap,
            placement_group=body.placement_group,
            start_time=body.start_time,
            end_time=body.end_time,
            spend_day="",
            spend_today=0,
            spend_total=0,
        )
        db.add(group)
        db.flush()
        return group

    return _bulk(items, AdGroupCreate, write)


def get_ad_group(*, db: Session, account: AdAccount, ad_group_id: str | int | None) -> AdGroup:
    parsed = parse_id(ad_group_id)
    group = db.get(AdGroup, parsed) if parsed is not None else None
    if group is None or group.ad_account_id != account.id:
        raise NotFound("Ad group not found.")
    return group


def update_ad_groups(*, db: Session, account: AdAccount, items: Any) -> list[ItemResult]:
    def write(body: AdGroupUpdate) -> AdGroup:
        group = get_ad_group(db=db, account=account, ad_group_id=body.id)
        fields = body.model_fields_set - {"id"}
        if "campaign_id" in fields and parse_id(body.campaign_id) != group.campaign_id:
            raise InvalidInput("an ad group cannot move to another campaign", field="campaign_id")
        fields.discard("campaign_id")
        start = body.start_time if "start_time" in fields else group.start_time
        end = body.end_time if "end_time" in fields else group.end_time
        _check_window(start, end)
        for name in fields:
            value = getattr(body, name)
            if name == "targeting_spec":
                group.targeting = _targeting_json(value)
                continue
            if value is None and name not in ("budget_in_micro_currency", "start_time", "end_time"):
                raise InvalidInput("must not be null", field=name)
            setattr(group, name, value)
        _touch(group)
        db.flush()
        return group

    return _bulk(items, AdGroupUpdate, write)


def list_ad_groups(
    *,
    db: Session,
    account: AdAccount,
    page: PageParams,
    campaign_ids: Sequence[str] | None = None,
    ad_group_ids: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    order: str = "ASCENDING",
) -> Page[AdGroup]:
    query = select(AdGroup).where(AdGroup.ad_account_id == account.id)
    query = _filtered(query, AdGroup.campaign_id, campaign_ids)
    query = _filtered(query, AdGroup.id, ad_group_ids)
    if statuses:
        query = query.where(AdGroup.status.in_(statuses))
    return _page(db, query, AdGroup.id, page, order)


# --- ads ---------------------------------------------------------------------------------------------------


def promotable_pin(*, db: Session, account: AdAccount, pin_id: int | None) -> Pin:
    """The pin if it is the advertiser's own and sits on a public board (a secret pin is never promoted)."""
    pin = db.get(Pin, pin_id) if pin_id is not None else None
    board = db.get(Board, pin.board_id) if pin is not None else None
    if pin is None or board is None or account.owner_id not in (pin.creator_id, board.owner_id):
        raise InvalidInput("must be one of your own pins", field="pin_id")
    if board.privacy != "PUBLIC":
        raise InvalidInput("a pin on a secret board cannot be promoted", field="pin_id")
    return pin


def create_ads(*, db: Session, account: AdAccount, items: Any) -> list[ItemResult]:
    def write(body: AdCreate) -> Ad:
        group = get_ad_group(db=db, account=account, ad_group_id=body.ad_group_id)
        pin = promotable_pin(db=db, account=account, pin_id=parse_id(body.pin_id))
        ad = Ad(
            ad_account_id=account.id,
            campaign_id=group.campaign_id,
            ad_group_id=group.id,
            pin_id=pin.id,
            name=body.name,
            destination_url=body.destination_url or pin.link,
            status=body.status,
            review_status="APPROVED",
        )
        db.add(ad)
        db.flush()
        return ad

    return _bulk(items, AdCreate, write)


def get_ad(*, db: Session, account: AdAccount, ad_id: str | int | None) -> Ad:
    parsed = parse_id(ad_id)
    ad = db.get(Ad, parsed) if parsed is not None else None
    if ad is None or ad.ad_account_id != account.id:
        raise NotFound("Ad not found.")
    return ad


def update_ads(*, db: Session, account: AdAccount, items: Any) -> list[ItemResult]:
    def write(body: AdUpdate) -> Ad:
        ad = get_ad(db=db, account=account, ad_id=body.id)
        for name in body.model_fields_set - {"id"}:
            value = getattr(body, name)
            if value is None and name == "status":
                raise InvalidInput("must not be null", field=name)
            setattr(ad, name, value)
        _touch(ad)
        db.flush()
        return ad

    return _bulk(items, AdUpdate, write)


def list_ads(
    *,
    db: Session,
    account: AdAccount,
    page: PageParams,
    campaign_ids: Sequence[str] | None = None,
    ad_group_ids: Sequence[str] | None = None,
    ad_ids: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    order: str = "ASCENDING",
) -> Page[Ad]:
    query = select(Ad).where(Ad.ad_account_id == account.id)
    query = _filtered(query, Ad.campaign_id, campaign_ids)
    query = _filtered(query, Ad.ad_group_id, ad_group_ids)
    query = _filtered(query, Ad.id, ad_ids)
    if statuses:
        query = query.where(Ad.status.in_(statuses))
    return _page(db, query, Ad.id, page, order)


def summary_status(status: str, start: int | None, end: int | None, now: float | None = None) -> str:
    """v5 summary_status from the entity status and its run window."""
    if status in ("ARCHIVED", "PAUSED"):
        return status
    moment = time.time() if now is None else now
    if start is not None and moment < start:
        return "NOT_STARTED"
    if end is not None and moment >= end:
        return "COMPLETED"
    return "RUNNING"
