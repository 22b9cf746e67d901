"""Feed reading and item validation (no database): CSV, TSV, Google Merchant RSS, and every kind of bad item."""

from __future__ import annotations

import pytest

from pinhaven.catalogs.feeds import FeedItem, RawItem, parse_feed, validate_item
from pinhaven.errors import InvalidInput

CSV = (
    "id,title,description,link,image_link,price,availability,brand,gtin,mpn,product_type\n"
    "A1,Blue mug,Stoneware,https://shop.test/a1,https://shop.test/a1.jpg,12.50 USD,in stock,Potter,"
    "4006381333931,,Home > Kitchen\n"
    '"A2","Red, big mug",,https://shop.test/a2,https://shop.test/a2.jpg,"EUR 1,299.00",out of stock,Potter,,M-2,\n'
)


def _codes(result: FeedItem | list) -> list[str]:  # type: ignore[type-arg]
    assert isinstance(result, list)
    return sorted(i.code for i in result)


def test_csv_and_tsv_rows() -> None:
    rows = parse_feed(CSV.encode(), "CSV")
    assert [r.position for r in rows] == [2, 3]
    first = validate_item(rows[0], default_currency=None, default_availability=None)
    assert isinstance(first, FeedItem)
    assert (first.price, first.currency, first.availability, first.gtin) == (
        "12.50",
        "USD",
        "IN_STOCK",
        "4006381333931",
    )
    assert first.product_type == "Home > Kitchen"
    second = validate_item(rows[1], default_currency=None, default_availability=None)
    assert isinstance(second, FeedItem)
    assert (second.title, second.price, second.currency, second.availability) == (
        "Red, big mug",
        "1299.00",
        "EUR",
        "OUT_OF_STOCK",
    )
    tsv = "id\ttitle\tlink\timage_link\tprice\tavailability\nB1\tLamp\thttps://s.test/b\thttps://s.test/b.jpg\t9\tpreorder\n"
    (row,) = parse_feed(tsv.encode(), "TSV")
    item = validate_item(row, default_currency="GBP", default_availability=None)
    assert isinstance(item, FeedItem) and (item.price, item.currency, item.availability) == (
        "9.00",
        "GBP",
        "PREORDER",
    )
    assert {w.code for w in item.warnings} == {"brand_missing", "gtin_mpn_missing"}


def test_google_merchant_rss() -> None:
    xml = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel><title>Shop</title>
<item><g:id>X1</g:id><title>Chair</title><link>https://s.test/x1</link><g:image_link>https://s.test/x1.jpg</g:image_link>
<g:price>45.00 USD</g:price><g:availability>in_stock</g:availability><g:brand>Oak</g:brand><g:mpn>CH-1</g:mpn></item>
<item><g:id>X2</g:id><title>Table</title></item>
</channel></rss>"""
    rows = parse_feed(xml, "XML")
    assert [r.fields.get("id") for r in rows] == ["X1", "X2"]
    item = validate_item(rows[0], default_currency=None, default_availability=None)
    assert isinstance(item, FeedItem) and (item.brand, item.mpn, item.price) == ("Oak", "CH-1", "45.00")
    assert _codes(validate_item(rows[1], default_currency=None, default_availability=None)) == [
        "availability_invalid", "image_link_missing", "price_missing", "product_link_missing",
    ]  # fmt: skip


def test_every_bad_field_is_reported_at_once() -> None:
    raw = RawItem(
        7,
        {
            "title": "x" * 10,
            "link": "ftp://s.test/a",
            "image_link": "not a url",
            "price": "cheap",
            "availability": "maybe",
        },
    )
    assert _codes(validate_item(raw, default_currency="USD", default_availability=None)) == [
        "availability_invalid", "image_link_invalid", "itemid_missing", "link_format_invalid", "product_price_invalid",
    ]  # fmt: skip
    no_currency = RawItem(
        3,
        {
            "id": "a",
            "title": "t",
            "link": "https://s.test/",
            "image_link": "https://s.test/i",
            "price": "5",
            "availability": "in stock",
        },
    )
    assert _codes(validate_item(no_currency, default_currency=None, default_availability=None)) == [
        "product_price_invalid"
    ]
    bad_gtin = RawItem(3, {**no_currency.fields, "gtin": "4006381333932", "price": "5 USD", "brand": "B"})
    item = validate_item(bad_gtin, default_currency=None, default_availability=None)
    assert isinstance(item, FeedItem) and item.gtin is None
    assert {w.code for w in item.warnings} == {"gtin_invalid", "gtin_mpn_missing"}


@pytest.mark.parametrize(
    ("data", "fmt", "message"),
    [
        (b"", "CSV", "empty"),
        (b"title,link\nx,y\n", "CSV", "no id column"),
        (b"<rss><channel><item>", "XML", "not well-formed"),
        (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>', "XML", "DOCTYPE"),
    ],
)
def test_unreadable_feeds_are_refused(data: bytes, fmt: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_feed(data, fmt)
