"""Reading a product feed: CSV/TSV with a header row, or Google Merchant-style RSS 2.0 / Atom XML (`g:` fields),
and validating each item into a `FeedItem` or a list of `Issue`s.

Issue codes are the Pinterest v5 keys of `validation_details` (`title_missing`, `product_price_invalid`,
`gtin_invalid`, ...) so the processing result counts them under the names v5 clients know; a few checks v5 has
no key for (`brand_missing`, `gtin_mpn_missing`) are reported per item only.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from pinhaven.errors import InvalidInput

__all__ = ["FORMATS", "FeedItem", "Issue", "RawItem", "parse_feed", "validate_item"]

FORMATS = ("CSV", "TSV", "XML")
MAX_ITEMS = 200_000
MAX_TITLE = 500
MAX_DESCRIPTION = 10_000
MAX_PRODUCT_TYPE = 750
MAX_LINK = 2048

# Google Merchant / Pinterest column names and their common spellings → our field names.
_ALIASES = {
    "id": "id",
    "item_id": "id",
    "sku": "id",
    "title": "title",
    "description": "description",
    "link": "link",
    "image_link": "image_link",
    "imagelink": "image_link",
    "price": "price",
    "sale_price": "sale_price",
    "availability": "availability",
    "brand": "brand",
    "gtin": "gtin",
    "mpn": "mpn",
    "product_type": "product_type",
    "google_product_category": "google_product_category",
    "condition": "condition",
    "currency": "currency",
}
_AVAILABILITY = {
    "instock": "IN_STOCK",
    "in_stock": "IN_STOCK",
    "outofstock": "OUT_OF_STOCK",
    "out_of_stock": "OUT_OF_STOCK",
    "soldout": "OUT_OF_STOCK",
    "preorder": "PREORDER",
    "pre_order": "PREORDER",
    "backorder": "PREORDER",
}
_PRICE = re.compile(r"^\s*([A-Za-z]{3})?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([A-Za-z]{3})?\s*$")


@dataclass(frozen=True)
class Issue:
    """One problem with one item: a v5 validation key, the field, a readable message; errors reject the item."""

    code: str
    field: str
    message: str
    severity: str = "ERROR"  # ERROR | WARNING

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "field": self.field, "message": self.message, "severity": self.severity}


@dataclass(frozen=True)
class RawItem:
    """An item as read from the feed: its position (CSV line or XML item number) and its fields as text."""

    position: int
    fields: dict[str, str]


@dataclass
class FeedItem:
    """A valid item, normalised."""

    item_id: str
    title: str
    link: str
    image_link: str
    price: str  # decimal text
    currency: str
    availability: str
    description: str | None = None
    sale_price: str | None = None
    brand: str | None = None
    gtin: str | None = None
    mpn: str | None = None
    product_type: str | None = None
    condition: str | None = None
    warnings: list[Issue] = field(default_factory=list)


def _key(name: str) -> str:
    name = name.strip().lower().lstrip("\ufeff")
    name = name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]  # {namespace}tag, g:tag
    return _ALIASES.get(name.replace(" ", "_"), name)


def _rows_delimited(text: str, delimiter: str) -> Iterator[RawItem]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("the feed is empty", field="location") from None
    except csv.Error as exc:
        raise InvalidInput(f"the feed's header row could not be read ({exc})", field="location") from exc
    keys = [_key(h) for h in header]
    if "id" not in keys:
        raise InvalidInput(
            f"the feed has no id column (its columns: {', '.join(header[:20])})", field="location"
        )
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        yield RawItem(number, {k: v.strip() for k, v in zip(keys, row, strict=False) if v.strip()})


def _rows_xml(data: bytes) -> Iterator[RawItem]:
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise InvalidInput("XML feeds with a DOCTYPE or entities are refused", field="location")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise InvalidInput(f"the feed is not well-formed XML ({exc})", field="location") from exc
    number = 0
    for element in root.iter():
        if _key(element.tag) not in ("item", "entry"):
            continue
        number += 1
        fields: dict[str, str] = {}
        for child in element:
            name = _key(child.tag)
            text = (child.text or "").strip()
            if name == "link" and not text:  # Atom: <link href="..."/>
                text = (child.get("href") or "").strip()
            if text and name not in fields:
                fields[name] = text
        yield RawItem(number, fields)


def parse_feed(data: bytes, fmt: str) -> list[RawItem]:
    """The feed's items (at most MAX_ITEMS); raises InvalidInput when the feed as a whole cannot be read."""
    fmt = fmt.upper()
    if fmt == "XML":
        rows = _rows_xml(data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        delimiter = "\t" if fmt == "TSV" else ","
        if fmt == "CSV" and "\t" in text.split("\n", 1)[0] and "," not in text.split("\n", 1)[0]:
            delimiter = "\t"  # a TSV announced as CSV: read it as what it is
        rows = _rows_delimited(text, delimiter)
    items: list[RawItem] = []
    try:
        for row in rows:
            items.append(row)
            if len(items) > MAX_ITEMS:
                raise InvalidInput(f"the feed has more than {MAX_ITEMS} items", field="location")
    except csv.Error as exc:
        raise InvalidInput(f"the feed could not be read ({exc})", field="location") from exc
    return items


def _http_link(value: str) -> bool:
    if len(value) > MAX_LINK:
        return False
    try:
        split = urlsplit(value)
    except ValueError:
        return False
    return split.scheme in ("http", "https") and bool(split.hostname)


def _gtin_valid(value: str) -> bool:
    if not value.isdigit() or len(value) not in (8, 12, 13, 14):
        return False
    digits = [int(c) for c in value]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


def parse_price(text: str, default_currency: str | None) -> tuple[str, str] | Issue:
    """`12.50 USD`, `USD 12.50`, `1,299.00 EUR` or `12.50` (with a default currency) → (decimal text, code)."""
    match = _PRICE.match(text)
    if not match:
        return Issue("product_price_invalid", "price", f"price {text[:40]!r} is not a number and a currency")
    code = (match.group(1) or match.group(3) or default_currency or "").upper()
    if not code:
        return Issue("product_price_invalid", "price", "price has no currency and the feed sets no default")
    try:
        value = Decimal(match.group(2).replace(",", ""))
    except InvalidOperation:
        return Issue("product_price_invalid", "price", f"price {text[:40]!r} is not a number")
    if not value.is_finite() or value < 0:
        return Issue("product_price_invalid", "price", "price must not be negative")
    return format(value.quantize(Decimal("0.01")), "f"), code


def normalize_availability(text: str | None) -> str | None:
    if not text:
        return None
    return _AVAILABILITY.get(re.sub(r"[\s-]", "", text.lower().rsplit("/", 1)[-1]).replace("__", "_"))


def validate_item(
    raw: RawItem, *, default_currency: str | None, default_availability: str | None
) -> FeedItem | list[Issue]:
    """The item normalised, or every error found in it (all at once, so a merchant fixes them in one go)."""
    f = raw.fields
    errors: list[Issue] = []
    warnings: list[Issue] = []
    item_id = f.get("id", "")
    if not item_id:
        errors.append(Issue("itemid_missing", "id", "the item has no id"))
    elif len(item_id) > 127:
        errors.append(Issue("itemid_missing", "id", "the item id is longer than 127 characters"))
    title = f.get("title", "")
    if not title:
        errors.append(Issue("title_missing", "title", "the item has no title"))
    elif len(title) > MAX_TITLE:
        warnings.append(
            Issue("title_length_too_long", "title", f"title cut to {MAX_TITLE} characters", "WARNING")
        )
        title = title[:MAX_TITLE]
    link = f.get("link", "")
    if not link:
        errors.append(Issue("product_link_missing", "link", "the item has no link"))
    elif not _http_link(link):
        errors.append(Issue("link_format_invalid", "link", f"link {link[:80]!r} is not an http(s) URL"))
    image_link = f.get("image_link", "")
    if not image_link:
        errors.append(Issue("image_link_missing", "image_link", "the item has no image_link"))
    elif not _http_link(image_link):
        errors.append(
            Issue("image_link_invalid", "image_link", f"image_link {image_link[:80]!r} is not an http(s) URL")
        )
    price_text = f.get("price", "")
    if f.get("currency") and price_text and not re.search(r"[A-Za-z]{3}", price_text):
        price_text = f"{price_text} {f['currency']}"
    price: tuple[str, str] | None = None
    if not price_text:
        errors.append(Issue("price_missing", "price", "the item has no price"))
    else:
        parsed = parse_price(price_text, default_currency)
        if isinstance(parsed, Issue):
            errors.append(parsed)
        else:
            price = parsed
    sale_price: str | None = None
    if f.get("sale_price"):
        parsed_sale = parse_price(f["sale_price"], price[1] if price else default_currency)
        if isinstance(parsed_sale, Issue) or (price and parsed_sale[1] != price[1]):
            warnings.append(Issue("sales_price_invalid", "sale_price", "sale_price ignored", "WARNING"))
        else:
            sale_price = parsed_sale[0]
    availability_text = f.get("availability")
    availability = normalize_availability(availability_text) if availability_text else default_availability
    if availability is None:
        message = (
            f"availability {availability_text[:40]!r} is not in stock, out of stock or preorder"
            if availability_text
            else "the item has no availability and the feed sets no default"
        )
        errors.append(Issue("availability_invalid", "availability", message))
    brand = f.get("brand", "")[:100] or None
    if brand is None:
        warnings.append(Issue("brand_missing", "brand", "the item has no brand", "WARNING"))
    gtin = f.get("gtin", "").replace(" ", "").replace("-", "") or None
    if gtin is not None and not _gtin_valid(gtin):
        warnings.append(
            Issue("gtin_invalid", "gtin", f"gtin {gtin[:20]!r} is not a valid GTIN-8/12/13/14", "WARNING")
        )
        gtin = None
    mpn = f.get("mpn") or None
    if mpn is not None and len(mpn) > 70:
        warnings.append(Issue("mpn_invalid", "mpn", "mpn longer than 70 characters ignored", "WARNING"))
        mpn = None
    if gtin is None and mpn is None:
        warnings.append(
            Issue("gtin_mpn_missing", "gtin", "the item has neither a valid gtin nor an mpn", "WARNING")
        )
    product_type = f.get("product_type") or None
    if product_type is not None and len(product_type) > MAX_PRODUCT_TYPE:
        warnings.append(Issue("product_type_length_too_long", "product_type", "product_type cut", "WARNING"))
        product_type = product_type[:MAX_PRODUCT_TYPE]
    description = f.get("description") or None
    if description is not None and len(description) > MAX_DESCRIPTION:
        warnings.append(Issue("description_length_too_long", "description", "description cut", "WARNING"))
        description = description[:MAX_DESCRIPTION]
    if errors or price is None or availability is None:
        return errors
    return FeedItem(
        item_id=item_id,
        title=title,
        link=link,
        image_link=image_link,
        price=price[0],
        currency=price[1],
        availability=availability,
        description=description,
        sale_price=sale_price,
        brand=brand,
        gtin=gtin,
        mpn=mpn,
        product_type=product_type,
        condition=(f.get("condition") or None),
        warnings=warnings,
    )
