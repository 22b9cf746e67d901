"""The ads manager's data: an advertiser's accounts, campaigns, ad groups and ads with spend and results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.ads import reports
from pinhaven.ads.models import Ad, AdAccount, AdCampaign, AdGroup
from pinhaven.boards.models import Board
from pinhaven.db.base import utcnow
from pinhaven.errors import InvalidInput
from pinhaven.pins.models import Pin

RESULT_COLUMNS = ("SPEND_IN_MICRO_DOLLAR", "IMPRESSION_1", "CLICKTHROUGH_1", "CTR", "TOTAL_CONVERSIONS")


def micros(text: str, *, field: str, required: bool = False) -> int | None:
    """'12.50' → 12_500_000 exactly; '' → None (unless required)."""
    text = text.strip()
    if not text:
        if required:
            raise InvalidInput("is required", field=field)
        return None
    try:
        value = Decimal(text) * 1_000_000
    except InvalidOperation:
        raise InvalidInput("must be an amount like 12.50", field=field) from None
    if value < 0 or value != value.to_integral_value() or value > 10**15:
        raise InvalidInput("must be a positive amount with at most 6 decimals", field=field)
    return int(value)


def money(value: int | None) -> str:
    return "—" if value is None else f"{Decimal(value) / 1_000_000:,.2f}"


@dataclass(frozen=True)
class Results:
    spend: str
    impressions: int
    clicks: int
    ctr: str
    conversions: int


def results_by(db: Session, account: AdAccount, level: str, days: int = 30) -> dict[str, Results]:
    """Spend and results of the last `days` days per entity id (as strings) at `level`."""
    today = utcnow().date()
    request = reports.parse_request(level=level, start_date=(today - timedelta(days=days - 1)).isoformat(),
                                    end_date=today.isoformat(), columns=RESULT_COLUMNS, granularity="TOTAL")  # fmt: skip
    out = {}
    for row in reports.rows(db, account=account, request=request):
        out[row[reports.ID_COLUMN[level]]] = Results(
            money(row["SPEND_IN_MICRO_DOLLAR"]), row["IMPRESSION_1"], row["CLICKTHROUGH_1"],
            f"{row['CTR'] * 100:.2f}%", row["TOTAL_CONVERSIONS"],
        )  # fmt: skip
    return out


def accounts_of(db: Session, user_id: int) -> list[AdAccount]:
    return list(db.scalars(select(AdAccount).where(AdAccount.owner_id == user_id).order_by(AdAccount.id)))


def campaigns_of(db: Session, account: AdAccount) -> list[AdCampaign]:
    return list(
        db.scalars(select(AdCampaign).where(AdCampaign.ad_account_id == account.id).order_by(AdCampaign.id))
    )


def groups_of(db: Session, campaign: AdCampaign) -> list[AdGroup]:
    return list(db.scalars(select(AdGroup).where(AdGroup.campaign_id == campaign.id).order_by(AdGroup.id)))


def ads_of(db: Session, campaign: AdCampaign) -> list[Ad]:
    return list(db.scalars(select(Ad).where(Ad.campaign_id == campaign.id).order_by(Ad.id)))


def promotable_pins(db: Session, user_id: int, limit: int = 200) -> list[Pin]:
    """The user's own pins on public boards, newest first (what an ad may promote)."""
    return list(
        db.scalars(
            select(Pin)
            .join(Board, Board.id == Pin.board_id)
            .where(Pin.creator_id == user_id, Board.privacy == "PUBLIC")
            .order_by(Pin.id.desc())
            .limit(limit)
        )
    )
