"""End-to-end flows in headless Chromium against the real app served by uvicorn."""

from __future__ import annotations

import itertools
import re
import time
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.live import LiveServer
from tests.factories import image_bytes

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.scopes import session_viewer
from pinhaven.db.engine import session_scope
from pinhaven.media import service as media_service
from pinhaven.pins import service as pins_service

pytestmark = pytest.mark.browser

_names = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}{next(_names)}"


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("images")
    paths = []
    for seed, size in enumerate([(640, 480), (480, 720), (600, 600), (500, 800), (800, 450)]):
        path = folder / f"photo{seed}.jpg"
        path.write_bytes(image_bytes(size=size, seed=100 + seed))
        paths.append(path)
    return paths


def seed_pins(live: LiveServer, username: str, board_id: str, count: int, start: int = 0) -> None:
    """Many pins quickly, through the same services the pages use (for scrolling tests)."""
    ctx = live.ctx
    with session_scope(ctx.sessions) as db:
        user = accounts_service.get_by_username_or_raise(db=db, username=username)
        for i in range(start, start + count):
            size = (400, [300, 500, 600, 400][i % 4])
            data = image_bytes(size=size, seed=1000 + i)
            image = media_service.ingest_bytes(
                db=db, store=media_service.media_store(ctx), settings=ctx.settings, data=data
            )
            pins_service.create(
                db=db,
                viewer=session_viewer(user.id),
                board_id=int(board_id),
                image=image,
                fields=pins_service.PinFields(title=f"Seeded {i}"),
            )


def test_sign_up_create_board_upload_two_images_and_see_them(visitors: Any, images: list[Path]) -> None:
    ann = visitors()
    name = unique("ann")
    ann.signup(name)
    board = ann.create_board("Kitchens")
    pin_ids = ann.upload(images[:2], board, title="Tiles")
    assert len(pin_ids) == 2
    ann.goto(f"/board/{board}")
    assert sorted(ann.pin_ids()) == sorted(pin_ids)
    ann.page.wait_for_function("() => [...document.querySelectorAll('.pin-card img')].every(i => i.complete)")
    assert ann.images_loaded(".pin-card img")
    assert ann.page.locator(".masonry.is-ready").count() == 1
    stranger = visitors()
    stranger.goto("/")
    assert set(pin_ids) <= set(stranger.pin_ids())
    assert stranger.page.locator("text=Sign up free").count() == 1


def test_second_user_saves_a_pin_and_counts_and_parent_link_update(visitors: Any, images: list[Path]) -> None:
    ann, ben = visitors(), visitors()
    ann_name, ben_name = unique("ann"), unique("ben")
    ann.signup(ann_name)
    (pin_id,) = ann.upload([images[2]], ann.create_board("Originals"), title="Round table")
    ben.signup(ben_name)
    ben_board = ben.create_board("Ideas")
    ben.goto(f"/pin/{pin_id}")
    assert ben.page.inner_text("[data-save-count]") == "0"
    ben.page.click("[data-open-dialog=save-dialog]")
    dialog = ben.page.locator("#save-dialog")
    assert dialog.is_visible()
    dialog.locator("select[name=board_id]").select_option(ben_board)
    with ben.page.expect_navigation():
        dialog.locator("button[type=submit]").click()
    assert "Saved to" in ben.page.inner_text(".notice")
    assert ben.page.inner_text("[data-save-count]") == "1"
    ben.page.click(".notice a")
    ben.page.wait_for_url(re.compile(rf"/board/{ben_board}$"))
    assert ben.page.inner_text("[data-pin-count]") == "1"
    ben.page.click(".pin-link")
    ben.page.wait_for_url(re.compile(r"/pin/\d+$"))
    parent = ben.page.locator("[data-parent-pin]")
    assert parent.get_attribute("href") == f"/pin/{pin_id}"
    ben.goto(f"/u/{ben_name}/saved")
    assert len(ben.pin_ids()) == 1


def test_following_puts_the_followed_users_new_pin_on_home(visitors: Any, images: list[Path]) -> None:
    ann, ben = visitors(), visitors()
    ann_name, ben_name = unique("ann"), unique("ben")
    ann.signup(ann_name)
    board = ann.create_board("Fresh")
    ben.signup(ben_name)
    ben.goto(f"/u/{ann_name}")
    with ben.page.expect_navigation():
        ben.page.click(".profile-actions button:has-text('Follow')")
    assert ben.page.inner_text("[data-follower-count]") == "1"
    assert ben.page.locator(".profile-actions button:has-text('Following')").count() == 1
    (new_pin,) = ann.upload([images[3]], board, title="Brand new")
    ben.goto("/")
    assert ben.pin_ids()[0] == new_pin


