"""Discovery in a real browser: impressions after 1 s in view, close-ups, "More like this", stats, hide."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.e2e.live import LiveServer
from tests.factories import image_bytes

from pinhaven.events.models import EngagementEvent

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("discovery-images")
    paths = []
    for seed in range(4):
        path = folder / f"photo{seed}.jpg"
        path.write_bytes(image_bytes(size=(400, 300), seed=300 + seed))
        paths.append(path)
    return paths


def events(live: LiveServer, **where: Any) -> list[EngagementEvent]:
    with live.ctx.read_sessions() as db:
        query = select(EngagementEvent)
        for name, value in where.items():
            query = query.where(getattr(EngagementEvent, name) == value)
        return list(db.scalars(query))


def wait_for(page: Any, check: Any, timeout: float = 15.0) -> Any:
    """Poll the server's database; wait in the browser (a sync Playwright page stalls while Python sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        page.wait_for_timeout(200)
    raise AssertionError("timed out waiting for the browser's events")


def test_feed_impressions_closeups_related_stats_and_hide(
    visitors: Any, live: LiveServer, images: list[Path]
) -> None:
    ann, ben = visitors(), visitors()
    ann.signup("dana")
    board = ann.create_board("Desks")
    pins = ann.upload(images, board, title="Desk")
    ben.signup("eli")
    ben.page.click(".topic-chip:has-text('Food')")  # the "pick 3 topics" step on the first home page
    ben.page.click(".topic-chip:has-text('Travel')")
    ben.page.click(".topic-chip:has-text('Nature')")
    with ben.page.expect_navigation():
        ben.page.click(".topic-form button:has-text('Done')")
    assert ben.page.locator(".topic-picker").count() == 0
    request_id = ben.page.get_attribute("[data-surface=home]", "data-request-id")
    assert request_id and set(pins) <= set(ben.pin_ids())
    # Impressions: cards in view for a second, flushed within the batching delay (or on leaving).
    seen = wait_for(ben.page, lambda: events(live, type="impression", surface="home") or None)
    assert {e.request_id for e in seen} == {request_id} and all(e.meta for e in seen)
    assert all(e.meta and e.meta["source"] for e in seen)
    # Opening a card reports a close-up attributed to the feed slot it came from.
    first = ben.page.locator(".pin-card a.pin-link").first
    opened = first.get_attribute("href").rsplit("/", 1)[1]
    with ben.page.expect_navigation():
        first.click()
    closeup = wait_for(ben.page, lambda: events(live, type="closeup", pin_id=int(opened)) or None)
    assert closeup[0].surface == "home" and closeup[0].request_id == request_id
    # "More like this" fills in from the board's other pins.
    ben.page.locator("[data-related-for] .pin-card").first.wait_for()
    related = ben.page.eval_on_selector_all(
        "[data-related-for] .pin-link", "els => els.map(a => a.getAttribute('href'))"
    )
    assert {r.rsplit("/", 1)[1] for r in related} == set(pins) - {opened}
    assert ben.page.locator("[data-slot=pin-stats]").count() == 0  # not the owner
    # The owner's pin page loads the stats panel in place of the link.
    ann.goto(f"/pin/{opened}")
    ann.page.locator("[data-stats-panel]").wait_for()
    assert ann.page.locator("[data-stats-panel] svg").count() == 1
    # Hide from the home feed: the card goes, and the next feed leaves the pin out.
    ben.goto("/")
    card = ben.page.locator(".pin-card", has=ben.page.locator(f"a[href='/pin/{pins[0]}']"))
    card.hover()
    card.locator(".hide-pin").click()
    card.wait_for(state="hidden")
    wait_for(ben.page, lambda: events(live, type="hide", pin_id=int(pins[0])) or None)
    ben.goto("/")
    assert pins[0] not in ben.pin_ids()
