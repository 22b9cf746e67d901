"""HTTP: /v5 pins, board pins, saves and pin search (Pinterest API v5); /ext/v1 pin reads for any viewer."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import access_pin
from pinhaven.cache import cache_of
from pinhaven.db.ids import parse_id
from pinhaven.deps import (
    BaseUrl,
    Ctx,
    CurrentViewer,
    DbSession,
    Pagination,
    ctx_of,
    get_base_url,
    in_read_session,
    json_response,
    user_id_of,
    v5_scopes,
)
from pinhaven.errors import InvalidInput
from pinhaven.media import service as media_service
from pinhaven.pagination import Page, PageParams, bookmark_int
from pinhaven.pins import products, search, service
from pinhaven.pins.board_pages import cached_board_page_json
from pinhaven.pins.models import Pin
from pinhaven.pins.present import page_json, pins_json, present_pin
from pinhaven.pins.schemas import PinCreate, PinPage, PinProductRead, PinRead, PinSave, PinUpdate
from pinhaven.safety import quotas
from pinhaven.topics.schemas import PinDetail

router = APIRouter(prefix="/v5", tags=["pins"])

PinsRead = Annotated[Viewer, Depends(v5_scopes("boards:read", "pins:read"))]
PinsWrite = Annotated[Viewer, Depends(v5_scopes("boards:read", "boards:write", "pins:read", "pins:write"))]
SearchRead = Annotated[Viewer, Depends(v5_scopes("boards:read", "pins:read"))]
CreativeType = Literal[
    "REGULAR", "VIDEO", "SHOPPING", "CAROUSEL", "MAX_VIDEO", "SHOP_THE_PIN", "COLLECTION", "IDEA"
]
CreativeTypes = Annotated[list[CreativeType] | None, Query()]


def _page(db: Session, viewer: Viewer, result: Page[Pin], base_url: str, metrics: bool = False) -> bytes:
    """A PinPage as JSON, straight from the rows (no per-pin pydantic models on a list endpoint)."""
    items = pins_json(db=db, viewer=viewer, pins=result.items, base_url=base_url, metrics=metrics)
    return page_json(items, result.bookmark)


def _only_regular(creative_types: list[CreativeType] | None) -> bool:
    """Pinhaven stores image pins only (REGULAR): a filter without REGULAR matches nothing."""
    return creative_types is not None and "REGULAR" not in creative_types


# The board-pins routes take the Request rather than `Ctx`/`BaseUrl`: every dependency costs FastAPI's
# resolution on each request, a measurable share of the API's most frequent call.
@router.get("/boards/{board_id}/pins", response_model=PinPage)
async def list_board_pins(
    request: Request,
    viewer: PinsRead,
    board_id: str,
    page: Pagination,
    creative_types: CreativeTypes = None,
    pin_metrics: bool = False,
) -> Response:
    """A board's pins (Pinterest v5), newest first, paginated with `page_size` (1-250, default 25) and the
    signed `bookmark` of the previous page. `pin_metrics=true` adds each pin's engagement counts; a
    `creative_types` filter without `REGULAR` matches nothing (Pinhaven stores image pins only). Bearer
    token only, with `boards:read` and `pins:read`. A secret board answers 404 unless the caller is its
    owner or a collaborator and the token holds `boards:read_secret` and `pins:read_secret`; pins hidden by
    moderation are left out for all but their creator. Errors: 404 for an unknown or invisible board; 400
    for a bad parameter, page size or bookmark; 401 without a valid token; 403 for a missing scope.
    """
    return await _board_pins(
        request,
        viewer,
        parse_id(board_id),
        page,
        none_match=_only_regular(creative_types),
        metrics=pin_metrics,
    )


@router.get("/boards/{board_id}/sections/{section_id}/pins", response_model=PinPage)
async def list_section_pins(
    request: Request, viewer: PinsRead, board_id: str, section_id: str, page: Pagination
) -> Response:
    """The pins of one section of a board (Pinterest v5), newest first, paginated with `page_size` (1-250,
    default 25) and `bookmark`. Bearer token only, with `boards:read` and `pins:read`. A secret board
    answers 404 unless the caller is its owner or a collaborator and the token holds `boards:read_secret`
    and `pins:read_secret`. Errors: 404 for an unknown or invisible board, or a section that is not on this
    board; 400 for a non-numeric section id, bad page size or bookmark; 401 without a valid token; 403 for
    a missing scope.
    """
    section = parse_id(section_id)
    if section is None:
        raise InvalidInput("must be a numeric id", field="section_id")
    return await _board_pins(request, viewer, parse_id(board_id), page, section_id=section)


async def _board_pins(
    request: Request,
    viewer: Viewer,
    board_id: int | None,
    page: PageParams,
    *,
    section_id: int | None = None,
    none_match: bool = False,
    metrics: bool = False,
) -> Response:
    """A board's (or section's) pins page: the API's hottest read, done in one hop and straight to JSON."""
    base_url = await get_base_url(request)
    ctx = ctx_of(request)

    def work(db: Session) -> bytes:
        listed = service.listable_board_id(db=db, viewer=viewer, board_id=board_id, section_id=section_id)
        if none_match:
            bookmark_int(page.bookmark)  # a bad bookmark is still a 400
            return page_json([], None)
        if metrics:  # rare: the model path, which knows how to count
            result = service.list_for_board(
                db=db, viewer=viewer, board_id=listed, page=page, section_id=section_id
            )
            return _page(db, viewer, result, base_url, metrics=True)
        return cached_board_page_json(
            cache_of(ctx),
            db=db,
            viewer=viewer,
            board_id=listed,
            section_id=section_id,
            page=page,
            base_url=base_url,
        )

    return json_response(await in_read_session(ctx, work))


