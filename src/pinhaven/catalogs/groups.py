"""Product groups: v5 filters over a catalog's items (brand, product type levels, price range, availability,
item id, condition, currency), `all_of` or `any_of`, each criterion optionally `negated`.

Filters are checked when saved (400 naming the bad key) and matched in Python over the catalog's present items;
fine for the catalogs this instance hosts (tens of thousands of items), not for millions (see docs)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.catalogs.models import CatalogItem, CatalogProductGroup
from pinhaven.db.ids import parse_id
from pinhaven.errors import InvalidInput, NotFound

__all__ = ["check_filters", "matching_items", "product_counts"]

STRING_KEYS = {"BRAND": "brand", "ITEM_ID": "item_id", "CONDITION": "condition", "CURRENCY": "currency"}
PRODUCT_TYPE_KEYS = {f"PRODUCT_TYPE_{n}": n for n in range(5)}
PRICE_KEYS = ("MIN_PRICE", "MAX_PRICE")
AVAILABILITY_KEY = "AVAILABILITY"
MAX_CRITERIA = 50


def _values(key: str, criteria: Any) -> list[str]:
    values = criteria.get("values") if isinstance(criteria, dict) else None
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise InvalidInput(f"{key} needs values: a non-empty list of strings", field="filters")
    return [v.strip().lower() for v in values]


def _availability(value: str) -> str:
    return value.replace(" ", "_").replace("-", "_").upper()


def _criterion(key: str, criteria: Any) -> Callable[[CatalogItem], bool]:
    if not isinstance(criteria, dict):
        raise InvalidInput(f"{key} must be an object", field="filters")
    negated = bool(criteria.get("negated", False))
    test: Callable[[CatalogItem], bool]
    if key in STRING_KEYS:
        wanted = set(_values(key, criteria))
        column = STRING_KEYS[key]
        test = lambda item: (getattr(item, column) or "").lower() in wanted  # noqa: E731
    elif key in PRODUCT_TYPE_KEYS:
        level = PRODUCT_TYPE_KEYS[key]
        wanted = set(_values(key, criteria))

        def test(item: CatalogItem) -> bool:
            parts = [p.strip().lower() for p in (item.product_type or "").split(">")]
            return len(parts) > level and parts[level] in wanted

    elif key == AVAILABILITY_KEY:
        wanted = {_availability(v) for v in _values(key, criteria)}
        test = lambda item: item.availability in wanted  # noqa: E731
    elif key in PRICE_KEYS:
        raw = criteria.get("values")
        try:
            bound = Decimal(str(raw))
        except InvalidOperation:
            raise InvalidInput(f"{key} needs values: a number", field="filters") from None
        if isinstance(raw, bool) or not bound.is_finite() or bound < 0:
            raise InvalidInput(f"{key} needs values: a number ≥ 0", field="filters")
        inclusive = bool(criteria.get("inclusion", True))
        low = key == "MIN_PRICE"

        def test(item: CatalogItem) -> bool:
            price = Decimal(item.sale_price or item.price)
            if low:
                return price >= bound if inclusive else price > bound
            return price <= bound if inclusive else price < bound

    else:
        known = sorted([*STRING_KEYS, *PRODUCT_TYPE_KEYS, *PRICE_KEYS, AVAILABILITY_KEY])
        raise InvalidInput(f"unsupported filter key {key!r}; supported: {', '.join(known)}", field="filters")
    return (lambda item: not test(item)) if negated else test


def _compile(filters: Any) -> tuple[str, list[Callable[[CatalogItem], bool]]]:
    if not isinstance(filters, dict) or len(filters) != 1 or next(iter(filters)) not in ("all_of", "any_of"):
        raise InvalidInput('must be {"all_of": [...]} or {"any_of": [...]}', field="filters")
    mode, entries = next(iter(filters.items()))
    if not isinstance(entries, list) or not entries or len(entries) > MAX_CRITERIA:
        raise InvalidInput(f"{mode} needs 1 to {MAX_CRITERIA} criteria", field="filters")
    tests: list[Callable[[CatalogItem], bool]] = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry:
            raise InvalidInput("each criterion is an object {KEY: {values...}}", field="filters")
        tests.extend(_criterion(str(key), criteria) for key, criteria in entry.items())
    return mode, tests


def check_filters(filters: Any) -> dict[str, Any]:
    """The filters, validated (InvalidInput naming what is wrong)."""
    _compile(filters)
    return dict(filters)


def matching_items(*, db: Session, group: CatalogProductGroup) -> list[CatalogItem]:
    """The catalog's present items the group's filters select, in item-id order."""
    mode, tests = _compile(group.filters)
    combine = all if mode == "all_of" else any
    items = db.scalars(
        select(CatalogItem)
        .where(CatalogItem.catalog_id == group.catalog_id, CatalogItem.present.is_(True))
        .order_by(CatalogItem.item_id, CatalogItem.id)
    )
    return [item for item in items if combine(t(item) for t in tests)]


def product_counts(items: list[CatalogItem]) -> dict[str, int]:
    """v5 product counts of a group (videos: always 0, items here are pictures)."""
    return {
        "in_stock": sum(i.availability == "IN_STOCK" for i in items),
        "out_of_stock": sum(i.availability == "OUT_OF_STOCK" for i in items),
        "preorder": sum(i.availability == "PREORDER" for i in items),
        "total": len(items),
        "videos": 0,
    }


def access_group(*, db: Session, owner_id: int | None, group_id: str) -> CatalogProductGroup:
    gid = parse_id(group_id)
    group = db.get(CatalogProductGroup, gid) if gid is not None else None
    if group is None or group.owner_id != owner_id:
        raise NotFound("product group not found")
    return group
