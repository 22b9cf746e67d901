"""Reports, the moderation queue and moderators' actions (every one written to the audit log).

    report(...)      anyone signed in reports an object they can see: a reason from REASONS and a note; the
                     object's case opens (one case per object, gathering its reports and signals)
    queue(...)       open cases for moderators, newest activity first
    act(...)         dismiss | hide | remove | suspend | restore, on a case or directly on an object
    flag(...)        the automatic signals open a case and may hide the object pending review (actor None)

Moderation state lives on the moderated rows (see `state.py`); `boards.access` applies it to every surface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.models import ApiToken, User
from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.models import Board
from pinhaven.boards.service import note_board_content_changed
from pinhaven.db.base import utcnow
from pinhaven.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from pinhaven.moderation import roles
from pinhaven.moderation.kinds import KINDS, kind_of
from pinhaven.moderation.models import ModerationAction, ModerationCase, Report
from pinhaven.moderation.state import HIDDEN, REMOVED, SUSPENDED
from pinhaven.pins.models import Pin

REASONS = (
    "spam",
    "nudity",
    "harassment",
    "violence",
    "hate",
    "self_harm",
    "copyright",
    "misleading",
    "other",
)
ACTIONS = ("dismiss", "hide", "remove", "suspend", "restore")
OUTCOMES = {
    "dismiss": "dismissed",
    "hide": "hidden",
    "remove": "removed",
    "suspend": "suspended",
    "restore": "restored",
}
MAX_NOTE = 500
ALL_FLAGS = HIDDEN | SUSPENDED | REMOVED


@dataclass
class CaseView:
    """A case as the queue shows it: the object in context, its reports, signals and prior actions."""

    case: ModerationCase
    summary: dict[str, Any]
    flags: int
    reports: list[Report] = field(default_factory=list)
    actions: list[ModerationAction] = field(default_factory=list)
    owner: User | None = None


def _note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"must be at most {MAX_NOTE} characters", field="note")
    return note


def _case_for(db: Session, object_type: str, object_id: int, owner_id: int | None) -> ModerationCase:
    case = db.scalar(
        select(ModerationCase).where(
            ModerationCase.object_type == object_type, ModerationCase.object_id == object_id
        )
    )
    if case is None:
        case = ModerationCase(object_type=object_type, object_id=object_id, owner_id=owner_id, report_count=0)
        try:
            with db.begin_nested():  # two first reports at once (PostgreSQL, MariaDB): one case wins
                db.add(case)
        except IntegrityError:
            found = db.scalar(
                select(ModerationCase).where(
                    ModerationCase.object_type == object_type, ModerationCase.object_id == object_id
                )
            )
            if found is None:
                raise
            case = found
    return case


def report(
    *, db: Session, viewer: Viewer, object_type: str, object_id: int | None, reason: str, note: str = ""
) -> Report:
    """A report by a signed-in person on an object they can see (NotFound otherwise, as for any lookup)."""
    if viewer.user_id is None:
        raise Unauthorized("Log in to report.")
    kind = kind_of(object_type)
    if reason not in REASONS:
        raise InvalidInput(f"must be one of {', '.join(REASONS)}", field="reason")
    note = _note(note)
    if object_id is None:
        raise NotFound("Not found.")
    owner_id = kind.locate(db, viewer, object_id)
    if owner_id == viewer.user_id:
        raise InvalidInput("you cannot report your own content", field="object_id")
    case = _case_for(db, kind.name, object_id, owner_id)
    duplicate = db.scalar(
        select(Report.id).where(
            Report.case_id == case.id, Report.reporter_id == viewer.user_id, Report.status == "open"
        )
    )
    if duplicate is not None:
        raise Conflict("You have already reported this; moderators will look at it.")
    now = utcnow()
    row = Report(case_id=case.id, reporter_id=viewer.user_id, reason=reason, note=note, created_at=now)
    db.add(row)
    case.report_count += 1
    case.status = "open"
    case.updated_at = now
    db.flush()
    return row


def get_case(*, db: Session, case_id: int | None) -> ModerationCase:
    case = db.get(ModerationCase, case_id) if case_id is not None else None
    if case is None:
        raise NotFound("Case not found.")
    return case


def _flags(db: Session, case: ModerationCase) -> int:
    kind = KINDS.get(case.object_type)
    if kind is None:
        return 0
    if kind.get_flags is not None:
        return kind.get_flags(db, case.object_id)
    if case.object_type == "user":
        user = db.get(User, case.object_id)
        return SUSPENDED if user is not None and user.suspended_at is not None else 0
    return 0


def view_case(db: Session, case: ModerationCase) -> CaseView:
    kind = KINDS.get(case.object_type)
    summary = kind.summary(db, case.object_id) if kind is not None else {"title": case.object_type}
    reports = list(db.scalars(select(Report).where(Report.case_id == case.id).order_by(Report.id.desc())))
    actions = list(
        db.scalars(
            select(ModerationAction)
            .where(ModerationAction.case_id == case.id)
            .order_by(ModerationAction.id.desc())
        )
    )
    owner = db.get(User, case.owner_id) if case.owner_id is not None else None
    return CaseView(case, summary, _flags(db, case), reports, actions, owner)


def queue(*, db: Session, status: str = "open", limit: int = 50, before: int | None = None) -> list[CaseView]:
    """Cases for moderators (the caller checks the role): open ones, or closed ones, newest first."""
    if status not in ("open", "closed"):
        raise InvalidInput("must be open or closed", field="status")
    query = select(ModerationCase).where(ModerationCase.status == status)
    if before is not None:
        query = query.where(ModerationCase.id < before)
    cases = db.scalars(query.order_by(ModerationCase.id.desc()).limit(limit))
    return [view_case(db, case) for case in cases]


def _log(
    db: Session,
    case: ModerationCase | None,
    object_type: str,
    object_id: int,
    actor_id: int | None,
    action: str,
    note: str,
) -> ModerationAction:
    entry = ModerationAction(
        case_id=case.id if case is not None else None,
        object_type=object_type,
        object_id=object_id,
        actor_id=actor_id,
        action=action,
        note=note,
        created_at=utcnow(),
    )
    db.add(entry)
    db.flush()
    return entry


def act(
    *,
    db: Session,
    actor: User,
    action: str,
    case_id: int | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    note: str = "",
) -> CaseView:
    """Apply a moderator's action to a case (or to an object, opening its case); logged; reports resolved."""
    roles.require_moderator(actor)
    if action not in ACTIONS:
        raise InvalidInput(f"must be one of {', '.join(ACTIONS)}", field="action")
    note = _note(note)
    if case_id is not None:
        case = get_case(db=db, case_id=case_id)
    else:
        if object_type is None or object_id is None:
            raise InvalidInput("give case_id, or object_type and object_id", field="case_id")
        kind = kind_of(object_type)
        owner_id = kind.owner_of(db, object_id)
        if owner_id is None:
            raise NotFound("Not found.")
        case = _case_for(db, kind.name, object_id, owner_id)
    kind = kind_of(case.object_type)
    if case.owner_id == actor.id and action != "dismiss":
        raise Forbidden("Another moderator must act on your own content.")
    if action == "suspend":
        if case.owner_id is None:
            raise NotFound("The owner of this content no longer exists.")
        target = db.get(User, case.owner_id)
        if target is None:
            raise NotFound("The owner of this content no longer exists.")
        if target.role == "admin" and actor.role != "admin":
            raise Forbidden("Only an admin can suspend an admin.")
        suspend_user(db=db, user=target)
    elif action in ("hide", "remove"):
        if kind.set_flags is None:
            raise InvalidInput("people are suspended, not hidden or removed", field="action")
        kind.set_flags(db, case.object_id, HIDDEN if action == "hide" else REMOVED, 0)
    elif action == "restore":
        if kind.set_flags is not None:
            kind.set_flags(db, case.object_id, 0, HIDDEN | REMOVED)
        if case.object_type == "user":
            target = db.get(User, case.object_id)
            if target is not None:
                unsuspend_user(db=db, user=target)
    elif action == "dismiss" and case.auto_hidden and kind.set_flags is not None:
        kind.set_flags(db, case.object_id, 0, HIDDEN)  # the signal was wrong: no longer pending review
    now = utcnow()
    case.auto_hidden = False
    case.status = "closed"
    case.outcome = OUTCOMES[action]
    case.updated_at = now
    db.execute(
        update(Report)
        .where(Report.case_id == case.id)
        .values(status="resolved", outcome=case.outcome, resolved_at=now)
        .execution_options(synchronize_session=False)
    )
    _log(db, case, case.object_type, case.object_id, actor.id, action, note)
    _learn(db, case, action)
    db.flush()
    db.expire_all()
    return view_case(db, case)


