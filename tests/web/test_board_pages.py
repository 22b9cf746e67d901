"""Board pages: grid, section tabs, edit, privacy lock, collaborators, follow, delete with confirmation."""

from __future__ import annotations

import re

from tests.web.helpers import WebClient, pin_ids


def _section_ids(client: WebClient, board: str) -> list[str]:
    return re.findall(r'action="/board/\d+/sections/(\d+)/rename"', client.get(f"/board/{board}/edit").text)


def test_board_page_shows_its_pins_and_sections_as_tabs(visitor: WebClient, ann: WebClient) -> None:
    board = ann.create_board("Kitchens")
    assert ann.post(f"/board/{board}/sections", {"name": "Tiles"}).status_code == 303
    assert ann.post(f"/board/{board}/sections", {"name": "Shelves"}).status_code == 303
    tiles, _shelves = _section_ids(ann, board)
    on_section = ann.upload(board, seed=1, section_id=tiles)
    loose = ann.upload(board, seed=2)
    page = visitor.get(f"/board/{board}")
    assert page.status_code == 200
    assert pin_ids(page.text) == [loose["id"], on_section["id"]]
    assert f'href="/board/{board}?section={tiles}"' in page.text and ">Shelves <small>0</small>" in page.text
    assert pin_ids(visitor.get(f"/board/{board}?section={tiles}").text) == [on_section["id"]]
    assert visitor.get(f"/board/{board}?section=999").status_code == 404


def test_owner_edits_name_description_and_privacy(ann: WebClient, ben: WebClient) -> None:
    board = ann.create_board("Kitchens")
    assert ben.get(f"/board/{board}/edit").status_code == 403
    response = ann.post(
        f"/board/{board}/edit", {"name": "Dream kitchens", "description": "Ideas <b>", "secret": "1"}
    )
    assert response.status_code == 303
    page = ann.get(f"/board/{board}").text
    assert "Dream kitchens" in page and "Ideas &lt;b&gt;" in page
    assert 'aria-label="Secret board"' in page
    assert ben.get(f"/board/{board}").status_code == 404
    ann.create_board("Other")
    clash = ann.post(f"/board/{board}/edit", {"name": "Other"})
    assert clash.status_code == 409 and "already have a board" in clash.text


def test_sections_are_renamed_and_deleted_with_their_pins(ann: WebClient) -> None:
    board = ann.create_board("Kitchens")
    ann.post(f"/board/{board}/sections", {"name": "Tiles"})
    (section,) = _section_ids(ann, board)
    ann.upload(board, seed=3, section_id=section)
    assert ann.post(f"/board/{board}/sections/{section}/rename", {"name": "Floor tiles"}).status_code == 303
    assert "Floor tiles" in ann.get(f"/board/{board}").text
    assert ann.post(f"/board/{board}/sections/{section}/delete").status_code == 303
    assert _section_ids(ann, board) == [] and pin_ids(ann.get(f"/board/{board}").text) == []


def _accept_invitation(visitor: WebClient) -> None:
    """The invitee accepts the board invitation waiting on /invitations."""
    found = re.search(r'action="/invitations/(\d+)/accept"', visitor.get("/invitations").text)
    assert found, "no invitation"
    assert visitor.post(f"/invitations/{found.group(1)}/accept").status_code == 303


def test_collaborators_are_invited_by_username_and_removed(ann: WebClient, ben: WebClient) -> None:
    board = ann.create_board("Shared", secret=True)
    assert ben.get(f"/board/{board}").status_code == 404
    missing = ann.post(f"/board/{board}/collaborators", {"username": "nobody"})
    assert missing.status_code == 404 and "not found" in missing.text
    assert ann.post(f"/board/{board}/collaborators", {"username": "@ben"}).status_code == 303
    assert ben.get(f"/board/{board}").status_code == 404  # invited, not yet in
    _accept_invitation(ben)
    page = ben.get(f"/board/{board}")
    assert page.status_code == 200 and "1 collaborator" in page.text
    assert f'href="/pin-builder?board={board}"' in page.text  # collaborators may add pins
    ben.upload(board, seed=4)
    assert ann.post(f"/board/{board}/collaborators/ben/remove").status_code == 303
    assert ben.get(f"/board/{board}").status_code == 404
    ann.post(f"/board/{board}/collaborators", {"username": "ben"})
    _accept_invitation(ben)
    assert f'action="/board/{board}/collaborators/ben/remove"' in ben.get(f"/board/{board}").text
    left = ben.post(f"/board/{board}/collaborators/ben/remove")  # a collaborator leaves
    assert left.status_code == 303 and left.headers["location"] == "/u/ben"
    assert ben.get(f"/board/{board}").status_code == 404


def test_following_a_board(ann: WebClient, ben: WebClient) -> None:
    board = ann.create_board("Kitchens")
    page = ben.get(f"/board/{board}")
    assert "Follow board" in page.text
    assert ben.post(f"/board/{board}/follow").status_code == 303
    following = ben.get(f"/board/{board}").text
    assert "Following" in following and "1 follower" in following
    ben.post(f"/board/{board}/unfollow")
    assert "0 followers" in ben.get(f"/board/{board}").text
    own = ann.post(f"/board/{board}/follow")
    assert own.status_code == 400


def test_deleting_a_board_asks_for_confirmation_first(ann: WebClient, ben: WebClient) -> None:
    board = ann.create_board("Kitchens")
    pin = ann.upload(board, seed=5)
    confirm = ann.get(f"/board/{board}/delete")
    assert confirm.status_code == 200 and "Delete “Kitchens”?" in confirm.text
    assert ann.get(f"/board/{board}").status_code == 200  # nothing happened on GET
    assert ben.post(f"/board/{board}/delete").status_code == 403
    done = ann.post(f"/board/{board}/delete")
    assert done.status_code == 303 and done.headers["location"] == "/u/ann"
    assert ann.get(f"/board/{board}").status_code == 404
    assert ann.get(pin["url"]).status_code == 404


def test_new_board_form_reports_errors(ann: WebClient) -> None:
    assert ann.get("/boards/new").status_code == 200
    empty = ann.post("/boards", {"name": "   "})
    assert empty.status_code == 400 and "1–180 characters" in empty.text
