"""HTTP: /ext/v1/notifications (inbox, unread count, mark read, per-type settings)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from pinhaven.accounts.scopes import Viewer
from pinhaven.deps import BaseUrl, DbSession, Pagination, Scopes, user_id_of
from pinhaven.notifications import service
from pinhaven.notifications.present import present_notifications
from pinhaven.notifications.schemas import (
    MarkRead,
    MarkReadResult,
    NotificationPage,
    NotificationSettingRead,
    NotificationSettings,
    NotificationSettingsUpdate,
)

router = APIRouter(prefix="/ext/v1", tags=["notifications"])

Reader = Annotated[Viewer, Depends(Scopes("user_accounts:read"))]
Writer = Annotated[Viewer, Depends(Scopes("user_accounts:write"))]


@router.get("/notifications", response_model=NotificationPage)
def list_notifications(
    db: DbSession,
    viewer: Reader,
    page: Pagination,
    base_url: BaseUrl,
    unread_only: Annotated[bool, Query()] = False,
) -> NotificationPage:
    """The caller's notifications (follows, saves, comments, reactions, mentions, invitations, messages),
    newest first, paginated with `page_size` (1-250, default 25) and the signed `bookmark`;
    `unread_only=true` keeps the unread ones. Follows, saves and reactions on the same object are
    aggregated into one item that rises when it gains an actor. Items about a pin or board the caller may
    no longer see (e.g. it turned secret), or a deleted comment, are left out, as are types the caller
    turned off in the app. The page carries `unread_count` for the bell. Needs a signed-in caller with
    `user_accounts:read` (token or session cookie). Errors: 401 when signed out; 403 for a missing scope;
    400 for a bad page size or bookmark.
    """
    result = service.list_inbox(db=db, viewer=viewer, page=page, unread_only=unread_only)
    return NotificationPage(
        items=present_notifications(db=db, items=result.items, base_url=base_url),
        bookmark=result.bookmark,
        unread_count=service.unread_count(db=db, viewer=viewer),
    )


@router.post("/notifications/read", response_model=MarkReadResult)
def mark_read(db: DbSession, viewer: Writer, body: MarkRead) -> MarkReadResult:
    """Mark notifications read: `{"ids": [...]}` (up to 250 of the caller's own items) or `{"all": true}` for
    every item. Answers how many changed and the caller's new unread count. Needs a signed-in caller with
    `user_accounts:write` (token, or session cookie with its CSRF token). Errors: 400 for neither `ids` nor
    `all`, too many or malformed ids, or unknown fields; 403 for a missing scope or CSRF token; 401 when
    signed out.
    """
    updated = service.mark_read(db=db, viewer=viewer, ids=body.parsed_ids(), all_items=body.all)
    return MarkReadResult(updated=updated, unread_count=service.unread_count(db=db, viewer=viewer))


def _settings(db: DbSession, user_id: int) -> NotificationSettings:
    return NotificationSettings(
        items=[NotificationSettingRead(**s.__dict__) for s in service.settings_for(db, user_id)]
    )


@router.get("/notifications/settings", response_model=NotificationSettings)
def get_settings(db: DbSession, viewer: Reader) -> NotificationSettings:
    """The caller's notification settings: for each type (follow, save, comment, reaction, mention, invite,
    message), whether it shows in the app and whether it is emailed (both on by default). Needs a signed-in
    caller with `user_accounts:read` (token or session cookie). Errors: 401 when signed out; 403 for a
    missing scope.
    """
    return _settings(db, user_id_of(viewer))


@router.patch("/notifications/settings", response_model=NotificationSettings)
def update_settings(db: DbSession, viewer: Writer, body: NotificationSettingsUpdate) -> NotificationSettings:
    """Turn notification types on or off per channel, e.g. `{"settings": {"save": {"in_app": false},
    "comment": {"email": false}}}`; types and channels left out stay as they are. Answers every type's
    settings. Needs a signed-in caller with `user_accounts:write` (token, or session cookie with its CSRF
    token). Errors: 400 for an unknown type or a bad value; 403 for a missing scope or CSRF token; 401 when
    signed out.
    """
    changes = {
        kind: {k: v for k, v in change.model_dump().items() if v is not None}
        for kind, change in body.settings.items()
    }
    service.update_settings(db=db, user_id=user_id_of(viewer), changes=changes)
    return _settings(db, user_id_of(viewer))
