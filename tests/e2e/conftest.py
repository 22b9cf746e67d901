"""Browser-test fixtures: one live server per module, one headless Chromium per session, visitors per test.

Every page a test opens is watched: a console error or an uncaught script error fails the test (only the
404/403 responses a test asks for are allowed). A failing test leaves screenshots in test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.live import LiveServer, live_server

from pinhaven.config import load_settings

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("live")
    settings = load_settings(
        env={},
        data_dir=data_dir,
        password_hash_fast=True,
        worker_threads=1,
        secret_key="browser-tests",
        semantic_search=False,
    )
    with live_server(settings) as server:
        yield server


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


class Visitor:
    """One browser context (own cookies) with one page, its console watched."""

    def __init__(self, browser: Any, base_url: str, viewport: dict[str, int]) -> None:
        self.base_url = base_url
        self.context = browser.new_context(viewport=viewport, base_url=base_url)
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.allowed: set[str] = set()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"script error: {exc}"))

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if url in self.allowed and "status of" in message.text:
            return
        self.errors.append(f"{message.text} ({url})")

    def goto(self, path: str, status: int = 200) -> Any:
        """Open a page and check its status (an expected error status is not a console error)."""
        if status >= 400:
            self.allowed.add(self.base_url + path)
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status == status, (path, response and response.status)
        self.page.wait_for_load_state("load")
        return response

    def signup(self, username: str) -> None:
        self.goto("/signup")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=email]", f"{username}@example.test")
        self.page.fill("input[name=password]", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("form[action='/signup'] button[type=submit]")
        assert self.page.url == self.base_url + "/"

    def create_board(self, name: str, *, secret: bool = False) -> str:
        self.goto("/boards/new")
        self.page.fill("input[name=name]", name)
        if secret:
            self.page.check("input[name=secret]")
        with self.page.expect_navigation():
            self.page.click("form[action='/boards'] button[type=submit]")
        found = re.search(r"/board/(\d+)$", self.page.url)
        assert found, self.page.url
        return found.group(1)

    def upload(self, files: list[Path], board_id: str, title: str = "") -> list[str]:
        """Publish images through the pin builder; returns the new pins' ids."""
        self.goto("/pin-builder")
        self.page.set_input_files("#builder-files", [str(f) for f in files])
        self.page.select_option("select[name=board_id]", board_id)
        if title:
            self.page.fill("input[name=title]", title)
        self.page.click("[data-publish]")
        done = self.page.locator(".upload-item.is-done")
        done.nth(len(files) - 1).wait_for()
        links = done.locator("a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
        return [link.rsplit("/", 1)[1] for link in links]

    def images_loaded(self, selector: str = "img") -> bool:
        return bool(
            self.page.eval_on_selector_all(
                selector, "imgs => imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0)"
            )
        )

    def pin_ids(self) -> list[str]:
        hrefs = self.page.eval_on_selector_all(".pin-link", "els => els.map(a => a.getAttribute('href'))")
        return [h.rsplit("/", 1)[1] for h in hrefs]


@pytest.fixture
def visitors(request: pytest.FixtureRequest, browser: Any, live: LiveServer) -> Iterator[Any]:
    """Factory: `visitors()` opens a new visitor (desktop unless a viewport is given)."""
    opened: list[Visitor] = []

    def open_visitor(viewport: dict[str, int] | None = None) -> Visitor:
        visitor = Visitor(browser, live.base_url, viewport or {"width": 1280, "height": 900})
        opened.append(visitor)
        return visitor

    yield open_visitor
    report = getattr(request.node, "report_call", None)
    try:
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for index, visitor in enumerate(opened):
                name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
                visitor.page.screenshot(path=str(ARTIFACTS / f"{name}-{index}.png"), full_page=True)
        errors = [e for v in opened for e in v.errors]
        if report is not None and report.passed:
            assert not errors, "console errors:\n" + "\n".join(errors)
    finally:
        for visitor in opened:
            visitor.context.close()
