"""HTTP: /v5/catalogs, /v5/catalogs/feeds, processing results and items (Pinterest API v5 shapes; scopes
catalogs:read / catalogs:write). Everything here is the caller's own: another person's ids answer 404."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from pinhaven.accounts.scopes import Viewer
from pinhaven.catalogs import groups, present, service
from pinhaven.catalogs.models import CatalogFeed
from pinhaven.catalogs.schemas import (
    CatalogCreate,
    FeedCreate,
    FeedUpdate,
    ProductGroupCreate,
    ProductGroupUpdate,
)
from pinhaven.catalogs.service import FeedFields
from pinhaven.deps import BaseUrl, Ctx, DbSession, Pagination, user_id_of, v5_scopes
from pinhaven.errors import InvalidInput
from pinhaven.jsonbody import parse_json
from pinhaven.pagination import bookmark_int, encode_bookmark
from pinhaven.pins.present import present_pins

router = APIRouter(prefix="/v5/catalogs", tags=["catalogs"])

CatalogsRead = Annotated[Viewer, Depends(v5_scopes("catalogs:read"))]
CatalogsWrite = Annotated[Viewer, Depends(v5_scopes("catalogs:read", "catalogs:write"))]
ItemIds = Annotated[list[Annotated[str, Query(max_length=127)]] | None, Query(max_length=100)]


def _page(items: list[dict[str, Any]], bookmark: str | None) -> dict[str, Any]:
    return {"items": items, "bookmark": bookmark}


@router.post("", status_code=201)
def create_catalog(db: DbSession, viewer: CatalogsWrite, body: CatalogCreate) -> JSONResponse:
    """Create a RETAIL catalog named `name`, with a new public board named after it that will hold its product pins;
    answers 201 with the v5 Catalog plus `board_id`. (v5 itself creates retail catalogs with their first feed; its
    HOTEL catalogs are not supported.) Bearer token with `catalogs:read` and `catalogs:write` (or a signed-in
    session); only the caller's own catalogs. Errors: 400 for a missing or too-long name or a catalog_type other
    than RETAIL; 409 when no free board name is left; 401 without a valid token; 403 for a missing scope."""
    row = service.create_catalog(db=db, owner_id=user_id_of(viewer), name=body.name)
    return JSONResponse(present.catalog(row), status_code=201)


@router.get("")
def list_catalogs(db: DbSession, viewer: CatalogsRead, page: Pagination) -> dict[str, Any]:
    """The caller's catalogs, oldest first, as v5 Catalog objects in `{items, bookmark}` pages (`page_size` 1-250,
    default 25, signed `bookmark`). Bearer token with `catalogs:read` (or a signed-in session); only the caller's
    own catalogs are visible. Errors: 400 for a bad page size or bookmark; 401 without a valid token; 403 for a
    missing scope."""
    result = service.list_catalogs(db=db, owner_id=user_id_of(viewer), page=page)
    return _page([present.catalog(c) for c in result.items], result.bookmark)


def _fields(body: FeedCreate | FeedUpdate) -> FeedFields:
    given = body.model_fields_set
    locale = getattr(body, "default_locale", None)
    return FeedFields(
        name=body.name,
        format=body.format,
        location=body.location,
        default_currency=body.default_currency,
        default_locale=locale if isinstance(locale, str) else None,
        default_country=getattr(body, "default_country", None),
        default_availability=body.default_availability,
        status=body.status,
        given=set(given)
        | ({"default_currency", "default_availability"} if isinstance(body, FeedCreate) else set()),
    )


@router.post("/feeds", status_code=201)
def create_feed(db: DbSession, ctx: Ctx, viewer: CatalogsWrite, body: FeedCreate) -> JSONResponse:
    """Create a product feed: a CSV, TSV or Google Merchant-style XML/RSS file at `location`, fetched through the
    SSRF-safe fetcher (the address is checked now) and ingested in the background, its first sync queued at once;
    without `catalog_id` a catalog named after the feed is created. Answers 201 with the v5 RETAIL feed. Bearer
    token with `catalogs:read` and `catalogs:write` (or a signed-in session); only the caller's own catalogs.
    Errors: 400 for a bad format, currency, availability or country, or a location the fetcher refuses (loopback,
    private, metadata addresses); 404 for a catalog_id that is not the caller's; 401 without a valid token; 403
    for a missing scope."""
    row = service.create_feed(
        db=db, settings=ctx.settings, viewer=viewer, catalog_id=body.catalog_id, fields=_fields(body)
    )
    return JSONResponse(present.feed(row), status_code=201)


@router.get("/feeds")
def list_feeds(
    db: DbSession, viewer: CatalogsRead, page: Pagination, catalog_id: str | None = None
) -> dict[str, Any]:
    """The caller's product feeds, oldest first, optionally of one catalog (`catalog_id`), as v5 RETAIL feeds in
    `{items, bookmark}` pages (`page_size` 1-250, default 25, signed `bookmark`). Bearer token with
    `catalogs:read` (or a signed-in session); only the caller's own catalogs are visible. Errors: 400 for a bad
    page size or bookmark; 404 for a catalog that is not the caller's; 401 without a valid token; 403 for a
    missing scope."""
    cid = service.access_catalog(db=db, viewer=viewer, catalog_id=catalog_id).id if catalog_id else None
    result = service.list_feeds(db=db, owner_id=user_id_of(viewer), page=page, catalog_id=cid)
    return _page([present.feed(f) for f in result.items], result.bookmark)


@router.get("/feeds/{feed_id}")
def get_feed(db: DbSession, viewer: CatalogsRead, feed_id: str) -> dict[str, Any]:
    """One of the caller's product feeds as a v5 RETAIL feed (name, format, location, status, defaults, catalog_id,
    timestamps). Bearer token with `catalogs:read` (or a signed-in session); only the caller's own catalogs are
    visible. Errors: 404 for an unknown feed or another person's (answered alike); 401 without a valid token; 403
    for a missing scope."""
    return present.feed(service.access_feed(db=db, viewer=viewer, feed_id=feed_id))


@router.patch("/feeds/{feed_id}")
def update_feed(
    db: DbSession, ctx: Ctx, viewer: CatalogsWrite, feed_id: str, body: FeedUpdate
) -> dict[str, Any]:
    """Change a feed's name, format, location, default currency or availability, or status (INACTIVE feeds are not
    fetched by the scheduler); a new location is checked by the SSRF guard and fetched at once. Answers the v5
    RETAIL feed. Bearer token with `catalogs:read` and `catalogs:write` (or a signed-in session); only the
    caller's own catalogs. Errors: 400 for a bad value or a refused location; 404 for an unknown feed or another
    person's; 401 without a valid token; 403 for a missing scope."""
    row = service.update_feed(
        db=db, settings=ctx.settings, viewer=viewer, feed_id=feed_id, fields=_fields(body)
    )
    return present.feed(row)


