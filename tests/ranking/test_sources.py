"""The learned candidate sources: ALS collaborative filtering and multi-interest (PinnerSage-style) retrieval."""

from __future__ import annotations

import numpy as np
import pytest
from tests.discovery_service.helpers import World
from tests.factories import Account, make_account

from pinhaven.accounts.scopes import session_viewer
from pinhaven.boards import service as boards_service
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.ranking import als
from pinhaven.ranking.features import SOURCE_NAMES
from pinhaven.ranking.interests import MAX_INTERESTS, interests
from pinhaven.ranking.models import FeatureLog


@pytest.fixture
def world(ctx: AppContext) -> World:
    return World(ctx)


def _community(ctx: AppContext, world: World, alice: Account) -> dict[str, list[int]]:
    """Cat people save cat pins, car people car pins; alice also acts on her own secret pins."""
    cats = world.board(alice, "Cats")
    cars = world.board(alice, "Cars")
    secret = world.board(alice, "Private", secret=True)
    pins = {
        "cats": [world.pin(alice, cats, f"cat {i}") for i in range(8)],
        "cars": [world.pin(alice, cars, f"car {i}") for i in range(8)],
        "secret": [world.pin(alice, secret, f"secret {i}") for i in range(4)],
    }
    for i in range(6):
        who = make_account(ctx, f"user{i}")
        own = world.board(who, "Saved")
        for pin in pins["cats" if i % 2 == 0 else "cars"][i // 2 : i // 2 + 6]:
            world.save(who, pin, own)
    world.events(alice, [{"type": "closeup", "pin_id": str(p), "surface": "pin"} for p in pins["secret"]])
    return pins


def test_als_recommends_what_similar_users_saved_and_never_a_secret_pin(
    ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    pins = _community(ctx, world, alice)
    mine = world.board(bob, "Mine")
    for pin in pins["cats"][:2]:
        world.save(bob, pin, mine)
    assert als.fit(ctx, factors=8, iterations=30) > 0
    model = als.load(als.als_path(ctx.settings.data_dir))
    assert model is not None and not set(model.item_ids.tolist()) & set(pins["secret"])
    recommended = [p for p, _ in als.recommend(ctx, user_id=bob.user.id) if p not in pins["cats"][:2]]
    assert recommended and set(recommended[:4]) <= set(pins["cats"])
    assert als.recommend(ctx, user_id=10**12) == []  # unknown user: nothing, no error
    page = world.feed(bob, page_size=10)
    with session_scope(ctx.read_sessions) as db:
        row = db.get(FeatureLog, int(page.request_id or 0))
        assert row is not None
    bits = np.frombuffer(row.source_bits, dtype="<u2")
    logged = np.frombuffer(row.pin_ids, dtype="<i8").tolist()
    from_als = {p for p, b in zip(logged, bits, strict=True) if b & (1 << SOURCE_NAMES.index("als"))}
    assert from_als and from_als <= set(pins["cats"]) | set(pins["cars"])


def test_a_board_made_secret_after_training_never_reaches_the_feed(
    ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    pins = _community(ctx, world, alice)
    mine = world.board(bob, "Mine")
    world.save(bob, pins["cats"][0], mine)
    als.fit(ctx, factors=8, iterations=30)
    assert {p for p, _ in als.recommend(ctx, user_id=bob.user.id)} & set(pins["cats"])
    with session_scope(ctx.sessions) as db:
        cats_board = db.get(boards_service.Board, world_board_of(ctx, pins["cats"][1]))
        assert cats_board is not None
        boards_service.update(
            db=db, viewer=session_viewer(alice.user.id), board_id=cats_board.id, privacy="SECRET"
        )
    shown = [p for page in world.scroll(bob, page_size=10) for p in page]
    assert shown and not set(shown) & (set(pins["cats"]) | set(pins["secret"]))


def world_board_of(ctx: AppContext, pin_id: int) -> int:
    from pinhaven.pins.models import Pin

    with session_scope(ctx.read_sessions) as db:
        pin = db.get(Pin, pin_id)
        assert pin is not None
        return pin.board_id


def _groups(rng: np.random.Generator, sizes: list[int], dim: int = 16) -> tuple[np.ndarray, np.ndarray]:
    centres = rng.normal(size=(len(sizes), dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    rows, labels = [], []
    for g, size in enumerate(sizes):
        block = centres[g] + 0.05 * rng.normal(size=(size, dim))
        rows.append(block / np.linalg.norm(block, axis=1, keepdims=True))
        labels += [g] * size
    return np.vstack(rows).astype(np.float32), np.asarray(labels)


def test_interests_are_the_medoids_of_the_taste_clusters_weighted_by_recency() -> None:
    rng = np.random.default_rng(3)
    vectors, labels = _groups(rng, [6, 3, 2])
    pins = list(range(100, 100 + len(labels)))
    weights = np.where(labels == 1, 3.0, 1.0)  # the small second taste is the most recent
    found = interests(pins, vectors, weights)
    assert len(found) == 3
    assert [labels[pins.index(i.medoid)] for i in found] == [1, 0, 2]  # by importance: 9, 6, 2
    assert [i.size for i in found] == [3, 6, 2]
    assert sum(i.importance for i in found) == pytest.approx(1.0)
    assert found[0].importance == pytest.approx(9 / 17)
    # Never more than MAX_INTERESTS, however varied the saves.
    vectors, labels = _groups(rng, [2] * 8)
    many = interests(list(range(len(labels))), vectors, np.ones(len(labels)))
    assert len(many) == MAX_INTERESTS and sum(i.size for i in many) == len(labels)
    assert (
        interests([7], vectors[:1], np.ones(1))[0].medoid == 7
        and interests([], vectors[:0], np.ones(0)) == []
    )