@router.get("/pins", response_model=PinPage)
def list_my_pins(
    db: DbSession,
    viewer: PinsRead,
    page: Pagination,
    base_url: BaseUrl,
    pin_filter: Literal["exclude_native", "exclude_repins", "has_been_promoted"] | None = None,
    include_protected_pins: bool = False,
    pin_type: Literal["PRIVATE"] | None = None,
    creative_types: CreativeTypes = None,
    pin_metrics: bool = False,
) -> Response:
    """The token user's own pins, created and saved (Pinterest v5 `GET /pins`), newest first, paginated with
    `page_size` (1-250, default 25) and `bookmark`. `pin_filter` keeps only saves (`exclude_native`) or
    only their own pins (`exclude_repins`); `has_been_promoted` and a `creative_types` filter without
    `REGULAR` give an empty page; `pin_metrics=true` adds engagement counts. Pins on their secret boards
    are listed only when the token holds `pins:read_secret`. Bearer token only, with `boards:read` and
    `pins:read`. Errors: 400 for a bad filter, page size or bookmark; 401 without a valid token; 403 for a
    missing scope.
    """
    if pin_filter == "has_been_promoted" or _only_regular(creative_types):
        return json_response(page_json([], None))  # Pinhaven pins are never promoted
    result = service.list_for_creator(
        db=db,
        viewer=viewer,
        creator_id=user_id_of(viewer),
        page=page,
        exclude_repins=pin_filter == "exclude_repins",
        exclude_native=pin_filter == "exclude_native",
    )
    return json_response(_page(db, viewer, result, base_url, metrics=pin_metrics))


