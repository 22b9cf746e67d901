"""In Chromium: report a pin → a moderator hides it → gone for others, the owner sees a notice → restore."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.live import LiveServer
from tests.factories import image_bytes

from pinhaven.accounts import service as accounts_service
from pinhaven.db.engine import session_scope
from pinhaven.moderation import roles

pytestmark = pytest.mark.browser

_names = itertools.count()


def _promote(live: LiveServer, username: str) -> None:
    with session_scope(live.ctx.sessions) as db:
        user = accounts_service.get_by_username(db=db, username=username)
        assert user is not None
        roles.set_role(db=db, user=user, role="moderator")


def test_report_moderate_hidden_everywhere_then_restored(
    visitors: Any, live: LiveServer, tmp_path: Path
) -> None:
    picture = tmp_path / "lighthouse.jpg"
    picture.write_bytes(image_bytes(size=(640, 480), seed=321))
    n = next(_names)
    owner, reporter, moderator = visitors(), visitors(), visitors()
    owner.signup(f"own{n}")
    reporter.signup(f"rep{n}")
    moderator.signup(f"mod{n}")
    _promote(live, f"mod{n}")
    board = owner.create_board("Coast")
    (pin_id,) = owner.upload([picture], board, title="Lighthouse at dusk")

    reporter.goto(f"/pin/{pin_id}")
    with reporter.page.expect_navigation():
        reporter.page.click("[data-report]")
    reporter.page.check("input[name=reason][value=spam]")
    reporter.page.fill("textarea[name=note]", "the same ad on every board")
    with reporter.page.expect_navigation():
        reporter.page.click("[data-report-form] button[type=submit]")
    assert reporter.page.url.endswith("/settings/reports?sent=1")
    assert reporter.page.locator("[data-report-status=open]").count() == 1

    moderator.goto("/moderation")
    case = moderator.page.locator("[data-case]").filter(has_text="Lighthouse at dusk")
    assert case.count() == 1 and "the same ad on every board" in case.inner_text()
    with moderator.page.expect_navigation():
        case.locator("button[value=hide]").click()

    reporter.goto(f"/pin/{pin_id}", status=404)
    reporter.goto(f"/board/{board}")
    assert pin_id not in reporter.pin_ids()
    reporter.goto(f"/u/own{n}/created")
    assert pin_id not in reporter.pin_ids()
    reporter.goto("/settings/reports")
    assert reporter.page.locator("[data-outcome=hidden]").count() == 1
    owner.goto(f"/pin/{pin_id}")
    assert owner.page.locator("[data-moderation-notice]").count() == 1

    moderator.goto("/moderation?status=closed")
    with moderator.page.expect_navigation():
        moderator.page.locator("[data-case]").filter(has_text="Lighthouse at dusk").locator(
            "button[value=restore]"
        ).click()
    reporter.goto(f"/pin/{pin_id}")
    reporter.goto(f"/board/{board}")
    assert pin_id in reporter.pin_ids()
