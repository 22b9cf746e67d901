"""A merchant's feed served by a local site ingests through /v5/catalogs: per-item errors, product pins on the
catalog board, a price change reaching the pin and its saves, removed items becoming unavailable."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.catalogs.shop import Shop
from tests.factories import Account

from pinhaven.catalogs.models import CatalogItem
from pinhaven.context import AppContext
from pinhaven.jobs.worker import drain
from pinhaven.pins import products
from pinhaven.pins.models import Pin

HEADER = "id,title,description,link,image_link,price,availability,brand,gtin,mpn,product_type\n"


def _row(
    item_id: str, title: str, price: str, *, availability: str = "in stock", image: str | None = None
) -> str:
    image = image or f"/img/{item_id}.jpg"
    return f"{item_id},{title},A {title.lower()},https://shop.test/p/{item_id},{{base}}{image},{price},{availability},Acme,,M-{item_id},Home > Lamps\n"


def _csv(shop: Shop, rows: list[str]) -> str:
    return shop.put("/feed.csv", (HEADER + "".join(rows)).replace("{base}", shop.base))


def _sync(ctx: AppContext) -> None:
    assert drain(ctx, kinds=["catalogs.sync_feed"]) >= 1


def _latest_result(client: TestClient, who: Account, feed_id: str) -> dict[str, Any]:
    page = client.get(f"/v5/catalogs/feeds/{feed_id}/processing_results", headers=who.headers).json()
    return page["items"][0]  # type: ignore[no-any-return]


def _issues(client: TestClient, who: Account, result_id: str) -> dict[str | None, list[str]]:
    page = client.get(f"/v5/catalogs/processing_results/{result_id}/item_issues", headers=who.headers).json()
    return {
        e["item_id"]: sorted(i["code"] for i in e["issues"] if i["severity"] == "ERROR")
        for e in page["items"]
    }


def _feed(client: TestClient, who: Account, location: str, fmt: str = "CSV", **extra: Any) -> dict[str, Any]:
    body = {"name": "Acme lamps", "format": fmt, "location": location, "catalog_type": "RETAIL",
            "default_locale": "en-US", "default_country": "US", **extra}  # fmt: skip
    response = client.post("/v5/catalogs/feeds", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_csv_feed_ingests_with_per_item_errors_and_follows_changes(
    client: TestClient, ctx: AppContext, shop: Shop, alice: Account, bob: Account
) -> None:
    rows = [
        _row("L1", "Desk lamp", "19.99 USD"),
        _row("L2", "Floor lamp", "120.00 USD", availability="preorder"),
        _row("L3", "Wall lamp", "35.00 USD"),
        _row("L4", "No price", ""),  # price_missing
        "L5,Bad link,,ftp://shop.test/x,{base}/img/L5.jpg,5 USD,in stock,Acme,,,\n",  # link_format_invalid
        _row("L1", "Desk lamp again", "1.00 USD"),  # duplicate_products
        _row("L6", "Lost picture", "7.00 USD", image="/missing/L6.jpg"),  # image cannot be fetched
    ]
    feed = _feed(client, alice, _csv(shop, rows))
    assert feed["status"] == "ACTIVE" and feed["format"] == "CSV"
    _sync(ctx)

    result = _latest_result(client, alice, feed["id"])
    assert result["status"] == "COMPLETED"
    assert result["product_counts"] == {"original": 7, "ingested": 3}
    assert result["validation_details"]["errors"] == {
        "price_missing": 1, "link_format_invalid": 1, "duplicate_products": 1,
    }  # fmt: skip
    assert result["ingestion_details"]["errors"] == {"item_main_image_download_failure": 1}
    assert result["ingestion_details"]["info"] == {"in_stock": 2, "out_of_stock": 0, "preorder": 1}
    issues = _issues(client, alice, result["id"])
    assert issues["L4"] == ["price_missing"] and issues["L5"] == ["link_format_invalid"]
    assert issues["L6"] == ["item_main_image_download_failure"]
    assert "duplicate_products" in issues["L1"]
    assert "L2" not in issues and "L3" not in issues

    items = client.get(
        "/v5/catalogs/items?country=US&language=EN&item_ids=L1&item_ids=L2&item_ids=L4", headers=alice.headers
    )
    assert items.status_code == 200, items.text
    by_id = {i["item_id"]: i for i in items.json()["items"]}
    assert set(by_id) == {"L1", "L2"}  # L4 was never valid
    assert by_id["L1"]["attributes"]["price"] == "19.99 USD"
    (pin,) = by_id["L1"]["pins"]
    assert pin["title"] == "Desk lamp" and pin["link"] == "https://shop.test/p/L1"
    catalog_board = client.get("/v5/catalogs", headers=alice.headers).json()["items"][0]["board_id"]
    assert pin["board_id"] == catalog_board

    # Bob saves the desk lamp; the merchant drops its price, removes the wall lamp; the next sync updates all.
    bob_board = client.post("/v5/boards", json={"name": "Wishlist"}, headers=bob.headers).json()["id"]
    saved = client.post(f"/v5/pins/{pin['id']}/save", json={"board_id": bob_board}, headers=bob.headers)
    assert saved.status_code == 201, saved.text
    _csv(
        shop,
        [
            _row("L1", "Desk lamp", "14.50 USD"),
            _row("L2", "Floor lamp", "120.00 USD", availability="in stock"),
        ],
    )
    assert client.post(f"/v5/catalogs/feeds/{feed['id']}/ingest", headers=alice.headers).status_code == 200
    _sync(ctx)
    second = _latest_result(client, alice, feed["id"])
    assert second["id"] != result["id"] and second["product_counts"] == {"original": 2, "ingested": 2}

    # Prices and availability in the API: the product pin and Bob's save of it both show the new price.
    for who, pin_id in ((bob, saved.json()["id"]), (alice, pin["id"]), (None, saved.json()["id"])):
        shown = client.get(f"/ext/v1/pins/{pin_id}", headers=who.headers if who else {}).json()["product"]
        assert (shown["price"], shown["currency"], shown["price_label"]) == ("14.5", "USD", "$14.50")
        assert (shown["availability"], shown["availability_label"]) == ("IN_STOCK", "In stock")

    with ctx.sessions() as db:
        wall = db.scalars(select(CatalogItem).where(CatalogItem.item_id == "L3")).one()
        assert wall.present is False and wall.availability == "OUT_OF_STOCK" and wall.pin_id is not None
        assert db.get(Pin, wall.pin_id) is not None  # unavailable, not deleted
        assert products.get_for_pin(db=db, pin_id=wall.pin_id).availability == "OUT_OF_STOCK"  # type: ignore[union-attr]
        floor = db.scalars(select(CatalogItem).where(CatalogItem.item_id == "L2")).one()
        assert products.get_for_pin(db=db, pin_id=floor.pin_id).availability == "IN_STOCK"  # type: ignore[arg-type,union-attr]
    gone = client.get(f"/ext/v1/pins/{wall.pin_id}").json()["product"]
    assert (gone["availability"], gone["availability_label"]) == ("OUT_OF_STOCK", "Out of stock")
    with ctx.sessions() as db:
        assert db.scalar(select(Pin.id).where(Pin.board_id == int(catalog_board)).limit(5)) is not None
        assert (
            len(list(db.scalars(select(Pin.id).where(Pin.board_id == int(catalog_board))))) == 3
        )  # no duplicates


def test_xml_feed_with_invalid_items(client: TestClient, ctx: AppContext, shop: Shop, alice: Account) -> None:
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><title>Acme</title>
<item><g:id>X1</g:id><g:title>Oak chair</g:title><g:link>https://shop.test/x1</g:link>
 <g:image_link>{shop.base}/img/X1.jpg</g:image_link><g:price>45.00 USD</g:price>
 <g:availability>in_stock</g:availability><g:brand>Oak Co</g:brand><g:gtin>4006381333931</g:gtin></item>
<item><g:id>X2</g:id><g:title>Pine table</g:title><g:link>https://shop.test/x2</g:link>
 <g:image_link>{shop.base}/img/X2.jpg</g:image_link><g:price>two hundred</g:price>
 <g:availability>in_stock</g:availability></item>
<item><g:title>No id</g:title><g:link>https://shop.test/x3</g:link>
 <g:image_link>{shop.base}/img/X3.jpg</g:image_link><g:price>3 USD</g:price><g:availability>sold out</g:availability></item>
<item><g:id>X4</g:id><g:title>Stool</g:title><g:link>https://shop.test/x4</g:link>
 <g:image_link>{shop.base}/img/X4.jpg</g:image_link><g:price>20</g:price><g:gtin>123</g:gtin></item>
</channel></rss>"""
    location = shop.put("/feed.xml", xml, "application/rss+xml")
    feed = _feed(client, alice, location, "XML", default_currency="EUR", default_availability="OUT_OF_STOCK")
    _sync(ctx)
    result = _latest_result(client, alice, feed["id"])
    assert result["product_counts"] == {"original": 4, "ingested": 2}
    assert result["validation_details"]["errors"] == {"product_price_invalid": 1, "itemid_missing": 1}
    assert result["validation_details"]["warnings"] == {"gtin_invalid": 1}
    issues = _issues(client, alice, result["id"])
    assert issues["X2"] == ["product_price_invalid"] and issues[None] == ["itemid_missing"]
    found = client.get("/v5/catalogs/items?item_ids=X4&item_ids=X1", headers=alice.headers).json()["items"]
    assert [i["item_id"] for i in found] == ["X4", "X1"]
    x4 = found[0]["attributes"]
    assert (x4["price"], x4["availability"], x4["gtin"]) == ("20.00 EUR", "out of stock", None)
    assert found[1]["attributes"]["gtin"] == 4006381333931