@router.delete("/feeds/{feed_id}", status_code=204)
def delete_feed(db: DbSession, viewer: CatalogsWrite, feed_id: str) -> Response:
    """Delete a feed and its item records (204). Its product pins stay on the catalog board, marked OUT_OF_STOCK, so
    saves of them keep working and nothing a person saved is lost. Bearer token with `catalogs:read` and
    `catalogs:write` (or a signed-in session); only the caller's own catalogs. Errors: 404 for an unknown feed or
    another person's; 401 without a valid token; 403 for a missing scope."""
    service.delete_feed(db=db, viewer=viewer, feed_id=feed_id)
    return Response(status_code=204)


@router.post("/feeds/{feed_id}/ingest")
def ingest_feed(db: DbSession, viewer: CatalogsWrite, feed_id: str) -> dict[str, Any]:
    """Queue a sync of the feed now (v5 CatalogsFeedIngestion: id, feed_id, status PROCESSING, created_at); the
    result appears under the feed's processing results when the background job has run. Bearer token with
    `catalogs:read` and `catalogs:write` (or a signed-in session); only the caller's own catalogs. Errors: 400
    when the feed is INACTIVE; 404 for an unknown feed or another person's; 401 without a valid token; 403 for a
    missing scope."""
    feed: CatalogFeed = service.access_feed(db=db, viewer=viewer, feed_id=feed_id)
    if feed.status != "ACTIVE":
        raise InvalidInput("the feed is INACTIVE; set it ACTIVE first", field="status")
    service.request_sync(db=db, feed=feed)
    return {
        "id": str(feed.id),
        "feed_id": str(feed.id),
        "status": "PROCESSING",
        "created_at": present.iso_now(),
    }


