"""Notification e-mail against a real SMTP server (aiosmtpd): the daily digest, its signed one-click
unsubscribe link, privacy at sending time, and nothing sent twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from tests.factories import make_account
from tests.social.conftest import Mailbox
from tests.social.helpers import board, follow, pin, save

from pinhaven.app import create_app
from pinhaven.config import Settings
from pinhaven.context import AppContext, build_context
from pinhaven.db.engine import session_scope
from pinhaven.jobs.worker import drain
from pinhaven.notifications import mail, service


@pytest.fixture
def mail_ctx(settings: Settings, smtp_server: Mailbox) -> Iterator[AppContext]:
    context = build_context(
        settings.with_overrides(smtp_url=smtp_server.url, base_url="http://pinhaven.test")
    )
    yield context
    context.engine.dispose()


@pytest.fixture
def mail_client(mail_ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx=mail_ctx), raise_server_exceptions=False) as test_client:
        yield test_client


def test_daily_digest_reaches_the_smtp_server_once_with_a_working_unsubscribe_link(
    mail_ctx: AppContext, mail_client: TestClient, smtp_server: Mailbox
) -> None:
    alice, bob, carol = (make_account(mail_ctx, n) for n in ("alice", "bob", "carol"))
    follow(mail_client, bob, "alice")
    follow(mail_client, carol, "alice")
    with session_scope(mail_ctx.sessions) as db:
        assert mail.ensure_digest_scheduled(db=db, settings=mail_ctx.settings, delay=mail.timedelta(0))
        assert not mail.ensure_digest_scheduled(db=db, settings=mail_ctx.settings)  # one waits already
    drain(mail_ctx, kinds=[mail.DIGEST_JOB])
    [message] = smtp_server.to("alice@example.test")
    assert message["Subject"] == "1 new notification on Pinhaven"
    body = message.get_content()
    assert "carol and 1 other started following you" in body
    assert "http://pinhaven.test/notifications" in body
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.startswith("http://pinhaven.test/notifications/unsubscribe?token=")
    assert unsubscribe in body
    # the job re-queued itself for the next day; nothing is mailed twice
    assert mail.send_digests(mail_ctx) == 0
    # one click (a mail client's POST, no session, no CSRF token): e-mail off for every type
    parts = urlsplit(unsubscribe)
    response = mail_client.post(f"{parts.path}?{parts.query}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "data-unsubscribed" in response.text
    with session_scope(mail_ctx.sessions) as db:
        assert not any(s.email for s in service.settings_for(db, alice.user.id))
        assert all(s.in_app for s in service.settings_for(db, alice.user.id))
    follow(mail_client, make_account(mail_ctx, "dave"), "alice")
    assert mail.send_digests(mail_ctx) == 0
    assert len(smtp_server.to("alice@example.test")) == 1
    # a tampered token is refused
    bad = mail_client.post(f"{parts.path}?token=x{parts.query[6:]}")
    assert bad.status_code == 400
    page = mail_client.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200 and "Unsubscribe" in page.text


def test_digest_leaves_out_what_the_reader_can_no_longer_see(
    mail_ctx: AppContext, mail_client: TestClient, smtp_server: Mailbox
) -> None:
    """Fan's inbox says "bob saved a pin"; bob then makes that board secret: the digest says nothing of it."""
    alice, bob, fan = (make_account(mail_ctx, n) for n in ("alice", "bob", "fan"))
    follow(mail_client, fan, "bob")
    mail.send_digests(mail_ctx)  # bob's "fan followed you"
    smtp_server.messages.clear()
    source = pin(mail_client, alice, board(mail_client, alice))
    bob_board = board(mail_client, bob)
    save(mail_client, bob, source, bob_board)
    drain(mail_ctx)
    response = mail_client.patch(f"/v5/boards/{bob_board}", json={"privacy": "SECRET"}, headers=bob.headers)
    assert response.status_code == 200
    assert mail.send_digests(mail_ctx) == 1  # alice: "bob saved your pin"
    assert [str(m["To"]) for m in smtp_server.messages] == ["alice@example.test"]
    assert "bob saved your pin" in smtp_server.messages[0].get_content()


def test_no_smtp_url_means_no_mail_and_bad_urls_are_refused(ctx: AppContext) -> None:
    assert mail.send_digests(ctx) == 0
    with session_scope(ctx.sessions) as db:
        assert not mail.ensure_digest_scheduled(db=db, settings=ctx.settings)
    target = mail.parse_smtp_url("smtp+starttls://me%40x:p%3Ass@mail.example:2525")
    assert (target.host, target.port, target.username, target.password, target.mode) == (
        "mail.example", 2525, "me@x", "p:ss", "starttls",
    )  # fmt: skip
    assert mail.parse_smtp_url("smtps://mail.example").port == 465
    with pytest.raises(mail.InvalidInput):
        mail.parse_smtp_url("http://mail.example")


def test_cli_sends_the_digest_now_and_says_when_mail_is_off(
    tmp_path: Path, smtp_server: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from pinhaven.accounts.follows import follow_user
    from pinhaven.accounts.scopes import session_viewer
    from pinhaven.cli import app
    from pinhaven.config import load_settings

    data_dir = tmp_path / "cli"
    monkeypatch.setenv("PINHAVEN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PINHAVEN_PASSWORD_HASH_FAST", "1")
    monkeypatch.setenv("PINHAVEN_SEMANTIC_SEARCH", "0")
    runner = CliRunner()
    off = runner.invoke(app, ["notifications", "digest"])
    assert off.exit_code == 2 and "PINHAVEN_SMTP_URL is not set" in off.output
    ctx = build_context(load_settings(data_dir=data_dir, password_hash_fast=True, semantic_search=False))
    try:
        alice, bob = make_account(ctx, "alice"), make_account(ctx, "bob")
        with session_scope(ctx.sessions) as db:
            follow_user(db=db, viewer=session_viewer(bob.user.id), username="alice")
    finally:
        ctx.engine.dispose()
    monkeypatch.setenv("PINHAVEN_SMTP_URL", smtp_server.url)
    sent = runner.invoke(app, ["notifications", "digest"])
    assert sent.exit_code == 0, sent.output
    assert "1 digest e-mail sent." in sent.output
    assert [str(m["To"]) for m in smtp_server.messages] == [alice.user.email]
    assert runner.invoke(app, ["notifications", "test-mail", "ops@example.test"]).exit_code == 0
    assert str(smtp_server.messages[-1]["To"]) == "ops@example.test"
    monkeypatch.setenv("PINHAVEN_SMTP_URL", "smtp://127.0.0.1:9")  # nothing listens on the discard port
    refused = runner.invoke(app, ["notifications", "test-mail", "ops@example.test"])
    assert refused.exit_code == 1 and "could not be reached" in refused.output