def _learn(db: Session, case: ModerationCase, action: str) -> None:
    """Moderation outcomes teach the link-domain reputation used by the spam signal (signals.py)."""
    if case.object_type != "pin":
        return
    from pinhaven.moderation import signals

    signals.learn_from_outcome(db=db, pin_id=case.object_id, action=action, reasons=_reasons(db, case))


def _reasons(db: Session, case: ModerationCase) -> set[str]:
    return set(db.scalars(select(Report.reason).where(Report.case_id == case.id)))


def _owned_board_ids(db: Session, user_id: int) -> set[int]:
    owned = set(db.scalars(select(Board.id).where(Board.owner_id == user_id)))
    return owned | set(db.scalars(select(Pin.board_id).where(Pin.creator_id == user_id).distinct()))


def suspend_user(*, db: Session, user: User) -> None:
    """Suspend: their boards and pins hidden everywhere, their sessions and API tokens revoked."""
    if user.suspended_at is None:
        user.suspended_at = utcnow()
    db.execute(
        update(Board)
        .where(Board.owner_id == user.id)
        .values(moderation=Board.moderation.op("|")(SUSPENDED))
        .execution_options(synchronize_session=False)
    )
    db.execute(
        update(Pin)
        .where(Pin.creator_id == user.id)
        .values(moderation=Pin.moderation.op("|")(SUSPENDED))
        .execution_options(synchronize_session=False)
    )
    for token in db.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        accounts_service.revoke_token(db=db, user=user, token_id=token.id)
    user.session_version += 1  # cookies of the signed-cookie scheme
    _revoke_sessions(db, user.id)
    note_board_content_changed(db=db, board_ids=_owned_board_ids(db, user.id))
    db.flush()


