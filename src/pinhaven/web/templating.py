"""Jinja2 rendering for the pages: one autoescaping environment, security headers, static asset URLs."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pinhaven.accounts.sessions import CSRF_COOKIE, SESSION_MAX_AGE
from pinhaven.web.csrf import token_for_page
from pinhaven.web.session import is_https

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

# No inline script or style anywhere: behaviour lives in /static/*.js, placeholder colours are applied
# from data attributes by app.js (CSSOM writes are not governed by style-src).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{media}; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def security_headers(request: Request) -> dict[str, str]:
    """Headers every HTML page carries (CSP without unsafe-inline, no framing, no sniffing)."""
    base_url = request.app.state.ctx.settings.base_url
    media = f" {base_url}" if base_url else ""
    return {
        "Content-Security-Policy": CSP.format(media=media),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cache-Control": "no-store",
    }


@lru_cache(maxsize=256)
def _asset_version(name: str) -> str:
    path = STATIC_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"static asset {name!r} does not exist")
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    """URL of a static file, versioned by content so it can be cached forever."""
    return f"/static/{name}?v={_asset_version(name)}"


def with_query(request: Request, **changes: str | None) -> str:
    """The current path with some query parameters changed (None removes one)."""
    params = {k: v for k, v in request.query_params.items() if k not in changes and k != "partial"}
    params.update({k: v for k, v in changes.items() if v is not None})
    return request.url.path + ("?" + urlencode(params) if params else "")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = static_url
    env.filters["compact"] = compact_number
    return env


def compact_number(value: int) -> str:
    """1234 → 1.2k, as the counts on Pinterest read."""
    if value < 1000:
        return str(value)
    if value < 1_000_000:
        return f"{value / 1000:.1f}".rstrip("0").rstrip(".") + "k"
    return f"{value / 1_000_000:.1f}".rstrip("0").rstrip(".") + "m"


ENV = _environment()


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """Render a page; adds the signed-in user, the CSRF token and the security headers."""
    values: dict[str, Any] = {
        "request": request,
        # A plain snapshot, not the ORM row: error pages render after the request's session has closed.
        "me": getattr(request.state, "web_person", None),
        "me_person": getattr(request.state, "web_person", None),
        "csrf_token": token_for_page(request),
        "query": request.query_params.get("q", ""),
        "with_query": lambda **changes: with_query(request, **changes),
    }
    values.update(context or {})
    body = ENV.get_template(template).render(values)
    response = HTMLResponse(body, status_code=status, headers=security_headers(request))
    new_cookie = getattr(request.state, "new_csrf_cookie", None)
    if new_cookie:
        response.set_cookie(
            CSRF_COOKIE,
            new_cookie,
            max_age=SESSION_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=is_https(request),
        )
    return response


def render_grid(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    cards: Any,
    bookmark: str | None,
    partial: bool,
    partial_template: str = "partials/pin_page.html",
) -> HTMLResponse:
    """A page with an infinitely scrolling grid; `partial` answers just the next batch of cards.

    The next batch's URL is this page's URL with the API's bookmark, so scrolling and the
    "More" link (for visitors without JavaScript) read the same cursor.
    """
    next_url = with_query(request, bookmark=bookmark) if bookmark else None
    values = {**context, "cards": cards, "next_url": next_url}
    return render(request, partial_template if partial else template, values)
