"""The OpenAPI document tells the truth about status codes (issue 16, defect 11).

FastAPI documents a 422 on every operation with parameters, which this server never sends (validation errors
are 400 `{code, message}`, see `app.install_error_handlers`), and nothing about the errors it does send. This
module rewrites each operation's `responses` from what the route really depends on:

| status | documented when |
|---|---|
| 400 | always: every path and query value passes `text_guard`; bodies and parameters are validated |
| 401 | the route resolves a caller (bearer token or session cookie): a bad or revoked token is 401; elsewhere (but the few open paths) signed-out visitors when an admin turns anonymous browsing off (`GATE_401`) |
| 403 | the route checks scopes, or is a write a session cookie may make (CSRF); plus `EXTRA_STATUSES` |
| 404 | the path has parameters (an id or name that does not exist, or that the caller may not see) |
| 409 | listed in `EXTRA_STATUSES` (duplicate names, existing collaborators, ...) |
| 413 | the operation takes a body (`PINHAVEN_MAX_REQUEST_BYTES`, declared or streamed) |
| 429 | the route is rate limited or counted against a token's API allowance |
| 503 | always: admission control sheds load, the database pool may be exhausted |

Every error answers the same `Error` schema. `tests/safety/test_openapi_truth.py` walks the document and calls
each operation with a bad token to check the 401s against the server's behaviour.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

__all__ = ["EXTRA_STATUSES", "install"]

GATE_401 = "401 gate"  # key of the description of a 401 only moderation/gate.browsing_gate sends
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
}
DESCRIPTIONS = {
    "400": "Bad input: a parameter, body or bookmark failed validation",
    "401": "Authentication failed: no token where one is required, or an unknown or revoked token",
    GATE_401: "Signed out while the instance does not let signed-out visitors browse (an admin setting)",
    "403": "Missing scope, invalid CSRF token (cookie writes), or not allowed on this object",
    "404": "Not found, or not visible to the caller",
    "409": "Conflict with the current state (e.g. a duplicate name)",
    "413": "Request body or upload too large",
    "429": "Rate limited; see the Retry-After header",
    "503": "Overloaded or a component is unavailable; see the Retry-After header",
}
_INT = {"schema": {"type": "integer"}}
RATE_HEADERS = {
    "X-RateLimit-Limit": {"description": "Requests this token may make in a moving minute", **_INT},
    "X-RateLimit-Remaining": {"description": "Requests left in the current window", **_INT},
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying", **_INT}}
# Statuses a route's dependencies do not reveal: (method, path regex) → statuses.
EXTRA_STATUSES: list[tuple[str, str, tuple[str, ...]]] = [
    ("POST", r"^/v5/boards$", ("409",)),
    ("PATCH", r"^/v5/boards/\{board_id\}$", ("409",)),
    ("POST", r"^/v5/boards/\{board_id\}/sections$", ("409",)),
    ("PATCH", r"^/v5/boards/\{board_id\}/sections/\{section_id\}$", ("409",)),
    ("POST", r"^/ext/v1/boards/\{board_id\}/(collaborators|invitations)$", ("409",)),
    ("POST", r"^/ext/v1/reports$", ("409",)),
    ("POST", r"^/ext/v1/jobs/.*retry", ("409",)),
    ("POST", r"^/v5/pins$", ("413",)),  # the image, decoded, over PINHAVEN_MAX_UPLOAD_BYTES / _PIXELS
    ("POST", r"^/ext/v1/events$", ("429",)),
    ("POST", r"^/ext/v1/search/visual$", ("413",)),
    # bodies or filters naming other objects (found by tests/fuzz): unknown or invisible ones are 404
    ("POST", r"^/ext/v1/conversations$", ("404",)),
    ("POST", r"^/v5/pins$", ("404",)),  # board_id, board_section_id
    ("POST", r"^/ext/v1/pins/from-url$", ("404",)),
    ("POST", r"^/ext/v1/moderation/actions$", ("404",)),  # case_id
    ("POST", r"^/ext/v1/reports$", ("404",)),  # object_id
    ("POST", r"^/ext/v1/search/visual$", ("404",)),  # pin_id
    ("GET", r"^/ext/v1/search/pins$", ("404",)),  # board, user, topic filters
    ("GET", r"^/ext/v1/pins/\{pin_id\}/analytics$", ("403",)),  # only the pin's owner sees its stats
    ("POST", r"^/v5/catalogs(/feeds)?$", ("409",)),  # no free name for the catalog's board
    ("POST", r"^/v5/catalogs/(feeds|product_groups)$", ("404",)),  # catalog_id
    ("GET", r"^/v5/catalogs/(feeds|items|product_groups)$", ("404",)),  # catalog_id filter
]
_AUTH_CALLS = {"get_viewer", "get_bearer_viewer", "_token_viewer"}


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _api_routes(app: FastAPI) -> Iterator[Any]:
    """Every API route with its effective path and dependencies (the router's prefix and dependencies too)."""
    iterate = getattr(routing, "iter_route_contexts", None)  # FastAPI ≥ 0.16x includes routers lazily
    if iterate is None:
        yield from (r for r in app.routes if isinstance(r, APIRoute))
        return
    for context in iterate(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def _statuses(route: Any, method: str) -> set[str]:
    found = {"400", "503"}
    auth = scoped = False
    for call in _calls(route.dependant):
        name = getattr(call, "__name__", "")
        if name in _AUTH_CALLS:
            auth = True
        if type(call).__name__ == "Scopes":  # deps.Scopes: signed-in callers need these scopes
            auth = True
            scoped = scoped or bool(getattr(call, "required", ()))
    if auth:
        found.add("401")
        found.add("429")  # per-token API allowance
        if scoped or method not in ("GET", "HEAD", "OPTIONS"):
            found.add("403")
    if route.dependant.path_params or "{" in route.path_format:
        found.add("404")
    if route.body_field is not None:
        found.update({"400", "413"})
    for extra_method, pattern, statuses in EXTRA_STATUSES:
        if method == extra_method and re.search(pattern, route.path_format):
            found.update(statuses)
    return found


def _gated(route: Any) -> bool:
    """Whether the app-wide browsing gate can answer 401 on this route (anonymous browsing turned off)."""
    from pinhaven.moderation.gate import OPEN_PATHS, OPEN_PREFIXES

    if route.path_format in OPEN_PATHS or route.path_format.startswith(OPEN_PREFIXES):
        return False
    return any(getattr(call, "__name__", "") == "browsing_gate" for call in _calls(route.dependant))


def _correct(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):  # only the 422s referred to them
        components.pop(name, None)
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    routes = {(m, r.path_format): r for r in _api_routes(app) for m in r.methods or ()}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            responses.pop("422", None)
            route = routes.get((method.upper(), path))
            if route is None:
                continue
            statuses = _statuses(route, method.upper())
            for status in sorted(statuses):
                responses.setdefault(status, {"description": DESCRIPTIONS[status]})
                responses[status].setdefault("content", error)
            if "401" not in statuses and _gated(route):
                responses["401"] = {"description": DESCRIPTIONS[GATE_401], "content": error}
            for status in ("429", "503"):
                if status in responses:
                    responses[status].setdefault("headers", {}).update(RETRY_AFTER)
            if "401" in statuses:  # token requests carry the allowance (safety/ratelimit.py)
                for status, response in responses.items():
                    if status.startswith("2") or status == "429":
                        response.setdefault("headers", {}).update(RATE_HEADERS)
    return schema


def install(app: FastAPI) -> None:
    """Serve the corrected document at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _correct(app, FastAPI.openapi(app))  # FastAPI's document, then the truth
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