@router.get("/feeds/{feed_id}/processing_results")
def list_processing_results(
    db: DbSession, viewer: CatalogsRead, feed_id: str, page: Pagination
) -> dict[str, Any]:
    """The feed's syncs, newest first, as v5 CatalogsFeedProcessingResult objects: status (PROCESSING, COMPLETED,
    FAILED), product counts (original, ingested), validation errors and warnings counted under v5 keys, ingestion
    info by availability; `{items, bookmark}` pages. Bearer token with `catalogs:read` (or a signed-in session);
    only the caller's own catalogs are visible. Errors: 400 for a bad page size or bookmark; 404 for an unknown
    feed or another person's; 401 without a valid token; 403 for a missing scope."""
    feed = service.access_feed(db=db, viewer=viewer, feed_id=feed_id)
    result = service.list_results(db=db, feed=feed, page=page)
    return _page([present.processing_result(r) for r in result.items], result.bookmark)


@router.get("/processing_results/{processing_result_id}/item_issues")
def list_item_issues(db: DbSession, viewer: CatalogsRead, processing_result_id: str) -> dict[str, Any]:
    """Per-item errors and warnings of one sync: the item id, its position in the feed (CSV line or XML item number)
    and each issue's v5 code, field, message and severity (at most 5,000 items are kept per sync), in one `{items,
    bookmark}` page. Bearer token with `catalogs:read` (or a signed-in session); only the caller's own catalogs
    are visible. Errors: 404 for an unknown processing result or one of another person's feeds; 401 without a
    valid token; 403 for a missing scope."""
    row = service.get_result(db=db, viewer=viewer, result_id=processing_result_id)
    return _page(list(row.issues or []), None)


def _filter_ids(filters: str | None) -> tuple[list[str], str | None]:
    if not filters:
        return [], None
    try:
        data = parse_json(filters.encode())
    except InvalidInput:
        raise InvalidInput("must be a JSON object", field="filters") from None
    ids = data.get("item_ids") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise InvalidInput("must hold item_ids, a list of strings", field="filters")
    catalog_id = data.get("catalog_id")
    return ids, catalog_id if isinstance(catalog_id, str) else None


