"""Pages: send a pin from its page to someone, read the conversation (marks it read), reply, block."""

from __future__ import annotations

import re

from fastapi import FastAPI
from tests.web.helpers import WebClient


def _visitor(app: FastAPI, name: str) -> WebClient:
    client = WebClient(app)
    client.signup(name)
    return client


def test_send_a_pin_read_reply_and_block(app: FastAPI) -> None:
    ann, ben = _visitor(app, "ann"), _visitor(app, "ben")
    pin_id = ann.upload(ann.create_board("Tiles"))["id"]
    ben.post("/u/ann/follow", {"next": "/u/ann"})
    assert f'href="/messages?pin={pin_id}"' in ann.get(f"/pin/{pin_id}/comments?partial=1").text
    form = ann.get(f"/messages?pin={pin_id}")
    assert f'name="pin_id" value="{pin_id}"' in form.text
    sent = ann.post("/messages", {"usernames": "ben", "text": "For your kitchen", "pin_id": pin_id})
    assert sent.status_code == 303
    path = sent.headers["location"]
    listing = ben.get("/messages").text
    assert "For your kitchen" in listing and "data-unread>1<" in listing
    page = ben.get(path)
    assert page.status_code == 200 and f'href="/pin/{pin_id}" data-message-pin' in page.text
    assert "data-unread>" not in ben.get("/messages").text  # reading marked it read
    assert ben.post(path, {"text": "Thanks!"}).status_code == 303
    assert "Thanks!" in ann.get(path).text
    stranger = _visitor(app, "cyd")
    assert stranger.get(path).status_code == 404
    refused = stranger.post("/messages", {"usernames": "ann", "text": "hello"})
    assert refused.status_code == 403 and "cannot message ann" in refused.text
    assert ann.post("/u/ben/block").status_code == 303
    assert ben.post(path, {"text": "hey"}).status_code == 403
    assert re.search(r"Block ben", ann.get(path).text)
