"""Discovery in the web pages: topic picker, personalised home, "more like this", stats panel, analytics."""

from __future__ import annotations

import re

from tests.web.helpers import WebClient, pin_ids


def test_new_people_pick_three_topics_on_the_home_page(ben: WebClient) -> None:
    home = ben.get("/")
    assert "What are you into?" in home.text and 'name="topic" value="food"' in home.text
    too_few = ben.post("/welcome/topics", {"topic": ["food", "art"]})
    assert too_few.status_code == 400 and "at least 3" in too_few.text
    done = ben.post("/welcome/topics", {"topic": ["food", "art", "travel"], "next": "/"})
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert "What are you into?" not in ben.get("/").text
    assert 'value="art" checked' in ben.get("/welcome/topics").text


def test_skipping_the_topics_stops_asking(ben: WebClient) -> None:
    assert ben.post("/welcome/topics", {"skip": "1"}).status_code == 303
    assert "What are you into?" not in ben.get("/").text


def test_signed_in_home_is_the_personalised_feed_with_a_request_id(ann: WebClient, ben: WebClient) -> None:
    board = ann.create_board("Kitchens")
    made = [ann.upload(board, seed=i)["id"] for i in range(3)]
    home = ben.get("/")
    assert set(pin_ids(home.text)) == set(made)
    assert re.search(r'data-surface="home" data-request-id="\d+"', home.text)
    assert "events.js" in home.text and "discovery.js" in home.text


def test_more_like_this_fragment(ann: WebClient, ben: WebClient) -> None:
    board = ann.create_board("Kitchens")
    made = [ann.upload(board, seed=i)["id"] for i in range(3)]
    fragment = ben.get(f"/pin/{made[0]}/related")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert set(pin_ids(fragment.text)) == set(made[1:])
    assert fragment.headers["X-Request-Id"].isdigit()
    secret = ann.create_board("Hidden", secret=True)
    hidden = ann.upload(secret, seed=9)["id"]
    assert ben.get(f"/pin/{hidden}/related").status_code == 404


def test_stats_panel_and_analytics_render_for_the_owner_only(ann: WebClient, ben: WebClient) -> None:
    board = ann.create_board("Kitchens")
    pin = ann.upload(board, seed=1, title="Blue tiles")["id"]
    events = {"events": [{"type": "impression", "pin_id": pin, "surface": "home", "position": 0},
                         {"type": "closeup", "pin_id": pin, "surface": "home", "position": 0}]}  # fmt: skip
    sent = ben.http.post("/ext/v1/events", json=events, headers={"X-CSRF-Token": ben.csrf()})
    assert sent.json()["accepted"] == 2
    own_page = ann.get(f"/pin/{pin}")
    assert 'data-slot="pin-stats"' in own_page.text
    assert 'data-slot="pin-stats"' not in ben.get(f"/pin/{pin}").text
    panel = ann.get(f"/pin/{pin}/stats?partial=1")
    assert panel.status_code == 200 and "<html" not in panel.text
    assert re.search(r'data-stat="impressions">1<', panel.text) and re.search(
        r'data-stat="closeups">1<', panel.text
    )
    assert "<svg" in panel.text and "<script" not in panel.text
    assert ann.get(f"/pin/{pin}/stats").status_code == 200
    assert ben.get(f"/pin/{pin}/stats?partial=1").status_code == 403
    analytics = ann.get("/analytics")
    assert analytics.status_code == 200
    assert (
        re.search(r'data-total="impressions">1<', analytics.text)
        and f'data-pin-row="{pin}"' in analytics.text
    )
    assert "Blue tiles" in analytics.text
    assert f'data-pin-row="{pin}"' not in ben.get("/analytics").text
    stranger = WebClient(ben.http.app)  # type: ignore[arg-type]
    assert stranger.get("/analytics").status_code in (303, 401)


def test_stats_panel_shows_the_picture_across_its_group(ann: WebClient, ben: WebClient) -> None:
    pin = ann.upload(ann.create_board("Kitchens"), seed=1, title="Blue tiles")["id"]
    copy = ben.upload(ben.create_board("Tiles"), seed=1, title="Same tiles")["id"]  # the same picture
    events = {
        "events": [{"type": "impression", "pin_id": p, "surface": "home", "position": 0} for p in (pin, copy)]
    }
    assert (
        ben.http.post("/ext/v1/events", json=events, headers={"X-CSRF-Token": ben.csrf()}).json()["accepted"]
        == 2
    )
    panel = ann.get(f"/pin/{pin}/stats?partial=1").text
    assert 'data-pin-count="2"' in panel and "This picture across 2 pins: 2 impressions" in panel
    alone = ann.upload(ann.create_board("Other"), seed=2)["id"]
    assert "data-stats-group" not in ann.get(f"/pin/{alone}/stats?partial=1").text


def test_caught_up_notice_comes_with_infinite_scroll_batches_too(ann: WebClient, ben: WebClient) -> None:
    """static/app.js loads the next batches from the same route with partial=1: the notice must ride along."""
    board = ann.create_board("Kitchens")
    made = [ann.upload(board, seed=i)["id"] for i in range(3)]
    batch = ben.get("/?partial=1")
    assert "<html" not in batch.text and set(pin_ids(batch.text)) == set(made)
    assert "data-caught-up" not in batch.text  # nothing shown yet
    seen = {"events": [{"type": "impression", "pin_id": p, "surface": "home", "position": i}
                       for i, p in enumerate(made)]}  # fmt: skip
    assert (
        ben.http.post("/ext/v1/events", json=seen, headers={"X-CSRF-Token": ben.csrf()}).json()["accepted"]
        == 3
    )
    batch = ben.get("/?partial=1")
    assert "data-caught-up" in batch.text and "all caught up" in batch.text
    assert set(pin_ids(batch.text)) == set(made)  # the best of what was seen, never an empty batch
    assert "data-caught-up" in ben.get("/").text