@router.get("/items")
def get_items(
    db: DbSession,
    viewer: CatalogsRead,
    base_url: BaseUrl,
    country: Annotated[str, Query(max_length=2)] = "US",
    language: Annotated[str, Query(max_length=8)] = "EN",
    item_ids: ItemIds = None,
    filters: Annotated[str | None, Query(max_length=20000)] = None,
) -> dict[str, Any]:
    """Items of the caller's catalogs by merchant item id (repeat `item_ids`, or `filters` as JSON {item_ids,
    catalog_id}; at most 100), in the order asked, each with its v5 item attributes (current price and
    availability) and its product pin as a v5 Pin; ids that are not in the caller's catalogs are left out. Bearer
    token with `catalogs:read` (or a signed-in session); only the caller's own catalogs are visible. Errors: 400
    without item ids, with more than 100 or with filters that are not such JSON; 404 for a catalog_id that is not
    the caller's; 401 without a valid token; 403 for a missing scope."""
    ids, catalog_id = _filter_ids(filters)
    ids = (item_ids or []) + ids
    if not ids:
        raise InvalidInput("give item_ids (or filters with item_ids)", field="item_ids")
    if len(ids) > 100:
        raise InvalidInput("at most 100 item ids", field="item_ids")
    cid = service.access_catalog(db=db, viewer=viewer, catalog_id=catalog_id).id if catalog_id else None
    rows = service.items_by_ids(db=db, owner_id=user_id_of(viewer), item_ids=ids, catalog_id=cid)
    pin_ids = [r.pin_id for r in rows if r.pin_id is not None]
    pins = service.pins_by_id(db=db, pin_ids=pin_ids)
    reads = {
        p.id: jsonable_encoder(r)
        for p, r in zip(
            pins.values(),
            present_pins(db=db, viewer=viewer, pins=list(pins.values()), base_url=base_url),
            strict=True,
        )
    }
    return {"items": [present.item(r, [reads[r.pin_id]] if r.pin_id in reads else []) for r in rows]}


# --- product groups ----------------------------------------------------------------------------------------


@router.post("/product_groups", status_code=201)
def create_product_group(db: DbSession, viewer: CatalogsWrite, body: ProductGroupCreate) -> JSONResponse:
    """Create a product group of one catalog: `filters` {"all_of"|"any_of": [{KEY: {values, negated?}}]} with keys
    BRAND, PRODUCT_TYPE_0..4, MIN_PRICE and MAX_PRICE ({values: number, inclusion}; the sale price counts),
    AVAILABILITY, ITEM_ID, CONDITION, CURRENCY, matched case-insensitively. Answers 201 with the v5 RETAIL product
    group. Bearer token with `catalogs:read` and `catalogs:write` (or a signed-in session); only the caller's own
    catalogs. Errors: 400 for unsupported keys or malformed criteria (the message names them); 404 for a catalog
    that is not the caller's; 401 without a valid token; 403 for a missing scope."""
    group = service.create_group(
        db=db,
        viewer=viewer,
        catalog_id=body.catalog_id,
        name=body.name,
        description=body.description,
        filters=body.filters,
    )
    return JSONResponse(present.product_group(group), status_code=201)


@router.get("/product_groups")
def list_product_groups(
    db: DbSession, viewer: CatalogsRead, page: Pagination, catalog_id: str | None = None
) -> dict[str, Any]:
    """The caller's product groups, oldest first, optionally of one catalog (`catalog_id`), as v5 RETAIL product
    groups in `{items, bookmark}` pages (`page_size` 1-250, default 25, signed `bookmark`). Bearer token with
    `catalogs:read` (or a signed-in session); only the caller's own catalogs are visible. Errors: 400 for a bad
    page size or bookmark; 404 for a catalog that is not the caller's; 401 without a valid token; 403 for a
    missing scope."""
    cid = service.access_catalog(db=db, viewer=viewer, catalog_id=catalog_id).id if catalog_id else None
    result = service.list_groups(db=db, owner_id=user_id_of(viewer), page=page, catalog_id=cid)
    return _page([present.product_group(g) for g in result.items], result.bookmark)


@router.get("/product_groups/{product_group_id}")
def get_product_group(db: DbSession, viewer: CatalogsRead, product_group_id: str) -> dict[str, Any]:
    """One of the caller's product groups as a v5 RETAIL product group (name, description, filters, catalog_id, type
    MERCHANT_CREATED, status, Unix timestamps). Bearer token with `catalogs:read` (or a signed-in session); only
    the caller's own catalogs are visible. Errors: 404 for an unknown group or another person's (answered alike);
    401 without a valid token; 403 for a missing scope."""
    return present.product_group(
        groups.access_group(db=db, owner_id=viewer.user_id, group_id=product_group_id)
    )


