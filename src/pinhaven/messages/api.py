"""HTTP: /ext/v1 conversations and messages, message settings, blocks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from pinhaven.accounts.scopes import Viewer
from pinhaven.db.ids import parse_id
from pinhaven.deps import BaseUrl, DbSession, Pagination, Scopes, user_id_of
from pinhaven.messages import blocks, service
from pinhaven.messages.present import present_conversation, present_messages
from pinhaven.messages.schemas import (
    BlockRead,
    ConversationCreate,
    ConversationPage,
    ConversationRead,
    MessageCreate,
    MessagePage,
    MessageRead,
    MessageSettings,
    UnreadCount,
)

router = APIRouter(prefix="/ext/v1", tags=["messages"])

Reader = Annotated[Viewer, Depends(Scopes("user_accounts:read"))]
Writer = Annotated[Viewer, Depends(Scopes("user_accounts:read", "user_accounts:write"))]


@router.get("/conversations", response_model=ConversationPage)
def list_conversations(
    db: DbSession, viewer: Reader, page: Pagination, base_url: BaseUrl
) -> ConversationPage:
    """Most recently active first, each with its last message and unread count."""
    result = service.conversations(db=db, viewer=viewer, page=page)
    return ConversationPage(
        items=[present_conversation(db=db, viewer=viewer, view=v, base_url=base_url) for v in result.items],
        bookmark=result.bookmark,
        unread_count=service.unread_total(db=db, viewer=viewer),
    )


@router.post("/conversations", response_model=ConversationRead, status_code=201)
def start_conversation(
    db: DbSession, viewer: Writer, body: ConversationCreate, base_url: BaseUrl
) -> ConversationRead:
    """`{"usernames": [...], "text"?: "...", "pin_id"?: "..."}`: the group's conversation (new or existing),
    with the first message when text or a pin is given."""
    conversation = service.start(db=db, viewer=viewer, usernames=body.usernames)
    if body.text is not None or body.pin_id is not None:
        service.send(
            db=db,
            viewer=viewer,
            conversation_id=conversation.id,
            text=body.text,
            pin_id=parse_id(body.pin_id) if body.pin_id else None,
        )
    view = service.get_view(db=db, viewer=viewer, conversation_id=conversation.id)
    return present_conversation(db=db, viewer=viewer, view=view, base_url=base_url)


@router.get("/conversations/{conversation_id}/messages", response_model=MessagePage)
def list_messages(
    db: DbSession, viewer: Reader, conversation_id: str, page: Pagination, base_url: BaseUrl
) -> MessagePage:
    """Newest first."""
    result = service.messages(db=db, viewer=viewer, conversation_id=parse_id(conversation_id), page=page)
    return MessagePage(
        items=present_messages(db=db, viewer=viewer, items=result.items, base_url=base_url),
        bookmark=result.bookmark,
    )


@router.post("/conversations/{conversation_id}/messages", response_model=MessageRead, status_code=201)
def send_message(
    db: DbSession, viewer: Writer, conversation_id: str, body: MessageCreate, base_url: BaseUrl
) -> MessageRead:
    message = service.send(
        db=db,
        viewer=viewer,
        conversation_id=parse_id(conversation_id),
        text=body.text,
        pin_id=parse_id(body.pin_id) if body.pin_id else None,
    )
    return present_messages(db=db, viewer=viewer, items=[message], base_url=base_url)[0]


@router.post("/conversations/{conversation_id}/read", response_model=UnreadCount)
def mark_read(db: DbSession, viewer: Writer, conversation_id: str) -> UnreadCount:
    service.mark_read(db=db, viewer=viewer, conversation_id=parse_id(conversation_id))
    return UnreadCount(unread_count=service.unread_total(db=db, viewer=viewer))


@router.get("/messages/settings", response_model=MessageSettings)
def get_message_settings(db: DbSession, viewer: Reader) -> MessageSettings:
    return MessageSettings(messages_from=service.policy_of(db, user_id_of(viewer)))  # type: ignore[arg-type]


@router.patch("/messages/settings", response_model=MessageSettings)
def update_message_settings(db: DbSession, viewer: Writer, body: MessageSettings) -> MessageSettings:
    """`connected` (people who follow you or whom you follow, the default) or `anyone`."""
    service.set_policy(db, user_id_of(viewer), body.messages_from)
    return body


@router.post("/users/{username}/block", response_model=BlockRead)
def block(db: DbSession, viewer: Writer, username: str) -> BlockRead:
    """They can no longer follow you, message you, mention you, comment on or react to your pins; follows
    between you end."""
    user = blocks.block(db=db, viewer=viewer, username=username)
    return BlockRead(username=user.username, blocked=True)


@router.delete("/users/{username}/block", response_model=BlockRead)
def unblock(db: DbSession, viewer: Writer, username: str) -> BlockRead:
    user = blocks.unblock(db=db, viewer=viewer, username=username)
    return BlockRead(username=user.username, blocked=False)
