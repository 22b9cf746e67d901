"""Two people in two browser contexts (headless Chromium): Ben follows Ann, saves her pin, comments with a
mention and sends her the pin; Ann's bell counts up without a reload (Server-Sent Events), she opens the inbox and replies; she
invites Ben to a secret board, his bell counts up, he accepts from the inbox and sees the board."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from tests.factories import image_bytes

pytestmark = pytest.mark.browser

_names = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}{next(_names)}"


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("images") / "photo.jpg"
    path.write_bytes(image_bytes(size=(480, 360), seed=77))
    return path


def bell_shows(visitor: Any, count: int) -> None:
    visitor.page.wait_for_function(
        "n => document.querySelector('[data-bell]').getAttribute('data-unread') === String(n)", arg=count
    )
    text = visitor.page.inner_text("[data-bell-count]") if count else ""
    assert text == (str(count) if count else "")


def test_follow_comment_mention_message_and_invite_reach_the_bell_live(visitors: Any, photo: Path) -> None:
    ann, ben = visitors(), visitors()
    ann_name, ben_name = unique("ann"), unique("ben")
    ann.signup(ann_name)
    (pin_id,) = ann.upload([photo], ann.create_board("Originals"), title="Round table")
    secret = ann.create_board("Planning", secret=True)
    ben.signup(ben_name)
    ben_board = ben.create_board("Ideas")

    ann.goto("/")  # Ann keeps this page open; nothing below reloads it
    ann.page.wait_for_selector("[data-bell][data-live=sse]")
    bell_shows(ann, 0)

    ben.goto(f"/u/{ann_name}")
    with ben.page.expect_navigation():
        ben.page.click(".profile-actions button:has-text('Follow')")
    bell_shows(ann, 1)

    ben.goto(f"/pin/{pin_id}")  # saves it to his board
    ben.page.click("[data-open-dialog=save-dialog]")
    dialog = ben.page.locator("#save-dialog")
    dialog.locator("select[name=board_id]").select_option(ben_board)
    with ben.page.expect_navigation():
        dialog.locator("button[type=submit]").click()
    bell_shows(ann, 2)

    form = ben.page.locator("[data-comment-form]")
    form.locator("textarea").fill(f"Lovely, @{ann_name}!")
    with ben.page.expect_navigation():
        form.locator("button[type=submit]").click()
    ben.page.wait_for_selector("[data-comment-text]")
    assert ben.page.locator(f"[data-comment-text] a.mention[href='/u/{ann_name}']").count() == 1
    bell_shows(ann, 3)

    with ben.page.expect_navigation():
        ben.page.click("[data-send-pin]")
    ben.page.fill("[data-new-message] input[name=usernames]", ann_name)
    ben.page.fill("[data-new-message] textarea[name=text]", "For your dining room")
    with ben.page.expect_navigation():
        ben.page.click("[data-new-message] button[type=submit]")
    assert re.search(r"/messages/\d+$", ben.page.url)
    bell_shows(ann, 4)

    # Ann opens the inbox from the bell
    with ann.page.expect_navigation():
        ann.page.click("[data-bell]")
    texts = ann.page.locator("[data-notification-text]").all_inner_texts()
    assert texts == [
        f"{ben_name} sent you a message",
        f"{ben_name} commented on your pin",
        f"{ben_name} saved your pin",
        f"{ben_name} started following you",
    ]
    with ann.page.expect_navigation():
        ann.page.click("[data-type=comment] button")
    ann.page.wait_for_url(re.compile(rf"/pin/{pin_id}"))
    ann.page.wait_for_selector("[data-comment-text]")
    ann.page.click(".reply summary")
    reply = ann.page.locator(".reply form")
    reply.locator("textarea").fill("Thank you!")
    with ann.page.expect_navigation():
        reply.locator("button[type=submit]").click()
    ann.page.wait_for_selector(".comment-replies [data-comment-text]")
    bell_shows(ann, 3)  # the comment she opened is read

    # Ann invites Ben to her secret board; Ben's open page counts up; he accepts from his inbox
    ben.goto("/")
    ben.page.wait_for_selector("[data-bell][data-live=sse]")
    bell_shows(ben, 1)  # Ann's reply
    ann.goto(f"/board/{secret}/edit")
    ann.page.fill("#invite", ben_name)
    with ann.page.expect_navigation():
        ann.page.click("form[action$='/collaborators'] button[type=submit]")
    bell_shows(ben, 2)
    with ben.page.expect_navigation():
        ben.page.click("[data-bell]")
    with ben.page.expect_navigation():
        ben.page.click("[data-type=invite] button")
    assert ben.page.url.endswith("/invitations")
    assert "Planning" in ben.page.inner_text("[data-invitations-received]")
    with ben.page.expect_navigation():
        ben.page.click("[data-invitations-received] button:has-text('Accept')")
    assert ben.page.url.endswith(f"/board/{secret}")
    assert "Planning" in ben.page.inner_text("h1")


def test_the_bell_falls_back_to_polling_when_the_stream_fails(visitors: Any, live: Any) -> None:
    ann, ben = visitors(), visitors()
    ann_name, ben_name = unique("ann"), unique("ben")
    ann.signup(ann_name)
    ben.signup(ben_name)
    stream = f"{live.base_url}/notifications/stream"
    ann.allowed.add(stream)  # its 503 is this test's doing, not a page error
    ann.page.route(stream, lambda route: route.fulfill(status=503, body="unavailable"))
    ann.page.add_init_script("window.PINHAVEN_POLL_MS = 300")
    ann.goto("/")
    ann.page.wait_for_selector("[data-bell][data-live=polling]")
    bell_shows(ann, 0)
    ben.goto(f"/u/{ann_name}")
    with ben.page.expect_navigation():
        ben.page.click(".profile-actions button:has-text('Follow')")
    bell_shows(ann, 1)
    assert ann.page.get_attribute("[data-bell]", "data-live") == "polling"
