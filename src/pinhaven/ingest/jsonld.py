"""JSON-LD (schema.org) reading for the page scraper: lenient parsing, node walking, images and offers.

Pages ship JSON-LD with trailing commas, HTML comments, several objects back to back, `@graph` arrays and
nodes nested under `mainEntity` or `offers`; all of that is tolerated. Numbers are parsed as Decimal so prices
stay exact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "IMAGE_TYPES",
    "PRODUCT_TYPES",
    "JsonLdImage",
    "Offer",
    "image_entries",
    "node_types",
    "normalize_availability",
    "parse_blocks",
    "parse_price",
    "product_offer",
    "text_value",
]

MAX_BLOCK_CHARS = 2_000_000
_MAX_NODES = 500
_MAX_DEPTH = 8

PRODUCT_TYPES = frozenset({"Product", "ProductGroup", "IndividualProduct", "ProductModel", "Vehicle", "Car"})
# Types whose `image` is the page's subject; Organization/Person/WebSite images are logos and avatars.
IMAGE_TYPES = PRODUCT_TYPES | frozenset(
    {
        "Article", "NewsArticle", "BlogPosting", "Report", "TechArticle", "SocialMediaPosting", "Recipe",
        "HowTo", "Event", "Book", "Movie", "CreativeWork", "VideoObject", "ImageObject", "WebPage", "ItemPage",
        "Place", "LocalBusiness", "Restaurant", "Hotel", "Course", "Review", "TouristAttraction",
    }
)  # fmt: skip

_AVAILABILITY = {
    "instock": "IN_STOCK",
    "onlineonly": "ONLINE_ONLY",
    "instoreonly": "IN_STORE_ONLY",
    "limitedavailability": "LIMITED_AVAILABILITY",
    "outofstock": "OUT_OF_STOCK",
    "soldout": "OUT_OF_STOCK",
    "oos": "OUT_OF_STOCK",
    "preorder": "PREORDER",
    "presale": "PREORDER",
    "backorder": "BACKORDER",
    "availablefororder": "BACKORDER",
    "discontinued": "DISCONTINUED",
}
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_NUMBER = re.compile(r"\d[\d.,\s']*")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class Offer:
    """A product's price and stock as the page declares them."""

    price: Decimal | None
    currency: str | None
    availability: str | None  # IN_STOCK, OUT_OF_STOCK, PREORDER, BACKORDER, ... (see normalize_availability)
    name: str | None = None


@dataclass(frozen=True)
class JsonLdImage:
    url: str
    width: int | None
    height: int | None


def _loads(text: str) -> Iterator[Any]:
    """Every JSON value in `text`, several back to back allowed; nothing if it cannot be repaired."""
    decoder = json.JSONDecoder(parse_float=Decimal, strict=False)
    for attempt in (text, _TRAILING_COMMA.sub(r"\1", text)):
        values: list[Any] = []
        pos = 0
        try:
            while pos < len(attempt):
                value, pos = decoder.raw_decode(attempt, pos)
                values.append(value)
                while pos < len(attempt) and attempt[pos] in " \t\r\n;,":
                    pos += 1
        except json.JSONDecodeError:
            if not values:
                continue
        yield from values
        return


def parse_blocks(texts: list[str]) -> list[dict[str, Any]]:
    """All JSON-LD nodes (dicts) found in the given `<script type=application/ld+json>` texts."""
    nodes: list[dict[str, Any]] = []
    for raw in texts:
        if len(raw) > MAX_BLOCK_CHARS:
            continue
        text = raw.strip()
        for wrapper in ("<!--", "-->", "//<![CDATA[", "//]]>", "<![CDATA[", "]]>"):
            text = text.replace(wrapper, "")
        for value in _loads(text.strip()):
            _walk(value, nodes, 0)
    return nodes


def _walk(value: Any, out: list[dict[str, Any]], depth: int) -> None:
    if depth > _MAX_DEPTH or len(out) >= _MAX_NODES:
        return
    if isinstance(value, list):
        for item in value:
            _walk(item, out, depth + 1)
    elif isinstance(value, dict):
        if "@type" in value:
            out.append(value)
        for key, item in value.items():
            if isinstance(item, dict | list) and key not in ("@context",):
                _walk(item, out, depth + 1)


