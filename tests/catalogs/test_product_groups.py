"""Product groups filter a catalog's items by brand, product type, price range and availability (v5 filters)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from tests.catalogs.shop import Shop
from tests.factories import Account

from pinhaven.context import AppContext
from pinhaven.jobs.worker import drain

FEED = """id,title,link,image_link,price,sale_price,availability,brand,mpn,product_type
P1,Oak chair,https://shop.test/1,{base}/img/P1.jpg,45.00 USD,,in stock,Oak Co,C1,Furniture > Chairs
P2,Oak table,https://shop.test/2,{base}/img/P2.jpg,300.00 USD,250.00 USD,in stock,Oak Co,T1,Furniture > Tables
P3,Pine chair,https://shop.test/3,{base}/img/P3.jpg,30.00 USD,,out of stock,Pine Ltd,C2,Furniture > Chairs
P4,Pine lamp,https://shop.test/4,{base}/img/P4.jpg,80.00 USD,,preorder,Pine Ltd,L1,Lighting > Lamps
"""


def _ids(client: TestClient, who: Account, group_id: str) -> list[str]:
    items: list[str] = []
    bookmark = None
    while True:
        params: dict[str, Any] = {"page_size": 2, **({"bookmark": bookmark} if bookmark else {})}
        page = client.get(
            f"/v5/catalogs/product_groups/{group_id}/products", params=params, headers=who.headers
        )
        assert page.status_code == 200, page.text
        items += [p["metadata"]["item_id"] for p in page.json()["items"]]
        bookmark = page.json()["bookmark"]
        if not bookmark:
            return items


def test_product_groups_filter(
    client: TestClient, ctx: AppContext, shop: Shop, alice: Account, bob: Account
) -> None:
    location = shop.put("/f.csv", FEED.format(base=shop.base))
    body = {
        "name": "Shop",
        "format": "CSV",
        "location": location,
        "default_locale": "en-US",
        "default_country": "US",
    }
    feed = client.post("/v5/catalogs/feeds", json=body, headers=alice.headers).json()
    drain(ctx, kinds=["catalogs.sync_feed"])
    catalog_id = feed["catalog_id"]

    def group(filters: dict[str, Any]) -> str:
        made = client.post(
            "/v5/catalogs/product_groups",
            json={"name": "g", "catalog_id": catalog_id, "filters": filters},
            headers=alice.headers,
        )
        assert made.status_code == 201, made.text
        assert made.json()["type"] == "MERCHANT_CREATED" and made.json()["filters"] == filters
        return str(made.json()["id"])

    assert _ids(client, alice, group({"all_of": [{"BRAND": {"values": ["Oak Co"]}}]})) == ["P1", "P2"]
    chairs = group({"all_of": [{"PRODUCT_TYPE_1": {"values": ["chairs"]}}]})
    assert _ids(client, alice, chairs) == ["P1", "P3"]
    in_range = group(
        {"all_of": [{"MIN_PRICE": {"values": 40, "inclusion": True}}, {"MAX_PRICE": {"values": 250}}]}
    )
    assert _ids(client, alice, in_range) == ["P1", "P2", "P4"]  # the sale price counts
    in_stock_chairs = group(
        {
            "all_of": [
                {"PRODUCT_TYPE_0": {"values": ["Furniture"]}},
                {"AVAILABILITY": {"values": ["in stock"]}},
            ]
        }
    )
    assert _ids(client, alice, in_stock_chairs) == ["P1", "P2"]
    either = group(
        {
            "any_of": [
                {"BRAND": {"values": ["Pine Ltd"], "negated": True}},
                {"AVAILABILITY": {"values": ["PREORDER"]}},
            ]
        }
    )
    assert _ids(client, alice, either) == ["P1", "P2", "P4"]
    counts = client.get(f"/v5/catalogs/product_groups/{chairs}/product_counts", headers=alice.headers).json()
    assert counts == {
        "catalog_type": "RETAIL",
        "in_stock": 1,
        "out_of_stock": 1,
        "preorder": 0,
        "total": 2,
        "videos": 0,
    }
    products = client.get(f"/v5/catalogs/product_groups/{chairs}/products", headers=alice.headers).json()[
        "items"
    ]
    assert products[0]["pin"]["title"] == "Oak chair" and products[0]["metadata"]["price"] == 45.0

    listed = client.get(
        "/v5/catalogs/product_groups", params={"catalog_id": catalog_id}, headers=alice.headers
    )
    assert len(listed.json()["items"]) == 5
    renamed = client.patch(
        f"/v5/catalogs/product_groups/{chairs}",
        json={"name": "Chairs", "filters": {"all_of": [{"ITEM_ID": {"values": ["P3"]}}]}},
        headers=alice.headers,
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Chairs"
    assert _ids(client, alice, chairs) == ["P3"]

    # Bad filters are 400s naming the problem; other people see nothing.
    for bad in (
        {"all_of": [{"COLOR": {"values": ["red"]}}]},
        {"some_of": []},
        {"all_of": [{"MIN_PRICE": {"values": "x"}}]},
    ):
        refused = client.post(
            "/v5/catalogs/product_groups",
            json={"name": "bad", "catalog_id": catalog_id, "filters": bad},
            headers=alice.headers,
        )
        assert refused.status_code == 400 and refused.json()["code"] and refused.json()["message"], (
            refused.text
        )
    assert client.get(f"/v5/catalogs/product_groups/{chairs}", headers=bob.headers).status_code == 404
    assert (
        client.post(
            "/v5/catalogs/product_groups",
            json={
                "name": "x",
                "catalog_id": catalog_id,
                "filters": {"all_of": [{"BRAND": {"values": ["a"]}}]},
            },
            headers=bob.headers,
        ).status_code
        == 404
    )
    assert client.delete(f"/v5/catalogs/product_groups/{chairs}", headers=alice.headers).status_code == 204
    assert client.get(f"/v5/catalogs/product_groups/{chairs}", headers=alice.headers).status_code == 404
