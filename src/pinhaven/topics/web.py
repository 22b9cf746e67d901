"""Pages: the topic index (/topics), a topic's page of best pins (/topics/{slug}, PinLanding-style), and the
owner's topic correction on the pin page (POST /pin/{id}/topics)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from pinhaven.db.ids import parse_id
from pinhaven.deps import DbSession
from pinhaven.pagination import PageParams
from pinhaven.topics import browse, service
from pinhaven.topics.api import topic_read
from pinhaven.web.csrf import require_csrf
from pinhaven.web.present import pin_cards
from pinhaven.web.session import SignedIn, WebViewer
from pinhaven.web.templating import render, render_grid

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])

GRID_PAGE = 30
TopicField = Annotated[str, Form(max_length=64)]


@router.get("/topics")
def topics_index(request: Request, db: DbSession) -> Response:
    topics = service.list_topics(db=db)
    reads = [topic_read(t, topics) for t in topics if t.parent_slug is None]
    return render(request, "topics/index.html", {"topics": reads})


@router.get("/topics/{slug}")
def topic_page(
    request: Request,
    db: DbSession,
    viewer: WebViewer,
    slug: str,
    bookmark: str | None = None,
    partial: int = 0,
) -> Response:
    """The topic's best pins the visitor may see, with its subtopics (or its parent) as links."""
    topic = service.get_by_slug(db=db, slug=slug)
    result = browse.pins_for_topic(
        db=db, viewer=viewer, slug=topic.slug, page=PageParams(page_size=GRID_PAGE, bookmark=bookmark)
    )
    cards = pin_cards(db=db, viewer=viewer, pins=result.items)
    context = {"topic": topic_read(topic, service.list_topics(db=db))}
    return render_grid(
        request, "topics/topic.html", context, cards=cards, bookmark=result.bookmark, partial=bool(partial)
    )


@router.post("/pin/{pin_id}/topics")
def correct_topics(
    db: DbSession,
    viewer: WebViewer,
    me: SignedIn,
    pin_id: str,
    first: TopicField = "",
    second: TopicField = "",
    third: TopicField = "",
    automatic: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """The owner picks up to three topics (or goes back to automatic ones)."""
    if automatic:
        service.reset_pin_topics(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    else:
        slugs = [s for s in (first, second, third) if s.strip()]
        service.set_pin_topics(db=db, viewer=viewer, pin_id=parse_id(pin_id), slugs=slugs)
    return RedirectResponse(f"/pin/{parse_id(pin_id)}?topics=1", status_code=303)
