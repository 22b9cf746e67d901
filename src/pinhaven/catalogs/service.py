"""Catalogs and feeds (owner-only objects), and feed sync: fetch → parse → validate → product pins.

A sync runs as the job `catalogs.sync_feed` (jobs.py) or from `pinhaven catalogs sync`. It fetches the feed
through the SSRF-safe fetcher, validates every item (feeds.validate_item), and for each valid item creates or
updates one product pin on the catalog's board: new items' images come through the normal pin-from-URL path
(ingest.service.fetch_source / create_from_source); price and availability go to `pin_products`, which saves
of the pin show too (pins.products.shown_for_pins). Items the feed no longer lists are marked absent and
OUT_OF_STOCK, never deleted. Network work happens outside database transactions; writes commit in chunks.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer, session_viewer
from pinhaven.boards import service as boards_service
from pinhaven.catalogs.feeds import FORMATS, FeedItem, Issue, parse_feed, validate_item
from pinhaven.catalogs.models import Catalog, CatalogFeed, CatalogItem, CatalogProcessingResult
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.db.ids import parse_id
from pinhaven.errors import Conflict, InvalidInput, NotFound, PinhavenError
from pinhaven.ingest.addresses import Resolver, system_resolve
from pinhaven.ingest.fetch import check_url, fetch
from pinhaven.jobs.service import enqueue
from pinhaven.pagination import Page, PageParams, bookmark_int, page_from_rows
from pinhaven.pins import products
from pinhaven.pins import service as pins_service
from pinhaven.pins.models import Pin

__all__ = [
    "SYNC_JOB",
    "SyncOptions",
    "access_catalog",
    "access_feed",
    "create_catalog",
    "create_feed",
    "delete_feed",
    "items_by_ids",
    "list_catalogs",
    "list_feeds",
    "list_results",
    "request_sync",
    "sync_feed",
    "update_feed",
]

log = logging.getLogger("pinhaven.catalogs")

SYNC_JOB = "catalogs.sync_feed"
FEED_MAX_BYTES = 256 * 1024 * 1024
FEED_ACCEPT = "text/csv,text/tab-separated-values,application/xml,text/xml,application/rss+xml,*/*;q=0.5"
CHUNK = 200
MAX_STORED_ISSUES = 5000
CURRENCY_LEN = 3
AVAILABILITIES = ("IN_STOCK", "OUT_OF_STOCK", "PREORDER")
ABSENT_AVAILABILITY = "OUT_OF_STOCK"


# --- catalogs ----------------------------------------------------------------------------------------------


def _board_for(db: Session, owner_id: int, name: str) -> int:
    """A new public board for the catalog's product pins (named after it; a free name when taken)."""
    base = name[:150]
    for attempt in range(20):
        candidate = base if attempt == 0 else f"{base} ({attempt + 1})"
        try:
            with db.begin_nested():
                return boards_service.create(db=db, owner_id=owner_id, name=candidate).id
        except Conflict:
            continue
    raise Conflict("could not find a free board name for this catalog; rename it")


def create_catalog(*, db: Session, owner_id: int, name: str, catalog_type: str = "RETAIL") -> Catalog:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("must be 1 to 200 characters", field="name")
    if catalog_type != "RETAIL":
        raise InvalidInput("only RETAIL catalogs are supported", field="catalog_type")
    catalog = Catalog(owner_id=owner_id, name=name, catalog_type=catalog_type)
    catalog.board_id = _board_for(db, owner_id, name)
    db.add(catalog)
    db.flush()
    return catalog


def _page(db: Session, query: Any, column: Any, page: PageParams) -> Page[Any]:
    after = bookmark_int(page.bookmark)
    if after is not None:
        query = query.where(column > after)
    rows = list(db.scalars(query.order_by(column).limit(page.page_size + 1)))
    return page_from_rows(rows, page.page_size, lambda row: row.id)


