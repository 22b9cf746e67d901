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
    """The caller's conversations, most recently active first, each with its members, last message and unread
    count, paginated with `page_size` (1-250, default 25) and the signed `bookmark`; the page also carries
    the caller's total unread count. Needs a signed-in caller with `user_accounts:read` (token or session
    cookie). Errors: 401 when signed out; 403 for a missing scope; 400 for a bad page size or bookmark.
    """
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
    """Open the conversation between the caller and 1-10 people named in `usernames` (the existing one when
    the same group already talks), and send a first message when `text` (up to 2,000 characters) or
    `pin_id` is given. The caller may message people who follow them or whom they follow, or anyone whose
    messages are open to `anyone`, never someone either of them blocked; a pin may be sent only if every
    member can see it. Needs `user_accounts:read` and `user_accounts:write` (token, or session cookie with
    its CSRF token). Answers 201 with the conversation. Errors: 400 for no or too many people, only
    yourself, or too-long text; 403 when a person may not be messaged, or a secret pin someone in the group
    cannot see, or a missing scope or CSRF token; 404 for an unknown or inactive username, or a pin the
    caller may not see; 401 when signed out.
    """
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
    """A conversation's messages, newest first, paginated with `page_size` (1-250, default 25) and the signed
    `bookmark`. Only members may read it, with `user_accounts:read` (token or session cookie); a pin in a
    message that has since become invisible to the reader (e.g. its board turned secret) is no longer
    shown. Errors: 404 for an unknown conversation or one the caller is not in; 401 when signed out; 403
    for a missing scope; 400 for a bad page size or bookmark.
    """
    result = service.messages(db=db, viewer=viewer, conversation_id=parse_id(conversation_id), page=page)
    return MessagePage(
        items=present_messages(db=db, viewer=viewer, items=result.items, base_url=base_url),
        bookmark=result.bookmark,
    )


@router.post("/conversations/{conversation_id}/messages", response_model=MessageRead, status_code=201)
def send_message(
    db: DbSession, viewer: Writer, conversation_id: str, body: MessageCreate, base_url: BaseUrl
) -> MessageRead:
    """Send text (up to 2,000 characters), a pin, or both to a conversation the caller is in; every other
    member is notified. Needs `user_accounts:read` and `user_accounts:write` (token, or session cookie with
    its CSRF token). Answers 201 with the message. Errors: 400 for neither text nor pin, or too-long text;
    403 when someone in the conversation blocked the caller or was blocked by them, when the pin is on a
    secret board someone in the conversation cannot see, or for a missing scope or CSRF token; 404 for a
    conversation the caller is not in or a pin they may not see; 401 when signed out.
    """
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
    """Mark a conversation the caller is in as read up to its last message, and answer the caller's remaining
    unread count over all conversations. Needs `user_accounts:read` and `user_accounts:write` (token, or
    session cookie with its CSRF token). Errors: 404 for an unknown conversation or one the caller is not
    in; 403 for a missing scope or CSRF token; 401 when signed out.
    """
    service.mark_read(db=db, viewer=viewer, conversation_id=parse_id(conversation_id))
    return UnreadCount(unread_count=service.unread_total(db=db, viewer=viewer))


@router.get("/messages/settings", response_model=MessageSettings)
def get_message_settings(db: DbSession, viewer: Reader) -> MessageSettings:
    """Who may start a conversation with the caller: `connected` (people who follow them or whom they follow,
    the default) or `anyone`. Needs a signed-in caller with `user_accounts:read` (token or session cookie).
    Errors: 401 when signed out; 403 for a missing scope.
    """
    return MessageSettings(messages_from=service.policy_of(db, user_id_of(viewer)))  # type: ignore[arg-type]


@router.patch("/messages/settings", response_model=MessageSettings)
def update_message_settings(db: DbSession, viewer: Writer, body: MessageSettings) -> MessageSettings:
    """Choose who may start a conversation with the caller: `connected` (people who follow them or whom they
    follow, the default) or `anyone`; blocked people never can. Needs `user_accounts:read` and
    `user_accounts:write` (token, or session cookie with its CSRF token). Errors: 400 for another value;
    403 for a missing scope or CSRF token; 401 when signed out.
    """
    service.set_policy(db, user_id_of(viewer), body.messages_from)
    return body


@router.post("/users/{username}/block", response_model=BlockRead)
def block(db: DbSession, viewer: Writer, username: str) -> BlockRead:
    """Block a person (idempotent): follows between the two end in both directions, and they can no longer
    follow the caller, message them, mention them, or comment on or react to their pins. Needs
    `user_accounts:read` and `user_accounts:write` (token, or session cookie with its CSRF token). Errors:
    400 when blocking yourself; 404 for an unknown or inactive username; 403 for a missing scope or CSRF
    token; 401 when signed out.
    """
    user = blocks.block(db=db, viewer=viewer, username=username)
    return BlockRead(username=user.username, blocked=True)


@router.delete("/users/{username}/block", response_model=BlockRead)
def unblock(db: DbSession, viewer: Writer, username: str) -> BlockRead:
    """Lift the caller's block of a person (idempotent: not blocking them is not an error); follows that the
    block ended do not come back. Needs `user_accounts:read` and `user_accounts:write` (token, or session
    cookie with its CSRF token). Errors: 404 for an unknown or inactive username; 403 for a missing scope
    or CSRF token; 401 when signed out.
    """
    user = blocks.unblock(db=db, viewer=viewer, username=username)
    return BlockRead(username=user.username, blocked=False)
