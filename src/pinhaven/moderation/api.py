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
    """Report a pin, board, comment or person you can see (reason from a fixed list, optional note)."""
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
    """Your reports and their outcomes."""
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
    """Moderators: cases with the reported item, its reports, signals and prior actions."""
    roles.require_moderator(roles.viewer_user(db=db, viewer=viewer))
    views = service.queue(db=db, status=status, limit=limit, before=parse_id(before))
    return CasePage(items=[present_case(v) for v in views])


@router.post("/moderation/actions", response_model=CaseRead)
def moderation_action(db: DbSession, viewer: Writer, body: ActionCreate) -> CaseRead:
    """Moderators: dismiss, hide, remove, suspend (the owner) or restore; recorded in the audit log."""
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
    """Moderators: the audit log, newest first."""
    roles.require_moderator(roles.viewer_user(db=db, viewer=viewer))
    return ActionPage(items=[present_action(a) for a in service.audit_log(db=db, before=parse_id(before))])


@router.get("/instance/settings", response_model=InstanceSettingsRead)
def get_instance_settings(db: DbSession, viewer: Reader) -> InstanceSettingsRead:
    roles.require_admin(roles.viewer_user(db=db, viewer=viewer))
    return InstanceSettingsRead(**instance.get(db=db).as_dict())


@router.patch("/instance/settings", response_model=InstanceSettingsRead)
def update_instance_settings(
    db: DbSession, ctx: Ctx, viewer: Writer, body: InstanceSettingsUpdate
) -> InstanceSettingsRead:
    roles.require_admin(roles.viewer_user(db=db, viewer=viewer))
    updated = instance.update(db=db, changes=body.model_dump(exclude_none=True))
    instance.forget_cached(ctx.services)
    return InstanceSettingsRead(**updated.as_dict())


@router.post("/instance/invites", response_model=InviteRead, status_code=201)
def create_invite(db: DbSession, viewer: Writer) -> InviteRead:
    admin = roles.require_admin(roles.viewer_user(db=db, viewer=viewer))
    return present_invite(instance.create_invite(db=db, created_by=admin.id))


@router.put("/users/{username}/role", response_model=RoleUpdate)
def set_user_role(db: DbSession, viewer: Writer, username: str, body: RoleUpdate) -> RoleUpdate:
    roles.require_admin(roles.viewer_user(db=db, viewer=viewer))
    user = accounts_service.get_by_username(db=db, username=username)
    if user is None:
        raise NotFound(f"User {username!r} not found.")
    roles.set_role(db=db, user=user, role=body.role)
    return RoleUpdate(role=body.role)