def list_catalogs(*, db: Session, owner_id: int, page: PageParams) -> Page[Catalog]:
    return _page(db, select(Catalog).where(Catalog.owner_id == owner_id), Catalog.id, page)


def _owned(row: Any, viewer: Viewer, what: str) -> Any:
    # Another person's catalog is answered like a missing one: ids are not probed.
    if row is None or row.owner_id != viewer.user_id:
        raise NotFound(f"{what} not found")
    return row


def access_catalog(*, db: Session, viewer: Viewer, catalog_id: str | int | None) -> Catalog:
    cid = parse_id(str(catalog_id)) if catalog_id is not None else None
    return _owned(db.get(Catalog, cid) if cid is not None else None, viewer, "catalog")


def access_feed(*, db: Session, viewer: Viewer, feed_id: str | int | None) -> CatalogFeed:
    fid = parse_id(str(feed_id)) if feed_id is not None else None
    return _owned(db.get(CatalogFeed, fid) if fid is not None else None, viewer, "feed")


# --- feeds -------------------------------------------------------------------------------------------------


@dataclass
class FeedFields:
    """Fields of a feed create/update (None: not given)."""

    name: str | None = None
    format: str | None = None
    location: str | None = None
    default_currency: str | None = None
    default_locale: str | None = None
    default_country: str | None = None
    default_availability: str | None = None
    status: str | None = None
    given: set[str] = field(default_factory=set)


def _apply(feed: CatalogFeed, fields: FeedFields, *, settings: Any) -> None:
    if fields.name is not None:
        name = fields.name.strip()
        if not name or len(name) > 200:
            raise InvalidInput("must be 1 to 200 characters", field="name")
        feed.name = name
    if fields.format is not None:
        if fields.format not in FORMATS:
            raise InvalidInput(f"must be one of {', '.join(FORMATS)}", field="format")
        feed.format = fields.format
    if fields.location is not None:
        location = fields.location.strip()
        if len(location) > 2048:
            raise InvalidInput("must be at most 2048 characters", field="location")
        check_url(location, settings=settings)  # refused addresses are a 400 now, not a failed sync later
        feed.location = location
    if "default_currency" in fields.given:
        code = (fields.default_currency or "").upper() or None
        if code is not None and (len(code) != CURRENCY_LEN or not code.isalpha()):
            raise InvalidInput("must be an ISO 4217 code", field="default_currency")
        feed.default_currency = code
    if fields.default_locale is not None:
        feed.default_locale = fields.default_locale[:16]
    if fields.default_country is not None:
        if len(fields.default_country) != 2:
            raise InvalidInput("must be an ISO 3166 country code", field="default_country")
        feed.default_country = fields.default_country.upper()
    if "default_availability" in fields.given:
        value = fields.default_availability
        if value is not None and value not in AVAILABILITIES:
            raise InvalidInput(f"must be one of {', '.join(AVAILABILITIES)}", field="default_availability")
        feed.default_availability = value
    if fields.status is not None:
        if fields.status not in ("ACTIVE", "INACTIVE"):
            raise InvalidInput("must be ACTIVE or INACTIVE", field="status")
        feed.status = fields.status


def request_sync(*, db: Session, feed: CatalogFeed) -> None:
    """Queue a sync of the feed now (in the caller's transaction)."""
    enqueue(db=db, kind=SYNC_JOB, payload={"feed_id": str(feed.id)})


def create_feed(
    *, db: Session, settings: Any, viewer: Viewer, catalog_id: str | None, fields: FeedFields
) -> CatalogFeed:
    """A new feed (first sync queued). Without `catalog_id` a catalog named after the feed is created."""
    assert viewer.user_id is not None
    if fields.name is None or fields.format is None or fields.location is None:
        raise InvalidInput("name, format and location are required", field="name")
    if catalog_id is not None:
        catalog = access_catalog(db=db, viewer=viewer, catalog_id=catalog_id)
    else:
        catalog = create_catalog(db=db, owner_id=viewer.user_id, name=fields.name)
    feed = CatalogFeed(catalog_id=catalog.id, owner_id=viewer.user_id, status="ACTIVE")
    _apply(feed, fields, settings=settings)
    # The first sync is queued below; the scheduler's turn comes one interval later.
    feed.next_sync_at = utcnow() + timedelta(hours=max(settings.catalog_sync_interval_hours, 0.0))
    db.add(feed)
    db.flush()
    if feed.status == "ACTIVE":
        request_sync(db=db, feed=feed)
    return feed


