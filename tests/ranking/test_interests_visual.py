"""Multi-interest retrieval on the real visual service: a user who saved red and blue pictures gets pins near
each taste (not near their average), from the real embedder and index; a secret look-alike never shows."""

from __future__ import annotations

import io
import random

import numpy as np
from fastapi import FastAPI
from PIL import Image, ImageDraw
from tests.discovery_service.helpers import World
from tests.factories import Account
from tests.web.helpers import WebClient

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import session_viewer
from pinhaven.boards import service as boards_service
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.discovery.candidates import Action
from pinhaven.discovery.service import visual_neighbours
from pinhaven.jobs.worker import drain
from pinhaven.pins import service as pins_service
from pinhaven.ranking.features import SOURCE_NAMES
from pinhaven.ranking.interests import interest_candidates
from pinhaven.ranking.models import FeatureLog
from pinhaven.ranking.retrieval import extra_sources
from pinhaven.ranking.serving import RankingPlan

COLOURS = {"red": (200, 30, 30), "blue": (30, 40, 200), "green": (30, 170, 40)}


def _picture(colour: str, seed: int) -> bytes:
    rng = random.Random(seed)
    base = COLOURS[colour]
    image = Image.new("RGB", (320, 240), tuple(min(255, c + rng.randrange(-20, 20)) for c in base))
    draw = ImageDraw.Draw(image)
    for _ in range(3):
        x, y = rng.randrange(300), rng.randrange(220)
        shade = tuple(max(0, c - rng.randrange(40, 90)) for c in base)
        draw.rectangle((x, y, x + rng.randrange(20, 80), y + rng.randrange(20, 60)), fill=shade)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _user_id(ctx: AppContext, username: str) -> int:
    with session_scope(ctx.read_sessions) as db:
        return accounts_service.get_by_username_or_raise(db=db, username=username).id


def test_each_taste_gets_its_own_neighbours_and_the_source_is_attributed(
    app: FastAPI, ctx: AppContext
) -> None:
    ann, ben = WebClient(app), WebClient(app)
    ann.signup("ann")
    ben.signup("ben")
    pins: dict[str, list[int]] = {c: [] for c in COLOURS}
    for colour in COLOURS:
        board = ann.create_board(f"{colour} things")
        for i in range(6):
            files = {"file": (f"{colour}{i}.jpg", _picture(colour, 10 * i + len(colour)), "image/jpeg")}
            response = ann.api("/web/api/pins", data={"board_id": board}, files=files)
            assert response.status_code == 201, response.text
            pins[colour].append(int(response.json()["id"]))
    secret_board = ann.create_board("red secrets", secret=True)
    secret = []
    for i in range(3):
        files = {"file": (f"secret{i}.jpg", _picture("red", 500 + i), "image/jpeg")}
        response = ann.api("/web/api/pins", data={"board_id": secret_board}, files=files)
        assert response.status_code == 201, response.text
        secret.append(int(response.json()["id"]))
    drain(ctx)  # media.process → visual.embed_image: the visual service starts and registers itself
    visual = visual_neighbours(ctx)
    assert visual is not None
    saved = pins["red"][:2] + pins["blue"][:2]
    found = interest_candidates(visual, dict.fromkeys(saved, 1.0), budget=10)
    top = [p for p, _ in found[:8] if p not in secret]  # the raw index knows ids, not permissions
    assert set(top) <= set(pins["red"]) | set(pins["blue"]), found
    assert set(top) & set(pins["red"]) and set(top) & set(pins["blue"])
    # Through the feed: ben saves them; his next feed attributes candidates to the interests source.
    ben_id = _user_id(ctx, "ben")
    with session_scope(ctx.sessions) as db:
        viewer = session_viewer(ben_id)
        board = boards_service.create(db=db, owner_id=ben_id, name="Saved", privacy="PUBLIC").id
        for pin in saved:
            pins_service.save(db=db, viewer=viewer, pin_id=pin, board_id=board, section_id=None)
        user = db.get(User, ben_id)
        assert user is not None
        db.expunge(user)
    request_id = World(ctx).feed(Account(user, ""), page_size=5).request_id
    with session_scope(ctx.read_sessions) as db:
        row = db.get(FeatureLog, int(request_id or 0))
        assert row is not None
    bits = np.frombuffer(row.source_bits, dtype="<u2")
    logged = np.frombuffer(row.pin_ids, dtype="<i8").tolist()
    mask = 1 << SOURCE_NAMES.index("interests")
    from_interests = {p for p, b in zip(logged, bits, strict=True) if b & mask}
    assert from_interests and from_interests <= set(pins["red"]) | set(pins["blue"]) | set(pins["green"])
    # ann's secret red pictures look just like ben's taste: the index finds them, the source drops them.
    assert set(secret) & {p for p, _ in found}
    with session_scope(ctx.read_sessions) as db:
        plan = RankingPlan()
        sources = extra_sources(
            ctx, plan, db=db, viewer=session_viewer(ben_id), actions=actions(saved), now=utcnow()
        )
    assert sources["interests"] and not {p for p, _ in sources["interests"]} & set(secret)
    assert not set(logged) & set(secret)
    shown = [p for page in World(ctx).scroll(Account(user, ""), page_size=20) for p in page]
    assert shown and not set(shown) & set(secret)


def actions(pins: list[int]) -> list[Action]:
    now = utcnow().timestamp()
    return [Action(p, now, 1.0) for p in pins]
