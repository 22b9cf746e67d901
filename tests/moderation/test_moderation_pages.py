"""Pages: report form → moderation queue → hidden for others, notice for the owner → restore; admin page."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.web.helpers import WebClient, pin_ids

from pinhaven.accounts import service as accounts_service
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.moderation import roles


def _role(ctx: AppContext, username: str, role: str) -> None:
    with session_scope(ctx.sessions) as db:
        user = accounts_service.get_by_username(db=db, username=username)
        assert user is not None
        roles.set_role(db=db, user=user, role=role)


def _case_id(html: str) -> str:
    found = re.search(r'data-case="(\d+)"', html)
    assert found, html
    return found.group(1)


def test_report_moderate_hide_and_restore_on_pages(
    ctx: AppContext, ann: WebClient, ben: WebClient, new_visitor: Callable[[], WebClient]
) -> None:
    board_id = ann.create_board("Coast")
    pin_id = ann.upload(board_id, seed=7, title="Lighthouse")["id"]
    mia = new_visitor()
    mia.signup("mia")
    _role(ctx, "mia", "moderator")

    page = ben.get(f"/pin/{pin_id}")
    assert f'href="/report?type=pin&amp;id={pin_id}"' in page.text
    assert "data-report" not in ann.get(f"/pin/{pin_id}").text  # no reporting your own pin
    form = ben.get(f"/report?type=pin&id={pin_id}")
    assert form.status_code == 200 and 'value="nudity"' in form.text
    assert (
        ben.post("/report", {"object_type": "pin", "object_id": pin_id, "reason": "bogus"}).status_code == 400
    )
    sent = ben.post("/report", {"object_type": "pin", "object_id": pin_id, "reason": "spam", "note": "ads"})
    assert sent.status_code == 303 and sent.headers["location"] == "/settings/reports?sent=1"
    assert "Waiting for review" in ben.get("/settings/reports?sent=1").text

    assert ben.get("/moderation").status_code == 403
    queue = mia.get("/moderation")
    assert queue.status_code == 200 and "Lighthouse" in queue.text and "“ads”" in queue.text
    case_id = _case_id(queue.text)
    assert mia.post(f"/moderation/cases/{case_id}", {"action": "hide", "note": "spam"}).status_code == 303

    assert ben.get(f"/pin/{pin_id}").status_code == 404
    # Moderators still see the picture in the queue; nobody else gets it there.
    assert "data-case-picture" in mia.get("/moderation?status=closed").text
    picture = mia.get(f"/moderation/cases/{case_id}/picture")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
    assert picture.content[:2] == b"\xff\xd8" and "no-store" in picture.headers["cache-control"]
    assert ben.get(f"/moderation/cases/{case_id}/picture").status_code == 403
    assert pin_id not in pin_ids(ben.get(f"/board/{board_id}").text)
    assert pin_id not in pin_ids(new_visitor().get("/u/ann/created").text)
    owner_view = ann.get(f"/pin/{pin_id}")
    assert owner_view.status_code == 200 and "data-moderation-notice" in owner_view.text
    assert 'data-state="hidden"' in ann.get("/settings/reports").text
    assert 'data-outcome="hidden"' in ben.get("/settings/reports").text

    closed = mia.get("/moderation?status=closed")
    assert _case_id(closed.text) == case_id and "hide by mia" in closed.text
    assert mia.post(f"/moderation/cases/{case_id}", {"action": "restore"}).status_code == 303
    assert ben.get(f"/pin/{pin_id}").status_code == 200
    assert pin_id in pin_ids(ben.get(f"/board/{board_id}").text)
    assert "data-moderation-notice" not in ann.get(f"/pin/{pin_id}").text


def test_report_links_on_board_and_profile_and_invisible_targets(ann: WebClient, ben: WebClient) -> None:
    board_id = ann.create_board("Coast")
    secret_id = ann.create_board("Hidden", secret=True)
    assert f"/report?type=board&amp;id={board_id}" in ben.get(f"/board/{board_id}").text
    assert "/report?type=user&amp;id=" in ben.get("/u/ann").text
    assert ben.get(f"/report?type=board&id={secret_id}").status_code == 404
    assert ben.get("/report?type=planet&id=1").status_code == 400
    assert (
        ben.post("/report", {"object_type": "board", "object_id": secret_id, "reason": "spam"}).status_code
        == 404
    )


def test_admin_page_changes_settings_invites_and_roles(
    ctx: AppContext, ann: WebClient, ben: WebClient
) -> None:
    assert ben.get("/admin/settings").status_code == 403
    _role(ctx, "ann", "admin")
    page = ann.get("/admin/settings")
    assert page.status_code == 200 and "data-instance-settings" in page.text
    saved = ann.post(
        "/admin/settings",
        {
            "signup": "invite",
            "default_board_privacy": "SECRET",
            "spam_threshold": "0.7",
            "nudity_threshold": "0.9",
            "flood_threshold": "0.95",
        },
    )
    assert saved.status_code == 303
    page = ann.get("/admin/settings?saved=1").text
    assert '<option value="invite" selected>' in page and '<option value="SECRET" selected>' in page
    assert 'name="anonymous_browsing" value="1" checked' not in page  # unchecked box: browsing off
    bad = ann.post("/admin/settings", {"signup": "invite", "spam_threshold": "lots"})
    assert bad.status_code == 400 and "spam_threshold" in bad.text
    invite = ann.post("/admin/invites")
    assert invite.status_code == 201 and "data-new-invite" in invite.text
    assert ann.post("/admin/roles", {"username": "ben", "role": "moderator"}).status_code == 303
    assert ben.get("/moderation").status_code == 200
    assert ann.post("/admin/roles", {"username": "nobody", "role": "moderator"}).status_code == 404


def test_suspension_ends_web_sessions_and_refuses_log_in(
    ctx: AppContext, ann: WebClient, ben: WebClient, new_visitor: Callable[[], WebClient]
) -> None:
    board_id = ann.create_board("Coast")
    _role(ctx, "ben", "moderator")
    assert ann.get("/settings/profile").status_code == 200
    queue_before = ben.get("/moderation")
    assert queue_before.status_code == 200
    ben.get(f"/board/{board_id}")
    assert (
        ben.post("/report", {"object_type": "board", "object_id": board_id, "reason": "spam"}).status_code
        == 303
    )
    case_id = _case_id(ben.get("/moderation").text)
    assert ben.post(f"/moderation/cases/{case_id}", {"action": "suspend"}).status_code == 303
    # Her open session is over, and she cannot start another.
    assert ann.get("/settings/profile").headers["location"].startswith("/login")
    again = new_visitor()
    again.get("/login")
    refused = again.post("/login", {"login": "ann", "password": "correct horse battery"})
    assert refused.status_code == 400
    assert new_visitor().get("/u/ann").status_code == 404
    assert new_visitor().get(f"/board/{board_id}").status_code == 404