def update_feed(
    *, db: Session, settings: Any, viewer: Viewer, feed_id: str, fields: FeedFields
) -> CatalogFeed:
    feed = access_feed(db=db, viewer=viewer, feed_id=feed_id)
    refetch = fields.location is not None and fields.location.strip() != feed.location
    _apply(feed, fields, settings=settings)
    feed.updated_at = utcnow()
    db.flush()
    if refetch and feed.status == "ACTIVE":
        request_sync(db=db, feed=feed)
    return feed


def delete_feed(*, db: Session, viewer: Viewer, feed_id: str) -> None:
    """Delete the feed and its item records; its product pins stay on the board, marked unavailable."""
    feed = access_feed(db=db, viewer=viewer, feed_id=feed_id)
    pin_ids = [p for p in db.scalars(select(CatalogItem.pin_id).where(CatalogItem.feed_id == feed.id)) if p]
    _mark_unavailable(db, pin_ids)
    db.delete(feed)
    db.flush()


def list_feeds(
    *, db: Session, owner_id: int, page: PageParams, catalog_id: int | None = None
) -> Page[CatalogFeed]:
    query = select(CatalogFeed).where(CatalogFeed.owner_id == owner_id)
    if catalog_id is not None:
        query = query.where(CatalogFeed.catalog_id == catalog_id)
    return _page(db, query, CatalogFeed.id, page)


def list_results(*, db: Session, feed: CatalogFeed, page: PageParams) -> Page[CatalogProcessingResult]:
    """The feed's processing results, newest first."""
    query = select(CatalogProcessingResult).where(CatalogProcessingResult.feed_id == feed.id)
    after = bookmark_int(page.bookmark)
    if after is not None:
        query = query.where(CatalogProcessingResult.id < after)
    rows = list(db.scalars(query.order_by(CatalogProcessingResult.id.desc()).limit(page.page_size + 1)))
    return page_from_rows(rows, page.page_size, lambda row: row.id)


def get_result(*, db: Session, viewer: Viewer, result_id: str) -> CatalogProcessingResult:
    rid = parse_id(result_id)
    row = db.get(CatalogProcessingResult, rid) if rid is not None else None
    if row is None:
        raise NotFound("processing result not found")
    access_feed(db=db, viewer=viewer, feed_id=row.feed_id)
    return row


def items_by_ids(
    *, db: Session, owner_id: int, item_ids: list[str], catalog_id: int | None = None
) -> list[CatalogItem]:
    """The owner's items with these merchant ids (in the order asked; across catalogs unless one is named)."""
    if not item_ids:
        return []
    query = (
        select(CatalogItem)
        .join(Catalog, Catalog.id == CatalogItem.catalog_id)
        .where(Catalog.owner_id == owner_id, CatalogItem.item_id.in_(item_ids[:1000]))
    )
    if catalog_id is not None:
        query = query.where(CatalogItem.catalog_id == catalog_id)
    order = {item_id: n for n, item_id in enumerate(item_ids)}
    return sorted(db.scalars(query), key=lambda item: (order.get(item.item_id, 0), item.id))


def pins_by_id(*, db: Session, pin_ids: list[int]) -> dict[int, Pin]:
    """The product pins of items (the caller owns them: they are on its catalog boards)."""
    if not pin_ids:
        return {}
    return {p.id: p for p in db.scalars(select(Pin).where(Pin.id.in_(pin_ids)))}


