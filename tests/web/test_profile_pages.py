"""Profiles: board covers with thumbnails, created and saved pins, follower counts and lists, follow."""

from __future__ import annotations

import re

from tests.web.helpers import WebClient, pin_ids


def test_profile_lists_boards_with_a_cover_and_three_thumbnails(visitor: WebClient, ann: WebClient) -> None:
    board = ann.create_board("Kitchens")
    ann.create_board("Empty")
    for seed in range(5):
        ann.upload(board, seed=seed)
    page = visitor.get("/u/ann")
    assert page.status_code == 200
    card = page.text.split(f'href="/board/{board}"', 1)[1].split("</article>", 1)[0]
    cover = re.findall(r"<img [^>]*/400x300\.webp[^>]*>", card)
    thumbs = re.findall(r"<img [^>]*/150x150\.webp[^>]*>", card)
    assert len(cover) == 1 and len(thumbs) == 3
    assert 'width="400" height="300"' in cover[0]
    assert "5 pins" in card
    assert "Empty" in page.text and "Boards <small>2</small>" in page.text


def test_created_and_saved_tabs_split_uploads_from_saves(ann: WebClient, ben: WebClient) -> None:
    own = ann.upload(ann.create_board("Mine"), seed=1)
    bens = ben.upload(ben.create_board("Ben's"), seed=2)
    keep = ann.create_board("Keep")
    ann.post(f"/pin/{bens['id']}/save", {"board_id": keep})
    saved = pin_ids(ann.get("/u/ann/saved").text)
    created = pin_ids(ann.get("/u/ann/created").text)
    assert created == [own["id"]]
    assert len(saved) == 1 and saved[0] not in (own["id"], bens["id"])


def test_follow_and_unfollow_update_counts_and_lists(
    ann: WebClient, ben: WebClient, visitor: WebClient
) -> None:
    page = ann.get("/u/ben")
    assert re.search(r"data-follower-count>0<", page.text) and ">Follow<" in page.text
    assert ann.post("/u/ben/follow").status_code == 303
    after = ann.get("/u/ben").text
    assert re.search(r"data-follower-count>1<", after) and ">Following<" in after
    assert re.search(r"data-following-count>1<", ann.get("/u/ann").text)
    followers = visitor.get("/u/ben/followers")
    assert 'href="/u/ann"' in followers.text and "1 follower" in followers.text
    assert 'href="/u/ben"' in visitor.get("/u/ann/following").text
    assert ann.post("/u/ben/unfollow").status_code == 303
    assert re.search(r"data-follower-count>0<", ann.get("/u/ben").text)
    assert "No followers yet" in visitor.get("/u/ben/followers").text
    assert ann.post("/u/ann/follow").status_code == 400  # not yourself


def test_follow_from_a_pin_page_returns_there(ann: WebClient, ben: WebClient) -> None:
    pin = ben.upload(ben.create_board("Ben's"), seed=3)
    response = ann.post("/u/ben/follow", {"next": pin["url"]})
    assert response.headers["location"] == pin["url"]
    assert ">Following<" in ann.get(pin["url"]).text


def test_unknown_profile_is_a_404_page(visitor: WebClient) -> None:
    response = visitor.get("/u/nobody")
    assert response.status_code == 404 and "We couldn" in response.text


def test_profile_edit_with_avatar_shows_on_the_profile(ann: WebClient) -> None:
    from tests.factories import image_bytes

    ann.get("/settings/profile")
    response = ann.post(
        "/settings/profile",
        {"display_name": "Ann Lee", "about": "I like <tiles>", "website_url": "https://ann.example"},
        files={"avatar": ("me.png", image_bytes("PNG", (300, 200), seed=5), "image/png")},
    )
    assert response.status_code == 303, response.text
    page = ann.get("/u/ann").text
    assert "Ann Lee" in page and "I like &lt;tiles&gt;" in page
    assert 'href="https://ann.example" rel="noopener nofollow ugc me"' in page
    avatar = re.search(r'<img class="avatar avatar-xl" src="(/media/[^"]+/150x150\.webp)"', page)
    assert avatar is not None
    assert ann.http.get(avatar.group(1)).status_code == 200
    bad = ann.post("/settings/profile", {"display_name": "Ann", "website_url": "javascript:alert(1)"})
    assert bad.status_code == 400 and "http(s) URL" in bad.text
    not_image = ann.post(
        "/settings/profile",
        {"display_name": "Ann"},
        files={"avatar": ("x.png", b"not an image", "image/png")},
    )
    assert not_image.status_code == 400
