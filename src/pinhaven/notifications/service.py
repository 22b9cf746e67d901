"""Notifications: created by the services where things happen, read through the inbox.

Privacy is checked twice: when a notification is made (nothing is created about a board or pin the recipient
cannot see) and when it is read (the board may have turned secret, the reader's token may lack read_secret, the
pin may be gone). Blocked people never notify each other. Saves of one pin are aggregated into one unread item
("Ana and 4 others saved your pin"). The live bell is told after the transaction commits (`live.py`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import ColumnElement, and_, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import Viewer, session_viewer
from pinhaven.boards.access import (
    PUBLIC,
    can_see_board,
    can_see_pin_on,
    visible_boards_clause,
    visible_pins_clause,
)
from pinhaven.boards.models import Board, BoardInvitation
from pinhaven.comments.models import PinComment
from pinhaven.db.base import utcnow
from pinhaven.db.ids import new_id
from pinhaven.errors import InvalidInput, Unauthorized
from pinhaven.messages.blocks import blocked_between
from pinhaven.notifications.models import Notification, NotificationSetting
from pinhaven.pagination import Page, PageParams, bookmark_int, page_from_rows
from pinhaven.pins.models import Pin

TYPES: tuple[str, ...] = ("follow", "save", "comment", "reaction", "mention", "invite", "message")
TYPE_LABELS = {
    "follow": "New followers",
    "save": "Saves of your pins",
    "comment": "Comments and replies",
    "reaction": "Reactions to your pins",
    "mention": "Mentions",
    "invite": "Board invitations",
    "message": "Messages",
}
MAX_ACTORS = 5
AGGREGATED = frozenset({"save", "reaction", "follow"})
MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{1,30})")
MAX_MENTIONS = 10
MAX_READ_IDS = 250
UNREAD_CAP = 100  # unread counts saturate here ('99+' on the bell)


@dataclass(frozen=True)
class Setting:
    type: str
    label: str
    in_app: bool
    email: bool


# --- settings --------------------------------------------------------------------------------------------


def settings_for(db: Session, user_id: int) -> list[Setting]:
    stored = {
        s.type: s
        for s in db.scalars(select(NotificationSetting).where(NotificationSetting.user_id == user_id))
    }
    result = []
    for kind in TYPES:
        row = stored.get(kind)
        result.append(
            Setting(
                type=kind,
                label=TYPE_LABELS[kind],
                in_app=row.in_app if row else True,
                email=row.email if row else True,
            )
        )
    return result


def update_settings(*, db: Session, user_id: int, changes: dict[str, dict[str, bool]]) -> list[Setting]:
    """`changes`: {type: {"in_app": bool, "email": bool}} (either key may be left out)."""
    for kind, values in changes.items():
        if kind not in TYPES:
            raise InvalidInput(f"unknown type {kind!r}; known: {', '.join(TYPES)}", field="settings")
        row = db.get(NotificationSetting, (user_id, kind))
        if row is None:
            row = NotificationSetting(user_id=user_id, type=kind, in_app=True, email=True)
            db.add(row)
        for key in ("in_app", "email"):
            if key in values:
                setattr(row, key, bool(values[key]))
    db.flush()
    return settings_for(db, user_id)


def _disabled(db: Session, user_id: int, column: str) -> set[str]:
    column_attr = getattr(NotificationSetting, column)
    return set(
        db.scalars(
            select(NotificationSetting.type).where(
                NotificationSetting.user_id == user_id, column_attr.is_(False)
            )
        )
    )


def email_enabled(db: Session, user_id: int, kind: str) -> bool:
    row = db.get(NotificationSetting, (user_id, kind))
    return row is None or row.email


# --- creation --------------------------------------------------------------------------------------------


def _recipient_sees(db: Session, recipient_id: int, board_id: int | None, object_type: str) -> bool:
    if board_id is None:
        return True
    board = db.get(Board, board_id)
    if board is None:
        return False
    viewer = session_viewer(recipient_id)
    if object_type == "board" or object_type == "invitation":
        return can_see_board(db=db, viewer=viewer, board=board)
    return can_see_pin_on(db=db, viewer=viewer, board=board)


def notify(
    db: Session,
    *,
    recipient_id: int,
    actor_id: int,
    type: str,
    object_type: str,
    object_id: int | None = None,
    board_id: int | None = None,
    pin_id: int | None = None,
    excerpt: str | None = None,
    aggregate: bool | None = None,
) -> Notification | None:
    """Tell `recipient_id` that `actor_id` did something; None when nothing is to be said.

    Nothing is said to yourself, between blocked people, about a board the recipient cannot see, or when
    the recipient turned both in-app and e-mail off for the type.
    """
    if type not in TYPES:
        raise ValueError(f"unknown notification type {type!r}")
    if recipient_id == actor_id or blocked_between(db, recipient_id, actor_id):
        return None
    if not _recipient_sees(db, recipient_id, board_id, object_type):
        return None
    setting = db.get(NotificationSetting, (recipient_id, type))
    if setting is not None and not setting.in_app and not setting.email:
        return None
    now = utcnow()
    group_key = (
        f"{type}:{object_type}:{object_id}"
        if (aggregate if aggregate is not None else type in AGGREGATED)
        else None
    )
    existing = None
    if group_key is not None:
        existing = db.scalar(
            select(Notification)
            .where(
                Notification.user_id == recipient_id,
                Notification.group_key == group_key,
                Notification.read_at.is_(None),
            )
            .order_by(Notification.seq.desc())
            .limit(1)
        )
    if existing is not None:
        actors = list(existing.actor_ids or [])
        if actor_id not in actors:
            existing.actor_count = existing.actor_count + 1
        existing.actor_ids = [actor_id, *[a for a in actors if a != actor_id]][:MAX_ACTORS]
        existing.seq = new_id()
        existing.updated_at = now
        existing.emailed_at = None
        if excerpt is not None:
            existing.excerpt = excerpt[:200]
        item = existing
    else:
        item = Notification(
            user_id=recipient_id,
            type=type,
            object_type=object_type,
            object_id=object_id,
            board_id=board_id,
            pin_id=pin_id,
            group_key=group_key,
            actor_ids=[actor_id],
            actor_count=1,
            excerpt=excerpt[:200] if excerpt else None,
            seq=new_id(),
            created_at=now,
            updated_at=now,
        )
        db.add(item)
    db.flush()
    from pinhaven.notifications import live

    live.after_commit(db, recipient_id)
    return item


def notify_many(
    db: Session,
    *,
    recipient_ids: Iterable[int],
    actor_id: int,
    type: str,
    object_type: str,
    object_id: int | None = None,
    board_id: int | None = None,
    pin_id: int | None = None,
    excerpt: str | None = None,
) -> int:
    """The same event for many recipients (e.g. a save fanned out to followers): bulk inserts.

    Used for fan-out where aggregation per recipient is not wanted; privacy and blocks are checked per
    recipient in bulk.
    """
    from pinhaven.messages.blocks import blocked_user_ids

    recipients = [r for r in dict.fromkeys(recipient_ids) if r != actor_id]
    blocked = blocked_user_ids(db, actor_id)
    recipients = [r for r in recipients if r not in blocked]
    if board_id is not None:
        board = db.get(Board, board_id)
        if board is None:
            return 0
        if board.privacy != PUBLIC:
            recipients = [r for r in recipients if _recipient_sees(db, r, board_id, object_type)]
    off = set(
        db.scalars(
            select(NotificationSetting.user_id).where(
                NotificationSetting.type == type,
                NotificationSetting.in_app.is_(False),
                NotificationSetting.email.is_(False),
            )
        )
    )
    recipients = [r for r in recipients if r not in off]
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "user_id": r,
            "type": type,
            "object_type": object_type,
            "object_id": object_id,
            "board_id": board_id,
            "pin_id": pin_id,
            "group_key": None,
            "actor_ids": [actor_id],
            "actor_count": 1,
            "excerpt": excerpt[:200] if excerpt else None,
            "seq": new_id(),
            "created_at": now,
            "updated_at": now,
        }
        for r in recipients
    ]
    for start in range(0, len(rows), 1000):
        db.execute(insert(Notification), rows[start : start + 1000])
    from pinhaven.notifications import live

    for r in recipients:
        live.after_commit(db, r)
    return len(rows)


def mentioned_usernames(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for match in MENTION_RE.finditer(text or ""):
        seen.setdefault(match.group(1).lower(), None)
    return list(seen)[:MAX_MENTIONS]


def notify_mentions(
    db: Session,
    *,
    text: str,
    actor_id: int,
    object_type: str,
    object_id: int,
    board_id: int | None,
    pin_id: int | None,
    skip: Iterable[int] = (),
) -> list[int]:
    """Notify each `@username` in `text` who may see the object (blocked people cannot mention you)."""
    names = mentioned_usernames(text)
    if not names:
        return []
    users = db.scalars(select(User).where(func.lower(User.username).in_(names)))
    skipped = set(skip)
    told = []
    for user in users:
        if user.id in skipped:
            continue
        item = notify(
            db,
            recipient_id=user.id,
            actor_id=actor_id,
            type="mention",
            object_type=object_type,
            object_id=object_id,
            board_id=board_id,
            pin_id=pin_id,
            excerpt=text,
            aggregate=False,
        )
        if item is not None:
            told.append(user.id)
    return told


# --- reading ---------------------------------------------------------------------------------------------


def _me(viewer: Viewer) -> int:
    if viewer.user_id is None:
        raise Unauthorized("Sign in to see your notifications.")
    return viewer.user_id


def _visible_clause(db: Session, viewer: Viewer, user_id: int) -> ColumnElement[bool]:
    """Items the viewer may read now (see `_visible_items`), minus the types it turned off in the app."""
    return _visible_items(viewer, user_id, tuple(sorted(_disabled(db, user_id, "in_app"))))


@lru_cache(maxsize=2048)
def _visible_items(viewer: Viewer, user_id: int, hidden: tuple[str, ...]) -> ColumnElement[bool]:
    """Items the viewer may read now: about a pin it may see (wherever the pin is now), about a board it may
    see, or about neither. Correlated EXISTS probes: one primary-key lookup per item, whatever the pin count.
    Cached per (viewer, types turned off): building the expression costs more than running it (the values
    are the viewer's own, so a cached clause never serves anyone else)."""
    pin_visible = exists(
        select(Pin.id)
        .join(Board, Board.id == Pin.board_id)
        .where(Pin.id == Notification.pin_id, visible_pins_clause(viewer))
    )
    board_visible = exists(
        select(Board.id).where(Board.id == Notification.board_id, visible_boards_clause(viewer))
    )
    # About a comment (a comment, reply or mention): only while the comment exists (its author or the pin's
    # owner may delete it, moderators may remove it: its words then leave every inbox too).
    comment_exists = exists(select(PinComment.id).where(PinComment.id == Notification.object_id))
    # About an invitation: not once the owner revoked it.
    not_revoked = ~exists(
        select(BoardInvitation.id).where(
            BoardInvitation.id == Notification.object_id, BoardInvitation.status == "revoked"
        )
    )
    clause = and_(
        Notification.user_id == user_id,
        or_(
            and_(Notification.pin_id.is_not(None), pin_visible),
            and_(Notification.pin_id.is_(None), Notification.board_id.is_not(None), board_visible),
            and_(Notification.pin_id.is_(None), Notification.board_id.is_(None)),
        ),
        or_(Notification.object_type.not_in(("comment", "reply")), comment_exists),
        or_(Notification.object_type != "invitation", not_revoked),
    )
    if hidden:
        clause = and_(clause, Notification.type.not_in(hidden))
    return clause


def list_inbox(
    *, db: Session, viewer: Viewer, page: PageParams, unread_only: bool = False
) -> Page[Notification]:
    me = _me(viewer)
    query = select(Notification).where(_visible_clause(db, viewer, me))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    cursor = bookmark_int(page.bookmark)
    if cursor is not None:
        query = query.where(Notification.seq < cursor)
    rows = list(db.scalars(query.order_by(Notification.seq.desc()).limit(page.page_size + 1)))
    return page_from_rows(rows, page.page_size, lambda n: n.seq)


def unread_count(*, db: Session, viewer: Viewer) -> int:
    """Unread items the viewer may read, counted up to UNREAD_CAP (the bell shows "99+" past 99): the count
    costs at most UNREAD_CAP probes however long the unread backlog grows."""
    me = _me(viewer)
    capped = (
        select(Notification.id)
        .where(_visible_clause(db, viewer, me), Notification.read_at.is_(None))
        .limit(UNREAD_CAP)
        .subquery()
    )
    return int(db.scalar(select(func.count()).select_from(capped)) or 0)


def unread_count_for_user(db: Session, user_id: int) -> int:
    """The bell's number for a signed-in web session (which sees everything its user may see)."""
    return unread_count(db=db, viewer=session_viewer(user_id))


def mark_read(*, db: Session, viewer: Viewer, ids: Sequence[int] | None, all_items: bool) -> int:
    """Mark the given items (or all) read; only the viewer's own. Returns how many changed."""
    me = _me(viewer)
    if not all_items and not ids:
        raise InvalidInput("give `ids` or `all: true`", field="ids")
    if ids is not None and len(ids) > MAX_READ_IDS:
        raise InvalidInput(f"at most {MAX_READ_IDS} ids at once", field="ids")
    statement = update(Notification).where(Notification.user_id == me, Notification.read_at.is_(None))
    if not all_items:
        statement = statement.where(Notification.id.in_(list(ids or [])))
    result = db.execute(statement.values(read_at=utcnow()).execution_options(synchronize_session=False))
    from pinhaven.notifications import live

    live.after_commit(db, me)
    return int(getattr(result, "rowcount", 0) or 0)


def actors_of(db: Session, items: Sequence[Notification]) -> dict[int, User]:
    """The items' actors who are still around (deactivated and deleted accounts are shown nowhere)."""
    from pinhaven.accounts.follows import active_users_clause

    ids = {a for n in items for a in (n.actor_ids or [])}
    if not ids:
        return {}
    query = select(User).where(User.id.in_(list(ids)), *active_users_clause())
    return {u.id: u for u in db.scalars(query)}


VERBS = {
    "follow": "started following you",
    "save": "saved your pin",
    "comment": "commented on your pin",
    "reaction": "reacted to your pin",
    "mention": "mentioned you",
    "invite": "invited you to collaborate on a board",
    "message": "sent you a message",
}


def sentence(item: Notification, names: list[str]) -> str:
    """ "Ana and 4 others saved your pin" """
    first = names[0] if names else "Someone"
    others = max(item.actor_count - 1, 0)
    who = first if others == 0 else f"{first} and {others} {'other' if others == 1 else 'others'}"
    verb = VERBS.get(item.type, item.type)
    if item.type == "follow" and item.object_type == "board":
        verb = "started following your board"
    if item.type == "invite" and item.object_type == "board":
        verb = "accepted your invitation to a board"
    if item.type == "comment" and item.object_type == "reply":
        verb = "replied to your comment"
    if item.type == "save" and item.object_type == "followed_save":
        verb = "saved a pin"
    return f"{who} {verb}"


def object_url(item: Notification, first_actor: str | None = None) -> str:
    """Where the item leads (a local path)."""
    if item.object_type in ("pin", "comment", "reply", "followed_save") and item.pin_id is not None:
        return f"/pin/{item.pin_id}"
    if item.object_type == "board" and item.object_id is not None:
        return f"/board/{item.object_id}"
    if item.object_type == "invitation":
        return "/invitations"
    if item.object_type == "conversation" and item.object_id is not None:
        return f"/messages/{item.object_id}"
    if item.object_type == "user" and first_actor:
        return f"/u/{first_actor}"
    return "/notifications"
