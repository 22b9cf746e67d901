"""Shopping filters in pin search: products only, price range, in stock (saves of public product pins count)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.ads.helpers import board, pin
from tests.catalogs.shop import Shop
from tests.conftest import ALL_BACKENDS
from tests.factories import Account

from pinhaven.context import AppContext
from pinhaven.jobs.worker import drain

FEED = """id,title,link,image_link,price,availability,brand,mpn
A,Brass lamp small,https://shop.test/a,{base}/img/A.jpg,19.99 USD,in stock,Brass,A1
B,Brass lamp tall,https://shop.test/b,{base}/img/B.jpg,120.00 USD,preorder,Brass,B1
C,Brass lamp wall,https://shop.test/c,{base}/img/C.jpg,35.00 USD,out of stock,Brass,C1
"""


def _titles(client: TestClient, who: Account | None, **params: Any) -> list[str]:
    response = client.get(
        "/ext/v1/search/pins", params={"q": "brass lamp", **params}, headers=who.headers if who else {}
    )
    assert response.status_code == 200, response.text
    return sorted(p["title"] for p in response.json()["items"])


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)  # the price cast differs per engine
def test_search_shopping_filters(
    client: TestClient, ctx: AppContext, shop: Shop, alice: Account, bob: Account
) -> None:
    body = {"name": "Brass", "format": "CSV", "location": shop.put("/f.csv", FEED.format(base=shop.base))}
    assert client.post("/v5/catalogs/feeds", json=body, headers=alice.headers).status_code == 201
    drain(ctx, kinds=["catalogs.sync_feed"])
    bobs = board(client, bob, "Lamps I like")
    pin(client, bob, bobs, "Brass lamp I photographed", seed=5)  # not a product
    secret = board(client, bob, "Secret lamps", privacy="SECRET")
    drain(ctx)
    found = client.get("/ext/v1/search/pins", params={"q": "brass lamp"}, headers=bob.headers).json()["items"]
    small = next(p for p in found if p["title"] == "Brass lamp small")
    saved = client.post(f"/v5/pins/{small['id']}/save", json={"board_id": secret}, headers=bob.headers)
    assert saved.status_code == 201, saved.text
    drain(ctx)

    everything = _titles(client, None)
    assert everything == [
        "Brass lamp I photographed",
        "Brass lamp small",
        "Brass lamp tall",
        "Brass lamp wall",
    ]
    assert _titles(client, None, products_only="true") == [
        "Brass lamp small",
        "Brass lamp tall",
        "Brass lamp wall",
    ]
    assert _titles(client, None, min_price=30, max_price=120) == ["Brass lamp tall", "Brass lamp wall"]
    assert _titles(client, None, max_price=19.99) == ["Brass lamp small"]
    assert _titles(client, None, in_stock="true") == ["Brass lamp small"]
    # Bob's secret save of the small lamp carries its public original's price and stock.
    assert _titles(client, bob, board=secret, in_stock="true", max_price=20) == ["Brass lamp small"]
    assert _titles(client, bob, board=secret, min_price=20) == []
    anonymous = client.get(
        "/ext/v1/search/pins", params={"q": "lamp", "board": secret, "products_only": "true"}
    )
    assert anonymous.status_code == 404  # a secret board stays invisible, filters or not

    bad = client.get("/ext/v1/search/pins", params={"q": "lamp", "min_price": 50, "max_price": 10})
    assert bad.status_code == 400 and bad.json()["code"] and bad.json()["message"]
    assert client.get("/ext/v1/search/pins", params={"q": "lamp", "min_price": -1}).status_code == 400
