"""HTTP: /ext/v1/events (engagement batches) and /ext/v1/pins/{id}/hide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from pinhaven.accounts.scopes import Viewer
from pinhaven.db.ids import parse_id
from pinhaven.deps import Ctx, DbSession, Scopes, user_id_of
from pinhaven.events import service
from pinhaven.events.ratelimit import event_limiter
from pinhaven.events.schemas import EventBatch, EventsAccepted, HideResult
from pinhaven.events.visitors import visitor_of

router = APIRouter(prefix="/ext/v1", tags=["events"])

# Engagement and hides shape the caller's own feed and recommendations: account writes. Anonymous visitors
# may still send impressions (they are rate-limited per address), but a read-only token may not.
EventWriter = Annotated[Viewer, Depends(Scopes("user_accounts:write", allow_anonymous=True))]
AccountWriter = Annotated[Viewer, Depends(Scopes("user_accounts:write"))]


@router.post("/events", response_model=EventsAccepted)
def post_events(
    request: Request, db: DbSession, ctx: Ctx, viewer: EventWriter, body: EventBatch
) -> EventsAccepted:
    """Record engagement the client saw: up to 100 events per batch, each `{type, pin_id, surface, position,
    request_id, at}` with type `impression`, `closeup` or `click` (saves and hides are recorded by the
    server). Events about pins the caller may not see, duplicates, malformed or too old ones are dropped
    and counted by reason, not failed; the good ones feed counters, analytics and ranking. Signed-out
    visitors may send impressions only (counted once per pin and day per visitor); a signed-in caller needs
    `user_accounts:write` (token, or session cookie with its CSRF token), so a read-only token cannot write
    in its user's name. Answers how many were accepted and dropped. Errors: 400 for more than 100 events or
    a malformed body; 429 over the per-user (or, signed out, per-address) events-per-minute limit; 403 for
    a missing scope or CSRF token; 401 for a bad token.
    """
    from pinhaven.discovery.feed import impression_annotator

    address = request.client.host if request.client else "unknown"
    event_limiter(ctx).check(user_id=viewer.user_id, address=address, cost=len(body.events))
    visitor = visitor_of(
        secret_key=ctx.settings.secret_key, address=address, user_agent=request.headers.get("user-agent", "")
    )
    result = service.record_batch(
        db=db, viewer=viewer, events=body.events, annotate=impression_annotator(ctx), visitor=visitor
    )
    return EventsAccepted(accepted=result.accepted, dropped=result.dropped)


@router.post("/pins/{pin_id}/hide", response_model=HideResult)
def hide_pin(db: DbSession, viewer: AccountWriter, pin_id: str) -> HideResult:
    """Hide a pin the caller can see from their feeds: it and its exact duplicates never come back there.
    Answers `changed` false when it was already hidden. Needs a signed-in caller with `user_accounts:write`
    (token, or session cookie with its CSRF token). Errors: 404 for an unknown pin or one the caller may
    not see; 403 for a missing scope or CSRF token; 401 when signed out.
    """
    user_id_of(viewer)
    changed = service.hide(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    return HideResult(pin_id=pin_id, hidden=True, changed=changed)


@router.delete("/pins/{pin_id}/hide", response_model=HideResult)
def unhide_pin(db: DbSession, viewer: AccountWriter, pin_id: str) -> HideResult:
    """Undo a hide: the pin may appear in the caller's feeds again (the hide event stays in the engagement
    log). Answers `changed` false when it was not hidden. Needs a signed-in caller with
    `user_accounts:write` (token, or session cookie with its CSRF token). Errors: 404 for an unknown pin or
    one the caller may not see; 403 for a missing scope or CSRF token; 401 when signed out.
    """
    user_id_of(viewer)
    changed = service.unhide(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    return HideResult(pin_id=pin_id, hidden=False, changed=changed)
