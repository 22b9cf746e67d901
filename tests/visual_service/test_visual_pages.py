"""Pages: the pin page's "Visually similar" section and the search page's "search by image" form."""

from __future__ import annotations

from fastapi import FastAPI
from tests.factories import image_bytes
from tests.web.helpers import WebClient

from pinhaven.context import AppContext
from pinhaven.jobs.worker import drain


def test_pages_carry_the_visual_widgets_and_the_session_can_search(ctx: AppContext, app: FastAPI) -> None:
    web = WebClient(app)
    web.signup("vera")
    board_id = web.create_board("Moods")
    pins = [web.upload(board_id, seed=s)["id"] for s in range(4)]
    drain(ctx)
    page = web.get(f"/pin/{pins[0]}")
    assert page.status_code == 200
    assert f'data-visual-for="{pins[0]}"' in page.text and "/static/visual.js" in page.text
    search_page = web.get("/search")
    assert "data-visual-upload" in search_page.text
    assert web.http.get("/static/visual.js").status_code == 200
    # what visual.js sends: the session cookie plus the page's CSRF header
    headers = {"X-CSRF-Token": web.csrf(), "Accept": "application/json"}
    by_upload = web.http.post(
        "/ext/v1/search/visual",
        files={"image": ("q.jpg", image_bytes(seed=2), "image/jpeg")},
        headers=headers,
    )
    assert by_upload.status_code == 200, by_upload.text
    assert by_upload.json()["items"][0]["id"] == pins[2]
    crop = {"pin_id": pins[0], "crop": {"x": 0.1, "y": 0.1, "w": 0.5, "h": 0.5}}
    assert web.http.post("/ext/v1/search/visual", json=crop, headers=headers).status_code == 200
    no_csrf = web.http.post("/ext/v1/search/visual", json=crop, headers={"Accept": "application/json"})
    assert no_csrf.status_code == 403


def test_pin_page_shows_other_saves_of_the_same_picture(ctx: AppContext, app: FastAPI) -> None:
    vera, wes = WebClient(app), WebClient(app)
    vera.signup("vera")
    wes.signup("wes")
    original = vera.upload(vera.create_board("Moods"), seed=7, title="Mine")["id"]
    copy = wes.upload(wes.create_board("Found"), seed=7, title="Same picture")["id"]  # identical upload
    hidden = wes.upload(wes.create_board("Hidden", secret=True), seed=7, title="Secret copy")["id"]
    drain(ctx)
    page = vera.get(f"/pin/{original}").text
    assert f'data-duplicates-for="{original}"' in page
    # what visual.js fetches for the "Also saved as" section
    found = {p["id"] for p in vera.http.get(f"/ext/v1/pins/{original}/duplicates").json()["items"]}
    assert copy in found and hidden not in found and original not in found
