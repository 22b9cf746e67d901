"""HTTP: /ext/v1/search — pins (keyword + semantic), boards and people, over what the caller may see."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from pinhaven.accounts.models import User
from pinhaven.accounts.present import present_user_summary
from pinhaven.accounts.schemas import UserPage
from pinhaven.ads import inject as promoted
from pinhaven.boards.present import present_boards
from pinhaven.boards.schemas import BoardPage
from pinhaven.db.ids import parse_id
from pinhaven.deps import BaseUrl, Ctx, CurrentViewer, DbSession, Pagination
from pinhaven.errors import InvalidInput, NotFound
from pinhaven.pins.present import present_pins
from pinhaven.search.text import service
from pinhaven.search.text.backends import ProductFilter
from pinhaven.search.text.query import MAX_QUERY_CHARS
from pinhaven.search.text.schemas import PinSearchPage

router = APIRouter(prefix="/ext/v1/search", tags=["search"])

SearchText = Annotated[str, Query(max_length=MAX_QUERY_CHARS, description="Words to search for.")]


@router.get("/pins", response_model=PinSearchPage)
def search_pins(
    ctx: Ctx,
    db: DbSession,
    viewer: CurrentViewer,
    base_url: BaseUrl,
    page: Pagination,
    q: SearchText = "",
    board: Annotated[str | None, Query(description="Only pins on this board (id).")] = None,
    user: Annotated[str | None, Query(max_length=30, description="Only pins by this username.")] = None,
    topic: Annotated[
        str | None, Query(max_length=64, description="Only pins of this topic (id from /ext/v1/taxonomy).")
    ] = None,
    products_only: Annotated[
        bool, Query(description="Only product pins (with a price or availability).")
    ] = False,
    min_price: Annotated[
        float | None, Query(ge=0, le=1e12, description="Product pins priced at least this.")
    ] = None,
    max_price: Annotated[
        float | None, Query(ge=0, le=1e12, description="Product pins priced at most this.")
    ] = None,
    in_stock: Annotated[bool, Query(description="Only product pins in stock.")] = False,
) -> PinSearchPage:
    """Search pins the caller may see for `q` (up to 200 characters): stemmed, prefix and typo-tolerant
    keywords, fused by reciprocal rank with semantic (meaning) matches when semantic search is on (`mode`
    says which), one pin per duplicate group (exact and near copies), promoted pins possibly in some slots.
    Narrow by `board` (id), `user` (username) or `topic` (id from `/ext/v1/taxonomy`); shopping filters
    `products_only`, `min_price` / `max_price` (inclusive, the pin's own currency) and `in_stock` keep product
    pins only (catalog product pins, pins saved from product pages, and saves of public ones). The page has
    `total_estimate` and, when the query was spell-corrected, `corrected_query`; paginated with `page_size`
    (1-250, default 25) and the signed `bookmark`. Anyone may call it, signed in or not. Pins on secret
    boards are found only by the board's owner and collaborators (a token also needs `pins:read_secret`),
    never pins hidden by moderation. Errors: 400 for a too-long query or a non-numeric board id, bad page
    size or bookmark; 404 for a board the caller may not see, an unknown username or an unknown topic; 401
    for a bad token.
    """
    board_id = None
    if board is not None:
        board_id = parse_id(board)
        if board_id is None:
            raise InvalidInput("must be a board id (digits)", field="board")
    user_id = None
    if user is not None:
        user_id = db.scalar(select(User.id).where(User.username == user))
        if user_id is None:
            raise NotFound("User not found.")
    if topic is not None:
        from pinhaven.topics.service import get_by_slug

        topic = get_by_slug(db=db, slug=topic).slug  # NotFound for unknown or hidden topics
    result = service.search_pins(
        db=db,
        viewer=viewer,
        query=q,
        page=page,
        board_id=board_id,
        user_id=user_id,
        semantic_search=ctx.settings.semantic_search,
        topic=topic,
        products=_product_filter(products_only, min_price, max_price, in_stock),
    )
    items = present_pins(db=db, viewer=viewer, pins=result.items, base_url=base_url)
    items = promoted.into_pins(
        ctx, db, viewer=viewer, items=items, surface="search", text=q, base_url=base_url
    )
    return PinSearchPage(
        items=items,
        bookmark=result.bookmark,
        total_estimate=result.total_estimate,
        corrected_query=result.corrected_query,
        mode="hybrid" if result.mode == service.HYBRID else "keyword",
    )


def _product_filter(
    products_only: bool, min_price: float | None, max_price: float | None, in_stock: bool
) -> ProductFilter | None:
    if not (products_only or in_stock or min_price is not None or max_price is not None):
        return None
    low = Decimal(str(min_price)) if min_price is not None else None
    high = Decimal(str(max_price)) if max_price is not None else None
    if low is not None and high is not None and low > high:
        raise InvalidInput("must not be above max_price", field="min_price")
    return ProductFilter(min_price=low, max_price=high, in_stock=in_stock)


@router.get("/boards", response_model=BoardPage)
def search_boards(
    db: DbSession, viewer: CurrentViewer, base_url: BaseUrl, page: Pagination, q: SearchText = ""
) -> BoardPage:
    """Search boards the caller may see whose name or description holds every word of `q` (up to 200
    characters), name matches first, paginated with `page_size` (1-250, default 25) and the signed
    `bookmark`. Anyone may call it, signed in or not; secret boards are found only by their owner and
    collaborators (a token also needs `boards:read_secret`). Errors: 400 for a too-long query, a bad page
    size or bookmark; 401 for a bad token.
    """
    result = service.search_boards(db=db, viewer=viewer, query=q, page=page)
    return BoardPage(
        items=present_boards(db=db, boards=result.items, base_url=base_url), bookmark=result.bookmark
    )


@router.get("/people", response_model=UserPage)
def search_people(db: DbSession, base_url: BaseUrl, page: Pagination, q: SearchText = "") -> UserPage:
    """Search people whose username or display name holds every word of `q` (up to 200 characters), username
    prefix matches first, paginated with `page_size` (1-250, default 25) and the signed `bookmark`. Public:
    anyone may call it, signed in or not; deactivated, deleted and suspended accounts are never listed.
    Errors: 400 for a too-long query, a bad page size or bookmark.
    """
    result = service.search_people(db=db, query=q, page=page)
    return UserPage(
        items=[present_user_summary(db=db, user=user, base_url=base_url) for user in result.items],
        bookmark=result.bookmark,
    )
