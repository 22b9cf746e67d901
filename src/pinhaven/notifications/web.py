"""Pages: the inbox (/notifications), the bell's live count (/notifications/stream, Server-Sent Events, with
/notifications/count for polling), notification settings and the one-click unsubscribe link of e-mails."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from pinhaven.accounts.scopes import Viewer
from pinhaven.context import AppContext
from pinhaven.db.ids import parse_id
from pinhaven.deps import Ctx, DbSession, ctx_of, get_viewer
from pinhaven.errors import InvalidInput, NotFound, Unauthorized
from pinhaven.notifications import live, mail, service
from pinhaven.notifications.models import Notification
from pinhaven.notifications.present import present_notifications
from pinhaven.pagination import PageParams
from pinhaven.web.csrf import require_csrf
from pinhaven.web.session import SignedIn, WebViewer
from pinhaven.web.templating import render, with_query

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])
# The stream and the unsubscribe link: no CSRF dependency (the stream only reads; a mail client's one-click
# POST carries no CSRF token, the signed link itself is the authority).
open_router = APIRouter(include_in_schema=False)

INBOX_PAGE = 30
KEEPALIVE_SECONDS = 15.0
STREAM_MAX_SECONDS = 3600.0  # the browser reconnects (EventSource) after this; bounds a forgotten tab


@router.get("/notifications")
def inbox(
    request: Request,
    db: DbSession,
    viewer: WebViewer,
    me: SignedIn,
    bookmark: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    result = service.list_inbox(
        db=db, viewer=viewer, page=PageParams(page_size=INBOX_PAGE, bookmark=bookmark)
    )
    items = present_notifications(db=db, items=result.items, base_url="")
    return render(
        request,
        "social/inbox.html",
        {
            "items": items,
            "unread": service.unread_count(db=db, viewer=viewer),
            "next_url": with_query(request, bookmark=result.bookmark) if result.bookmark else None,
        },
    )


@router.post("/notifications/read-all")
def read_all(db: DbSession, viewer: WebViewer, me: SignedIn) -> Response:
    service.mark_read(db=db, viewer=viewer, ids=None, all_items=True)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/{notification_id}/open")
def open_item(db: DbSession, viewer: WebViewer, me: SignedIn, notification_id: str) -> Response:
    """Mark one item read and go to what it is about."""
    item_id = parse_id(notification_id)
    item = db.get(Notification, item_id) if item_id is not None else None
    if item is None or item.user_id != me.id:
        raise NotFound("Notification not found.")
    service.mark_read(db=db, viewer=viewer, ids=[item.id], all_items=False)
    first = item.actor_ids[0] if item.actor_ids else None
    from pinhaven.accounts.models import User

    actor = db.get(User, first) if first is not None else None
    return RedirectResponse(service.object_url(item, actor.username if actor else None), status_code=303)


@router.get("/notifications/count")
def unread_count(db: DbSession, viewer: WebViewer, me: SignedIn) -> Response:
    """The bell's number (the page polls this when Server-Sent Events do not get through)."""
    return JSONResponse(
        {"unread": service.unread_count(db=db, viewer=viewer)}, headers={"Cache-Control": "no-store"}
    )


async def _disconnected(request: Request) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


def _count(ctx: AppContext, viewer: Viewer) -> int:
    with ctx.read_sessions() as db:
        return service.unread_count(db=db, viewer=viewer)


@open_router.get("/notifications/stream")
async def stream(request: Request) -> Response:
    """`event: unread` with `{"unread": n}` at once and whenever it may have changed; a comment line every
    15 s keeps proxies from closing the connection."""
    ctx = ctx_of(request)
    viewer = await get_viewer(request)
    user_id = viewer.user_id
    if user_id is None:
        raise Unauthorized("Log in to continue.")
    await run_in_threadpool(live.ensure_fanout, ctx)
    listener = live.HUB.subscribe(user_id)

    async def events() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        ends = loop.time() + STREAM_MAX_SECONDS
        last: int | None = None
        # The client leaving ends the stream at once (not at the next keep-alive write): a server shutting
        # down waits for open responses.
        gone = asyncio.ensure_future(_disconnected(request))
        woken: asyncio.Future[float] | None = None
        try:
            yield "retry: 3000\n\n"
            while loop.time() < ends and not gone.done():
                count = await run_in_threadpool(_count, ctx, viewer)
                if count != last:
                    last = count
                    yield f"event: unread\ndata: {json.dumps({'unread': count})}\n\n"
                woken = asyncio.ensure_future(listener.queue.get())
                done, _ = await asyncio.wait(
                    {woken, gone}, timeout=KEEPALIVE_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                if woken not in done:
                    woken.cancel()
                    if not gone.done():
                        yield ": keep-alive\n\n"
        finally:
            # (cancelled or not, no task of this stream may outlive it)
            for task in (gone, woken):
                if task is not None and not task.done():
                    task.cancel()
            live.HUB.unsubscribe(listener)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# --- settings --------------------------------------------------------------------------------------------


@router.get("/settings/notifications")
def settings_page(request: Request, db: DbSession, me: SignedIn, saved: int = 0) -> Response:
    return render(
        request,
        "social/settings.html",
        {"tab": "notifications", "settings": service.settings_for(db, me.id), "saved": bool(saved)},
    )


@router.post("/settings/notifications")
async def save_settings(request: Request, db: DbSession, me: SignedIn) -> Response:
    form = await request.form()
    changes = {
        kind: {"in_app": form.get(f"{kind}.in_app") == "1", "email": form.get(f"{kind}.email") == "1"}
        for kind in service.TYPES
    }
    await run_in_threadpool(partial(service.update_settings, db=db, user_id=me.id, changes=changes))
    return RedirectResponse("/settings/notifications?saved=1", status_code=303)


# --- unsubscribe (from e-mails) --------------------------------------------------------------------------

Token = Annotated[str, Query(max_length=512)]


@open_router.get("/notifications/unsubscribe")
def unsubscribe_page(request: Request, ctx: Ctx, token: Token) -> Response:
    _, kind = mail.read_unsubscribe_token(ctx.settings, token)
    return render(request, "social/unsubscribe.html", {"token": token, "kind": kind, "done": False})


@open_router.post("/notifications/unsubscribe")
def unsubscribe(request: Request, ctx: Ctx, db: DbSession, token: Token) -> Response:
    """One click (RFC 8058: mail clients POST `List-Unsubscribe=One-Click` to this URL)."""
    user_id, kind = mail.read_unsubscribe_token(ctx.settings, token)
    kinds = mail.unsubscribe(db, user_id, kind)
    if not kinds:
        raise InvalidInput("this unsubscribe link is not valid", field="token")
    return render(request, "social/unsubscribe.html", {"token": token, "kind": kind, "done": True})
