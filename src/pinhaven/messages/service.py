"""Conversations: text or a pin sent to one or several people; unread counts; who may message whom.

You may start a conversation with people who follow you or whom you follow (each person may open their
messages to `anyone` instead); never with someone you blocked or who blocked you. A pin goes only to people
who may see it: a secret pin sent to someone outside its board is refused, and a pin that later turns secret
is no longer shown to those who cannot see it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User, UserFollow
from pinhaven.accounts.scopes import Viewer, session_viewer
from pinhaven.accounts.service import get_by_username_or_raise
from pinhaven.boards.access import access_pin, can_see_pin_on
from pinhaven.boards.models import Board
from pinhaven.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from pinhaven.messages.blocks import blocked_between
from pinhaven.messages.models import Conversation, ConversationMember, Message, MessagePreference
from pinhaven.notifications import service as notifications
from pinhaven.pagination import Page, PageParams, bookmark_int, page_from_rows
from pinhaven.pins.models import Pin
from pinhaven.text_rules import text_problem

MAX_TEXT = 2000
MAX_RECIPIENTS = 10
POLICIES = ("connected", "anyone")


@dataclass
class ConversationView:
    conversation: Conversation
    members: list[User]
    last_message: Message | None
    unread: int


def _me(viewer: Viewer) -> int:
    if viewer.user_id is None:
        raise Unauthorized("Sign in to send messages.")
    return viewer.user_id


def policy_of(db: Session, user_id: int) -> str:
    row = db.get(MessagePreference, user_id)
    return row.messages_from if row is not None else "connected"


def set_policy(db: Session, user_id: int, messages_from: str) -> str:
    if messages_from not in POLICIES:
        raise InvalidInput(f"must be one of {', '.join(POLICIES)}", field="messages_from")
    row = db.get(MessagePreference, user_id)
    if row is None:
        db.add(MessagePreference(user_id=user_id, messages_from=messages_from))
    else:
        row.messages_from = messages_from
    db.flush()
    return messages_from


def connected(db: Session, a: int, b: int) -> bool:
    """Does either follow the other?"""
    return db.get(UserFollow, (a, b)) is not None or db.get(UserFollow, (b, a)) is not None


def may_message(db: Session, sender_id: int, recipient_id: int) -> bool:
    if blocked_between(db, sender_id, recipient_id):
        return False
    return policy_of(db, recipient_id) == "anyone" or connected(db, sender_id, recipient_id)


def _clean_text(text: str | None) -> str | None:
    if text is None:
        return None
    value = text.strip()
    if not value:
        return None
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"must be at most {MAX_TEXT} characters", field="text")
    problem = text_problem(value, multiline=True)
    if problem:
        raise InvalidInput(problem, field="text")
    return value


def start(*, db: Session, viewer: Viewer, usernames: Sequence[str]) -> Conversation:
    """The conversation between the viewer and these people (the existing one for the same group)."""
    me = _me(viewer)
    names = list(dict.fromkeys(u.strip().lstrip("@").lower() for u in usernames if u.strip()))
    if not names:
        raise InvalidInput("name at least one person", field="usernames")
    if len(names) > MAX_RECIPIENTS:
        raise InvalidInput(f"at most {MAX_RECIPIENTS} people", field="usernames")
    others = [get_by_username_or_raise(db=db, username=n) for n in names]
    others = [u for u in others if u.id != me]
    if not others:
        raise InvalidInput("you cannot message only yourself", field="usernames")
    for user in others:
        if not may_message(db, me, user.id):
            raise Forbidden(
                f"You cannot message {user.username}: only people who follow you or whom you follow "
                "(and who have not blocked you)."
            )
    ids = sorted({me, *(u.id for u in others)})
    key = ",".join(str(i) for i in ids)
    conversation = db.scalar(select(Conversation).where(Conversation.member_key == key))
    if conversation is None:
        conversation = Conversation(member_key=key)
        db.add(conversation)
        db.flush()
        for user_id in ids:
            db.add(
                ConversationMember(conversation_id=conversation.id, user_id=user_id, last_read_message_id=0)
            )
        db.flush()
    return conversation


def _member(
    db: Session, viewer: Viewer, conversation_id: int | None
) -> tuple[Conversation, ConversationMember]:
    me = _me(viewer)
    conversation = db.get(Conversation, conversation_id) if conversation_id is not None else None
    membership = db.get(ConversationMember, (conversation_id, me)) if conversation is not None else None
    if conversation is None or membership is None:
        raise NotFound("Conversation not found.")
    return conversation, membership


def member_ids(db: Session, conversation_id: int) -> list[int]:
    return list(
        db.scalars(
            select(ConversationMember.user_id).where(ConversationMember.conversation_id == conversation_id)
        )
    )


def send(
    *, db: Session, viewer: Viewer, conversation_id: int | None, text: str | None, pin_id: int | None = None
) -> Message:
    """A message with text, a pin, or both; every other member is notified."""
    me = _me(viewer)
    conversation, membership = _member(db, viewer, conversation_id)
    value = _clean_text(text)
    if value is None and pin_id is None:
        raise InvalidInput("send some text or a pin", field="text")
    others = [u for u in member_ids(db, conversation.id) if u != me]
    for other in others:
        if blocked_between(db, me, other):
            raise Forbidden(
                "You cannot message this conversation: someone in it blocked you or you blocked them."
            )
    if pin_id is not None:
        pin = access_pin(db=db, viewer=viewer, pin_id=pin_id)
        board = db.get(Board, pin.board_id)
        assert board is not None
        for other in others:
            if not can_see_pin_on(db=db, viewer=session_viewer(other), board=board):
                raise Forbidden("This pin is on a secret board that someone in the conversation cannot see.")
    message = Message(conversation_id=conversation.id, sender_id=me, text=value, pin_id=pin_id)
    db.add(message)
    db.flush()
    conversation.last_message_id = message.id
    membership.last_read_message_id = message.id
    for other in others:
        notifications.notify(
            db,
            recipient_id=other,
            actor_id=me,
            type="message",
            object_type="conversation",
            object_id=conversation.id,
            excerpt=value or "sent you a pin",
        )
    db.flush()
    return message


def mark_read(*, db: Session, viewer: Viewer, conversation_id: int | None) -> None:
    conversation, membership = _member(db, viewer, conversation_id)
    if conversation.last_message_id is not None:
        membership.last_read_message_id = max(membership.last_read_message_id, conversation.last_message_id)
    db.flush()


def messages(*, db: Session, viewer: Viewer, conversation_id: int | None, page: PageParams) -> Page[Message]:
    """Newest first."""
    conversation, _ = _member(db, viewer, conversation_id)
    query = select(Message).where(Message.conversation_id == conversation.id)
    cursor = bookmark_int(page.bookmark)
    if cursor is not None:
        query = query.where(Message.id < cursor)
    rows = list(db.scalars(query.order_by(Message.id.desc()).limit(page.page_size + 1)))
    return page_from_rows(rows, page.page_size, lambda m: m.id)


def _unread(db: Session, conversation_id: int, me: int, last_read: int) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                Message.conversation_id == conversation_id, Message.id > last_read, Message.sender_id != me
            )
        )
        or 0
    )


def conversations(*, db: Session, viewer: Viewer, page: PageParams) -> Page[ConversationView]:
    """The viewer's conversations, most recently active first."""
    me = _me(viewer)
    query = (
        select(Conversation, ConversationMember.last_read_message_id)
        .join(ConversationMember, ConversationMember.conversation_id == Conversation.id)
        .where(ConversationMember.user_id == me, Conversation.last_message_id.is_not(None))
    )
    cursor = bookmark_int(page.bookmark)
    if cursor is not None:
        query = query.where(Conversation.last_message_id < cursor)
    rows = list(
        db.execute(query.order_by(Conversation.last_message_id.desc()).limit(page.page_size + 1)).all()
    )
    result = page_from_rows(rows, page.page_size, lambda r: r[0].last_message_id)
    views = []
    for conversation, last_read in result.items:
        views.append(view_of(db, conversation, me, last_read))
    return Page(items=views, bookmark=result.bookmark)


