"""Pin list endpoints answer with JSON rendered straight from rows (no per-pin pydantic models on the hot
path): every item must equal the same pin read one at a time through the model path (`GET /v5/pins/{id}`),
for each viewer (is_owner differs), with pin_metrics spliced in only for the owner's pins."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.core.test_api_fast_paths import all_items, board, pin
from tests.factories import Account

from pinhaven.pins.present import pins_json


def same_pin(item: dict, single: dict) -> bool:
    """The list item holds the single read's values (the single read may carry more: comments, topics ...)."""
    core = {"id", "media", "board_owner", "creator", "is_owner", "pin_metrics", "title", "save_count"}
    return core <= set(item) <= set(single) and item == {key: single[key] for key in item}


def test_my_pins_and_my_search_are_the_single_pin_reads(
    client: TestClient, alice: Account, bob: Account
) -> None:
    kitchens = board(client, alice)
    first = pin(client, alice, kitchens, seed=1, title="Blue kitchen", link="https://example.com/a", note="n")
    pin(client, alice, kitchens, seed=2, title="Green kitchen", alt_text='tiles "quoted" \\ slash')
    bobs = board(client, bob, "Saved")
    saved = client.post(f"/v5/pins/{first}/save", json={"board_id": bobs}, headers=bob.headers)
    assert saved.status_code == 201, saved.text
    for viewer in (alice, bob):
        items = all_items(client, "/v5/pins", viewer.headers)
        assert items
        for item in items:
            assert same_pin(item, client.get(f"/v5/pins/{item['id']}", headers=viewer.headers).json())
    found = client.get("/v5/search/pins", params={"query": "kitchen"}, headers=alice.headers)
    assert found.status_code == 200, found.text
    assert len(found.json()["items"]) == 2
    for item in found.json()["items"]:
        assert same_pin(item, client.get(f"/v5/pins/{item['id']}", headers=alice.headers).json())
    with_metrics = all_items(client, "/v5/pins", alice.headers, pin_metrics="true")
    for item in with_metrics:
        single = client.get(f"/v5/pins/{item['id']}?pin_metrics=true", headers=alice.headers).json()
        assert same_pin(item, single)
        assert isinstance(item["pin_metrics"], dict)
    assert [{**item, "pin_metrics": None} for item in with_metrics] == all_items(
        client, "/v5/pins", alice.headers
    )
    promoted = client.get("/v5/pins", params={"pin_filter": "has_been_promoted"}, headers=alice.headers)
    assert promoted.json() == {"items": [], "bookmark": None}


@pytest.mark.parametrize("field", ["title", "description", "note"])
def test_a_value_that_mentions_pin_metrics_is_not_spliced(
    client: TestClient, alice: Account, field: str
) -> None:
    kitchens = board(client, alice)
    tricky = '"pin_metrics":null'
    pin(client, alice, kitchens, seed=3, **{field: tricky})
    (item,) = all_items(client, "/v5/pins", alice.headers, pin_metrics="true")
    assert item[field] == tricky
    assert isinstance(item["pin_metrics"], dict)


def test_no_pins_no_query() -> None:
    assert pins_json(db=None, viewer=None, pins=[], base_url="") == []  # type: ignore[arg-type]