# --- sync --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncOptions:
    resolve: Resolver = system_resolve
    fetch_images: bool = True  # False: items are validated and stored, no pins (benchmarks, dry runs)


@dataclass
class _Tally:
    counts: Counter[str] = field(default_factory=Counter)
    issues: list[dict[str, Any]] = field(default_factory=list)
    availability: Counter[str] = field(default_factory=Counter)
    original: int = 0
    ingested: int = 0

    def add(self, item_id: str | None, position: int, issues: list[Issue]) -> None:
        for issue in issues:
            self.counts[f"{issue.severity}:{issue.code}"] += 1
        if issues and len(self.issues) < MAX_STORED_ISSUES:
            self.issues.append(
                {"item_id": item_id, "position": position, "issues": [i.as_json() for i in issues]}
            )

    def as_json(self) -> dict[str, Any]:
        return {
            "original": self.original,
            "ingested": self.ingested,
            "availability": dict(self.availability),
            "issues": dict(self.counts),
        }


def _start(ctx: AppContext, feed_id: int) -> tuple[CatalogFeed, int, int | None]:
    with session_scope(ctx.sessions) as db:
        feed = db.get(CatalogFeed, feed_id)
        if feed is None:
            raise NotFound("feed not found")
        catalog = db.get(Catalog, feed.catalog_id)
        assert catalog is not None
        result = CatalogProcessingResult(feed_id=feed.id, status="PROCESSING", counts={}, issues=[])
        db.add(result)
        db.flush()
        db.expunge(feed)
        return feed, result.id, catalog.board_id


def _finish(
    ctx: AppContext, feed_id: int, result_id: int, status: str, tally: _Tally, message: str | None
) -> None:
    with session_scope(ctx.sessions) as db:
        result = db.get(CatalogProcessingResult, result_id)
        feed = db.get(CatalogFeed, feed_id)
        if result is None or feed is None:
            return
        result.status = status
        result.message = message[:1000] if message else None
        result.counts = tally.as_json()
        result.issues = tally.issues
        result.updated_at = utcnow()
        now = utcnow()
        feed.last_synced_at = now
        hours = ctx.settings.catalog_sync_interval_hours
        feed.next_sync_at = now + timedelta(hours=hours) if hours > 0 else None


def _mark_unavailable(db: Session, pin_ids: list[int]) -> None:
    for pin_id in pin_ids:
        row = products.get_for_pin(db=db, pin_id=pin_id)
        if row is not None and row.availability != ABSENT_AVAILABILITY:
            row.availability = ABSENT_AVAILABILITY
            row.updated_at = utcnow()
    db.flush()


def _pin_text(item: FeedItem) -> tuple[str, str | None]:
    title = item.title[: pins_service.LIMITS["title"]]
    description = item.description[: pins_service.LIMITS["description"]] if item.description else None
    return title, description


def _store_item(db: Session, feed: CatalogFeed, row: CatalogItem | None, item: FeedItem) -> CatalogItem:
    if row is None:
        row = CatalogItem(feed_id=feed.id, catalog_id=feed.catalog_id, item_id=item.item_id)
        db.add(row)
    for name in (
        "title", "description", "link", "image_link", "price", "currency", "sale_price", "availability",
        "brand", "gtin", "mpn", "product_type", "condition",
    ):  # fmt: skip
        setattr(row, name, getattr(item, name))
    row.present = True
    row.updated_at = utcnow()
    return row


def _update_pin(db: Session, pin: Pin, item: FeedItem) -> None:
    title, description = _pin_text(item)
    if (pin.title, pin.description, pin.link) != (title, description, item.link):
        pins_service.update(
            db=db,
            viewer=session_viewer(pin.creator_id),
            pin_id=pin.id,
            changes={"title": title, "description": description, "link": item.link},
        )


