"""Rows → conversation and message responses (pins re-checked for the reader)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.accounts.present import present_user_summary
from pinhaven.accounts.scopes import Viewer
from pinhaven.messages import service
from pinhaven.messages.models import Message
from pinhaven.messages.schemas import ConversationRead, MessageRead
from pinhaven.timefmt import iso


def present_messages(
    *, db: Session, viewer: Viewer, items: Sequence[Message], base_url: str
) -> list[MessageRead]:
    ids = {m.sender_id for m in items}
    users = {u.id: u for u in db.scalars(select(User).where(User.id.in_(list(ids))))} if ids else {}
    out = []
    for message in items:
        pin = service.visible_pin(db, viewer, message.pin_id)
        out.append(
            MessageRead(
                id=str(message.id),
                conversation_id=str(message.conversation_id),
                sender=present_user_summary(db=db, user=users[message.sender_id], base_url=base_url),
                text=message.text,
                pin_id=str(pin.id) if pin is not None else None,
                pin_hidden=message.pin_id is not None and pin is None,
                created_at=iso(message.created_at),
            )
        )
    return out


def present_conversation(
    *, db: Session, viewer: Viewer, view: service.ConversationView, base_url: str
) -> ConversationRead:
    last = (
        present_messages(db=db, viewer=viewer, items=[view.last_message], base_url=base_url)
        if view.last_message
        else []
    )
    return ConversationRead(
        id=str(view.conversation.id),
        members=[present_user_summary(db=db, user=u, base_url=base_url) for u in view.members],
        last_message=last[0] if last else None,
        unread_count=view.unread,
    )
