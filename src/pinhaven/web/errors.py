"""Error pages in the site's style (404, 403, 429, 500, ...); never a stack trace.

`app.py` calls `error_page` for every error on a request that accepts HTML outside /v5, /ext and /media.
"""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from pinhaven.web.templating import render

log = logging.getLogger("pinhaven.web")

TITLES = {
    400: "That didn't work",
    403: "You can't do that",
    404: "We couldn't find that page",
    405: "That didn't work",
    409: "That clashes with something",
    413: "That file is too big",
    429: "Slow down a little",
    500: "Something went wrong on our side",
}
SAFE_METHODS = frozenset({"GET", "HEAD"})


def _resolve_user(request: Request) -> None:
    """Show the header as signed in when the error happened before the route resolved the visitor."""
    if hasattr(request.state, "web_user"):
        return
    try:
        from pinhaven.web.session import get_web_user

        with request.app.state.ctx.sessions() as db:
            get_web_user(request, db)
    except Exception:  # the error page must render even when the database is the problem
        request.state.web_user = request.state.web_person = None
        log.debug("could not resolve the visitor for an error page", exc_info=True)


def error_page(request: Request, status: int, message: str) -> Response:
    """An HTML error page; a 401 on a page sends the visitor to log in and come back."""
    if status == 401:
        target = request.url.path
        if request.method not in SAFE_METHODS:  # come back to the page the form was on
            target = urlsplit(request.headers.get("referer", "")).path or "/"
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    if status >= 500:
        request.state.web_person = None  # keep the 500 page independent of the database
        message = "The error has been logged. Please try again in a moment."
    else:
        _resolve_user(request)
    title = TITLES.get(status, "That didn't work" if status < 500 else TITLES[500])
    response = render(
        request, "error.html", {"status": status, "title": title, "message": message}, status=status
    )
    if status == 429:
        response.headers["Retry-After"] = "60"
    return response
