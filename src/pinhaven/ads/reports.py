"""Reports: v5 analytics rows (ad account, campaign, ad group, ad) by day or in total, and their CSV.

Rows carry v5 column names. Spend, impressions and clicks come from the ad event log; conversions from the
attributed conversion events, counted when their click/impression lies within the report's windows (which
can only narrow the instance's attribution windows). Money columns are integer micro-currency.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.ads.models import AdAccount, AdConversion, AdEvent
from pinhaven.db.ids import parse_id
from pinhaven.errors import InvalidInput

LEVELS = {"AD_ACCOUNT": "ad_account_id", "CAMPAIGN": "campaign_id", "AD_GROUP": "ad_group_id", "AD": "ad_id"}
ID_COLUMN = {
    "AD_ACCOUNT": "AD_ACCOUNT_ID",
    "CAMPAIGN": "CAMPAIGN_ID",
    "AD_GROUP": "AD_GROUP_ID",
    "AD": "AD_ID",
}
_CONVERSIONS = {"checkout": "CHECKOUT", "signup": "SIGNUP", "lead": "LEAD", "add_to_cart": "ADD_TO_CART",
                "page_visit": "PAGE_VISIT"}  # fmt: skip
COLUMNS = (
    "SPEND_IN_MICRO_DOLLAR",
    "SPEND_IN_DOLLAR",
    "IMPRESSION_1",
    "CLICKTHROUGH_1",
    "TOTAL_CLICKTHROUGH",
    "CTR",
    "CPC_IN_MICRO_DOLLAR",
    "CPM_IN_MICRO_DOLLAR",
    "TOTAL_CONVERSIONS",
    "TOTAL_CHECKOUT",
    "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR",
    "TOTAL_CLICK_CHECKOUT",
    "TOTAL_VIEW_CHECKOUT",
    "TOTAL_SIGNUP",
    "TOTAL_LEAD",
    "TOTAL_PAGE_VISIT",
    "TOTAL_CLICK_ADD_TO_CART",
    "TOTAL_VIEW_ADD_TO_CART",
)
MAX_DAYS = 186


@dataclass(frozen=True)
class ReportRequest:
    level: str
    start: date
    end: date
    columns: tuple[str, ...]
    granularity: str  # DAY | TOTAL
    ids: tuple[int, ...] = ()
    click_window_days: int = 30
    view_window_days: int = 1


def parse_request(
    *,
    level: str,
    start_date: str,
    end_date: str,
    columns: Sequence[str] | str,
    granularity: str = "DAY",
    ids: Sequence[str] | None = None,
    click_window_days: int = 30,
    view_window_days: int = 1,
) -> ReportRequest:
    """Validate report parameters (400 naming the parameter otherwise)."""
    if level not in LEVELS:
        raise InvalidInput(f"must be one of {', '.join(LEVELS)}", field="level")
    try:
        start, end = date.fromisoformat(start_date), date.fromisoformat(end_date)
    except ValueError:
        raise InvalidInput("dates must be YYYY-MM-DD", field="start_date") from None
    if end < start:
        raise InvalidInput("must not be before start_date", field="end_date")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput(f"a report covers at most {MAX_DAYS} days", field="end_date")
    names = [c.strip() for c in (columns.split(",") if isinstance(columns, str) else columns) if c.strip()]
    if not names:
        raise InvalidInput("name at least one column", field="columns")
    unknown = [c for c in names if c not in COLUMNS]
    if unknown:
        raise InvalidInput(f"unsupported: {', '.join(unknown[:5])}; supported: {', '.join(COLUMNS)}",
                           field="columns")  # fmt: skip
    if granularity not in ("DAY", "TOTAL"):
        raise InvalidInput("Pinhaven reports DAY or TOTAL", field="granularity")
    parsed = [parse_id(i) for i in ids or []]
    if any(p is None for p in parsed):
        raise InvalidInput("must be numeric ids", field="ids")
    return ReportRequest(level, start, end, tuple(names), granularity, tuple(p for p in parsed if p is not None),
                         click_window_days, view_window_days)  # fmt: skip


def _bounds(request: ReportRequest) -> tuple[datetime, datetime]:
    start = datetime(request.start.year, request.start.month, request.start.day, tzinfo=UTC)
    end = datetime(request.end.year, request.end.month, request.end.day, tzinfo=UTC) + timedelta(days=1)
    return start, end


def rows(db: Session, *, account: AdAccount, request: ReportRequest) -> list[dict[str, Any]]:
    """One row per entity (and per day with DAY granularity) that had any activity, v5 column names."""
    key = LEVELS[request.level]
    start, end = _bounds(request)
    totals: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def bucket(entity: int, moment: datetime) -> dict[str, int]:
        day = moment.astimezone(UTC).date().isoformat() if request.granularity == "DAY" else ""
        return totals[(entity, day)]

    events = select(AdEvent.kind, AdEvent.cost_micro, AdEvent.created_at, getattr(AdEvent, key)).where(
        AdEvent.ad_account_id == account.id, AdEvent.created_at >= start, AdEvent.created_at < end
    )
    if request.ids:
        events = events.where(getattr(AdEvent, key).in_(request.ids))
    for kind, cost, created_at, entity in db.execute(events):
        row = bucket(entity, created_at)
        row["spend"] += cost
        row["impressions" if kind == "impression" else "clicks"] += 1
    conversions = select(AdConversion).where(
        AdConversion.ad_account_id == account.id,
        AdConversion.event_time >= start,
        AdConversion.event_time < end,
        AdConversion.attribution.is_not(None),
    )
    if request.ids:
        conversions = conversions.where(getattr(AdConversion, key).in_(request.ids))
    for conversion in db.scalars(conversions):
        window = timedelta(days=request.click_window_days if conversion.attribution == "click"
                           else request.view_window_days)  # fmt: skip
        if conversion.touched_at is None or conversion.event_time - conversion.touched_at > window:
            continue
        row = bucket(getattr(conversion, key), conversion.event_time)
        name = _CONVERSIONS.get(conversion.event_name)
        row["conversions"] += 1
        if name:
            row[f"TOTAL_{name}"] += 1
            row[f"TOTAL_{'CLICK' if conversion.attribution == 'click' else 'VIEW'}_{name}"] += 1
            if name == "CHECKOUT" and conversion.value_micro:
                row["checkout_value"] += conversion.value_micro
    out = []
    for (entity, day), values in sorted(totals.items(), key=lambda item: (item[0][1], item[0][0])):
        line: dict[str, Any] = {ID_COLUMN[request.level]: str(entity)}
        if request.granularity == "DAY":
            line["DATE"] = day
        for column in request.columns:
            line[column] = _column(column, values)
        out.append(line)
    return out


def _column(name: str, v: dict[str, int]) -> int | float:
    spend, impressions, clicks = v["spend"], v["impressions"], v["clicks"]
    match name:
        case "SPEND_IN_MICRO_DOLLAR":
            return spend
        case "SPEND_IN_DOLLAR":
            return spend / 1_000_000
        case "IMPRESSION_1":
            return impressions
        case "CLICKTHROUGH_1" | "TOTAL_CLICKTHROUGH":
            return clicks
        case "CTR":
            return clicks / impressions if impressions else 0.0
        case "CPC_IN_MICRO_DOLLAR":
            return spend // clicks if clicks else 0
        case "CPM_IN_MICRO_DOLLAR":
            return spend * 1000 // impressions if impressions else 0
        case "TOTAL_CONVERSIONS":
            return v["conversions"]
        case "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR":
            return v["checkout_value"]
    return v[name]


def to_csv(report_rows: Sequence[dict[str, Any]], request: ReportRequest) -> str:
    header = [ID_COLUMN[request.level], *(["DATE"] if request.granularity == "DAY" else []), *request.columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(report_rows)
    return out.getvalue()
