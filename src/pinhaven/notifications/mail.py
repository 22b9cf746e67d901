"""E-mail: instant mails for board invitations and a daily digest of unread notifications, over SMTP
(`PINHAVEN_SMTP_URL`), each with a signed one-click unsubscribe link (RFC 8058 headers too).

Mails go out from jobs (`notifications.email_invite`, `notifications.digest`), never inside a request: a
slow or absent mail server never slows a page, and a failed delivery is retried by the queue.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import session_viewer
from pinhaven.config import Settings
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.errors import InvalidInput
from pinhaven.notifications import service
from pinhaven.notifications.models import Notification, NotificationSetting

log = logging.getLogger("pinhaven.notifications")

INVITE_JOB = "notifications.email_invite"
DIGEST_JOB = "notifications.digest"
DIGEST_MAX_ITEMS = 20
DIGEST_MAX_AGE = timedelta(days=7)  # older unread items are not mailed any more
SMTP_TIMEOUT_SECONDS = 10.0
ALL_TYPES = "*"


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None
    password: str | None
    mode: str  # plain | starttls | ssl


def parse_smtp_url(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    modes = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "ssl"}
    if parts.scheme not in modes or not parts.hostname:
        raise InvalidInput(
            "must look like smtp://[user:password@]host[:port] (or smtps://, smtp+starttls://)",
            field="smtp_url",
        )
    default_port = {"plain": 25, "starttls": 587, "ssl": 465}[modes[parts.scheme]]
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or default_port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        mode=modes[parts.scheme],
    )


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt="pinhaven.notifications.unsubscribe")


def unsubscribe_token(settings: Settings, user_id: int, kind: str) -> str:
    return str(_serializer(settings).dumps({"u": str(user_id), "t": kind}))


def read_unsubscribe_token(settings: Settings, token: str) -> tuple[int, str]:
    try:
        data: Any = _serializer(settings).loads(token)
        user_id, kind = int(data["u"]), str(data["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise InvalidInput("this unsubscribe link is not valid", field="token") from None
    if kind != ALL_TYPES and kind not in service.TYPES:
        raise InvalidInput("this unsubscribe link is not valid", field="token")
    return user_id, kind


def unsubscribe(db: Session, user_id: int, kind: str) -> list[str]:
    """Turn e-mail off for one type (or every type); returns the types turned off."""
    kinds = list(service.TYPES) if kind == ALL_TYPES else [kind]
    if db.get(User, user_id) is None:
        return []
    service.update_settings(db=db, user_id=user_id, changes={k: {"email": False} for k in kinds})
    return kinds


def _base_url(settings: Settings) -> str:
    return settings.base_url or "http://localhost:8000"


def unsubscribe_url(settings: Settings, user_id: int, kind: str) -> str:
    return (
        f"{_base_url(settings)}/notifications/unsubscribe?token={unsubscribe_token(settings, user_id, kind)}"
    )


def send_mail(settings: Settings, *, to: str, subject: str, text: str, unsubscribe: str) -> None:
    """One plain-text mail through the configured SMTP server (raises on failure: the job retries)."""
    target = parse_smtp_url(settings.smtp_url)
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="pinhaven")
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(f"{text}\n\n--\nStop these e-mails: {unsubscribe}\n")
    smtp: smtplib.SMTP
    if target.mode == "ssl":
        smtp = smtplib.SMTP_SSL(
            target.host, target.port, timeout=SMTP_TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(target.host, target.port, timeout=SMTP_TIMEOUT_SECONDS)
    with smtp:
        if target.mode == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if target.username:
            smtp.login(target.username, target.password or "")
        smtp.send_message(message)


# --- instant: board invitations --------------------------------------------------------------------------


def queue_invite_mail(db: Session, invitation_id: int) -> None:
    from pinhaven.jobs.service import enqueue

    enqueue(db=db, kind=INVITE_JOB, payload={"invitation_id": str(invitation_id)})


def email_invite_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Mail the invitee of a still-pending invitation (if they want invitation mails and SMTP is set)."""
    settings = ctx.settings
    if not settings.smtp_url:
        return
    from pinhaven.boards.models import Board, BoardInvitation

    with session_scope(ctx.sessions) as db:
        invitation = db.get(BoardInvitation, int(payload["invitation_id"]))
        if invitation is None or invitation.status != "pending":
            return
        invitee = db.get(User, invitation.invitee_id)
        inviter = db.get(User, invitation.inviter_id)
        board = db.get(Board, invitation.board_id)
        if invitee is None or inviter is None or board is None:
            return
        if not service.email_enabled(db, invitee.id, "invite"):
            return
        # the owner chose to show this board to the invitee; its name is all the mail tells
        to, name, handle = invitee.email, inviter.display_name or inviter.username, inviter.username
        board_name, user_id = board.name, invitee.id
    base = _base_url(settings)
    send_mail(
        settings,
        to=to,
        subject=f"{name} invited you to the board “{board_name}”",
        text=(
            f"{name} (@{handle}) invited you to collaborate on the board “{board_name}”.\n\n"
            f"Accept or decline: {base}/invitations"
        ),
        unsubscribe=unsubscribe_url(settings, user_id, "invite"),
    )