def _set_product(db: Session, pin_id: int, item: FeedItem) -> None:
    current = products.get_for_pin(db=db, pin_id=pin_id)
    price = item.sale_price or item.price
    if (
        current is None
        or current.price_decimal is None
        or format(current.price_decimal, "f") != format(Decimal(price).normalize(), "f")
        or (current.currency, current.availability, current.source_url)
        != (item.currency, item.availability, item.link)
    ):
        products.set_for_pin(
            db=db,
            pin_id=pin_id,
            price=price,
            currency=item.currency,
            availability=item.availability,
            source_url=item.link,
        )


def _new_pin(
    ctx: AppContext, feed: CatalogFeed, board_id: int, item: FeedItem, options: SyncOptions
) -> tuple[Any, Issue | None]:
    """Fetch the item's image the way a pin from a URL does (no database work); (source, None) or (None, issue)."""
    from pinhaven.ingest.service import fetch_source

    try:
        source = fetch_source(settings=ctx.settings, url=item.image_link, resolve=options.resolve)
    except PinhavenError as exc:
        return None, Issue("item_main_image_download_failure", "image_link", exc.message)
    return replace(source, link=item.link, requested_url="", fetched_url=""), None


def _sync_chunk(
    ctx: AppContext,
    feed: CatalogFeed,
    board_id: int | None,
    items: list[tuple[int, FeedItem]],
    tally: _Tally,
    options: SyncOptions,
) -> None:
    from pinhaven.ingest.service import create_from_source

    ids = [item.item_id for _, item in items]
    with ctx.sessions() as db:
        existing = {
            r.item_id: (r.pin_id, r.image_link)
            for r in db.scalars(
                select(CatalogItem).where(CatalogItem.feed_id == feed.id, CatalogItem.item_id.in_(ids))
            )
        }
        live_pins = set(
            db.scalars(select(Pin.id).where(Pin.id.in_([p for p, _ in existing.values() if p is not None])))
        )
    sources: dict[str, Any] = {}
    if options.fetch_images and board_id is not None:
        for position, item in items:
            pin_id, _ = existing.get(item.item_id, (None, None))
            if pin_id is None or pin_id not in live_pins:
                source, issue = _new_pin(ctx, feed, board_id, item, options)
                if issue is not None:
                    tally.add(item.item_id, position, [issue])
                else:
                    sources[item.item_id] = source
    viewer = session_viewer(feed.owner_id)
    with session_scope(ctx.sessions) as db:
        rows = {
            r.item_id: r
            for r in db.scalars(
                select(CatalogItem).where(CatalogItem.feed_id == feed.id, CatalogItem.item_id.in_(ids))
            )
        }
        for position, item in items:
            row = _store_item(db, feed, rows.get(item.item_id), item)
            pin = db.get(Pin, row.pin_id) if row.pin_id is not None else None
            try:
                with db.begin_nested():
                    if pin is None and item.item_id in sources:
                        title, description = _pin_text(item)
                        pin = create_from_source(
                            db=db,
                            ctx=ctx,
                            viewer=viewer,
                            source=sources[item.item_id],
                            board_id=board_id,
                            title=title,
                            description=description,
                        )
                        row.pin_id = pin.id
                    elif pin is not None:
                        _update_pin(db, pin, item)
                    if pin is not None:
                        _set_product(db, pin.id, item)
            except PinhavenError as exc:
                field_name = getattr(exc, "field", None) or "link"
                code = "link_format_invalid" if field_name == "link" else "item_main_image_download_failure"
                tally.add(item.item_id, position, [Issue(code, field_name, exc.message)])
                continue
            if pin is not None or not options.fetch_images:
                tally.ingested += 1
                tally.availability[item.availability] += 1
            if item.warnings:
                tally.add(item.item_id, position, item.warnings)


