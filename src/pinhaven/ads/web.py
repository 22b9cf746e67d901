"""Web: the click recorder behind promoted cards, and the ads manager pages (campaign → ad group → ad)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from pinhaven.ads import clicks
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.errors import PinhavenError
from pinhaven.web.csrf import require_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


@router.get("/ads/click")
def click_through(request: Request, t: Annotated[str, Query(max_length=1024)] = "") -> Response:
    """A promoted card's link: record the click (its own short write transaction), then go where it leads."""
    ctx = _ctx(request)
    try:
        with session_scope(ctx.sessions) as db:
            done = clicks.click(db, secret_key=ctx.settings.secret_key, token=t)
    except PinhavenError:
        return RedirectResponse("/", status_code=303)
    return RedirectResponse(done.destination_url or f"/pin/{done.pin_id}", status_code=303)
