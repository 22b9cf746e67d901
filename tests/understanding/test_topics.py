"""Topics: the shipped taxonomy, assignment (lexical here; MiniLM in test_topics_minilm.py), owner correction,
topic pages and their privacy, the search filter, the feed's 30% topic cap, the admin CLI."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import ALL_BACKENDS
from tests.discovery_service.helpers import World
from tests.factories import Account, make_account
from tests.web.helpers import WebClient
from typer.testing import CliRunner

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.discovery import topics as signup_topics
from pinhaven.jobs.worker import drain
from pinhaven.topics import service
from pinhaven.topics.browse import main_topics
from pinhaven.topics.models import PinTopic

JOBS = ["topics.assign_pin", "search.index_pin"]


@pytest.fixture
def world(ctx: AppContext) -> World:
    return World(ctx)


def _topics(client: TestClient, account: Account | None, pin_id: int | str) -> list[str]:
    headers = account.headers if account else {}
    response = client.get(f"/ext/v1/pins/{pin_id}", headers=headers)
    assert response.status_code == 200, response.text
    return [t["id"] for t in response.json()["topics"]]


def test_shipped_taxonomy_covers_the_signup_picker(ctx: AppContext) -> None:
    with session_scope(ctx.sessions) as db:
        topics = service.list_topics(db=db)
    tops = {t.slug for t in topics if t.parent_slug is None}
    assert 28 <= len(tops) <= 35
    assert {t.key for t in signup_topics.TOPICS} <= tops  # the sign-up picker's keys are top topics
    children = Counter(t.parent_slug for t in topics if t.parent_slug)
    assert all(children[t] >= 1 for t in tops) and sum(children.values()) >= 60
    assert all(t.description for t in topics)


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_pins_get_up_to_three_topics_and_the_owner_corrects_them(
    client: TestClient, ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    board = world.board(alice, "Baking")
    cake = world.pin(alice, board, "Chocolate layer cake recipe with buttercream")
    drain(ctx, kinds=JOBS)
    found = _topics(client, bob, cake)
    assert 1 <= len(found) <= 3
    with session_scope(ctx.read_sessions) as db:
        rows = db.scalars(select(PinTopic).where(PinTopic.pin_id == cake).order_by(PinTopic.ordinal)).all()
    assert rows[0].top_slug == "food" and rows[0].source == "auto"
    assert all(0.0 < r.confidence <= 1.0 for r in rows)

    # Someone else may not correct them; the owner may, and an edit does not undo the correction.
    body = {"topics": ["wedding-decor", "desserts"]}
    assert client.put(f"/ext/v1/pins/{cake}/topics", json=body, headers=bob.headers).status_code in (403, 404)
    response = client.put(f"/ext/v1/pins/{cake}/topics", json=body, headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.json()["corrected"] is True
    assert [t["id"] for t in response.json()["items"]] == ["wedding-decor", "desserts"]
    assert response.json()["items"][0]["top_topic"]["id"] == "wedding"
    client.patch(f"/v5/pins/{cake}", json={"title": "Naked wedding cake"}, headers=alice.headers)
    drain(ctx, kinds=JOBS)
    assert _topics(client, None, cake) == ["wedding-decor", "desserts"]

    # Bad input: 4xx with {code, message}, never a 500.
    for bad in ({"topics": ["nope"]}, {"topics": ["food", "travel", "art", "home"]}, {"topics": "food"}, {}):
        response = client.put(f"/ext/v1/pins/{cake}/topics", json=bad, headers=alice.headers)
        assert response.status_code == 400, (bad, response.status_code)
        assert {"code", "message"} <= set(response.json())

    # Back to automatic topics.
    assert client.delete(f"/ext/v1/pins/{cake}/topics", headers=alice.headers).json()["corrected"] is False
    drain(ctx, kinds=JOBS)
    with session_scope(ctx.read_sessions) as db:
        assert main_topics(db=db, pin_ids=[cake]) == {cake: "wedding"}  # from its new title, automatically


def test_topic_pages_and_search_filter_respect_privacy(
    client: TestClient, ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    public = world.board(alice, "Trips")
    secret = world.board(alice, "Honeymoon plans", secret=True)
    shown = world.pin(alice, public, "Beach holiday on a Greek island")
    hidden = world.pin(alice, secret, "Secret beach holiday on a tropical island")
    other = world.pin(alice, public, "Beach volleyball workout routine")
    drain(ctx)
    with session_scope(ctx.read_sessions) as db:
        tops = main_topics(db=db, pin_ids=[shown, hidden, other])
    assert tops[shown] == "travel" and tops[hidden] == "travel" and tops.get(other) != "travel"

    def page_ids(account: Account | None, slug: str) -> list[str]:
        response = client.get(f"/ext/v1/topics/{slug}/pins", headers=account.headers if account else {})
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["items"]]

    for outsider in (None, bob):
        found = page_ids(outsider, "travel")
        assert found[0] == str(shown) and str(hidden) not in found  # `other` may follow (a second topic)
    assert {str(shown), str(hidden)} <= set(page_ids(alice, "travel"))
    assert client.get("/ext/v1/topics/nope/pins").status_code == 404

    html = client.get("/topics/travel").text
    assert f'/pin/{shown}"' in html and f"/pin/{hidden}" not in html
    assert "Travel" in client.get("/topics").text

    def search(account: Account | None, **params: str) -> list[str]:
        response = client.get(
            "/ext/v1/search/pins", params=params, headers=account.headers if account else {}
        )
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["items"]]

    assert sorted(search(bob, q="beach")) == sorted([str(shown), str(other)])
    with session_scope(ctx.read_sessions) as db:
        other_travel = db.scalar(
            select(PinTopic.pin_id).where(PinTopic.pin_id == other, PinTopic.top_slug == "travel")
        )
    expected = {str(shown)} | ({str(other)} if other_travel else set())
    assert set(search(bob, q="beach", topic="travel")) == expected
    assert set(search(alice, q="beach", topic="travel")) == expected | {str(hidden)}
    assert search(bob, q="beach", topic="tattoos") == []
    assert client.get("/ext/v1/search/pins", params={"q": "beach", "topic": "nope"}).status_code == 404
    page = client.get("/search", params={"q": "beach", "topic": "travel"}).text  # the search page's filter
    assert 'data-topic-current="travel"' in page and f'/pin/{shown}"' in page and f"/pin/{hidden}" not in page
    assert "topic=tattoos" in client.get("/search", params={"q": "beach"}).text


def test_owner_corrects_topics_on_the_pin_page(
    app: FastAPI, ctx: AppContext, world: World, alice: Account
) -> None:
    board = world.board(alice, "Ideas")
    pin = world.pin(alice, board, "Golden retriever puppy in the garden")
    drain(ctx, kinds=JOBS)
    browser = WebClient(app)
    browser.login("alice")
    page = browser.get(f"/pin/{pin}")
    assert page.status_code == 200 and "data-topics-form" in page.text
    response = browser.post(f"/pin/{pin}/topics", {"first": "dogs", "second": "", "third": ""})
    assert response.status_code == 303
    assert 'data-topic-chip="dogs"' in browser.get(f"/pin/{pin}").text
    assert browser.post(f"/pin/{pin}/topics", {"first": "cats"}, csrf=False).status_code == 403
    stranger = WebClient(app)
    assert "data-topics-form" not in stranger.get(f"/pin/{pin}").text


def caps_hold(tops: list[str | None], share: float, free_head: int = 20) -> bool:
    counts: Counter[Any] = Counter()
    for n, topic in enumerate(tops, start=1):
        if topic is None:
            continue
        counts[topic] += 1
        if counts[topic] > math.floor(share * max(n, free_head) + 1e-9):
            return False
    return True


def test_home_feed_caps_one_topic_at_30_percent(ctx: AppContext, world: World, bob: Account) -> None:
    makers = [make_account(ctx, f"maker{i}") for i in range(18)]
    food_titles = [
        "Chocolate cake recipe",
        "Easy pasta dinner recipe",
        "Homemade bread baking",
        "Lentil soup recipe",
    ]
    other_titles = {
        "outdoors": "Hiking trail camping trip in the mountains",
        "fitness": "Yoga workout routine for runners",
        "home": "Living room sofa and rug decor",
        "tattoos": "Fine line tattoo design",
    }
    # Two makers per other topic, so the creator cap (20%) does not starve the page of other topics.
    for maker, (topic, title) in zip(makers[10:], [*other_titles.items()] * 2, strict=True):
        board = world.board(maker, topic.title())
        for i in range(4):
            world.pin(maker, board, f"{title} {maker.user.username} {i}")
    food: list[int] = []
    for maker in makers[:10]:  # the newest pins, and most of them, are about food
        board = world.board(maker, "Kitchen notes")
        food += [world.pin(maker, board, f"{t} {maker.user.username}") for t in food_titles]
    drain(ctx, kinds=["topics.assign_pin"])
    with session_scope(ctx.read_sessions) as db:
        assert set(main_topics(db=db, pin_ids=food).values()) == {"food"}
    page = world.feed(bob, page_size=40).items
    with session_scope(ctx.read_sessions) as db:
        tops = main_topics(db=db, pin_ids=[p.id for p in page])
    sequence = [tops.get(p.id) for p in page]
    assert len(page) == 40
    assert sequence.count("food") == 12  # 30% of 40: the cap binds (the 40 newest pins are about food)
    assert caps_hold(sequence, 0.3), " ".join(str(t) for t in sequence)


def test_admin_edits_the_taxonomy_from_the_cli(ctx: AppContext, tmp_path: Any) -> None:
    from pinhaven.cli import app

    runner = CliRunner()
    env = {
        "PINHAVEN_DATA_DIR": str(ctx.settings.data_dir),
        "PINHAVEN_DATABASE_URL": ctx.settings.database_url,
    }
    result = runner.invoke(
        app,
        ["topics", "add", "ceramics", "Ceramics", "--description", "Pottery, clay, glazes and kilns."],
        env=env,
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["topics", "add", "stoneware", "Stoneware", "--parent", "ceramics"], env=env)
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["topics", "add", "stoneware", "Again"], env=env).exit_code == 1
    assert runner.invoke(app, ["topics", "add", "Bad Slug!", "Bad"], env=env).exit_code == 1
    assert runner.invoke(app, ["topics", "edit", "ceramics", "--name", "Pottery"], env=env).exit_code == 0
    assert runner.invoke(app, ["topics", "hide", "tattoos"], env=env).exit_code == 0
    listing = runner.invoke(app, ["topics", "list"], env=env).output
    assert "ceramics\tPottery" in listing and "  stoneware\tStoneware" in listing and "tattoos" not in listing
    assert "tattoos\tTattoos  (hidden)" in runner.invoke(app, ["topics", "list", "--all"], env=env).output
    exported = tmp_path / "taxonomy.json"
    exported.write_text(runner.invoke(app, ["topics", "export"], env=env).output)
    assert (
        runner.invoke(app, ["topics", "import", str(exported)], env=env).output.strip()
        == "imported: 0 new topics"
    )
    with session_scope(ctx.sessions) as db:
        assert service.get_by_slug(db=db, slug="stoneware").parent_slug == "ceramics"


def test_cold_start_takes_pins_assigned_to_the_picked_topics(
    ctx: AppContext, world: World, alice: Account, bob: Account
) -> None:
    from pinhaven.discovery.topics import set_interests

    weekend = world.board(alice, "Weekend")  # neither the board nor the titles hold a picker word for food
    loaves = [world.pin(alice, weekend, f"Banana bread loaf {i}") for i in range(4)]
    misc = world.board(alice, "Misc")
    for i in range(12):  # newer, unrelated pins
        world.pin(alice, misc, f"thing {i}")
    drain(ctx, kinds=["topics.assign_pin"])
    with session_scope(ctx.sessions) as db:
        assert main_topics(db=db, pin_ids=loaves) == dict.fromkeys(loaves, "food")
        set_interests(db=db, user_id=bob.user.id, topics=["food", "travel", "art"])
    first = [p.id for p in world.feed(bob, page_size=6).items]
    assert set(loaves) <= set(first)