def test_feed_failures_privacy_and_bad_input(
    client: TestClient, ctx: AppContext, shop: Shop, alice: Account, bob: Account
) -> None:
    feed = _feed(client, alice, shop.url("/nothing-here.csv"))
    _sync(ctx)
    result = _latest_result(client, alice, feed["id"])
    assert result["status"] == "FAILED" and result["validation_details"]["errors"] == {"fetch_error": 1}
    # Another person's feed and catalog are invisible; scopes are enforced; bad bodies are 400s.
    assert client.get(f"/v5/catalogs/feeds/{feed['id']}", headers=bob.headers).status_code == 404
    assert (
        client.get(f"/v5/catalogs/feeds/{feed['id']}/processing_results", headers=bob.headers).status_code
        == 404
    )
    assert client.get("/v5/catalogs/items?item_ids=L1", headers=bob.headers).json() == {"items": []}
    assert client.get("/v5/catalogs", headers=bob.headers).json()["items"] == []
    bad = client.post(
        "/v5/catalogs/feeds",
        json={"name": "x", "format": "PDF", "location": "http://a.test/"},
        headers=alice.headers,
    )
    assert bad.status_code == 400 and set(bad.json()) >= {"code", "message"}
    metadata = client.post(
        "/v5/catalogs/feeds",
        json={"name": "x", "format": "CSV", "location": "http://169.254.169.254/feed.csv"},
        headers=alice.headers,
    )
    assert metadata.status_code == 400
    assert client.get("/v5/catalogs/items", headers=alice.headers).status_code == 400
    changed = client.patch(
        f"/v5/catalogs/feeds/{feed['id']}",
        json={"name": "Renamed", "status": "INACTIVE"},
        headers=alice.headers,
    )
    assert changed.status_code == 200 and changed.json()["name"] == "Renamed"
    assert client.delete(f"/v5/catalogs/feeds/{feed['id']}", headers=bob.headers).status_code == 404
    assert client.delete(f"/v5/catalogs/feeds/{feed['id']}", headers=alice.headers).status_code == 204
    assert client.get(f"/v5/catalogs/feeds/{feed['id']}", headers=alice.headers).status_code == 404
