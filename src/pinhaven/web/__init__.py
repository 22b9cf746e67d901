"""Server-rendered web pages (Jinja2 + small static JS), calling the same services as /v5.

`router` holds every page route; each state-changing route is CSRF-checked by the router-level
`require_csrf` dependency. `mount_static` serves /static with long-lived caching for versioned URLs.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from pinhaven.web import (
    routes_account,
    routes_auth,
    routes_boards,
    routes_create,
    routes_discovery,
    routes_experiments,
    routes_home,
    routes_ingest,
    routes_moderation,
    routes_pins,
    routes_profile,
    routes_settings,
)
from pinhaven.web.csrf import require_csrf
from pinhaven.web.templating import STATIC_DIR

__all__ = ["mount_static", "router"]

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])
for _module in (
    routes_home,
    routes_auth,
    routes_pins,
    routes_create,
    routes_boards,
    routes_profile,
    routes_settings,
    routes_account,
    routes_ingest,
    routes_discovery,
    routes_moderation,  # report form, /moderation, /admin/settings, /settings/reports
    routes_experiments,  # /admin/experiments (A/B experiments, ranking models)
):
    router.include_router(_module.router)


class _VersionedStatic(StaticFiles):
    """Static files; a URL carrying `?v=<content hash>` (see `static_url`) is cached for a year."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200 and b"v=" in scope.get("query_string", b""):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def mount_static(app: FastAPI | Any) -> None:
    app.mount("/static", _VersionedStatic(directory=STATIC_DIR), name="static")