@router.patch("/product_groups/{product_group_id}")
def update_product_group(
    db: DbSession, viewer: CatalogsWrite, product_group_id: str, body: ProductGroupUpdate
) -> dict[str, Any]:
    """Change a product group's name, description or filters (checked as on creation); answers the v5 RETAIL product
    group. Bearer token with `catalogs:read` and `catalogs:write` (or a signed-in session); only the caller's own
    catalogs. Errors: 400 for unsupported filter keys or malformed criteria; 404 for an unknown group or another
    person's; 401 without a valid token; 403 for a missing scope."""
    changes = body.model_dump(exclude_unset=True)
    return present.product_group(
        service.update_group(db=db, viewer=viewer, group_id=product_group_id, changes=changes)
    )


@router.delete("/product_groups/{product_group_id}", status_code=204)
def delete_product_group(db: DbSession, viewer: CatalogsWrite, product_group_id: str) -> Response:
    """Delete one of the caller's product groups (204); the items and product pins it selected are not touched.
    Bearer token with `catalogs:read` and `catalogs:write` (or a signed-in session); only the caller's own
    catalogs. Errors: 404 for an unknown group or another person's; 401 without a valid token; 403 for a missing
    scope."""
    group = groups.access_group(db=db, owner_id=viewer.user_id, group_id=product_group_id)
    db.delete(group)
    return Response(status_code=204)


@router.get("/product_groups/{product_group_id}/product_counts")
def product_group_counts(db: DbSession, viewer: CatalogsRead, product_group_id: str) -> dict[str, Any]:
    """How many of the catalog's present items the group selects now: v5 product counts {in_stock, out_of_stock,
    preorder, total, videos (always 0)}. Bearer token with `catalogs:read` (or a signed-in session); only the
    caller's own catalogs are visible. Errors: 404 for an unknown group or another person's; 401 without a valid
    token; 403 for a missing scope."""
    group = groups.access_group(db=db, owner_id=viewer.user_id, group_id=product_group_id)
    counts = groups.product_counts(groups.matching_items(db=db, group=group))
    return {"catalog_type": "RETAIL", **counts}


@router.get("/product_groups/{product_group_id}/products")
def product_group_products(
    db: DbSession, viewer: CatalogsRead, base_url: BaseUrl, product_group_id: str, page: Pagination
) -> dict[str, Any]:
    """The group's products in item-id order: v5 {catalog_type, metadata {item_id, item_group_id, availability,
    price, sale_price, currency}, pin (the product pin as a v5 Pin, null for an item without one)}, in `{items,
    bookmark}` pages with a signed offset bookmark. Bearer token with `catalogs:read` (or a signed-in session);
    only the caller's own catalogs are visible. Errors: 400 for a bad page size or bookmark; 404 for an unknown
    group or another person's; 401 without a valid token; 403 for a missing scope."""
    group = groups.access_group(db=db, owner_id=viewer.user_id, group_id=product_group_id)
    items = groups.matching_items(db=db, group=group)
    start = bookmark_int(page.bookmark) or 0  # signed offset bookmark (pagination.py)
    chunk = items[start : start + page.page_size]
    pins = service.pins_by_id(db=db, pin_ids=[i.pin_id for i in chunk if i.pin_id is not None])
    reads = dict(
        zip(
            pins,
            (
                jsonable_encoder(r)
                for r in present_pins(db=db, viewer=viewer, pins=list(pins.values()), base_url=base_url)
            ),
            strict=True,
        )
    )
    bookmark = encode_bookmark([start + page.page_size]) if start + page.page_size < len(items) else None
    return _page(
        [
            {
                "catalog_type": "RETAIL",
                "metadata": present.product_metadata(i),
                "pin": reads.get(i.pin_id or 0),
            }
            for i in chunk
        ],
        bookmark,
    )
