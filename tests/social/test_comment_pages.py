"""Pages: the pin page's comments slot, the comments fragment and page, forms to comment, reply, edit,
delete and react; mentions are links; secret pins' comments are 404 to others."""

from __future__ import annotations

import re

from fastapi import FastAPI
from tests.web.helpers import WebClient


def _visitor(app: FastAPI, name: str) -> WebClient:
    client = WebClient(app)
    client.signup(name)
    return client


def test_comment_reply_react_edit_delete_through_forms(app: FastAPI) -> None:
    ann, ben = _visitor(app, "ann"), _visitor(app, "ben")
    pin_id = ann.upload(ann.create_board("Tiles"))["id"]
    page = ben.get(f"/pin/{pin_id}")
    assert 'data-slot="comments"' in page.text and f'href="/pin/{pin_id}/comments"' in page.text
    posted = ben.post(f"/pin/{pin_id}/comments", {"text": "Nice <b>tiles</b> @ann"})
    assert posted.status_code == 303 and posted.headers["location"].startswith(f"/pin/{pin_id}#comment-")
    fragment = ann.get(f"/pin/{pin_id}/comments?partial=1").text
    assert "<html" not in fragment
    assert "Nice &lt;b&gt;tiles&lt;/b&gt;" in fragment  # escaped
    assert '<a class="mention" href="/u/ann">@ann</a>' in fragment
    comment_id = re.search(r'data-comment="(\d+)"', fragment).group(1)  # type: ignore[union-attr]
    assert f'href="/report?type=comment&amp;id={comment_id}"' in fragment  # others may report it
    assert (
        ann.post(f"/pin/{pin_id}/comments", {"text": "Thanks!", "parent_id": comment_id}).status_code == 303
    )
    assert ann.post(f"/pin/{pin_id}/react", {"reaction_type": "love"}).status_code == 303
    page = WebClient(app).get(f"/pin/{pin_id}/comments")  # a signed-out visitor reads them too
    assert page.status_code == 200 and "Thanks!" in page.text and "2</span> comments" in page.text
    assert re.search(r'data-reaction="love">❤️ <span data-reaction-count>1</span>', page.text)
    assert ann.post(f"/pin/{pin_id}/react", {"reaction_type": "love"}).status_code == 303  # again: taken back
    assert re.search(
        r'data-reaction="love">❤️ <span data-reaction-count>0</span>', ann.get(f"/pin/{pin_id}/comments").text
    )
    assert ann.post(f"/comment/{comment_id}/edit", {"text": "hijack"}).status_code == 403
    assert ben.post(f"/comment/{comment_id}/edit", {"text": "Nice tiles"}).status_code == 303
    assert "edited" in ben.get(f"/pin/{pin_id}/comments").text
    refused = ben.post(f"/pin/{pin_id}/comments", {"text": "x" * 501})
    assert refused.status_code == 400 and "at most 500 characters" in refused.text
    assert ann.post(f"/comment/{comment_id}/delete").status_code == 303  # the pin's owner
    assert "0</span> comments" in ann.get(f"/pin/{pin_id}/comments").text
    assert ben.post(f"/pin/{pin_id}/comments", {"text": "forged"}, csrf=False).status_code == 403


def test_secret_pin_comments_are_404_to_others(app: FastAPI) -> None:
    ann, ben = _visitor(app, "ann"), _visitor(app, "ben")
    pin_id = ann.upload(ann.create_board("Hidden", secret=True))["id"]
    assert ann.post(f"/pin/{pin_id}/comments", {"text": "private note"}).status_code == 303
    assert ben.get(f"/pin/{pin_id}/comments?partial=1").status_code == 404
    assert "private note" not in ben.get(f"/pin/{pin_id}/comments").text
    assert ben.post(f"/pin/{pin_id}/comments", {"text": "hi"}).status_code == 404
    assert ben.post(f"/pin/{pin_id}/react", {"reaction_type": "love"}).status_code == 404
