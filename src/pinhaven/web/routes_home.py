"""Home feed and site search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from pinhaven.boards import service as boards_service
from pinhaven.deps import DbSession
from pinhaven.pagination import Page, PageParams
from pinhaven.pins import feeds, search
from pinhaven.web.present import board_cards, pin_cards
from pinhaven.web.session import WebViewer
from pinhaven.web.templating import render_grid

router = APIRouter()

GRID_PAGE = 30
Bookmark = Annotated[str | None, Query(max_length=512)]


@router.get("/")
def home(
    request: Request, db: DbSession, viewer: WebViewer, bookmark: Bookmark = None, partial: int = 0
) -> Response:
    """Signed in: followed people and boards first, then recent public pins. Visitors: recent public pins."""
    result = feeds.following_then_recent(
        db=db, viewer=viewer, page=PageParams(page_size=GRID_PAGE, bookmark=bookmark)
    )
    cards = pin_cards(db=db, viewer=viewer, pins=result.items)
    return render_grid(request, "home.html", {}, cards=cards, bookmark=result.bookmark, partial=bool(partial))


@router.get("/search")
def search_page(
    request: Request,
    db: DbSession,
    viewer: WebViewer,
    q: Annotated[str, Query(max_length=200)] = "",
    bookmark: Bookmark = None,
    partial: int = 0,
) -> Response:
    q = q.strip()
    page = PageParams(page_size=GRID_PAGE, bookmark=bookmark)
    result = (
        search.search_visible_pins(db=db, viewer=viewer, query_text=q, page=page) if q else Page([], None)
    )
    boards = []
    if q and not bookmark:
        found = boards_service.search_boards(db=db, viewer=viewer, query_text=q, page=PageParams(page_size=6))
        boards = board_cards(db=db, boards=found.items)
    cards = pin_cards(db=db, viewer=viewer, pins=result.items)
    context = {"q": q, "boards": boards}
    return render_grid(
        request, "search.html", context, cards=cards, bookmark=result.bookmark, partial=bool(partial)
    )
