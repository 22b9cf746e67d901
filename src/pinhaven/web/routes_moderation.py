"""Pages of the moderation domain (pinhaven.moderation): the "Report" form, the moderation queue
(/moderation), the admin's instance settings (/admin/settings) and a person's reports and moderated content
(/settings/reports).

Included in `pinhaven.web.router`, so every POST here is CSRF-checked like any other page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import AfterValidator

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.scopes import session_viewer
from pinhaven.db.ids import parse_id
from pinhaven.deps import Ctx, DbSession
from pinhaven.errors import InvalidInput, NotFound, PinhavenError
from pinhaven.moderation import instance, preview, roles, service
from pinhaven.moderation.kinds import KINDS, kind_of
from pinhaven.moderation.ratelimit import report_limiter
from pinhaven.moderation.state import ROLES, describe
from pinhaven.text_rules import check_line, check_paragraph
from pinhaven.web.forms import checked
from pinhaven.web.session import SignedIn
from pinhaven.web.templating import render

router = APIRouter()

Line = Annotated[str, Form(max_length=200), AfterValidator(check_line)]
Note = Annotated[str, Form(max_length=2000), AfterValidator(check_paragraph)]

REASON_LABELS = {
    "spam": "Spam",
    "nudity": "Nudity or pornography",
    "harassment": "Harassment or bullying",
    "violence": "Violence or dangerous content",
    "hate": "Hateful activity",
    "self_harm": "Self-harm",
    "copyright": "Intellectual property violation",
    "misleading": "Misinformation or a misleading link",
    "other": "Something else",
}


def _report_context(db: Any, me: Any, object_type: str, object_id: int | None) -> dict[str, Any]:
    kind = kind_of(object_type)
    if object_id is None:
        raise NotFound("Not found.")
    kind.locate(db, session_viewer(me.id), object_id)  # 404 for anything the reporter cannot see
    return {
        "object_type": kind.name,
        "object_id": str(object_id),
        "summary": kind.summary(db, object_id),
        "reasons": REASON_LABELS,
    }


@router.get("/report")
def report_page(request: Request, db: DbSession, me: SignedIn, type: str = "", id: str = "") -> Response:
    context = _report_context(db, me, type, parse_id(id))
    return render(request, "moderation/report.html", {**context, "form": {}})


@router.post("/report")
def send_report(
    request: Request,
    db: DbSession,
    ctx: Ctx,
    me: SignedIn,
    object_type: Line = "",
    object_id: Line = "",
    reason: Line = "",
    note: Note = "",
) -> Response:
    parsed = parse_id(object_id)
    try:
        report_limiter(ctx).check(me.id)
        service.report(
            db=db,
            viewer=session_viewer(me.id),
            object_type=object_type,
            object_id=parsed,
            reason=reason,
            note=note,
        )
    except PinhavenError as exc:
        db.rollback()
        if isinstance(exc, NotFound) or object_type not in KINDS:
            raise
        context = _report_context(db, me, object_type, parsed)
        form = {"reason": reason, "note": note}
        return render(
            request,
            "moderation/report.html",
            {**context, "form": form, "error": exc.message},
            status=exc.status,
        )
    return RedirectResponse("/settings/reports?sent=1", status_code=303)


@router.get("/settings/reports")
def my_reports_page(request: Request, db: DbSession, me: SignedIn, sent: int = 0) -> Response:
    reports = [
        {"report": r, "case": c, "summary": kind_of(c.object_type).summary(db, c.object_id) if c else {}}
        for r, c in service.my_reports(db=db, user_id=me.id)
    ]
    moderated = service.my_moderated(db=db, user_id=me.id)
    context = {
        "tab": "reports",
        "reports": reports,
        "moderated": moderated,
        "describe": describe,
        "reasons": REASON_LABELS,
        "sent": bool(sent),
        "is_moderator": roles.is_moderator(me),
        "is_admin": roles.is_admin(me),
    }
    return render(request, "moderation/my_reports.html", context)


@router.get("/moderation")
def queue_page(request: Request, db: DbSession, me: SignedIn, status: str = "open") -> Response:
    roles.require_moderator(me)
    if status not in ("open", "closed"):
        raise InvalidInput("must be open or closed", field="status")
    views = service.queue(db=db, status=status)
    user_ids = {r.reporter_id for v in views for r in v.reports} | {
        a.actor_id for v in views for a in v.actions if a.actor_id is not None
    }
    names = {uid: accounts_service.get(db=db, user_id=uid) for uid in user_ids}
    context = {
        "views": views,
        "status": status,
        "describe": describe,
        "reasons": REASON_LABELS,
        "names": {uid: (u.username if u else "(deleted)") for uid, u in names.items()},
        "is_admin": roles.is_admin(me),
    }
    return render(request, "moderation/queue.html", context)


@router.get("/moderation/cases/{case_id}/picture")
def case_picture(db: DbSession, ctx: Ctx, me: SignedIn, case_id: str) -> Response:
    """The reported pin's picture for moderators, whatever its state (private, never cached)."""
    roles.require_moderator(me)
    data = preview.case_picture(ctx, db=db, case=service.get_case(db=db, case_id=parse_id(case_id)))
    return Response(content=data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


@router.post("/moderation/cases/{case_id}")
def act_on_case(
    request: Request, db: DbSession, me: SignedIn, case_id: str, action: Line = "", note: Note = ""
) -> Response:
    service.act(db=db, actor=me, action=action, case_id=parse_id(case_id), note=note)
    return RedirectResponse("/moderation", status_code=303)


def _admin_context(db: Any, **extra: Any) -> dict[str, Any]:
    return {
        "settings": instance.get(db=db),
        "invites": instance.list_invites(db=db, limit=20),
        "roles": ROLES,
        **extra,
    }


@router.get("/admin/settings")
def admin_page(request: Request, db: DbSession, me: SignedIn, saved: int = 0) -> Response:
    roles.require_admin(me)
    return render(request, "moderation/admin.html", _admin_context(db, saved=bool(saved)))


@router.post("/admin/settings")
def save_admin_settings(
    request: Request,
    db: DbSession,
    ctx: Ctx,
    me: SignedIn,
    signup: Line = "open",
    default_board_privacy: Line = "PUBLIC",
    anonymous_browsing: Line = "",
    spam_threshold: Line = "0.8",
    nudity_threshold: Line = "0.8",
    flood_threshold: Line = "0.9",
) -> Response:
    roles.require_admin(me)
    try:
        thresholds = {}
        for name, value in (
            ("spam_threshold", spam_threshold),
            ("nudity_threshold", nudity_threshold),
            ("flood_threshold", flood_threshold),
        ):
            try:
                thresholds[name] = float(value)
            except ValueError:
                raise InvalidInput("must be a number from 0 to 1", field=name) from None
        instance.update(
            db=db,
            changes={
                "signup": signup,
                "default_board_privacy": default_board_privacy,
                "anonymous_browsing": checked(anonymous_browsing),
                **thresholds,
            },
        )
    except PinhavenError as exc:
        db.rollback()
        return render(
            request, "moderation/admin.html", _admin_context(db, error=exc.message), status=exc.status
        )
    instance.forget_cached(ctx.services)
    return RedirectResponse("/admin/settings?saved=1", status_code=303)


@router.post("/admin/invites")
def create_invite(request: Request, db: DbSession, me: SignedIn) -> Response:
    roles.require_admin(me)
    invite = instance.create_invite(db=db, created_by=me.id)
    return render(request, "moderation/admin.html", _admin_context(db, new_invite=invite.code), status=201)


@router.post("/admin/roles")
def set_role(request: Request, db: DbSession, me: SignedIn, username: Line = "", role: Line = "") -> Response:
    roles.require_admin(me)
    user = accounts_service.get_by_username(db=db, username=username.strip())
    try:
        if user is None:
            raise NotFound(f"User {username!r} not found.")
        roles.set_role(db=db, user=user, role=role)
    except PinhavenError as exc:
        db.rollback()
        return render(
            request, "moderation/admin.html", _admin_context(db, error=exc.message), status=exc.status
        )
    return RedirectResponse("/admin/settings?saved=1", status_code=303)
