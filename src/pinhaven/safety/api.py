"""HTTP: /ext/v1/me/usage — the caller's upload quotas and API allowance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from pinhaven.accounts.scopes import Viewer
from pinhaven.deps import Ctx, DbSession, Scopes, user_id_of
from pinhaven.safety import quotas
from pinhaven.safety.schemas import UsageRead

router = APIRouter(prefix="/ext/v1", tags=["quotas"])

AccountReader = Annotated[Viewer, Depends(Scopes("user_accounts:read"))]


@router.get("/me/usage", response_model=UsageRead)
def get_usage(db: DbSession, ctx: Ctx, viewer: AccountReader) -> UsageRead:
    """Uploads today (count and bytes), storage used, and the limits that apply to you."""
    usage = quotas.usage(db=db, settings=ctx.settings, user_id=user_id_of(viewer))
    return UsageRead(**usage.as_dict())
