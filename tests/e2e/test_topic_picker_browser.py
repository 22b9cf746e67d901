"""The topic picker in a real browser: picture tiles that wrap on a wide screen and fit a phone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.e2e.live import LiveServer
from tests.factories import image_bytes

from pinhaven.discovery.topics import forget_covers

pytestmark = pytest.mark.browser

BOARDS = ("Dinner food", "Beach travel", "Garden plants", "Poster art", "Forest nature", "Spring fashion")


def _columns(page: Any) -> tuple[int, int]:
    """(tiles in the first row, tiles) of the picker grid, from the tiles' laid-out boxes."""
    tops = page.eval_on_selector_all(
        ".topic-tile", "els => els.map(e => Math.round(e.getBoundingClientRect().top))"
    )
    return sum(1 for t in tops if t == tops[0]), len(tops)


def test_the_picker_is_a_grid_of_pictures_on_a_wide_screen_and_on_a_phone(
    visitors: Any, live: LiveServer, tmp_path: Path
) -> None:
    ann = visitors()
    ann.signup("tiles_owner")
    for index, name in enumerate(BOARDS):
        picture = tmp_path / f"{index}.jpg"
        picture.write_bytes(image_bytes(size=(400, 300), seed=700 + index))
        ann.upload([picture], ann.create_board(name))
    forget_covers()  # the server runs in this process: its picker would wait out the short cache
    wide = visitors({"width": 1280, "height": 900})
    wide.signup("tiles_wide")
    wide.page.locator(".topic-tile img").first.wait_for()
    assert wide.page.locator(".topic-tile img").count() == len(BOARDS)  # one picture per covered topic
    wide.page.wait_for_function("[...document.querySelectorAll('.topic-tile img')].every(i => i.complete)")
    assert wide.images_loaded(".topic-tile img")
    per_row, tiles = _columns(wide.page)
    assert tiles == 12 and per_row >= 5  # wraps into rows on a wide screen
    wide.page.screenshot(path=str(tmp_path / "topics-1280.png"))

    phone = visitors({"width": 360, "height": 740})
    phone.signup("tiles_phone")
    phone.page.wait_for_function("[...document.querySelectorAll('.topic-tile img')].every(i => i.complete)")
    per_row, _ = _columns(phone.page)
    assert per_row == 2
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    box = phone.page.locator(".topic-tile").first.bounding_box()
    assert box is not None and box["width"] >= 120  # big enough to tap
    # choosing works on a phone: tap three tiles, Done, and the feed follows without the picker
    for label in ("Food", "Travel", "Gardening"):
        phone.page.click(f".topic-chip:has-text('{label}')")
    assert phone.page.locator(".topic-tile input:checked").count() == 3
    phone.page.screenshot(path=str(tmp_path / "topics-360.png"), full_page=True)
    with phone.page.expect_navigation():
        phone.page.click(".topic-form button:has-text('Done')")
    assert phone.page.locator(".topic-picker").count() == 0 and phone.pin_ids()
