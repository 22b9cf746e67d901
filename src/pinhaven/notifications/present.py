"""Rows → notification items (API and pages share the sentence and the link)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from pinhaven.accounts.present import present_user_summary
from pinhaven.notifications import service
from pinhaven.notifications.models import Notification
from pinhaven.notifications.schemas import NotificationObject, NotificationRead
from pinhaven.timefmt import iso


def present_notifications(
    *, db: Session, items: Sequence[Notification], base_url: str
) -> list[NotificationRead]:
    users = service.actors_of(db, items)
    out = []
    for item in items:
        actors = [users[a] for a in (item.actor_ids or []) if a in users]
        names = [u.display_name or u.username for u in actors]
        out.append(
            NotificationRead(
                id=str(item.id),
                type=item.type,
                actors=[present_user_summary(db=db, user=u, base_url=base_url) for u in actors],
                actor_count=max(item.actor_count, len(actors)),
                object=NotificationObject(
                    type=item.object_type,
                    id=str(item.object_id) if item.object_id is not None else None,
                    pin_id=str(item.pin_id) if item.pin_id is not None else None,
                    board_id=str(item.board_id) if item.board_id is not None else None,
                    url=service.object_url(item, actors[0].username if actors else None),
                ),
                text=service.sentence(item, names),
                excerpt=item.excerpt,
                is_read=item.read_at is not None,
                created_at=iso(item.created_at),
                updated_at=iso(item.updated_at),
            )
        )
    return out
