"""Fixtures for the social-layer tests: a real SMTP server (aiosmtpd) on a free loopback port."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest


@dataclass
class Mailbox:
    """What the SMTP server received."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


class _Collector:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.box.messages.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller
    from tests.e2e.live import free_port

    box = Mailbox(port=free_port())
    controller = Controller(_Collector(box), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


# The browser test (test_social_browser.py) uses the e2e fixtures: one live server per module, one Chromium
# per session, visitors whose console errors fail the test (and the hook that tells them the outcome).
from tests.e2e.conftest import pytest_runtest_makereport, visitors  # noqa: E402, F401


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Any]:
    """As tests/e2e's, but never shedding a request for waiting (this box is shared and busy)."""
    from tests.e2e.live import live_server

    from pinhaven.config import load_settings

    settings = load_settings(
        env={},
        data_dir=tmp_path_factory.mktemp("live"),
        password_hash_fast=True,
        worker_threads=1,
        secret_key="browser-tests",
        semantic_search=False,
        admission_queue_deadline_seconds=0.0,
    )
    with live_server(settings) as server:
        yield server
