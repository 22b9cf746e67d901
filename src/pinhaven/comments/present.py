"""Rows → comment responses; mentions linkified for pages."""

from __future__ import annotations

import re
from collections.abc import Sequence

from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from pinhaven.accounts.present import present_user_summary
from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.models import Board
from pinhaven.comments import service
from pinhaven.comments.models import PinComment
from pinhaven.comments.schemas import CommentRead
from pinhaven.notifications.service import MENTION_RE, mentioned_usernames
from pinhaven.pins.models import Pin
from pinhaven.timefmt import iso


def present_threads(
    *, db: Session, viewer: Viewer, pin: Pin, threads: Sequence[service.Thread], base_url: str
) -> list[CommentRead]:
    everything = [t.comment for t in threads] + [r for t in threads for r in t.replies]
    authors = service.authors_of(db, everything)
    names = service.existing_usernames(
        db, sorted({n for c in everything for n in mentioned_usernames(c.text)})
    )
    board = db.get(Board, pin.board_id)
    owners = {pin.creator_id, board.owner_id if board else pin.creator_id}

    def one(comment: PinComment) -> CommentRead:
        author = authors[comment.author_id]
        return CommentRead(
            id=str(comment.id),
            pin_id=str(comment.pin_id),
            parent_id=str(comment.parent_id) if comment.parent_id else None,
            text=comment.text,
            mentions=[n for n in mentioned_usernames(comment.text) if n in names],
            author=present_user_summary(db=db, user=author, base_url=base_url),
            created_at=iso(comment.created_at),
            edited_at=iso(comment.edited_at) if comment.edited_at else None,
            can_edit=viewer.user_id == comment.author_id,
            can_delete=viewer.user_id is not None
            and (viewer.user_id == comment.author_id or viewer.user_id in owners),
        )

    out = []
    for thread in threads:
        read = one(thread.comment)
        read.replies = [one(r) for r in thread.replies]
        read.reply_count = thread.reply_count
        out.append(read)
    return out


def linkify(text: str, mentions: Sequence[str]) -> Markup:
    """Escaped text with `@username` linked to the profile (for usernames that exist)."""
    known = {m.lower() for m in mentions}
    escaped = str(escape(text))

    def link(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.lower() not in known:
            return match.group(0)
        return f'<a class="mention" href="/u/{name}">@{name}</a>'

    return Markup(MENTION_RE.sub(link, escaped))
