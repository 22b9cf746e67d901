"""Discovery pages: the personalised home feed, "more like this", topic picking, pin stats and analytics.

The home route in routes_home.py hands signed-in visitors to `home_page`; the pin page's "More like this"
slot and the owner's stats slot are filled by static/discovery.js from the fragments served here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.ads import inject as promoted
from pinhaven.context import AppContext
from pinhaven.db.ids import parse_id
from pinhaven.deps import DbSession
from pinhaven.discovery import analytics, feed, related, topics
from pinhaven.errors import PinhavenError
from pinhaven.pagination import PageParams
from pinhaven.pins.present import present_pin
from pinhaven.web.present import Picture, closeup_picture, pin_alt, pin_cards
from pinhaven.web.session import SignedIn, WebViewer, safe_next
from pinhaven.web.templating import render, render_grid

router = APIRouter()

RELATED_PAGE = 20


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def home_page(
    request: Request, db: Session, viewer: Viewer, *, bookmark: str | None, partial: bool, page_size: int
) -> Response:
    """The signed-in home: the personalised feed, with the topic picker until topics are chosen."""
    assert viewer.user_id is not None
    page = PageParams(page_size=page_size, bookmark=bookmark)
    result = feed.home_feed(_ctx(request), db=db, viewer=viewer, page=page)
    cards = pin_cards(db=db, viewer=viewer, pins=result.items)
    cards = promoted.into_cards(_ctx(request), db, viewer=viewer, cards=cards, surface="home", text=" ".join(c.title or "" for c in cards))  # fmt: skip
    pick = not bookmark and topics.get_interests(db=db, user_id=viewer.user_id) is None
    context = {"request_id": result.request_id, "pick_topics": pick, "min_picks": topics.MIN_PICKS,
               "next": "/", "topics": _topic_tiles(db, viewer) if pick else [],
               "caught_up": result.caught_up}  # fmt: skip
    # Infinite-scroll batches carry the caught-up notice too (static/app.js shows it between the grids).
    return render_grid(request, "home.html", context, cards=cards, bookmark=result.bookmark, partial=partial,
                       partial_template="discovery/_feed_batch.html")  # fmt: skip


@router.get("/pin/{pin_id}/related")
def related_fragment(
    request: Request, db: DbSession, viewer: WebViewer, pin_id: str, bookmark: str | None = None
) -> Response:
    """A batch of "More like this" cards (an HTML fragment with the next batch's link)."""
    page = PageParams(page_size=RELATED_PAGE, bookmark=bookmark)
    result = related.related_pins(_ctx(request), db=db, viewer=viewer, pin_id=parse_id(pin_id), page=page)
    cards = pin_cards(db=db, viewer=viewer, pins=result.items)
    cards = promoted.into_cards(_ctx(request), db, viewer=viewer, cards=cards, surface="related", text=" ".join(c.title or "" for c in cards))  # fmt: skip
    next_url = f"/pin/{pin_id}/related?bookmark={result.bookmark}" if result.bookmark else None
    response = render(request, "partials/pin_page.html", {"cards": cards, "next_url": next_url})
    response.headers["X-Request-Id"] = result.request_id
    return response


@router.get("/pin/{pin_id}/stats")
def pin_stats_page(
    request: Request, db: DbSession, viewer: WebViewer, me: SignedIn, pin_id: str, partial: int = 0
) -> Response:
    """The owner's stats for one pin (the panel on the pin page, or a page of its own)."""
    stats = analytics.pin_stats(db=db, viewer=viewer, pin_id=parse_id(pin_id), days=30)
    read = present_pin(db=db, viewer=viewer, pin=stats.pin, base_url="")
    context = {"stats": stats, "pin": read, "picture": closeup_picture(read), "alt": pin_alt(read)}
    return render(request, "discovery/stats_panel.html" if partial else "discovery/stats.html", context)


@router.get("/analytics")
def analytics_page(
    request: Request, db: DbSession, viewer: WebViewer, me: SignedIn, days: int = 30
) -> Response:
    """Creator analytics: the last 30 days of the signed-in user's pins."""
    summary = analytics.creator_summary(db=db, viewer=viewer, days=days)
    cards = {c.id: c for c in pin_cards(db=db, viewer=viewer, pins=[t.pin for t in summary.pins])}
    return render(
        request, "discovery/analytics.html", {"summary": summary, "cards": cards, "active": "analytics"}
    )


@dataclass(frozen=True)
class TopicTile:
    """One tile of the topic picker: the topic and the picture of its representative public pin."""

    key: str
    label: str
    picture: Picture | None


def _topic_tiles(db: Session, viewer: Viewer) -> list[TopicTile]:
    covers = topics.topic_covers(db=db)
    pins = list(covers.values())
    # The covers are public pins (checked in topic_covers); pin_cards presents them for this viewer.
    pictures = {card.id: card.picture for card in pin_cards(db=db, viewer=viewer, pins=pins)}
    return [
        TopicTile(t.key, t.label, pictures.get(str(covers[t.key].id)) if t.key in covers else None)
        for t in topics.TOPICS
    ]


@router.get("/welcome/topics")
def topics_page(
    request: Request, db: DbSession, viewer: WebViewer, me: SignedIn, next: str = "/"
) -> Response:
    chosen = topics.get_interests(db=db, user_id=me.id) or []
    context = {
        "topics": _topic_tiles(db, viewer),
        "chosen": chosen,
        "min_picks": topics.MIN_PICKS,
        "next": safe_next(next),
    }
    return render(request, "discovery/topics.html", context)


@router.post("/welcome/topics")
def save_topics(
    request: Request,
    db: DbSession,
    viewer: WebViewer,
    me: SignedIn,
    topic: Annotated[list[str] | None, Form(max_length=50)] = None,
    skip: Annotated[str, Form(max_length=10)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    """Store the picked topics (at least three), or an empty list when the visitor skips."""
    picked, target = list(topic or []), safe_next(next)
    try:
        topics.set_interests(db=db, user_id=me.id, topics=[] if skip else picked)
    except PinhavenError as exc:
        db.rollback()
        context = {"topics": _topic_tiles(db, viewer), "chosen": picked, "min_picks": topics.MIN_PICKS, "next": target,
                   "error": exc.message}  # fmt: skip
        return render(request, "discovery/topics.html", context, status=exc.status)
    return RedirectResponse(target, status_code=303)
