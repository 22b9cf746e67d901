"""JSON-LD tolerance, price/availability normalisation, and the bounded Content-Encoding decoders."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from decimal import Decimal

import brotli
import pytest
from tests.ingest.ingest_site import BOMB_DECODED_BYTES, bombs

from pinhaven.ingest.decoding import DecodeError, TooLarge, decoders_for
from pinhaven.ingest.jsonld import Offer, normalize_availability, parse_blocks, parse_price, product_offer


def _offer(*blocks: str) -> Offer | None:
    return product_offer(parse_blocks(list(blocks)))


def test_graph_arrays_lists_and_nested_main_entity_are_walked() -> None:
    nodes = parse_blocks(
        [
            '[{"@type": "BreadcrumbList"}, {"@type": "WebPage", "mainEntity": {"@type": "Product", "name": "Lamp"}}]',
            '{"@graph": [{"@type": "Organization"}, {"@type": "schema:Recipe"}]}',
        ]
    )
    assert [n["@type"] for n in nodes] == [
        "BreadcrumbList",
        "WebPage",
        "Product",
        "Organization",
        "schema:Recipe",
    ]


@pytest.mark.parametrize(
    "text",
    [
        '{"@type": "Product", "name": "A",}',  # trailing comma
        '<!-- {"@type": "Product", "name": "A"} -->',
        '//<![CDATA[\n{"@type": "Product", "name": "A"}\n//]]>',
        '{"@type": "Product", "name": "A"}\n{"@type": "WebSite"}',  # two objects back to back
        '{"@type": "Product", "name": "A\tB"}',  # raw control character inside a string
    ],
)
def test_broken_json_ld_is_tolerated(text: str) -> None:
    assert parse_blocks([text])[0]["@type"] == "Product"


def test_hopeless_json_ld_is_skipped() -> None:
    assert parse_blocks(["{not json at all", "", "null", '"just a string"']) == []


def test_offer_with_price_specification_and_full_url_availability() -> None:
    offer = _offer(
        """{"@type": "Product", "name": "Chair", "offers": {"@type": "Offer",
        "priceSpecification": {"@type": "UnitPriceSpecification", "price": 249.99, "priceCurrency": "eur"},
        "availability": "https://schema.org/PreOrder"}}"""
    )
    assert offer == Offer(Decimal("249.99"), "EUR", "PREORDER", "Chair")


def test_aggregate_offer_uses_low_price() -> None:
    offer = _offer(
        """{"@type": "Product", "name": "Rug", "offers": {"@type": "AggregateOffer", "lowPrice": "59.00",
        "highPrice": "199.00", "priceCurrency": "USD", "offerCount": 3,
        "offers": [{"@type": "Offer", "availability": "InStock"}]}}"""
    )
    assert offer == Offer(Decimal("59.00"), "USD", "IN_STOCK", "Rug")


def test_first_priced_offer_wins_and_missing_fields_are_filled() -> None:
    offer = _offer(
        """{"@type": ["Product", "Thing"], "offers": [{"@type": "Offer", "availability": "SoldOut"},
        {"@type": "Offer", "price": "10", "priceCurrency": "CAD"}, {"@type": "Offer", "price": "5"}]}"""
    )
    assert offer == Offer(Decimal("10"), "CAD", "OUT_OF_STOCK", None)


def test_prices_stay_exact() -> None:
    offer = _offer('{"@type": "Product", "offers": {"price": 0.1, "priceCurrency": "$"}}')
    assert (
        offer is not None and offer.price == Decimal("0.1") and offer.currency is None
    )  # "$" is not ISO 4217


def test_no_product_means_no_offer() -> None:
    assert _offer('{"@type": "Article", "headline": "x"}') is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://schema.org/InStock", "IN_STOCK"),
        ("https://schema.org/OutOfStock", "OUT_OF_STOCK"),
        ("schema:SoldOut", "OUT_OF_STOCK"),
        ("in stock", "IN_STOCK"),
        ("out of stock", "OUT_OF_STOCK"),
        ("preorder", "PREORDER"),
        ("BackOrder", "BACKORDER"),
        ("available for order", "BACKORDER"),
        ("LimitedAvailability", "LIMITED_AVAILABILITY"),
        ("InStoreOnly", "IN_STORE_ONLY"),
        ("OnlineOnly", "ONLINE_ONLY"),
        ("Discontinued", "DISCONTINUED"),
        ("maybe", None),
        (None, None),
        (["https://schema.org/InStock"], "IN_STOCK"),
    ],
)
def test_availability_is_normalised(raw: object, expected: str | None) -> None:
    assert normalize_availability(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("19.99", "19.99"),
        ("$1,299.00", "1299.00"),
        ("1.299,00 €", "1299.00"),
        ("12,50", "12.50"),
        ("1,299", "1299"),
        ("CHF 1'250.50", "1250.50"),
        (Decimal("7.5"), "7.5"),
        (15, "15"),
        ("free", None),
        (True, None),
        (None, None),
    ],
)
def test_prices_are_parsed(raw: object, expected: str | None) -> None:
    assert parse_price(raw) == (Decimal(expected) if expected is not None else None)


def _decode_all(encoding: str, data: bytes, limit: int, chunk: int = 65536) -> bytes:
    decoders = decoders_for(encoding)
    out = []
    for start in range(0, len(data), chunk):
        piece = data[start : start + chunk]
        for decoder in decoders:
            piece = decoder.feed(piece, limit)
        out.append(piece)
    return b"".join(out)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_bombs_stop_at_the_cap_without_inflating_in_memory(encoding: str) -> None:
    bomb = bombs()[encoding]
    tracemalloc.start()
    try:
        with pytest.raises(TooLarge):
            _decode_all(encoding, bomb, limit=1_000_000)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(bomb) < BOMB_DECODED_BYTES // 500
    assert peak < 8_000_000  # inflating one 64 KB chunk of this bomb whole would take ~64 MB


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
        ("br", brotli.compress),
        ("identity", lambda b: b),
        ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),
    ],
)
def test_decoders_round_trip_in_small_chunks(encoding: str, encode: object) -> None:
    body = b"<html>" + bytes(range(256)) * 400 + b"</html>"
    assert callable(encode)
    assert _decode_all(encoding, encode(body), limit=len(body), chunk=1) == body


def test_concatenated_gzip_members_are_all_decoded() -> None:
    assert _decode_all("gzip", gzip.compress(b"one ") + gzip.compress(b"two"), limit=100) == b"one two"


def test_exactly_the_cap_is_allowed_and_one_more_byte_is_not() -> None:
    body = b"a" * 1000
    assert _decode_all("gzip", gzip.compress(body), limit=1000) == body
    with pytest.raises(TooLarge):
        _decode_all("gzip", gzip.compress(body + b"a"), limit=1000)


@pytest.mark.parametrize("header", ["compress", "zstd", "gzip, gzip, gzip"])
def test_unsupported_encodings_are_refused(header: str) -> None:
    with pytest.raises(DecodeError):
        decoders_for(header)
