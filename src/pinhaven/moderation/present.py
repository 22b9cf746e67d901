"""Rows of the moderation domain as API shapes."""

from __future__ import annotations

from pinhaven.moderation.models import InviteCode, ModerationAction, ModerationCase, Report
from pinhaven.moderation.schemas import ActionRead, CaseRead, InviteRead, ReportRead
from pinhaven.moderation.service import CaseView
from pinhaven.moderation.state import describe
from pinhaven.timefmt import iso


def present_report(report: Report, case: ModerationCase) -> ReportRead:
    return ReportRead(
        id=str(report.id),
        object_type=case.object_type,
        object_id=str(case.object_id),
        reason=report.reason,
        note=report.note,
        status=report.status,
        outcome=report.outcome,
        created_at=iso(report.created_at),
    )


def present_action(action: ModerationAction) -> ActionRead:
    return ActionRead(
        id=str(action.id),
        action=action.action,
        actor_id=str(action.actor_id) if action.actor_id is not None else None,
        object_type=action.object_type,
        object_id=str(action.object_id),
        note=action.note,
        created_at=iso(action.created_at),
    )


def present_case(view: CaseView) -> CaseRead:
    case = view.case
    return CaseRead(
        id=str(case.id),
        object_type=case.object_type,
        object_id=str(case.object_id),
        owner_id=str(case.owner_id) if case.owner_id is not None else None,
        status=case.status,
        outcome=case.outcome,
        state=describe(view.flags),
        auto_hidden=case.auto_hidden,
        report_count=case.report_count,
        signals=case.signals or {},
        summary=view.summary,
        reports=[present_report(r, case) for r in view.reports],
        actions=[present_action(a) for a in view.actions],
    )


def present_invite(invite: InviteCode) -> InviteRead:
    return InviteRead(code=invite.code, created_at=iso(invite.created_at), used=invite.used_at is not None)
