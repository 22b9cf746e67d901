"""Related pins use visual neighbours when the visual-search service is running (real images, real jobs)."""

from __future__ import annotations

import io

from fastapi import FastAPI
from PIL import Image
from tests.factories import image_bytes
from tests.web.helpers import WebClient

from pinhaven.accounts.scopes import session_viewer
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.discovery import related
from pinhaven.discovery.service import visual_neighbours
from pinhaven.jobs.worker import drain
from pinhaven.pagination import PageParams


def test_visually_similar_pins_are_related_without_any_graph_link(app: FastAPI, ctx: AppContext) -> None:
    ann = WebClient(app)
    ann.signup("ann")
    original = Image.open(io.BytesIO(image_bytes(seed=7, size=(640, 480))))
    near = io.BytesIO()
    # The top half: a similar look to the embedder, but not a near-duplicate (pHash far, cosine below the
    # duplicate bar) — duplicates of the query pin share its canonical group and are removed from related
    # pins (they show under "Also saved as").
    original.crop((0, 0, 640, 240)).save(near, "JPEG", quality=80)
    uploads = [("original.jpg", image_bytes(seed=7, size=(640, 480))), ("near.jpg", near.getvalue())]
    uploads += [(f"other{i}.jpg", image_bytes(seed=100 + i)) for i in range(3)]
    ids = []
    for name, data in uploads:  # one board each: no same-board or graph neighbours at all
        board = ann.create_board(f"Board {name}")
        response = ann.api(
            "/web/api/pins", data={"board_id": board}, files={"file": (name, data, "image/jpeg")}
        )
        assert response.status_code == 201, response.text
        ids.append(int(response.json()["id"]))
    drain(ctx)  # media.process → visual.embed_image: the visual service starts and registers itself
    assert visual_neighbours(ctx) is not None
    with session_scope(ctx.read_sessions) as db:
        viewer = session_viewer(_user_id(ctx, "ann"))
        page = related.related_pins(ctx, db=db, viewer=viewer, pin_id=ids[0], page=PageParams(page_size=10))
    shown = [p.id for p in page.items]
    assert shown and shown[0] == ids[1]


def _user_id(ctx: AppContext, username: str) -> int:
    from pinhaven.accounts import service as accounts_service

    with session_scope(ctx.read_sessions) as db:
        return accounts_service.get_by_username_or_raise(db=db, username=username).id
