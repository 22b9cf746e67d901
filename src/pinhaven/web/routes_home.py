"""Home feed and site search."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from pinhaven.ads import inject as promoted
from pinhaven.deps import Ctx, DbSession
from pinhaven.errors import InvalidInput
from pinhaven.pagination import Page, PageParams
from pinhaven.pins import feeds
from pinhaven.pins.models import Pin
from pinhaven.search.text import service as text_search
from pinhaven.search.visual import text_to_image
from pinhaven.web.present import board_cards, people, pin_cards
from pinhaven.web.session import WebViewer
from pinhaven.web.templating import render_grid

router = APIRouter()

GRID_PAGE = 30
Bookmark = Annotated[str | None, Query(max_length=512)]


@router.get("/")
def home(
    request: Request, db: DbSession, viewer: WebViewer, bookmark: Bookmark = None, partial: int = 0
) -> Response:
    """Signed in: the personalised feed (discovery). Visitors: recent public pins."""
    if viewer.user_id is not None:
        from pinhaven.web.routes_discovery import home_page

        return home_page(request, db, viewer, bookmark=bookmark, partial=bool(partial), page_size=GRID_PAGE)
    result = feeds.following_then_recent(
        db=db, viewer=viewer, page=PageParams(page_size=GRID_PAGE, bookmark=bookmark)
    )
    cards = pin_cards(db=db, viewer=viewer, pins=result.items)
    cards = promoted.into_cards(request.app.state.ctx, db, viewer=viewer, cards=cards, surface="home", text=" ".join(c.title or "" for c in cards))  # fmt: skip
    return render_grid(request, "home.html", {}, cards=cards, bookmark=result.bookmark, partial=bool(partial))


@router.get("/search")
def search_page(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    viewer: WebViewer,
    q: Annotated[str, Query(max_length=200)] = "",
    tab: Annotated[Literal["pins", "looks", "boards", "people"], Query()] = "pins",
    bookmark: Bookmark = None,
    partial: int = 0,
    topic: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Full-text + semantic pin search over what the viewer may see, with boards and people tabs, and
    with CLIP a "Looks like" tab: pins whose picture matches the words (text → image)."""
    q = q.strip()
    looks_like = bool(q) and text_to_image.text_search_available(ctx)
    context: dict[str, object] = {
        "q": q,
        "tab": tab,
        "looks_like": looks_like,
        "boards": [],
        "people": [],
        "total": 0,
        "corrected": None,
    }
    result: Page[Pin] = Page([], None)
    if q:
        try:
            if tab == "pins":
                from pinhaven.topics.service import get_by_slug, list_topics

                # Topic filter (pinhaven.topics): one top topic's chips under the tabs; unknown → 404.
                context["topics"] = [t for t in list_topics(db=db) if t.parent_slug is None]
                context["topic"] = get_by_slug(db=db, slug=topic) if topic else None
                found = text_search.search_pins(
                    db=db, viewer=viewer, query=q, page=PageParams(page_size=GRID_PAGE, bookmark=bookmark),
                    topic=topic or None,
                )  # fmt: skip
                result = found
                context["total"], context["corrected"] = found.total_estimate, found.corrected_query
            elif tab == "looks":
                if looks_like:  # one page, no bookmark: a nearest-neighbour pool has no stable cursor
                    found_looks = text_to_image.search_text(ctx, db, viewer, q, GRID_PAGE)
                    result = Page([s.pin for s in found_looks], None)
            elif tab == "boards":
                boards = text_search.search_boards(
                    db=db, viewer=viewer, query=q, page=PageParams(page_size=60)
                )
                context["boards"] = board_cards(db=db, boards=boards.items)
            else:
                users = text_search.search_people(db=db, query=q, page=PageParams(page_size=60))
                context["people"] = people(db, users.items)
        except InvalidInput:
            context["unsearchable"] = True  # no letters or digits in the query
    cards = pin_cards(db=db, viewer=viewer, pins=result.items)
    if tab == "pins" and q:
        cards = promoted.into_cards(ctx, db, viewer=viewer, cards=cards, surface="search", text=q)
    return render_grid(
        request, "search.html", context, cards=cards, bookmark=result.bookmark, partial=bool(partial)
    )
