"""A secret board and its pins never appear to anyone but the owner and collaborators, on any page."""

from __future__ import annotations

import re

from tests.web.helpers import WebClient, pin_ids

from pinhaven.context import AppContext
from pinhaven.jobs.worker import drain


def test_secret_board_and_pins_are_invisible_to_others_everywhere(
    ann: WebClient, ben: WebClient, visitor: WebClient, ctx: AppContext
) -> None:
    public = ann.create_board("Public things")
    secret = ann.create_board("Hidden plans", secret=True)
    shown = ann.upload(public, seed=1, title="Open idea")
    hidden = ann.upload(secret, seed=2, title="Secret surprise", description="zebra party")
    drain(ctx)  # index and process everything first: absence below must come from the privacy rules
    ben.post("/u/ann/follow")
    own_view = ann.get(hidden["url"])
    assert own_view.status_code == 200
    media = re.findall(r"(/media/[0-9a-f]{2}/[0-9a-f]{64}/)", own_view.text)
    assert media
    for other in (ben, visitor):
        home = other.get("/").text
        assert hidden["id"] not in pin_ids(home) and shown["id"] in pin_ids(home)
        profile = other.get("/u/ann").text
        assert "Hidden plans" not in profile and "Boards <small>1</small>" in profile
        assert hidden["id"] not in other.get("/u/ann/created").text
        assert other.get(f"/board/{secret}").status_code == 404
        assert other.get(f"/board/{secret}?partial=1").status_code == 404
        assert other.get(hidden["url"]).status_code == 404
        assert other.get(f"/pin/{hidden['id']}/save").status_code in (303, 404)
        assert pin_ids(other.get("/search?q=zebra").text) == []
        assert "Hidden plans" not in other.get("/search?q=hidden&tab=boards").text
        for page in (home, profile):
            assert media[0] not in page
        assert other.http.get(media[0] + "236x.webp").status_code == 404
    assert ben.post(f"/pin/{hidden['id']}/save", {"new_board_name": "Mine"}).status_code == 404
    assert "Mine" not in ben.get("/u/ben").text  # the refused save created nothing
    # The owner sees it all.
    assert "Hidden plans" in ann.get("/u/ann").text
    assert pin_ids(ann.get("/search?q=zebra").text) == [hidden["id"]]


def test_making_a_board_secret_hides_it_at_once(ann: WebClient, ben: WebClient) -> None:
    board = ann.create_board("Soon secret")
    pin = ann.upload(board, seed=3)
    assert ben.get(pin["url"]).status_code == 200
    ann.post(f"/board/{board}/edit", {"name": "Soon secret", "secret": "1"})
    assert ben.get(pin["url"]).status_code == 404
    assert pin["id"] not in pin_ids(ben.get("/").text)