def _revoke_sessions(db: Session, user_id: int) -> None:
    from pinhaven.accounts import sessions

    revoke_all = getattr(sessions, "revoke_all", None)  # server-side sessions (issue 16, defect 5)
    if revoke_all is not None:
        revoke_all(db=db, user_id=user_id)


def unsuspend_user(*, db: Session, user: User) -> None:
    """Lift a suspension: content flagged only by it is shown again (tokens stay revoked)."""
    user.suspended_at = None
    keep = ALL_FLAGS & ~SUSPENDED
    db.execute(
        update(Board)
        .where(Board.owner_id == user.id)
        .values(moderation=Board.moderation.op("&")(keep))
        .execution_options(synchronize_session=False)
    )
    db.execute(
        update(Pin)
        .where(Pin.creator_id == user.id)
        .values(moderation=Pin.moderation.op("&")(keep))
        .execution_options(synchronize_session=False)
    )
    note_board_content_changed(db=db, board_ids=_owned_board_ids(db, user.id))
    db.flush()


def flag(
    *, db: Session, object_type: str, object_id: int, signals: dict[str, Any], hide: bool
) -> ModerationCase | None:
    """The automatic signals' finding: opens (or updates) the object's case; `hide` hides it pending review."""
    kind = kind_of(object_type)
    owner_id = kind.owner_of(db, object_id)
    if owner_id is None:
        return None
    case = _case_for(db, kind.name, object_id, owner_id)
    case.signals = {**(case.signals or {}), **signals}
    case.updated_at = utcnow()
    # A moderator's "this is fine" (dismissed, restored) outlives later runs of the same signals.
    already = kind.get_flags is not None and bool(kind.get_flags(db, object_id) & HIDDEN)
    if hide and kind.set_flags is not None and case.outcome not in ("dismissed", "restored") and not already:
        kind.set_flags(db, object_id, HIDDEN, 0)
        case.auto_hidden = True
        _log(db, case, kind.name, object_id, None, "auto_hide", ", ".join(sorted(signals)))
    if hide and not already:
        case.status = "open"
    db.flush()
    return case


def audit_log(*, db: Session, limit: int = 100, before: int | None = None) -> list[ModerationAction]:
    query = select(ModerationAction)
    if before is not None:
        query = query.where(ModerationAction.id < before)
    return list(db.scalars(query.order_by(ModerationAction.id.desc()).limit(limit)))


def my_reports(*, db: Session, user_id: int, limit: int = 50) -> list[tuple[Report, ModerationCase]]:
    """A reporter's reports with their cases (the outcome the reporter is told)."""
    rows = db.execute(
        select(Report, ModerationCase)
        .join(ModerationCase, ModerationCase.id == Report.case_id)
        .where(Report.reporter_id == user_id)
        .order_by(Report.id.desc())
        .limit(limit)
    ).all()
    return [(r, c) for r, c in rows]


def my_moderated(*, db: Session, user_id: int, limit: int = 50) -> list[CaseView]:
    """Cases about a person's own content that changed something (what the owner is told)."""
    cases = db.scalars(
        select(ModerationCase)
        .where(
            ModerationCase.owner_id == user_id,
            ModerationCase.outcome.is_not(None) | ModerationCase.auto_hidden,
        )
        .order_by(ModerationCase.updated_at.desc())
        .limit(limit)
    )
    out = []
    for case in cases:
        view = view_case(db, case)
        view.reports = []  # who reported stays private
        out.append(view)
    return out


def moderation_notice(*, db: Session, object_type: str, object_id: int) -> str | None:
    """The owner's notice for one of their objects under moderation, else None."""
    kind = KINDS.get(object_type)
    if kind is None or kind.get_flags is None:
        return None
    flags = kind.get_flags(db, object_id)
    if not flags:
        return None
    if flags & REMOVED:
        return "Moderators removed this; only you can see this notice."
    if flags & SUSPENDED:
        return "Your account is suspended: this is hidden from everyone else."
    case = db.scalar(
        select(ModerationCase).where(
            ModerationCase.object_type == object_type, ModerationCase.object_id == object_id
        )
    )
    if case is not None and case.auto_hidden:
        return "Hidden from others pending review by a moderator (automatic check)."
    return "Moderators hid this from everyone else; only you can see it."
