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
    """The caller's quotas: uploads today (count and bytes, reset at midnight UTC), the storage their pictures
    take, the instance's limits for each (0 means no limit) and their API allowance per minute. Needs a
    signed-in caller with `user_accounts:read` (token or session cookie). Errors: 401 when signed out; 403
    for a missing scope.
    """
    usage = quotas.usage(db=db, settings=ctx.settings, user_id=user_id_of(viewer))
    return UsageRead(**usage.as_dict())
