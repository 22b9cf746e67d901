"""The "Save from website" page, the bookmarklet settings page and the bookmarklet's popup."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from tests.ingest_flows.fake_web import FakeWeb
from tests.web.helpers import WebClient

from pinhaven.context import AppContext
from pinhaven.pins.models import Pin

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER_ATTR = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def _board_option(html: str, name: str) -> str:
    found = re.search(r'<option value="(\d+)"[^>]*>' + re.escape(name), html)
    assert found, f"no board option {name!r}"
    return found.group(1)


def _assert_strict_page(response_text: str, csp: str) -> None:
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert not INLINE_SCRIPT.search(response_text)
    assert not HANDLER_ATTR.search(response_text)
    for tag in re.findall(r"<img\b[^>]*>", response_text):
        assert re.search(r'\balt="[^"]+"', tag), tag


def test_save_from_website_shows_the_candidates_and_saves_the_picked_one(
    ann: WebClient, ctx: AppContext, web: FakeWeb
) -> None:
    ann.create_board("Cats")
    builder = ann.get("/pin-builder")
    assert 'href="/pin-builder/website"' in builder.text  # linked from the create page
    page = ann.get(f"/pin-builder/website?url={quote(web.url('/og'))}")
    assert page.status_code == 200, page.text
    _assert_strict_page(page.text, page.headers["content-security-policy"])
    assert "img-src 'self' data: blob: https: http:" in page.headers["content-security-policy"]
    assert page.text.count('class="ingest-candidate"') == 2
    assert f'value="{web.url("/img/cat.jpg")}" checked' in page.text
    assert 'value="A very good cat"' in page.text and "Cats Weekly" in page.text
    board = _board_option(page.text, "Cats")
    saved = ann.post(
        "/pin-builder/website",
        {
            "url": web.url("/og"),
            "image_url": web.url("/img/other.jpg"),
            "board_id": board,
            "title": "Edited title",
            "description": "",
        },
    )
    assert saved.status_code == 303, saved.text
    pin_id = int(saved.headers["location"].rsplit("/", 1)[1])
    with ctx.sessions() as db:
        pin = db.get(Pin, pin_id)
        assert pin is not None
        assert (pin.title, pin.description, pin.link) == (
            "Edited title",
            "Orange cat on a sofa.",
            f"{web.base}/articles/cat?id=7",
        )


def test_save_from_website_reports_a_bad_url_on_the_page(ann: WebClient, web: FakeWeb) -> None:
    board = ann.create_board("Cats")
    page = ann.get(f"/pin-builder/website?url={quote(web.url('/text'))}")
    assert page.status_code == 400 and "neither a web page nor an image" in page.text
    failed = ann.post(
        "/pin-builder/website",
        {"url": web.url("/og"), "image_url": web.url("/img/fake.jpg"), "board_id": board},
    )
    assert failed.status_code == 400 and "is not an image" in failed.text


def test_bookmarklet_page_offers_a_javascript_link_to_the_popup(ann: WebClient) -> None:
    page = ann.get("/settings/bookmarklet")
    assert page.status_code == 200
    link = re.search(r'<a class="btn btn-primary btn-large" href="([^"]+)"', page.text)
    assert link is not None
    code = link.group(1).replace("&#39;", "'").replace("&#34;", '"').replace("&amp;", "&")
    assert code.startswith("javascript:(function(){")
    assert "'http://testserver/ext/v1/save?url='+encodeURIComponent(location.href)" in code
    assert "&media='+encodeURIComponent(m)" in code and "noopener" in code
    assert (
        'href="/settings/bookmarklet"' in ann.get("/settings/profile").text
    )  # linked from the settings menu
    _assert_strict_page(page.text, page.headers["content-security-policy"])


def test_popup_sends_visitors_to_log_in_and_back(visitor: WebClient, web: FakeWeb) -> None:
    path = f"/ext/v1/save?url={quote(web.url('/og'))}&media={quote(web.url('/img/cat.jpg'))}"
    response = visitor.get(path)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/login?next=") and unquote(location.split("=", 1)[1]) == path


def test_popup_picks_a_board_and_saves_with_csrf(ann: WebClient, ctx: AppContext, web: FakeWeb) -> None:
    ann.create_board("Inspiration")
    popup = ann.get(
        f"/ext/v1/save?url={quote(web.url('/og'))}&media={quote(web.url('/img/cat.jpg'))}&title=Cat%20page"
    )
    assert popup.status_code == 200, popup.text
    _assert_strict_page(popup.text, popup.headers["content-security-policy"])
    assert "/static/ingest.js" in popup.text and 'name="csrf_token"' in popup.text
    assert f'src="{web.url("/img/cat.jpg")}"' in popup.text and 'referrerpolicy="no-referrer"' in popup.text
    assert web.hits == []  # with media given, the popup shows it without reading the page
    board = _board_option(popup.text, "Inspiration")
    form = {
        "url": web.url("/og"),
        "image_url": web.url("/img/cat.jpg"),
        "board_id": board,
        "title": "Cat page",
    }
    forged = ann.post("/ext/v1/save", form, csrf=False)
    assert forged.status_code == 403
    saved = ann.post("/ext/v1/save", form)
    assert saved.status_code == 201 and "Saved!" in saved.text and "data-close-window" in saved.text
    with ctx.sessions() as db:
        pins = db.query(Pin).all()
    assert [(p.title, p.link, p.description) for p in pins] == [
        ("Cat page", f"{web.base}/articles/cat?id=7", "Orange cat on a sofa.")
    ]


def test_popup_without_media_lists_the_page_images(ann: WebClient, web: FakeWeb) -> None:
    ann.create_board("Inspiration")
    popup = ann.get(f"/ext/v1/save?url={quote(web.url('/srcset'))}")
    assert popup.status_code == 200
    assert f'value="{web.url("/img/g-1440.jpg")}"' in popup.text and 'value="Gallery"' in popup.text
    # "All images on the page" reads the page even though the bookmarklet named one image
    every = ann.get(f"/ext/v1/save?url={quote(web.url('/og'))}&media={quote(web.url('/img/cat.jpg'))}&all=1")
    assert every.text.count('class="ingest-candidate"') == 2 and "/og" in web.hits
