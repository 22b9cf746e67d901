"""The merchant's catalog page: add a feed (CSRF), see the last sync and its per-item issues, sync again."""

from __future__ import annotations

from fastapi import FastAPI
from tests.catalogs.shop import Shop
from tests.web.helpers import WebClient

from pinhaven.context import AppContext
from pinhaven.jobs.worker import drain

FEED = """id,title,link,image_link,price,availability,brand,mpn
W1,Wicker basket,https://shop.test/w1,{base}/img/W1.jpg,12 EUR,in stock,Weave,B1
W2,No price basket,https://shop.test/w2,{base}/img/W2.jpg,,in stock,Weave,B2
"""


def test_catalog_page(app: FastAPI, ctx: AppContext, shop: Shop) -> None:
    visitor = WebClient(app)
    assert visitor.get("/catalogs").status_code in (303, 401)  # signed-in people only
    ann = WebClient(app)
    ann.signup("ann")
    location = shop.put("/w.csv", FEED.format(base=shop.base))
    assert ann.post("/catalogs/feeds", {"name": "Weave", "location": location}, csrf=False).status_code == 403
    bad = ann.post("/catalogs/feeds", {"name": "Bad", "location": "http://10.0.0.1/feed.csv"})
    assert bad.status_code == 400 and "form-error" in bad.text
    added = ann.post("/catalogs/feeds", {"name": "Weave", "location": location, "format": "CSV"})
    assert added.status_code == 303, added.text
    assert 'href="/catalogs"' in ann.get("/").text  # in the account menu
    assert "Not synced yet" in ann.get("/catalogs").text
    drain(ctx, kinds=["catalogs.sync_feed"])
    page = ann.get("/catalogs").text
    assert "COMPLETED" in page and "1 of 2 items ingested" in page
    assert "W2" in page and "the item has no price" in page
    feed_id = page.split('data-feed="', 1)[1].split('"', 1)[0]
    assert ann.post(f"/catalogs/feeds/{feed_id}/sync").status_code == 303
    assert drain(ctx, kinds=["catalogs.sync_feed"]) == 1
    other = WebClient(app)
    other.signup("otto")
    assert other.post(f"/catalogs/feeds/{feed_id}/sync").status_code == 404
    assert "Weave" not in other.get("/catalogs").text
