"""Admin pages of the experiments domain: /admin/experiments (define, start, stop; the ranking models beside them) and
/admin/experiments/{name} (the report with 95% intervals and the sample-ratio check).

Pages live in web/ (like routes_moderation), included in `pinhaven.web.router`: every POST here is
CSRF-checked like any other page; admins only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import AfterValidator
from sqlalchemy.orm import Session

from pinhaven.deps import Ctx, DbSession
from pinhaven.errors import PinhavenError
from pinhaven.experiments import service
from pinhaven.experiments.report import METRICS, report
from pinhaven.moderation import roles
from pinhaven.ranking import service as ranking
from pinhaven.text_rules import check_line, check_paragraph
from pinhaven.web.forms import checked
from pinhaven.web.session import SignedIn
from pinhaven.web.templating import render

__all__ = ["router"]

router = APIRouter()

Line = Annotated[str, Form(max_length=64), AfterValidator(check_line)]
Arms = Annotated[str, Form(max_length=4000), AfterValidator(check_paragraph)]


def _page(request: Request, db: Session, *, status: int = 200, **extra: Any) -> Response:
    values = {
        "experiments": service.list_all(db=db),
        "models": ranking.list_models(db=db)[:20],
        "surfaces": service.SURFACES,
        **extra,
    }
    return render(request, "experiments/admin.html", values, status=status)


@router.get("/admin/experiments")
def experiments_page(request: Request, db: DbSession, me: SignedIn) -> Response:
    roles.require_admin(me)
    return _page(request, db)


@router.post("/admin/experiments")
def create_experiment(
    request: Request,
    db: DbSession,
    me: SignedIn,
    name: Line = "",
    arms: Arms = "",
    surface: Line = "home",
    orthogonal: Line = "",
) -> Response:
    roles.require_admin(me)
    try:
        parsed = [service.parse_arm(line) for line in arms.splitlines() if line.strip()]
        service.create(db=db, name=name.strip(), arms=parsed, surface=surface, orthogonal=checked(orthogonal))
    except PinhavenError as exc:
        db.rollback()
        form = {"name": name, "arms": arms, "orthogonal": checked(orthogonal)}
        return _page(request, db, status=exc.status, error=exc.message, form=form)
    return RedirectResponse("/admin/experiments", status_code=303)


@router.post("/admin/experiments/{name}/{action}")
def change_experiment(
    request: Request, db: DbSession, ctx: Ctx, me: SignedIn, name: str, action: str
) -> Response:
    roles.require_admin(me)
    try:
        if action == "start":
            service.start(db=db, name=name)
        elif action == "stop":
            service.stop(db=db, name=name)
        else:
            return _page(request, db, status=404, error="Unknown action.")
    except PinhavenError as exc:
        db.rollback()
        return _page(request, db, status=exc.status, error=exc.message)
    service.forget_cache(ctx)
    return RedirectResponse("/admin/experiments", status_code=303)


@router.get("/admin/experiments/{name}")
def experiment_report(request: Request, db: DbSession, me: SignedIn, name: str) -> Response:
    roles.require_admin(me)
    found = report(db=db, name=name)
    return render(request, "experiments/report.html", {"report": found, "metrics": METRICS})
