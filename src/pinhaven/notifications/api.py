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
    """Newest first (an aggregated item rises when it gains an actor); `unread_count` for the bell."""
    result = service.list_inbox(db=db, viewer=viewer, page=page, unread_only=unread_only)
    return NotificationPage(
        items=present_notifications(db=db, items=result.items, base_url=base_url),
        bookmark=result.bookmark,
        unread_count=service.unread_count(db=db, viewer=viewer),
    )


@router.post("/notifications/read", response_model=MarkReadResult)
def mark_read(db: DbSession, viewer: Writer, body: MarkRead) -> MarkReadResult:
    """`{"ids": [...]}` marks those items read, `{"all": true}` every item."""
    updated = service.mark_read(db=db, viewer=viewer, ids=body.parsed_ids(), all_items=body.all)
    return MarkReadResult(updated=updated, unread_count=service.unread_count(db=db, viewer=viewer))


def _settings(db: DbSession, user_id: int) -> NotificationSettings:
    return NotificationSettings(
        items=[NotificationSettingRead(**s.__dict__) for s in service.settings_for(db, user_id)]
    )


@router.get("/notifications/settings", response_model=NotificationSettings)
def get_settings(db: DbSession, viewer: Reader) -> NotificationSettings:
    return _settings(db, user_id_of(viewer))


@router.patch("/notifications/settings", response_model=NotificationSettings)
def update_settings(db: DbSession, viewer: Writer, body: NotificationSettingsUpdate) -> NotificationSettings:
    """`{"settings": {"save": {"in_app": false}, "comment": {"email": false}}}`"""
    changes = {
        kind: {k: v for k, v in change.model_dump().items() if v is not None}
        for kind, change in body.settings.items()
    }
    service.update_settings(db=db, user_id=user_id_of(viewer), changes=changes)
    return _settings(db, user_id_of(viewer))