@router.post("/pins", response_model=PinRead, status_code=201)
def create_pin(db: DbSession, ctx: Ctx, viewer: PinsWrite, body: PinCreate, base_url: BaseUrl) -> PinRead:
    """Create a pin (Pinterest v5) on a board the caller owns or collaborates on, optionally in one of its
    sections: the image comes from `media_source` (`image_base64` with `image/jpeg` or `image/png`, or
    `image_url`, which the server fetches with its SSRF guard: never private or loopback addresses), plus
    optional title, description, link, alt text, note and dominant colour; `parent_pin_id` makes it a save
    of a visible pin. The picture is decoded, normalised and stored; search indexing, topics and the
    automatic moderation scan follow in background jobs. Bearer token only, with `boards:read`,
    `boards:write`, `pins:read` and `pins:write` (and `pins:write_secret` for a secret board). Answers 201
    with the pin. Errors: 400 for bad fields, an image that cannot be decoded or a URL that cannot be
    fetched; 403 for a board the caller may not pin to or a missing scope; 404 for an unknown or invisible
    board, section or parent pin; 413 for an image over the upload size or pixel limit, or over the
    caller's storage quota; 429 over the daily upload quota.
    """
    parent_id = parse_id(body.parent_pin_id) if body.parent_pin_id else None
    board_id = parse_id(body.board_id)
    # The checks and the image work (fetch, decode, normalise, store the original) come before the write
    # transaction: on SQLite it holds the one write lock from its first statement, and every other writer
    # would queue behind this picture's tens of milliseconds. The transaction checks again.
    with ctx.read_sessions() as reader:
        if parent_id is not None:
            access_pin(db=reader, viewer=viewer, pin_id=parent_id)
        service.check_can_pin(db=reader, viewer=viewer, board_id=board_id)
    store = media_service.media_store(ctx)
    raw = service.media_source_bytes(ctx=ctx, media_source=body.media_source)
    user_id = user_id_of(viewer)
    with ctx.read_sessions() as reader:  # daily upload and storage quotas (safety/quotas.py): 429 / 413
        quotas.check_upload(db=reader, settings=ctx.settings, user_id=user_id, size=len(raw))
    prepared = media_service.prepare_upload(store=store, settings=ctx.settings, data=raw)
    if parent_id is not None:
        access_pin(db=db, viewer=viewer, pin_id=parent_id)
    image, _ = media_service.register_upload(db=db, prepared=prepared, owner_id=viewer.user_id, store=store)
    quotas.record_upload(db=db, user_id=user_id, size=len(raw))
    pin = service.create(
        db=db,
        viewer=viewer,
        board_id=board_id,
        section_id=parse_id(body.board_section_id) if body.board_section_id else None,
        image=image,
        parent_pin_id=parent_id,
        fields=service.PinFields(
            title=body.title,
            description=body.description,
            link=body.link,
            alt_text=body.alt_text,
            note=body.note,
            dominant_color=body.dominant_color,
        ),
    )
    return present_pin(db=db, viewer=viewer, pin=pin, base_url=base_url)