def test_secret_board_is_invisible_to_others_on_every_page(visitors: Any, images: list[Path]) -> None:
    ann, ben = visitors(), visitors()
    ann_name, ben_name = unique("ann"), unique("ben")
    ann.signup(ann_name)
    secret = ann.create_board("Surprise party", secret=True)
    (pin_id,) = ann.upload([images[4]], secret, title="Zebracake")
    ann.goto(f"/board/{secret}")
    assert ann.page.locator(".lock-badge [aria-label='Secret board']").count() == 1
    media_url = ann.page.get_attribute(".pin-card img", "src")
    assert media_url and media_url.startswith("/media/")
    # The search index is filled by a background job: wait until the owner finds the pin, so that the
    # stranger's empty result below proves privacy rather than an index that is not ready yet.
    deadline = time.monotonic() + 30
    while True:
        ann.goto("/search?q=zebracake")
        if ann.pin_ids() == [pin_id] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert ann.pin_ids() == [pin_id]
    ben.signup(ben_name)
    ben.goto("/")
    assert pin_id not in ben.pin_ids()
    ben.goto(f"/u/{ann_name}")
    assert "Surprise party" not in ben.page.content()
    ben.goto(f"/u/{ann_name}/created")
    assert pin_id not in ben.pin_ids()
    ben.goto(f"/board/{secret}", status=404)
    assert "We couldn" in ben.page.inner_text("main")
    ben.goto(f"/pin/{pin_id}", status=404)
    ben.goto("/search?q=zebracake")
    assert ben.pin_ids() == []
    media = ben.context.request.get(media_url)
    assert media.status == 404
    assert media_url not in ben.page.content()


def test_a_post_without_the_csrf_token_is_refused(visitors: Any, live: LiveServer) -> None:
    ann = visitors()
    name = unique("ann")
    ann.signup(name)
    # Same cookies as the signed-in page, but no token: what a forged cross-site form would send.
    response = ann.context.request.post(
        live.base_url + "/boards", form={"name": "Forged"}, headers={"Accept": "text/html"}
    )
    assert response.status == 403 and "CSRF" in response.text()
    ann.goto(f"/u/{name}")
    assert "Forged" not in ann.page.content()
    # An attacker's page on another origin posting a form to us is refused the same way.
    ann.page.set_content(
        f'<form method="post" action="{live.base_url}/boards"><input name="name" value="Forged2"></form>'
    )
    ann.allowed.add(live.base_url + "/boards")
    with ann.page.expect_navigation():
        ann.page.eval_on_selector("form", "f => f.submit()")
    assert "CSRF" in ann.page.inner_text("body")
    ann.goto(f"/u/{name}")
    assert "Forged2" not in ann.page.content()


def test_mobile_layout_has_no_horizontal_scroll(visitors: Any, live: LiveServer, images: list[Path]) -> None:
    phone = visitors({"width": 360, "height": 740})
    name = unique("phone")
    phone.signup(name)
    board = phone.create_board("A board with a rather long name to test wrapping on small screens")
    (pin_id,) = phone.upload([images[0]], board, title="A pin title that is long enough to wrap on a phone")
    for path in (
        "/",
        f"/pin/{pin_id}",
        f"/board/{board}",
        f"/board/{board}/edit",
        f"/u/{name}",
        "/pin-builder",
        "/settings/tokens",
        "/settings/profile",
        "/search?q=pin",
    ):
        phone.goto(path)
        overflow = phone.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
    columns = phone.page.evaluate("document.querySelectorAll('.masonry-col').length")
    assert columns == 2
    phone.goto("/settings/tokens")  # with a token listed, the table must scroll inside its box
    phone.page.fill("input[name=name]", "A token with a long descriptive name")
    with phone.page.expect_navigation():
        phone.page.click("form[action='/settings/tokens'] button[type=submit]")
    assert phone.page.locator("#new-token").count() == 1
    assert phone.page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_masonry_never_shifts_and_infinite_scroll_appends(visitors: Any, live: LiveServer) -> None:
    ann = visitors()
    name = unique("scroll")
    ann.signup(name)
    board = ann.create_board("Lots")
    seed_pins(live, name, board, 40)
    ann.page.goto(live.base_url + f"/board/{board}", wait_until="domcontentloaded")
    ann.page.wait_for_selector(".masonry.is-ready")
    # Card positions in page coordinates, keyed by pin (DOM order changes as columns fill).
    boxes = (
        "Object.fromEntries([...document.querySelectorAll('.pin-card')].map(c => {"
        " const r = c.getBoundingClientRect();"
        " return [c.querySelector('.pin-link').getAttribute('href'),"
        " [Math.round(r.x), Math.round(r.y + window.scrollY), Math.round(r.height)]]; }))"
    )
    before = ann.page.evaluate(boxes)
    ann.page.wait_for_load_state("load")
    ann.page.wait_for_function(
        "() => [...document.querySelectorAll('.pin-card img')].slice(0, 12).every(i => i.complete && i.naturalWidth)"
    )
    assert ann.page.evaluate(boxes) == before  # images arrived without moving any card
    colours = ann.page.eval_on_selector_all(".pin-media", "els => els.map(e => e.style.backgroundColor)")
    assert all(colours)  # dominant-colour placeholders painted
    assert len(ann.pin_ids()) == 30
    ann.page.mouse.wheel(0, 20000)
    ann.page.wait_for_function("() => document.querySelectorAll('.pin-card').length === 40")
    after = ann.page.evaluate(boxes)
    assert {pin: after[pin] for pin in before} == before  # appending never moves what is already there
    assert len(set(ann.pin_ids())) == 40
    assert ann.page.locator("[data-next]").count() == 0


