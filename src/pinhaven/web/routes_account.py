"""Settings → Account: deactivate (hidden, reversible by logging in) or delete the account for good.

GET  /settings/account              the page: an offer to export first, then both choices
POST /settings/account/deactivate   hide the account and log out everywhere
POST /settings/account/delete       with the password: delete at once (the erasure job does the rest)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from pinhaven.accounts import lifecycle
from pinhaven.deps import Ctx, DbSession
from pinhaven.errors import InvalidInput, PinhavenError
from pinhaven.ingest import exports
from pinhaven.web.session import SignedIn, end_session
from pinhaven.web.templating import render

router = APIRouter(prefix="/settings/account")


def _page(request: Request, db: DbSession, me_id: int, *, status: int = 200, **extra: object) -> Response:
    runs = exports.list_for_user(db=db, user_id=me_id, limit=1)
    context = {"tab": "account", "latest_export": runs[0] if runs else None, **extra}
    return render(request, "settings/account.html", context, status=status)


@router.get("")
def account_page(request: Request, db: DbSession, me: SignedIn) -> Response:
    return _page(request, db, me.id)


@router.post("/deactivate")
def deactivate(request: Request, db: DbSession, me: SignedIn) -> Response:
    lifecycle.deactivate(db=db, user=me)
    response = render(request, "settings/account_closed.html", {"deleted": False})
    end_session(request, response, db)
    return response


@router.post("/delete")
def delete(
    request: Request,
    db: DbSession,
    ctx: Ctx,
    me: SignedIn,
    password: Annotated[str, Form(max_length=2048)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        if confirm != "yes":
            raise InvalidInput("tick the box to confirm that everything will be erased", field="confirm")
        lifecycle.request_deletion(db=db, user=me, password=password, secret_key=ctx.settings.secret_key)
    except PinhavenError as exc:
        db.rollback()
        return _page(request, db, me.id, status=exc.status, error=exc.message)
    response = render(request, "settings/account_closed.html", {"deleted": True})
    end_session(request, response, db)
    return response