def _retire_absent(ctx: AppContext, feed: CatalogFeed, seen: set[str]) -> int:
    """Items the feed no longer lists: absent, and their pins OUT_OF_STOCK (never deleted)."""
    with session_scope(ctx.sessions) as db:
        gone = [
            row
            for row in db.scalars(
                select(CatalogItem).where(CatalogItem.feed_id == feed.id, CatalogItem.present.is_(True))
            )
            if row.item_id not in seen
        ]
        for row in gone:
            row.present = False
            row.availability = ABSENT_AVAILABILITY
            row.updated_at = utcnow()
        _mark_unavailable(db, [row.pin_id for row in gone if row.pin_id is not None])
        return len(gone)


def sync_feed(ctx: AppContext, feed_id: int, options: SyncOptions | None = None) -> int:
    """Fetch and ingest the feed now; returns the processing result's id (status COMPLETED or FAILED)."""
    options = options or SyncOptions()
    feed, result_id, board_id = _start(ctx, feed_id)
    tally = _Tally()
    try:
        fetched = fetch(
            feed.location,
            settings=ctx.settings,
            accept=FEED_ACCEPT,
            max_bytes=FEED_MAX_BYTES,
            resolve=options.resolve,
        )
        raws = parse_feed(fetched.body, feed.format)
    except PinhavenError as exc:
        tally.counts["ERROR:fetch_error" if "XML" not in exc.message else "ERROR:malformed_xml"] += 1
        _finish(ctx, feed.id, result_id, "FAILED", tally, exc.message)
        log.info("catalog feed %s failed: %s", feed.id, exc.message)
        return result_id
    tally.original = len(raws)
    seen: set[str] = set()
    valid: list[tuple[int, FeedItem]] = []
    for raw in raws:
        checked = validate_item(
            raw, default_currency=feed.default_currency, default_availability=feed.default_availability
        )
        if isinstance(checked, list):
            tally.add(raw.fields.get("id"), raw.position, checked)
            continue
        if checked.item_id in seen:
            tally.add(
                checked.item_id,
                raw.position,
                [Issue("duplicate_products", "id", "an earlier item in the feed has the same id")],
            )
            continue
        seen.add(checked.item_id)
        valid.append((raw.position, checked))
    for start in range(0, len(valid), CHUNK):
        _sync_chunk(ctx, feed, board_id, valid[start : start + CHUNK], tally, options)
    removed = _retire_absent(ctx, feed, seen)
    tally.counts["INFO:removed"] += removed
    _finish(ctx, feed.id, result_id, "COMPLETED", tally, None)
    return result_id


# --- product groups ----------------------------------------------------------------------------------------


def create_group(
    *, db: Session, viewer: Viewer, catalog_id: str, name: str, description: str | None, filters: Any
) -> Any:
    from pinhaven.catalogs.groups import check_filters
    from pinhaven.catalogs.models import CatalogProductGroup

    catalog = access_catalog(db=db, viewer=viewer, catalog_id=catalog_id)
    group = CatalogProductGroup(
        catalog_id=catalog.id,
        owner_id=catalog.owner_id,
        name=name.strip(),
        description=description,
        filters=check_filters(filters),
    )
    db.add(group)
    db.flush()
    return group


def update_group(*, db: Session, viewer: Viewer, group_id: str, changes: dict[str, Any]) -> Any:
    from pinhaven.catalogs.groups import access_group, check_filters

    group = access_group(db=db, owner_id=viewer.user_id, group_id=group_id)
    if changes.get("name") is not None:
        group.name = str(changes["name"]).strip()
    if "description" in changes:
        group.description = changes["description"]
    if changes.get("filters") is not None:
        group.filters = check_filters(changes["filters"])
    group.updated_at = utcnow()
    db.flush()
    return group


def list_groups(*, db: Session, owner_id: int, page: PageParams, catalog_id: int | None = None) -> Page[Any]:
    from pinhaven.catalogs.models import CatalogProductGroup

    query = select(CatalogProductGroup).where(CatalogProductGroup.owner_id == owner_id)
    if catalog_id is not None:
        query = query.where(CatalogProductGroup.catalog_id == catalog_id)
    return _page(db, query, CatalogProductGroup.id, page)
