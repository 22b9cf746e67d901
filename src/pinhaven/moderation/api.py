"""HTTP (/ext/v1): reports for everyone signed in; the queue, actions and audit log for moderators;
instance settings, invite codes and roles for admins."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.scopes import Viewer
from pinhaven.db.ids import parse_id
from pinhaven.deps import Ctx, DbSession, Scopes
from pinhaven.errors import NotFound
from pinhaven.moderation import instance, roles, service
from pinhaven.moderation.present import present_action, present_case, present_invite, present_report
from pinhaven.moderation.ratelimit import report_limiter
from pinhaven.moderation.schemas import (
    ActionCreate,
    ActionPage,
    CasePage,
    CaseRead,
    InstanceSettingsRead,
    InstanceSettingsUpdate,
    InviteRead,
    ReportCreate,
    ReportPage,
    ReportRead,
    RoleUpdate,
)

router = APIRouter(prefix="/ext/v1", tags=["moderation"])

Reader = Annotated[Viewer, Depends(Scopes("user_accounts:read"))]
Writer = Annotated[Viewer, Depends(Scopes("user_accounts:write"))]


@router.post("/reports", response_model=ReportRead, status_code=201)
def create_report(db: DbSession, ctx: Ctx, viewer: Writer, body: ReportCreate) -> ReportRead:
    """Report a pin, board, comment or person the caller can see, with a reason from a fixed list (`spam`,
    `nudity`, `harassment`, `violence`, `hate`, `self_harm`, `copyright`, `misleading`, `other`) and an
    optional note (up to 500 characters); the report joins the object's moderation case for moderators to
    review. Needs a signed-in caller with `user_accounts:write` (token, or session cookie with its CSRF
    token), within a reports-per-hour limit per person. Answers 201 with the report. Errors: 400 for an
    unknown object type or reason, or reporting your own content; 404 for an object that does not exist or
    the caller may not see (secret boards and their pins included); 409 when the caller already reported
    it; 429 over the rate limit; 403 for a missing scope or CSRF token; 401 when signed out.
    """
    report_limiter(ctx).check(roles.viewer_user(db=db, viewer=viewer).id)
    row = service.report(
        db=db,
        viewer=viewer,
        object_type=body.object_type,
        object_id=parse_id(body.object_id),
        reason=body.reason,
        note=body.note,
    )
    return present_report(row, service.get_case(db=db, case_id=row.case_id))


@router.get("/reports", response_model=ReportPage)
def list_my_reports(db: DbSession, viewer: Reader) -> ReportPage:
    """The caller's own reports (the latest 50), each with its status and the outcome moderators chose. Needs
    a signed-in caller with `user_accounts:read` (token or session cookie). Errors: 401 when signed out;
    403 for a missing scope.
    """
    me = roles.viewer_user(db=db, viewer=viewer)
    return ReportPage(items=[present_report(r, c) for r, c in service.my_reports(db=db, user_id=me.id)])


@router.get("/moderation/queue", response_model=CasePage)
def moderation_queue(
    db: DbSession,
    viewer: Reader,
    status: Annotated[Literal["open", "closed"], Query()] = "open",
    before: Annotated[str | None, Query(pattern=r"^\d+$", max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> CasePage:
    """For moderators and admins: moderation cases, `open` (default) or `closed`, newest first, each with the
    reported item, its reports, automatic signals and prior actions; up to `limit` (1-100, default 50)
    cases, and `before` (a case id) for the next page. Needs `user_accounts:read` (token or session
    cookie). Errors: 403 for callers who are not moderators (or are suspended), or a missing scope; 400 for
    a bad status, limit or `before`; 401 when signed out.
    """
    roles.require_moderator(roles.viewer_user(db=db, viewer=viewer))
    views = service.queue(db=db, status=status, limit=limit, before=parse_id(before))
    return CasePage(items=[present_case(v) for v in views])


@router.post("/moderation/actions", response_model=CaseRead)
def moderation_action(db: DbSession, viewer: Writer, body: ActionCreate) -> CaseRead:
    """For moderators and admins: act on a case (`case_id`) or directly on an object (`object_type` and
    `object_id`, opening its case): `dismiss`, `hide`, `remove`, `suspend` (the content's owner) or
    `restore`. The case closes, its reports are resolved with the outcome, and the action is written to the
    audit log. Needs `user_accounts:write` (token, or session cookie with its CSRF token). Answers the
    case. Errors: 403 for non-moderators, for acting (other than dismissing) on your own content, or for a
    moderator suspending an admin; 404 for an unknown case or object, or content whose owner no longer
    exists; 400 for a bad action, neither case nor object, or hiding or removing a person (people are
    suspended); 401 when signed out.
    """
    actor = roles.viewer_user(db=db, viewer=viewer)
    view = service.act(
        db=db,
        actor=actor,
        action=body.action,
        case_id=parse_id(body.case_id) if body.case_id is not None else None,
        object_type=body.object_type,
        object_id=parse_id(body.object_id) if body.object_id is not None else None,
        note=body.note,
    )
    return present_case(view)


@router.get("/moderation/log", response_model=ActionPage)
def moderation_log(
    db: DbSession,
    viewer: Reader,
    before: Annotated[str | None, Query(pattern=r"^\d+$", max_length=20)] = None,
) -> ActionPage:
    """For moderators and admins: the moderation audit log, newest first, 100 actions a page, with `before`
    (an action id) for the next page. Needs `user_accounts:read` (token or session cookie). Errors: 403 for
    callers who are not moderators, or a missing scope; 400 for a bad `before`; 401 when signed out.
    """
    roles.require_moderator(roles.viewer_user(db=db, viewer=viewer))
    return ActionPage(items=[present_action(a) for a in service.audit_log(db=db, before=parse_id(before))])


@router.get("/instance/settings", response_model=InstanceSettingsRead)
def get_instance_settings(db: DbSession, viewer: Reader) -> InstanceSettingsRead:
    """For admins: the instance's settings: sign-up mode (`open`, `closed` or `invite`), default board
    privacy, whether signed-out visitors may browse, and the automatic moderation thresholds (spam, nudity,
    flood). Needs `user_accounts:read` (token or session cookie). Errors: 403 for callers who are not
    admins, or a missing scope; 401 when signed out.
    """
    roles.require_admin(roles.viewer_user(db=db, viewer=viewer))
    return InstanceSettingsRead(**instance.get(db=db).as_dict())


@router.patch("/instance/settings", response_model=InstanceSettingsRead)
def update_instance_settings(
    db: DbSession, ctx: Ctx, viewer: Writer, body: InstanceSettingsUpdate
) -> InstanceSettingsRead:
    """For admins: change some of the instance's settings (fields left out stay): sign-up mode, default board
    privacy (`PUBLIC` or `SECRET`), anonymous browsing, and the automatic moderation thresholds (0 to 1).
    Takes effect at once in this process. Needs `user_accounts:write` (token, or session cookie with its
    CSRF token). Answers the new settings. Errors: 400 for an unknown field or a bad value; 403 for callers
    who are not admins, or a missing scope or CSRF token; 401 when signed out.
    """
    roles.require_admin(roles.viewer_user(db=db, viewer=viewer))
    updated = instance.update(db=db, changes=body.model_dump(exclude_none=True))
    instance.forget_cached(ctx.services)
    return InstanceSettingsRead(**updated.as_dict())


@router.post("/instance/invites", response_model=InviteRead, status_code=201)
def create_invite(db: DbSession, viewer: Writer) -> InviteRead:
    """For admins: create a single-use invite code for sign-up when the instance is invite-only. Needs
    `user_accounts:write` (token, or session cookie with its CSRF token). Answers 201 with the code.
    Errors: 403 for callers who are not admins, or a missing scope or CSRF token; 401 when signed out.
    """
    admin = roles.require_admin(roles.viewer_user(db=db, viewer=viewer))
    return present_invite(instance.create_invite(db=db, created_by=admin.id))


@router.put("/users/{username}/role", response_model=RoleUpdate)
def set_user_role(db: DbSession, viewer: Writer, username: str, body: RoleUpdate) -> RoleUpdate:
    """For admins: set a person's role to `member`, `moderator` or `admin`. Needs `user_accounts:write`
    (token, or session cookie with its CSRF token). Answers the role set. Errors: 404 for an unknown
    username; 400 for an unknown role; 403 for callers who are not admins, or a missing scope or CSRF
    token; 401 when signed out.
    """
    roles.require_admin(roles.viewer_user(db=db, viewer=viewer))
    user = accounts_service.get_by_username(db=db, username=username)
    if user is None:
        raise NotFound(f"User {username!r} not found.")
    roles.set_role(db=db, user=user, role=body.role)
    return RoleUpdate(role=body.role)