def node_types(node: dict[str, Any]) -> set[str]:
    """`@type` names without their `schema:` / `https://schema.org/` prefix."""
    raw = node.get("@type")
    names = raw if isinstance(raw, list) else [raw]
    return {n.rsplit("/", 1)[-1].rsplit(":", 1)[-1] for n in names if isinstance(n, str)}


def text_value(value: Any) -> str | None:
    """A plain string from a JSON-LD value (string, number, `{"@value": ...}`, or the first of a list)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@value", value.get("name"))
    if isinstance(value, str | int | Decimal) and not isinstance(value, bool):
        text = " ".join(str(value).split())
        return text or None
    return None


def _dimension(value: Any) -> int | None:
    if isinstance(value, dict):
        value = value.get("value")
    text = text_value(value)
    match = re.match(r"\s*(\d+)", text or "")
    return int(match.group(1)) if match else None


def image_entries(value: Any) -> list[JsonLdImage]:
    """Images of an `image` / `thumbnailUrl` value: a URL, an ImageObject, or a list of either."""
    items = value if isinstance(value, list) else [value]
    found: list[JsonLdImage] = []
    for item in items[:20]:
        if isinstance(item, str) and item.strip():
            found.append(JsonLdImage(item.strip(), None, None))
        elif isinstance(item, dict):
            url = text_value(item.get("contentUrl")) or text_value(item.get("url"))
            if url:
                found.append(JsonLdImage(url, _dimension(item.get("width")), _dimension(item.get("height"))))
    return found


def normalize_availability(value: Any) -> str | None:
    """`https://schema.org/InStock`, `InStock`, `in stock` → `IN_STOCK`; unknown values → None."""
    text = text_value(value)
    if not text:
        return None
    key = re.sub(r"[^a-z]", "", text.rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower())
    return _AVAILABILITY.get(key)


def parse_price(value: Any) -> Decimal | None:
    """A price as Decimal from a number or a string such as `1,299.00`, `1.299,00 €` or `$12`."""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return Decimal(value) if Decimal(value) >= 0 else None
    text = text_value(value)
    match = _NUMBER.search(text or "")
    if not match:
        return None
    number = re.sub(r"[\s']", "", match.group(0)).rstrip(".,")
    last_dot, last_comma = number.rfind("."), number.rfind(",")
    if last_comma > last_dot and len(number) - last_comma - 1 != 3:  # `1.299,00` or `12,5`: comma decimals
        number = number.replace(".", "").replace(",", ".")
    else:
        number = number.replace(",", "")
    try:
        return Decimal(number)
    except InvalidOperation:
        return None


def _currency(value: Any) -> str | None:
    text = (text_value(value) or "").upper()
    return text if _CURRENCY.match(text) else None


def _offer_from(node: dict[str, Any]) -> tuple[Decimal | None, str | None, str | None]:
    price = parse_price(node.get("price"))
    if price is None:
        price = parse_price(node.get("lowPrice"))
    currency = _currency(node.get("priceCurrency"))
    spec = node.get("priceSpecification")
    for item in spec if isinstance(spec, list) else [spec]:
        if isinstance(item, dict) and price is None:
            price = parse_price(item.get("price"))
            currency = currency or _currency(item.get("priceCurrency"))
    return price, currency, normalize_availability(node.get("availability"))


def product_offer(nodes: list[dict[str, Any]]) -> Offer | None:
    """The first Product's offer (price, currency, availability), or None when the page declares no product."""
    for node in nodes:
        if not node_types(node) & PRODUCT_TYPES:
            continue
        raw = node.get("offers")
        candidates = [o for o in (raw if isinstance(raw, list) else [raw]) if isinstance(o, dict)]
        for offer in list(candidates):  # AggregateOffer may list its offers
            inner = offer.get("offers")
            candidates.extend(
                o for o in (inner if isinstance(inner, list) else [inner]) if isinstance(o, dict)
            )
        best: tuple[Decimal | None, str | None, str | None] = (None, None, None)
        for offer in candidates:
            price, currency, availability = _offer_from(offer)
            if best[0] is None and price is not None:
                best = (price, currency or best[1], availability or best[2])
            else:
                best = (best[0], best[1] or currency, best[2] or availability)
        return Offer(best[0], best[1], best[2], text_value(node.get("name")))
    return None