# --- daily digest ----------------------------------------------------------------------------------------


def send_digests(ctx: AppContext) -> int:
    """One mail per person with unread, not yet mailed notifications of e-mail-enabled types; returns the
    number of mails sent. Each item is re-checked for privacy as the person would see it now."""
    settings = ctx.settings
    if not settings.smtp_url:
        return 0
    since = utcnow() - DIGEST_MAX_AGE
    with session_scope(ctx.read_sessions) as db:
        user_ids = list(
            db.scalars(
                select(Notification.user_id)
                .where(
                    Notification.read_at.is_(None),
                    Notification.emailed_at.is_(None),
                    Notification.updated_at >= since,
                    Notification.type != "invite",  # mailed at once
                )
                .distinct()
            )
        )
    sent = 0
    for user_id in user_ids:
        if _send_digest(ctx, user_id, since):
            sent += 1
    return sent


def _send_digest(ctx: AppContext, user_id: int, since: Any) -> bool:
    settings = ctx.settings
    with session_scope(ctx.sessions) as db:
        user = db.get(User, user_id)
        if user is None:
            return False
        muted = set(
            db.scalars(
                select(NotificationSetting.type).where(
                    NotificationSetting.user_id == user_id, NotificationSetting.email.is_(False)
                )
            )
        )
        viewer = session_viewer(user_id)
        query = (
            select(Notification)
            .where(
                service._visible_clause(db, viewer, user_id),
                Notification.read_at.is_(None),
                Notification.emailed_at.is_(None),
                Notification.updated_at >= since,
                Notification.type != "invite",
            )
            .order_by(Notification.seq.desc())
        )
        items = [n for n in db.scalars(query) if n.type not in muted]
        if not items:
            return False
        shown = items[:DIGEST_MAX_ITEMS]
        actors = service.actors_of(db, shown)
        base = _base_url(settings)
        lines = []
        for item in shown:
            names = [actors[a].display_name or actors[a].username for a in item.actor_ids if a in actors]
            url = service.object_url(item)
            lines.append(f"• {service.sentence(item, names)}" + (f" — {base}{url}" if url else ""))
        more = len(items) - len(shown)
        if more > 0:
            lines.append(f"…and {more} more.")
        to = user.email
        text = (
            f"Hi {user.display_name or user.username}, here is what happened on Pinhaven:\n\n"
            + "\n".join(lines)
            + f"\n\nSee everything: {base}/notifications"
        )
        send_mail(
            settings,
            to=to,
            subject=f"{len(items)} new {'notification' if len(items) == 1 else 'notifications'} on Pinhaven",
            text=text,
            unsubscribe=unsubscribe_url(settings, user_id, ALL_TYPES),
        )
        now = utcnow()
        for item in items:
            item.emailed_at = now
    return True


def ensure_digest_scheduled(*, db: Session, settings: Settings, delay: timedelta | None = None) -> bool:
    """Queue the digest job unless one waits already (or mail / the digest is off)."""
    from pinhaven.jobs.models import Job
    from pinhaven.jobs.service import enqueue

    interval = settings.notification_digest_interval_seconds
    if not settings.smtp_url or interval <= 0:
        return False
    waiting = db.scalar(select(Job.id).where(Job.kind == DIGEST_JOB, Job.state == "queued").limit(1))
    if waiting is not None:
        return False
    enqueue(
        db=db,
        kind=DIGEST_JOB,
        payload={},
        run_after=utcnow() + (delay if delay is not None else timedelta(seconds=interval)),
    )
    return True


def digest_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    sent = send_digests(ctx)
    log.info("notification digest: %d e-mails sent", sent)
    with session_scope(ctx.sessions) as db:
        ensure_digest_scheduled(db=db, settings=ctx.settings)


def schedule_digest(ctx: AppContext) -> None:
    """At start-up of a process that runs jobs: keep the daily digest queued (once per instance)."""
    if not ctx.settings.smtp_url:
        return
    with session_scope(ctx.sessions) as db:
        ensure_digest_scheduled(db=db, settings=ctx.settings)
