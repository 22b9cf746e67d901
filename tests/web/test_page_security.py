"""Security properties of every page: CSP without inline script or style, escaping, error pages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from tests.web.helpers import WebClient

from pinhaven.web import routes_home

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER_ATTR = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def _pages(ann: WebClient) -> list[str]:
    board = ann.create_board("Kitchens")
    pin = ann.upload(board, seed=1, title="Tiles")
    return [
        "/",
        "/search?q=tiles",
        pin["url"],
        f"{pin['url']}/edit",
        f"{pin['url']}/save",
        f"{pin['url']}/delete",
        f"/board/{board}",
        f"/board/{board}/edit",
        f"/board/{board}/delete",
        "/boards/new",
        "/u/ann",
        "/u/ann/created",
        "/u/ann/saved",
        "/u/ann/followers",
        "/u/ann/following",
        "/pin-builder",
        "/settings/profile",
        "/settings/password",
        "/settings/tokens",
        "/no/such/page",
    ]


def test_every_page_sends_a_strict_csp_and_has_no_inline_code(ann: WebClient) -> None:
    for path in _pages(ann):
        response = ann.get(path)
        assert response.status_code in (200, 404), path
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert not INLINE_SCRIPT.search(response.text), path
        assert not HANDLER_ATTR.search(response.text), path
        assert not STYLE_ATTR.search(response.text), path
        for tag in re.findall(r"<img\b[^>]*>", response.text):
            assert re.search(r'\balt="[^"]+"', tag), (path, tag)


def test_user_text_is_escaped(ann: WebClient, visitor: WebClient) -> None:
    board = ann.create_board("<script>alert(1)</script>")
    pin = ann.upload(board, seed=2, title='"><img src=x onerror=alert(1)>', description="<b>bold</b>")
    for path in (pin["url"], f"/board/{board}", "/u/ann", "/"):
        html = visitor.get(path).text
        assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in visitor.get(f"/board/{board}").text
    assert visitor.get("/search?q=<svg onload=x>").text.count("<svg onload") == 0


def test_not_found_and_forbidden_pages_are_styled(visitor: WebClient, ann: WebClient, ben: WebClient) -> None:
    missing = visitor.get("/pin/123")
    assert missing.status_code == 404 and "We couldn" in missing.text and "site-header" in missing.text
    board = ann.create_board("Kitchens")
    forbidden = ben.get(f"/board/{board}/edit")
    assert forbidden.status_code == 403 and "You can" in forbidden.text
    assert 'href="/u/ben"' in forbidden.text  # still signed in in the header
    bad_bookmark = visitor.get("/?bookmark=garbage!")
    assert bad_bookmark.status_code == 400 and "bookmark" in bad_bookmark.text


def test_unexpected_errors_show_a_500_page_without_details(
    visitor: WebClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(routes_home.feeds, "following_then_recent", broken)
    response = visitor.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "secret internal detail" not in response.text and "Traceback" not in response.text


def test_api_errors_stay_json(client: TestClient) -> None:
    response = client.get("/v5/pins/1", headers={"Accept": "text/html"})
    assert response.headers["content-type"].startswith("application/json")


def test_static_assets_are_versioned_and_cached(client: TestClient) -> None:
    page = client.get("/", headers={"Accept": "text/html"}).text
    for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        response = client.get(url.replace("&amp;", "&"))
        assert response.status_code == 200
        assert "immutable" in response.headers["cache-control"]
