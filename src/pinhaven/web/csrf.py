"""CSRF protection for pages: a token in every form (hidden `csrf_token`) and in a meta tag for fetches.

The token is an HMAC of a binding value: the session cookie when signed in, else the visitor's random
`ph_csrf` cookie (double submit), which the first rendered page sets. Every non-GET web route depends on
`require_csrf`, so a forged cross-site POST (which cannot read the token) is refused with 403.
"""

from __future__ import annotations

import secrets

from fastapi import Request

from pinhaven.accounts.sessions import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, csrf_token, csrf_valid
from pinhaven.errors import Forbidden
from pinhaven.web.session import WebUser

FORM_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _secret(request: Request) -> str:
    secret: str = request.app.state.ctx.settings.secret_key
    return secret


def binding_for(request: Request) -> str | None:
    """The value tokens are bound to: the session cookie of a signed-in visitor, else the ph_csrf cookie."""
    if getattr(request.state, "web_user", None) is not None:
        return request.cookies.get(SESSION_COOKIE)
    return request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_cookie", None)


def token_for_page(request: Request) -> str:
    """The token to embed in a page; issues a ph_csrf cookie to a visitor who has none yet."""
    binding = binding_for(request)
    if binding is None:
        binding = secrets.token_urlsafe(24)
        request.state.new_csrf_cookie = binding
    return csrf_token(secret_key=_secret(request), binding=binding)


async def require_csrf(request: Request, user: WebUser) -> None:
    """Route dependency: refuse a state-changing request without a valid token (header or form field)."""
    del user  # resolved first: the binding depends on whether the session cookie is valid
    if request.method in SAFE_METHODS:
        return
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(FORM_FIELD)
            token = value if isinstance(value, str) else None
    if not csrf_valid(secret_key=_secret(request), binding=binding_for(request), token=token):
        raise Forbidden("Missing or invalid CSRF token. Reload the page and try again.")