def view_of(
    db: Session, conversation: Conversation, me: int, last_read: int | None = None
) -> ConversationView:
    if last_read is None:
        membership = db.get(ConversationMember, (conversation.id, me))
        last_read = membership.last_read_message_id if membership else 0
    ids = member_ids(db, conversation.id)
    users = list(db.scalars(select(User).where(User.id.in_(ids)).order_by(User.username)))
    last = db.get(Message, conversation.last_message_id) if conversation.last_message_id else None
    return ConversationView(
        conversation=conversation,
        members=users,
        last_message=last,
        unread=_unread(db, conversation.id, me, last_read),
    )


def get_view(*, db: Session, viewer: Viewer, conversation_id: int | None) -> ConversationView:
    conversation, membership = _member(db, viewer, conversation_id)
    return view_of(db, conversation, membership.user_id, membership.last_read_message_id)


def unread_total(*, db: Session, viewer: Viewer) -> int:
    me = _me(viewer)
    query = (
        select(func.count())
        .select_from(Message)
        .join(ConversationMember, ConversationMember.conversation_id == Message.conversation_id)
        .where(
            ConversationMember.user_id == me,
            Message.id > ConversationMember.last_read_message_id,
            Message.sender_id != me,
        )
    )
    return int(db.scalar(query) or 0)


def visible_pin(db: Session, viewer: Viewer, pin_id: int | None) -> Pin | None:
    """The message's pin if the reader may (still) see it."""
    if pin_id is None:
        return None
    try:
        return access_pin(db=db, viewer=viewer, pin_id=pin_id)
    except NotFound:
        return None
