"""A pin's image status (processing, ready, failed with its reason) shows on its page and in /ext/v1."""

from __future__ import annotations

from sqlalchemy import update
from tests.web.helpers import WebClient

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.worker import drain
from pinhaven.media.models import MediaImage


def test_image_status_is_visible_until_ready_and_failures_say_why(ann: WebClient, ctx: AppContext) -> None:
    pin = ann.upload(ann.create_board("Status"), seed=31, title="Fresh")
    page = ann.get(pin["url"]).text
    assert 'data-image-status="processing"' in page
    assert ann.get(f"/ext/v1/pins/{pin['id']}").json()["image_status"] == "processing"
    drain(ctx)
    assert "data-image-status" not in ann.get(pin["url"]).text
    assert ann.get(f"/ext/v1/pins/{pin['id']}").json()["image_status"] == "ready"
    with session_scope(ctx.sessions) as db:
        db.execute(
            update(MediaImage).values(status="failed", failure_reason="the original file is unreadable")
        )
    failed = ann.get(pin["url"]).text
    assert 'data-image-status="failed"' in failed and "the original file is unreadable" in failed
    body = ann.get(f"/ext/v1/pins/{pin['id']}").json()
    assert (
        body["image_status"] == "failed" and body["image_failure_reason"] == "the original file is unreadable"
    )
