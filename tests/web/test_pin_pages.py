"""Home feed, pin close-up, save dialog (existing board, section, new board), edit and delete."""

from __future__ import annotations

import re

from tests.web.helpers import WebClient, pin_ids

from pinhaven.context import AppContext
from pinhaven.jobs.worker import drain


def test_signed_out_home_shows_recent_public_pins_and_a_sign_up_prompt(
    visitor: WebClient, ann: WebClient
) -> None:
    board = ann.create_board("Kitchens")
    first = ann.upload(board, seed=1, title="Blue tiles")
    second = ann.upload(board, seed=2, title="Oak shelves")
    home = visitor.get("/")
    assert home.status_code == 200
    assert "Sign up free" in home.text
    assert pin_ids(home.text) == [second["id"], first["id"]]


def test_pin_cards_reserve_their_size_and_carry_alt_text_and_placeholders(
    visitor: WebClient, ann: WebClient
) -> None:
    board = ann.create_board("Kitchens")
    ann.upload(board, seed=1, title="Blue tiles", alt_text="A kitchen with blue tiles")
    ann.upload(board, seed=2)
    html = visitor.get("/").text
    images = re.findall(r"<img [^>]*>", html.split('class="masonry"', 1)[1])
    assert len(images) == 2
    for tag in images:
        assert re.search(r'width="236" height="177"', tag), tag  # 640×480 scaled to the 236x variant
        assert 'srcset="/media/' in tag and "236w" in tag and "474w" in tag
        assert re.search(r'alt="[^"]+"', tag)
    assert 'alt="A kitchen with blue tiles"' in html
    assert 'alt="Pin saved by ann"' in html  # no text at all: says whose pin it is
    assert len(re.findall(r'data-color="#[0-9A-F]{6}"', html)) >= 2


def test_home_of_a_signed_in_user_puts_followed_people_first(
    ann: WebClient, ben: WebClient, visitor: WebClient
) -> None:
    carl = visitor
    carl.signup("carl")
    ben_board = ben.create_board("Ben's")
    carl_board = carl.create_board("Carl's")
    ben_pin = ben.upload(ben_board, seed=1)
    carl_pin = carl.upload(carl_board, seed=2)  # newer, but ann follows ben
    assert ann.post("/u/ben/follow").status_code == 303
    assert pin_ids(ann.get("/").text) == [ben_pin["id"], carl_pin["id"]]


def test_home_pages_through_the_feed_with_the_api_bookmark(visitor: WebClient, ann: WebClient) -> None:
    board = ann.create_board("Many")
    made = [ann.upload(board, seed=i)["id"] for i in range(32)]
    first = visitor.get("/")
    shown = pin_ids(first.text)
    assert len(shown) == 30
    next_url = re.search(r'href="(/\?bookmark=[^"]+)" data-next', first.text)
    assert next_url is not None
    rest = visitor.get(next_url.group(1).replace("&amp;", "&") + "&partial=1")
    assert "<html" not in rest.text  # a fragment for infinite scroll
    assert shown + pin_ids(rest.text) == list(reversed(made))
    assert "data-next" not in rest.text


def test_pin_page_shows_the_image_source_and_owner_tools(visitor: WebClient, ann: WebClient) -> None:
    board = ann.create_board("Kitchens")
    pin = ann.upload(
        board, seed=3, title="Blue tiles", description="Hand-made", link="https://tiles.example/x"
    )
    page = ann.get(pin["url"])
    assert page.status_code == 200
    assert "Blue tiles" in page.text and "Hand-made" in page.text
    assert 'href="https://tiles.example/x" rel="noopener nofollow ugc"' in page.text
    assert re.search(
        r'<img [^>]*sizes="[^"]+"[^>]*width="640" height="480"', page.text
    )  # 736x of a 640 px image
    assert f'href="/pin/{pin["id"]}/edit"' in page.text
    assert 'data-slot="more-like-this"' in page.text and f'data-pin-id="{pin["id"]}"' in page.text
    assert '<dialog id="save-dialog"' in page.text
    assert "data-close-dialog" in page.text.split('<dialog id="save-dialog"', 1)[1]
    anonymous = visitor.get(pin["url"])
    assert "/edit" not in anonymous.text and "save-dialog" not in anonymous.text
    assert f'href="/login?next=/pin/{pin["id"]}"' in anonymous.text


def test_saving_a_pin_records_the_parent_and_updates_counts(ann: WebClient, ben: WebClient) -> None:
    board = ann.create_board("Kitchens")
    pin = ann.upload(board, seed=4, title="Blue tiles")
    ben_board = ben.create_board("Ideas")
    page = ben.get(pin["url"])
    assert f'<option value="{ben_board}">Ideas</option>' in page.text
    saved = ben.post(f"/pin/{pin['id']}/save", {"board_id": ben_board})
    assert saved.status_code == 303
    assert saved.headers["location"].startswith(f"/pin/{pin['id']}?saved=")
    notice = ben.get(saved.headers["location"])
    assert "Saved to" in notice.text and f'href="/board/{ben_board}"' in notice.text
    assert re.search(r"data-save-count>1<", notice.text)
    new_id = pin_ids(ben.get(f"/board/{ben_board}").text)[0]
    repin = ben.get(f"/pin/{new_id}")
    assert f'href="/pin/{pin["id"]}" data-parent-pin' in repin.text
    assert "Saved from" in repin.text
    assert ">1</span> pin" in ben.get(f"/board/{ben_board}").text


