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
