"""Creating pins: the builder page, its per-file JSON endpoint, bulk form posts, inline board creation."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from tests.factories import image_bytes
from tests.web.helpers import WebClient, pin_ids


def test_builder_needs_a_session(visitor: WebClient) -> None:
    response = visitor.get("/pin-builder")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/pin-builder"


def test_builder_page_offers_the_users_boards_and_sections(ann: WebClient) -> None:
    board = ann.create_board("Kitchens")
    ann.post(f"/board/{board}/sections", {"name": "Tiles"})
    page = ann.get(f"/pin-builder?board={board}")
    assert page.status_code == 200
    assert f'<option value="{board}" selected>Kitchens</option>' in page.text
    assert re.search(rf'<option value="\d+" data-board="{board}">Kitchens › Tiles</option>', page.text)
    assert 'name="files"' in page.text and "multiple" in page.text and "data-builder" in page.text


def test_json_upload_creates_a_pin_with_its_fields(ann: WebClient) -> None:
    board = ann.create_board("Kitchens")
    body = ann.upload(
        board, seed=1, title="Blue tiles", description="Nice", link="https://example.com/t", alt_text="Tiles"
    )
    assert body["url"] == f"/pin/{body['id']}" and body["board_url"] == f"/board/{board}"
    page = ann.get(body["url"]).text
    assert "Blue tiles" in page and 'alt="Tiles"' in page and "example.com" in page


def test_json_upload_rejections_carry_the_media_pipelines_message(ann: WebClient, ben: WebClient) -> None:
    board = ann.create_board("Kitchens")
    not_image = ann.api(
        "/web/api/pins", data={"board_id": board}, files={"file": ("notes.txt", b"hello there", "text/plain")}
    )
    assert not_image.status_code == 400
    assert not_image.json()["message"]  # the pipeline's own wording, shown under the file
    empty = ann.api("/web/api/pins", data={"board_id": board}, files={"file": ("e.jpg", b"", "image/jpeg")})
    assert empty.status_code == 400 and "empty" in empty.json()["message"]
    jpeg = {"file": ("a.jpg", image_bytes(seed=2), "image/jpeg")}
    no_board = ann.api("/web/api/pins", data={}, files=jpeg)
    assert no_board.status_code == 404
    foreign = ben.api("/web/api/pins", data={"board_id": board}, files=jpeg)
    assert foreign.status_code == 403 and "your own boards" in foreign.json()["message"]
    assert pin_ids(ann.get(f"/board/{board}").text) == []


def test_json_upload_requires_the_csrf_header(ann: WebClient) -> None:
    board = ann.create_board("Kitchens")
    response = ann.http.post(
        "/web/api/pins",
        data={"board_id": board},
        files={"file": ("a.jpg", image_bytes(seed=3), "image/jpeg")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 403 and response.json()["message"].startswith("Missing or invalid CSRF")


def test_too_large_files_are_refused_with_their_name(ann: WebClient, client: TestClient) -> None:
    board = ann.create_board("Kitchens")
    limit = client.app.state.ctx.settings.max_upload_bytes  # type: ignore[attr-defined]
    big = ann.api(
        "/web/api/pins",
        data={"board_id": board},
        files={"file": ("huge.jpg", b"\xff" * (limit + 1), "image/jpeg")},
    )
    assert big.status_code == 413 and "huge.jpg" in big.json()["message"]


def test_ten_files_in_one_form_post_and_one_bad_file_does_not_sink_the_rest(ann: WebClient) -> None:
    board = ann.create_board("Bulk")
    files = [
        ("files", (f"img{i}.jpg", image_bytes(seed=10 + i, size=(200, 150)), "image/jpeg")) for i in range(9)
    ]
    files.append(("files", ("broken.jpg", b"\xff\xd8 not really a jpeg", "image/jpeg")))
    response = ann.post("/pin-builder", {"board_id": board, "title": "Bulk"}, files=files)
    assert response.status_code == 200
    assert response.text.count("saved — ") == 9
    assert "broken.jpg</strong>:" in response.text and "form-error-text" in response.text
    assert len(pin_ids(ann.get(f"/board/{board}").text)) == 9
    eleven = [("files", (f"i{i}.jpg", image_bytes(seed=i, size=(50, 50)), "image/jpeg")) for i in range(11)]
    too_many = ann.post("/pin-builder", {"board_id": board}, files=eleven)
    assert too_many.status_code == 400 and "at most 10 images" in too_many.text


def test_inline_board_creation_for_the_builder(ann: WebClient) -> None:
    created = ann.api("/web/api/boards", data={"name": "Fresh", "secret": "1"})
    assert created.status_code == 201 and created.json()["secret"] is True
    again = ann.api("/web/api/boards", data={"name": "fresh"})
    assert again.status_code == 409
    assert f'value="{created.json()["id"]}"' in ann.get("/pin-builder").text
