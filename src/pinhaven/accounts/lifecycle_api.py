"""HTTP: /ext/v1/me — deactivate and delete your own account (accounts/lifecycle.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from pinhaven.accounts import lifecycle
from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.scopes import Viewer
from pinhaven.deps import Ctx, DbSession, Scopes, user_id_of

router = APIRouter(prefix="/ext/v1", tags=["people"])
AccountWrite = Annotated[Viewer, Depends(Scopes("user_accounts:write"))]


class AccountDelete(BaseModel):
    model_config = ConfigDict(extra="ignore")

    password: str = Field(min_length=1, max_length=1024)


class AccountDeletionRead(BaseModel):
    status: str  # "pending": hidden now, erased by a background job shortly
    deletion_id: str
    message: str


class AccountDeactivated(BaseModel):
    status: str
    message: str


@router.delete(
    "/me",
    response_model=AccountDeletionRead,
    status_code=202,
    responses={
        400: {"description": "No password (or a malformed body)"},
        401: {"description": "Not signed in"},
        403: {"description": "Wrong password, or the token lacks user_accounts:write"},
    },
)
def delete_me(db: DbSession, ctx: Ctx, viewer: AccountWrite, body: AccountDelete) -> AccountDeletionRead:
    """Delete the caller's account: it disappears at once, and a background job erases its pins, boards, media
    and everything else within minutes; answers 202 with the deletion's id. Needs the account's password in
    the body and the `user_accounts:write` scope (token, or session cookie with its CSRF token). Download
    an export first (Settings, Export on the web, or `pinhaven export`): nothing can be recovered
    afterwards. Errors: 400 without a password; 403 for a wrong password, a missing scope or CSRF token;
    401 when signed out.
    """
    user = accounts_service.get_or_raise(db=db, user_id=user_id_of(viewer))
    deletion = lifecycle.request_deletion(
        db=db, user=user, password=body.password, secret_key=ctx.settings.secret_key
    )
    return AccountDeletionRead(
        status=deletion.status,
        deletion_id=str(deletion.id),
        message="Your account is deleted; its content is being erased.",
    )


@router.post(
    "/me/deactivate",
    response_model=AccountDeactivated,
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "The token lacks user_accounts:write"},
    },
)
def deactivate_me(db: DbSession, viewer: AccountWrite) -> AccountDeactivated:
    """Deactivate the caller's account: it and everything it shows (profile, boards, pins) are hidden from
    everyone, every web session ends and its API tokens stop working; logging in again brings it all back.
    Idempotent. Needs `user_accounts:write` (token, or session cookie with its CSRF token). Errors: 400 for
    an account being deleted; 403 for a missing scope or CSRF token; 401 when signed out.
    """
    user = accounts_service.get_or_raise(db=db, user_id=user_id_of(viewer))
    lifecycle.deactivate(db=db, user=user)
    return AccountDeactivated(
        status="deactivated", message="Your account is hidden. Log in again to reactivate it."
    )
