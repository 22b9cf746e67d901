"""Pages: a merchant's catalogs (/catalogs): feeds with their last sync and its per-item issues, adding a
feed, syncing one now. Same services as /v5/catalogs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import session_viewer
from pinhaven.catalogs import present, service
from pinhaven.catalogs.models import Catalog, CatalogFeed, CatalogProcessingResult
from pinhaven.deps import Ctx, DbSession
from pinhaven.errors import PinhavenError
from pinhaven.pagination import PageParams
from pinhaven.web.csrf import require_csrf
from pinhaven.web.session import SignedIn
from pinhaven.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])

MAX_FEEDS_SHOWN = 100


def _rows(db: Session, owner_id: int) -> list[dict[str, Any]]:
    feeds = service.list_feeds(db=db, owner_id=owner_id, page=PageParams(page_size=MAX_FEEDS_SHOWN)).items
    catalogs = {c.id: c for c in db.scalars(select(Catalog).where(Catalog.owner_id == owner_id))}
    rows = []
    for feed in feeds:
        last = db.scalars(
            select(CatalogProcessingResult)
            .where(CatalogProcessingResult.feed_id == feed.id)
            .order_by(CatalogProcessingResult.id.desc())
            .limit(1)
        ).first()
        catalog = catalogs.get(feed.catalog_id)
        rows.append(
            {
                "feed": feed,
                "catalog": catalog,
                "last": present.processing_result(last) if last else None,
                "message": last.message if last else None,
                "issues": (last.issues or [])[:50] if last else [],
            }
        )
    return rows


def _page(request: Request, db: Session, me: Any, *, error: str | None = None, status: int = 200) -> Response:
    return render(request, "catalogs/index.html", {"rows": _rows(db, me.id), "error": error}, status=status)


@router.get("/catalogs")
def catalogs_page(request: Request, db: DbSession, me: SignedIn) -> Response:
    return _page(request, db, me)


@router.post("/catalogs/feeds")
def add_feed(
    request: Request,
    db: DbSession,
    ctx: Ctx,
    me: SignedIn,
    name: Annotated[str, Form(max_length=200)],
    location: Annotated[str, Form(max_length=2048)],
    format: Annotated[str, Form(max_length=8)] = "CSV",
    default_currency: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """A new feed (and its catalog); its first sync is queued."""
    fields = service.FeedFields(
        name=name,
        format=format.upper(),
        location=location,
        default_currency=default_currency.upper() or None,
        given={"default_currency"},
    )
    try:
        with db.begin_nested():
            service.create_feed(
                db=db, settings=ctx.settings, viewer=session_viewer(me.id), catalog_id=None, fields=fields
            )
    except PinhavenError as exc:
        return _page(request, db, me, error=exc.message, status=400)
    return RedirectResponse("/catalogs", status_code=303)


@router.post("/catalogs/feeds/{feed_id}/sync")
def sync_feed(db: DbSession, me: SignedIn, feed_id: str) -> Response:
    """Queue a sync of the feed now."""
    feed: CatalogFeed = service.access_feed(db=db, viewer=session_viewer(me.id), feed_id=feed_id)
    service.request_sync(db=db, feed=feed)
    return RedirectResponse("/catalogs?queued=1", status_code=303)
