"""Visual search in a real browser: the pin page's crop box (mouse and touch), search by image, privacy.

The corpus is colour-coded so the expected ranking is unambiguous for the weight-free builtin embedder: the
query pin is a textured red picture with a blue square in its top-left corner; the whole picture looks most
like the plain red pin, its blue corner most like the plain blue pin.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select
from tests.e2e.conftest import PASSWORD, Visitor
from tests.e2e.live import LiveServer
from tests.e2e.test_discovery_browser import wait_for

from pinhaven.pins.models import Pin
from pinhaven.search.visual.models import ImageEmbedding

pytestmark = pytest.mark.browser

SIMILAR = "[data-visual-for] [data-visual-results] a"
CORNER = 0.4  # the blue square covers this fraction of the query picture's width and height, top left
DRAG = (0.04, 0.06, 0.34, 0.36)  # the dragged rectangle (x0, y0, x1, y1), normalised: inside the corner


def textured(colour: tuple[int, int, int], seed: int, size: tuple[int, int] = (480, 360)) -> Image.Image:
    """A plain colour with darker and lighter blobs (texture keeps the layout descriptors meaningful)."""
    rng = random.Random(seed)
    img = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(img)
    for _ in range(14):
        x, y, r = rng.randrange(size[0]), rng.randrange(size[1]), rng.randrange(10, 50)
        shade = tuple(max(0, min(255, c + rng.randrange(-70, 70))) for c in colour)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=shade)
    return img


def blue_corner() -> Image.Image:
    img = textured((200, 30, 30), seed=5)
    patch = textured((30, 50, 210), seed=6).resize((int(img.width * CORNER), int(img.height * CORNER)))
    img.paste(patch, (0, 0))
    return img


@dataclass(frozen=True)
class Corpus:
    owner: str  # public board: the query pin and the plain colours
    other: str  # a secret board: a copy of the owner's blue picture, and a re-encoded one
    pins: dict[str, str]  # name → pin id
    secret: set[str]  # the ids of the other user's secret pins


def embedded(live: LiveServer, pin_ids: list[str]) -> bool:
    """Whether every pin's image has its vector (the live server's worker threads compute them)."""
    with live.ctx.read_sessions() as db:
        image_ids = set(db.scalars(select(Pin.image_id).where(Pin.id.in_([int(p) for p in pin_ids]))))
        done = set(db.scalars(select(ImageEmbedding.image_id).where(ImageEmbedding.image_id.in_(image_ids))))
    return bool(image_ids) and done == image_ids


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, browser: Any, live: LiveServer) -> Iterator[Corpus]:
    folder = tmp_path_factory.mktemp("visual-images")
    pictures = {
        "query": blue_corner(),
        "red": textured((200, 30, 30), seed=1),
        "blue": textured((30, 50, 210), seed=2),
        "green": textured((40, 170, 60), seed=3),
        "yellow": textured((230, 210, 40), seed=4),
    }
    paths = {}
    for name, img in pictures.items():
        paths[name] = folder / f"{name}.png"
        img.save(paths[name])
    reencoded = folder / "blue-copy.jpg"  # another image (other bytes), looking just like the blue one
    pictures["blue"].save(reencoded, quality=80)
    desktop = {"width": 1280, "height": 900}
    ula, vik = opened = [Visitor(browser, live.base_url, desktop) for _ in range(2)]
    try:
        # vik's secret pins come first: lower ids, so a leak would put them ahead of ula's own copy
        vik.signup("vik")
        hidden = vik.create_board("Hidden", secret=True)
        secret = vik.upload([paths["blue"], reencoded], hidden, title="Secret")
        ula.signup("ula")
        order = ["query", "red", "blue", "green", "yellow"]
        ids = dict(
            zip(order, ula.upload([paths[n] for n in order], ula.create_board("Colours")), strict=True)
        )
        wait_for(ula.page, lambda: embedded(live, [*ids.values(), *secret]), timeout=60)
        assert not ula.errors and not vik.errors, ula.errors + vik.errors
    finally:
        for visitor in opened:
            visitor.context.close()
    yield Corpus(owner="ula", other="vik", pins=ids, secret=set(secret))


def log_in(visitor: Any, username: str) -> None:
    visitor.goto("/login")
    visitor.page.fill("input[name=login]", username)
    visitor.page.fill("input[name=password]", PASSWORD)
    with visitor.page.expect_navigation():
        visitor.page.click("form[action='/login'] button[type=submit]")


def similar_ids(page: Any) -> list[str]:
    return list(page.eval_on_selector_all(SIMILAR, "els => els.map(a => a.getAttribute('data-pin-id'))"))


def first_similar_is(page: Any, pin_id: str) -> None:
    page.wait_for_function(
        "([sel, id]) => { const a = document.querySelector(sel); return a && a.getAttribute('data-pin-id') === id; }",
        arg=[SIMILAR, pin_id],
    )


def is_crop_search(request: Any) -> bool:
    if request.method != "POST" or "/ext/v1/search/visual" not in request.url:
        return False
    body = request.post_data_json
    return isinstance(body, dict) and "crop" in body


def drag_over_corner(visitor: Any) -> dict[str, float]:
    """Drag the mouse (pointer events) across the blue corner; returns the crop the page sent."""
    page = visitor.page
    box = page.locator(".closeup-media img").bounding_box()
    x0, y0, x1, y1 = DRAG
    with page.expect_request(is_crop_search) as sent, page.expect_response(is_crop_response):
        page.mouse.move(box["x"] + x0 * box["width"], box["y"] + y0 * box["height"])
        page.mouse.down()
        page.mouse.move(box["x"] + x1 * box["width"], box["y"] + y1 * box["height"], steps=8)
        page.mouse.up()
    crop: dict[str, float] = sent.value.post_data_json["crop"]
    return crop


def is_crop_response(response: Any) -> bool:
    return is_crop_search(response.request) and response.status == 200


def assert_matches_drag(crop: dict[str, float], tolerance: float = 0.02) -> None:
    x0, y0, x1, y1 = DRAG
    expected = {"x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0}
    assert set(crop) == set(expected), crop
    for key, value in expected.items():
        assert abs(crop[key] - value) <= tolerance, (key, crop, expected)


def test_dragging_a_crop_box_searches_that_region(visitors: Any, corpus: Corpus) -> None:
    ann = visitors()
    log_in(ann, corpus.owner)
    pins = corpus.pins
    ann.goto(f"/pin/{pins['query']}")
    # The whole picture first: the red pin is the closest, the pin itself is not listed.
    first_similar_is(ann.page, pins["red"])
    assert ann.page.locator("[data-visual-for]").is_visible()
    assert pins["query"] not in similar_ids(ann.page)
    assert ann.page.locator("[data-visual-reset]").is_hidden()
    crop = drag_over_corner(ann)
    assert_matches_drag(crop)
    first_similar_is(ann.page, pins["blue"])
    assert ann.page.locator(".crop-box").is_visible()
    drawn = ann.page.locator(".crop-box").bounding_box()
    image = ann.page.locator(".closeup-media img").bounding_box()
    assert abs(drawn["width"] / image["width"] - crop["w"]) < 0.02
    # "Whole image" puts the first results back.
    ann.page.locator("[data-visual-reset]").click()
    first_similar_is(ann.page, pins["red"])
    assert ann.page.locator(".crop-box").is_hidden()
    # A click (no drag) is not a crop: no search is sent.
    sent: list[Any] = []
    ann.page.on("request", lambda r: sent.append(r) if is_crop_search(r) else None)
    ann.page.locator(".closeup-media img").click()
    ann.page.wait_for_timeout(300)
    assert not sent


def test_search_by_image_upload_finds_the_matching_pin(visitors: Any, corpus: Corpus, tmp_path: Path) -> None:
    visitor = visitors()  # signed out: the search page works for anyone
    visitor.goto("/search")
    query = tmp_path / "green-photo.jpg"
    textured((40, 170, 60), seed=3).resize((360, 270)).save(query, quality=70)  # a smaller, lossy re-save
    visitor.page.set_input_files("[data-visual-upload] input[type=file]", str(query))
    with visitor.page.expect_response(lambda r: "/ext/v1/search/visual" in r.url) as answered:
        visitor.page.click("[data-visual-upload] button[type=submit]")
    assert answered.value.status == 200
    cards = visitor.page.locator("main [data-visual-results] a")
    cards.first.wait_for()
    assert cards.first.get_attribute("data-pin-id") == corpus.pins["green"]
    assert "similar pins" in visitor.page.inner_text("[data-visual-status]")
    shown = cards.evaluate_all("els => els.map(a => a.getAttribute('data-pin-id'))")
    assert not corpus.secret & set(shown)


def test_crop_results_never_show_another_users_secret_pins(visitors: Any, corpus: Corpus) -> None:
    ann, ben = visitors(), visitors()
    log_in(ann, corpus.owner)
    log_in(ben, corpus.other)
    query = corpus.pins["query"]
    for visitor in (ann, ben):
        visitor.goto(f"/pin/{query}")
        first_similar_is(visitor.page, corpus.pins["red"])
        drag_over_corner(visitor)
    # ann sees her own blue pin; neither of ben's secret copies (same image, or a re-encoded one)
    first_similar_is(ann.page, corpus.pins["blue"])
    assert not corpus.secret & set(similar_ids(ann.page))
    # ben, who may see his secret board, gets them: the same search would leak them if it did not filter
    ben.page.wait_for_function(
        "([sel, ids]) => { const top = [...document.querySelectorAll(sel)].slice(0, 2)"
        ".map(a => a.getAttribute('data-pin-id')); return top.length === 2 && top.every(i => ids.includes(i)); }",
        arg=[SIMILAR, sorted(corpus.secret)],
    )


def touch_drag(visitor: Any) -> dict[str, float]:
    """Drag one finger across the blue corner as a touch screen does (the browser may claim it to scroll)."""
    page = visitor.page
    cdp = visitor.context.new_cdp_session(page)
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1})
    box = page.locator(".closeup-media img").bounding_box()
    x0, y0, x1, y1 = DRAG

    def finger(f: float) -> list[dict[str, float]]:
        x, y = x0 + f * (x1 - x0), y0 + f * (y1 - y0)
        return [{"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"]}]

    with page.expect_request(is_crop_search, timeout=5_000) as sent, page.expect_response(is_crop_response):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": finger(0)})
        for step in range(1, 9):
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": finger(step / 8)})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    crop: dict[str, float] = sent.value.post_data_json["crop"]
    return crop


def test_crop_box_works_on_a_phone_with_touch_and_mouse(visitors: Any, corpus: Corpus) -> None:
    phone = visitors({"width": 360, "height": 740})  # signed out: crops of a public pin work for anyone
    pins = corpus.pins
    phone.goto(f"/pin/{pins['query']}")
    first_similar_is(phone.page, pins["red"])
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 360
    # a mouse (page.mouse sends pointer events of type "mouse")
    assert_matches_drag(drag_over_corner(phone))
    first_similar_is(phone.page, pins["blue"])
    phone.page.locator("[data-visual-reset]").click()
    first_similar_is(phone.page, pins["red"])
    # a finger: the drag draws the box instead of scrolling the page. Clicking reset scrolled down to it (topics
    # and comments now sit between the picture and "Visually similar"): back to the picture first, as a person would.
    phone.page.locator(".closeup-media img").scroll_into_view_if_needed()
    scrolled = phone.page.evaluate("window.scrollY")
    assert_matches_drag(touch_drag(phone), tolerance=0.03)
    first_similar_is(phone.page, pins["blue"])
    assert phone.page.locator(".crop-box").is_visible()
    assert phone.page.evaluate("window.scrollY") == scrolled