@router.get("/pins/{pin_id}", response_model=PinRead)
def get_pin(
    db: DbSession, viewer: PinsRead, pin_id: str, base_url: BaseUrl, pin_metrics: bool = False
) -> PinRead:
    """One pin by id (Pinterest v5): title, description, link, board, media with its image variants, and with
    `pin_metrics=true` its engagement counts. Bearer token only, with `boards:read` and `pins:read`. A pin
    on a secret board answers 404 unless the caller is the board's owner or a collaborator and the token
    holds `pins:read_secret`; a pin hidden by moderation answers 404 to all but its creator. Errors: 404
    for an unknown or invisible pin; 401 without a valid token; 403 for a missing scope.
    """
    pin = service.get_visible(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    return present_pin(db=db, viewer=viewer, pin=pin, base_url=base_url, metrics=pin_metrics)


@router.patch("/pins/{pin_id}", response_model=PinRead)
def update_pin(db: DbSession, viewer: PinsWrite, pin_id: str, body: PinUpdate, base_url: BaseUrl) -> PinRead:
    """Change a pin's title, description, link, alt text or note (null clears a field; fields left out stay),
    or move it to another board or section (`board_id`, `board_section_id`). Its creator or the board's
    owner may call it, with a bearer token holding `boards:read`, `boards:write`, `pins:read` and
    `pins:write` (and `pins:write_secret` for a pin on a secret board); the destination board must be one
    the caller may pin to. Errors: 404 for an unknown or invisible pin, board or section; 403 when the
    caller may not change the pin or pin to the destination, or lacks a scope; 400 for bad fields or a null
    `board_id`.
    """
    changes = {name: getattr(body, name) for name in body.model_fields_set if name != "carousel_slots"}
    for key in ("board_id", "board_section_id"):
        if key in changes and changes[key] is not None:
            changes[key] = parse_id(changes[key])
    if "board_id" in changes and changes["board_id"] is None:
        raise InvalidInput("cannot be null", field="board_id")
    pin = service.update(db=db, viewer=viewer, pin_id=parse_id(pin_id), changes=changes)
    return present_pin(db=db, viewer=viewer, pin=pin, base_url=base_url)


@router.delete("/pins/{pin_id}", status_code=204, response_class=Response)
def delete_pin(db: DbSession, viewer: PinsWrite, pin_id: str) -> Response:
    """Delete a pin; the counters of its board, section and the pin it was saved from are corrected. Its
    creator or the board's owner may call it, with a bearer token holding `boards:read`, `boards:write`,
    `pins:read` and `pins:write` (and `pins:write_secret` for a pin on a secret board). Answers 204.
    Errors: 404 for an unknown or invisible pin; 403 when the caller may not change it or lacks a scope;
    401 without a valid token.
    """
    service.delete_pin(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    return Response(status_code=204)


@router.post("/pins/{pin_id}/save", response_model=PinRead, status_code=201)
def save_pin(db: DbSession, viewer: PinsWrite, pin_id: str, body: PinSave, base_url: BaseUrl) -> PinRead:
    """Save (repin) a pin the caller can see to one of their boards, or a board they collaborate on,
    optionally in a section: a new pin with the same image, title, description and link whose parent is the
    source; the source's creator is notified (not for saves into a secret board). Bearer token only, with
    `boards:read`, `boards:write`, `pins:read` and `pins:write` (and `pins:write_secret` to save to a
    secret board). Answers 201 with the new pin. Errors: 400 without a `board_id`; 404 for an unknown or
    invisible pin, board or section; 403 for a board the caller may not pin to or a missing scope; 401
    without a valid token.
    """
    if body.board_id is None:
        raise InvalidInput("is required: the board to save to", field="board_id")
    pin = service.save(
        db=db,
        viewer=viewer,
        pin_id=parse_id(pin_id),
        board_id=parse_id(body.board_id),
        section_id=parse_id(body.board_section_id) if body.board_section_id else None,
    )
    return present_pin(db=db, viewer=viewer, pin=pin, base_url=base_url)


@router.get("/search/pins", response_model=PinPage)
def search_my_pins(
    db: DbSession,
    viewer: SearchRead,
    base_url: BaseUrl,
    query: Annotated[str, Query(min_length=1, max_length=200)],
    bookmark: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """Pinterest v5 pin search: the token user's own pins whose title, description or alt text holds every
    word of `query` (1-200 characters), 25 a page with the signed `bookmark` of the previous page. Pins on
    their secret boards are searched only when the token holds `pins:read_secret`. Bearer token only, with
    `boards:read` and `pins:read`. Errors: 400 for a missing or too-long query or a bad bookmark; 401
    without a valid token; 403 for a missing scope.
    """
    result = search.search_own_pins(
        db=db,
        viewer=viewer,
        owner_id=user_id_of(viewer),
        query_text=query,
        page=PageParams(page_size=25, bookmark=bookmark),
    )
    return json_response(_page(db, viewer, result, base_url))


# --- /ext/v1: any visible pin, board and section pins for any viewer (not in Pinterest v5) ----------

ext_router = APIRouter(prefix="/ext/v1", tags=["pins"])


@ext_router.get("/pins/{pin_id}", response_model=PinDetail)
def get_any_pin(db: DbSession, viewer: CurrentViewer, pin_id: str, base_url: BaseUrl) -> PinDetail:
    """Any pin the caller may see, by id: the v5 pin plus `comment_count`, `reactions` and `my_reaction`, its
    `topics` and the text read from its image (`image_text`, OCR). Anyone may call it, signed in or not
    (token or session cookie). A pin on a secret board answers 404 to anyone but the board's owner and
    collaborators (a token also needs `pins:read_secret`), exactly as an unknown id does; a pin hidden by
    moderation answers 404 to all but its creator. Errors: 404 for an unknown or invisible pin; 401 for a
    bad token.
    """
    from pinhaven.comments.api import with_social
    from pinhaven.topics.service import with_understanding

    pin = service.get_visible(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    social = with_social(db, viewer, present_pin(db=db, viewer=viewer, pin=pin, base_url=base_url))
    detail: PinDetail = with_understanding(db, social, image_id=pin.image_id)
    product = products.read_for(db=db, viewer=viewer, pin=pin)
    if product is not None:
        detail.product = PinProductRead.model_validate(product)
    return detail


@ext_router.get("/boards/{board_id}/pins", response_model=PinPage)
async def list_any_board_pins(
    request: Request,
    viewer: CurrentViewer,
    board_id: str,
    page: Pagination,
    section_id: Annotated[str | None, Query(pattern=r"^\d+$", max_length=19)] = None,
) -> Response:
    """The pins of any board the caller may see (optionally of one `section_id`), newest first, paginated with
    `page_size` (1-250, default 25) and `bookmark`. Anyone may call it, signed in or not (token or session
    cookie). A secret board answers 404 to anyone but its owner and collaborators (a token also needs
    `boards:read_secret` and `pins:read_secret`); pins hidden by moderation are left out for all but their
    creator. Errors: 404 for an unknown or invisible board, or a section not on it; 400 for a bad section
    id, page size or bookmark; 401 for a bad token.
    """
    return await _board_pins(
        request, viewer, parse_id(board_id), page, section_id=parse_id(section_id) if section_id else None
    )