def test_keyboard_reaches_search_and_pins_with_visible_focus(visitors: Any, images: list[Path]) -> None:
    ann = visitors()
    ann.signup(unique("keys"))
    ann.upload([images[1]], ann.create_board("Keys"))
    ann.goto("/")
    reached = []
    for _ in range(12):
        ann.page.keyboard.press("Tab")
        reached.append(
            ann.page.evaluate(
                "(() => { const e = document.activeElement; const s = getComputedStyle(e);"
                " return [e.tagName, e.id || e.className, s.outlineStyle !== 'none' && s.outlineWidth !== '0px']; })()"
            )
        )
    names = [r[1] for r in reached]
    assert "skip-link" in names and "site-search" in names
    assert all(r[2] for r in reached), reached
    ann.page.focus("#site-search")
    ann.page.keyboard.type("keys")
    with ann.page.expect_navigation():
        ann.page.keyboard.press("Enter")
    assert "/search?q=keys" in ann.page.url


def test_builder_shows_inline_errors_for_rejected_files(visitors: Any, tmp_path: Path) -> None:
    ann = visitors()
    ann.signup(unique("builder"))
    board = ann.create_board("Uploads")
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"\xff\xd8\xff this is not a real jpeg")
    good = tmp_path / "good.jpg"
    good.write_bytes(image_bytes(seed=7))
    ann.goto("/pin-builder")
    ann.allowed.add(ann.base_url + "/web/api/pins")  # the refused file's 400 is expected
    ann.page.set_input_files("#builder-files", [str(fake), str(good)])
    assert ann.page.locator(".upload-item").count() == 2
    ann.page.select_option("select[name=board_id]", board)
    ann.page.click("[data-publish]")
    ann.page.locator(".upload-item.is-done").wait_for()
    error = ann.page.locator(".upload-item.is-error .upload-status")
    error.wait_for()
    assert error.inner_text().strip()
    assert "1 pin saved, 1 not." in ann.page.inner_text("[data-summary]")


def test_no_console_errors_on_any_page(visitors: Any, images: list[Path]) -> None:
    ann = visitors()
    name = unique("pages")
    ann.signup(name)
    board = ann.create_board("Everything")
    (pin_id,) = ann.upload([images[0]], board, title="Every page")
    for path in (
        "/",
        "/search?q=every",
        f"/pin/{pin_id}",
        f"/pin/{pin_id}/edit",
        f"/pin/{pin_id}/save",
        f"/pin/{pin_id}/delete",
        f"/board/{board}",
        f"/board/{board}/edit",
        f"/board/{board}/delete",
        "/boards/new",
        f"/u/{name}",
        f"/u/{name}/created",
        f"/u/{name}/saved",
        f"/u/{name}/followers",
        f"/u/{name}/following",
        "/pin-builder",
        "/settings/profile",
        "/settings/password",
        "/settings/tokens",
    ):
        ann.goto(path)
        ann.page.wait_for_load_state("networkidle")
    ann.goto("/no/such/page", status=404)
    anonymous = visitors()
    for path in ("/", "/login", "/signup", f"/pin/{pin_id}", f"/board/{board}", f"/u/{name}"):
        anonymous.goto(path)
    # The fixture fails the test on any console or script error seen above.