def test_saving_into_a_section_or_a_new_board(ann: WebClient, ben: WebClient) -> None:
    board = ann.create_board("Kitchens")
    pin = ann.upload(board, seed=5)
    ideas = ben.create_board("Ideas")
    ben.post(f"/board/{ideas}/sections", {"name": "Tiles"})
    section = re.search(r'action="/board/\d+/sections/(\d+)/rename"', ben.get(f"/board/{ideas}/edit").text)
    assert section is not None
    page = ben.get(pin["url"])
    assert f'<option value="{section.group(1)}" data-board="{ideas}">Ideas › Tiles</option>' in page.text
    ben.post(f"/pin/{pin['id']}/save", {"board_id": ideas, "section_id": section.group(1)})
    assert len(pin_ids(ben.get(f"/board/{ideas}?section={section.group(1)}").text)) == 1
    created = ben.post(f"/pin/{pin['id']}/save", {"new_board_name": "Fresh board", "new_board_secret": "1"})
    assert created.status_code == 303
    profile = ben.get("/u/ben").text
    assert "Fresh board" in profile and 'aria-label="Secret board"' in profile


def test_save_errors_are_shown_on_the_save_page(ann: WebClient, ben: WebClient) -> None:
    anns_board = ann.create_board("Kitchens")
    pin = ann.upload(anns_board, seed=6)
    ben.create_board("Ideas")
    no_board = ben.post(f"/pin/{pin['id']}/save", {})
    assert no_board.status_code == 400 and "choose a board" in no_board.text
    not_mine = ben.post(f"/pin/{pin['id']}/save", {"board_id": anns_board})
    assert not_mine.status_code == 403 and "your own boards" in not_mine.text
    duplicate = ben.post(f"/pin/{pin['id']}/save", {"new_board_name": "Ideas"})
    assert duplicate.status_code == 409 and "already have a board" in duplicate.text


def test_the_owner_edits_and_deletes_a_pin(ann: WebClient, ben: WebClient) -> None:
    board = ann.create_board("Kitchens")
    other = ann.create_board("Other")
    pin = ann.upload(board, seed=7, title="Old")
    form = ann.get(f"/pin/{pin['id']}/edit")
    assert form.status_code == 200 and 'value="Old"' in form.text
    edited = ann.post(
        f"/pin/{pin['id']}/edit",
        {"title": "New title", "description": "", "link": "", "alt_text": "Tiles", "board_id": other},
    )
    assert edited.status_code == 303
    page = ann.get(pin["url"]).text
    assert "New title" in page and 'alt="Tiles"' in page and f'href="/board/{other}"' in page
    assert ben.get(f"/pin/{pin['id']}/edit").status_code == 403
    assert ben.post(f"/pin/{pin['id']}/delete").status_code == 403
    confirm = ann.get(f"/pin/{pin['id']}/delete")
    assert "Delete this pin?" in confirm.text
    deleted = ann.post(f"/pin/{pin['id']}/delete")
    assert deleted.status_code == 303 and deleted.headers["location"] == f"/board/{other}"
    assert ann.get(pin["url"]).status_code == 404


def test_edit_errors_keep_the_form(ann: WebClient) -> None:
    pin = ann.upload(ann.create_board("Kitchens"), seed=8, title="Keep")
    response = ann.post(f"/pin/{pin['id']}/edit", {"title": "x" * 101})
    assert response.status_code == 400 and "at most 100 characters" in response.text


def test_search_finds_visible_pins_by_title_and_description(
    visitor: WebClient, ann: WebClient, ctx: AppContext
) -> None:
    board = ann.create_board("Kitchens")
    tiles = ann.upload(board, seed=9, title="Blue tiles", description="for a kitchen")
    ann.upload(board, seed=10, title="Oak shelves")
    drain(ctx)  # the search index is kept current by jobs
    found = visitor.get("/search?q=kitchen+blue")
    assert pin_ids(found.text) == [tiles["id"]]
    assert 'data-result-count="1"' in found.text
    boards_tab = visitor.get("/search?q=kitchen&tab=boards")
    assert f'href="/board/{board}"' in boards_tab.text
    assert "@ann" in visitor.get("/search?q=ann&tab=people").text
    assert "No pins match" in visitor.get("/search?q=zebra").text
    assert 'value="zebra"' in visitor.get("/search?q=zebra").text
    assert "at least one letter" in visitor.get("/search?q=%3F%21").text
