"""Pages: the bell in the header, the inbox (open an item, mark all read), notification settings."""

from __future__ import annotations

import re

from fastapi import FastAPI
from tests.web.helpers import WebClient


def _visitor(app: FastAPI, name: str) -> WebClient:
    client = WebClient(app)
    client.signup(name)
    return client


def test_bell_inbox_open_and_mark_all_read(app: FastAPI) -> None:
    ann, ben, cat = _visitor(app, "ann"), _visitor(app, "ben"), _visitor(app, "cat")
    home = ann.get("/")
    assert "data-bell" in home.text and "social.js" in home.text
    assert ben.post("/u/ann/follow", {"next": "/u/ann"}).status_code == 303
    page = ann.get("/notifications")
    assert page.status_code == 200
    assert "ben started following you" in page.text and "is-unread" in page.text
    assert ann.http.get("/notifications/count").json() == {"unread": 1}
    item_id = re.search(r'data-notification="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    opened = ann.post(f"/notifications/{item_id}/open")
    assert opened.status_code == 303 and opened.headers["location"] == "/u/ben"
    assert ann.http.get("/notifications/count").json() == {"unread": 0}
    # someone else's item: 404, nothing read
    cat.post("/u/ben/follow", {"next": "/u/ben"})
    ben_item = re.search(r'data-notification="(\d+)"', ben.get("/notifications").text).group(1)  # type: ignore[union-attr]
    assert ann.post(f"/notifications/{ben_item}/open").status_code == 404
    assert ben.http.get("/notifications/count").json() == {"unread": 1}
    # a forged form (no CSRF token) changes nothing
    assert ben.post("/notifications/read-all", csrf=False).status_code == 403
    assert ben.post("/notifications/read-all").status_code == 303
    assert ben.http.get("/notifications/count").json() == {"unread": 0}
    assert "is-unread" not in ben.get("/notifications").text


def test_signed_out_visitors_are_sent_to_log_in(app: FastAPI) -> None:
    visitor = WebClient(app)
    response = visitor.get("/notifications")
    assert response.status_code in (302, 303, 401)
    assert "data-bell" not in visitor.get("/").text


def test_settings_page_turns_types_off(app: FastAPI) -> None:
    ann, ben = _visitor(app, "ann"), _visitor(app, "ben")
    page = ann.get("/settings/notifications")
    assert page.status_code == 200 and 'name="follow.in_app"' in page.text
    form = {f"{kind}.{where}": "1" for kind in ("save", "comment") for where in ("in_app", "email")}
    response = ann.post("/settings/notifications", form)
    assert response.status_code == 303
    page = ann.get("/settings/notifications?saved=1")
    assert re.search(r'name="follow.in_app" value="1"[^>]*checked', page.text) is None
    assert re.search(r'name="save.in_app" value="1"[^>]*checked', page.text)
    ben.post("/u/ann/follow", {"next": "/u/ann"})
    assert ann.http.get("/notifications/count").json() == {"unread": 0}  # follows are off, both ways
