"""Page scraping: what a web page says about itself, for making a pin from a link.

`scrape_page` reads Open Graph / Twitter / plain meta tags, `<link rel=canonical>`, JSON-LD (see jsonld.py)
and `<img>`/`<picture>` elements in one pass (selectolax/lexbor), and ranks candidate images. Ranking: each
candidate gets an area — declared width × height, or a typical size for its source when undeclared (an
og:image with no size is assumed 1200×630) — multiplied by a weight for how deliberately the publisher chose
it (og:image 2, JSON-LD/twitter 1.5, `<img>` 1); ties go to the earlier element in the document.
`looks_like_image` tells a direct image from a page by its magic bytes.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pinhaven.ingest.jsonld import (
    IMAGE_TYPES,
    Offer,
    image_entries,
    node_types,
    normalize_availability,
    parse_blocks,
    parse_price,
    product_offer,
    text_value,
)
from pinhaven.text_rules import without_controls

__all__ = ["ImageCandidate", "Offer", "PageInfo", "looks_like_image", "scrape_page", "sniff_image_type"]

MAX_IMG_ELEMENTS = 400  # later <img> elements are ignored: bounds the work a hostile page can cause
MAX_CANDIDATES = 50  # images returned, best first
MIN_IMAGE_SIDE = 51  # a declared side of 50 px or less is an icon, a spacer or a tracking pixel
_WEIGHT = {"og:image": 2.0, "link:image_src": 1.5, "json-ld": 1.5, "twitter:image": 1.5, "img": 1.0}
_ASSUMED_AREA = {
    "og:image": 1200 * 630,
    "link:image_src": 600 * 400,
    "json-ld": 800 * 800,
    "twitter:image": 800 * 418,
}
_ASSUMED_AREA_DEFAULT = 300 * 300
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_SRCSET_URL = re.compile(r"[\s,]*(\S+)")
_URL_WHITESPACE = re.compile(r"[\t\n\r]")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_LAZY_SRC = ("data-src", "data-lazy-src", "data-original", "data-lazy", "src")
_LAZY_SRCSET = ("data-srcset", "data-lazy-srcset", "srcset")


@dataclass(frozen=True)
class ImageCandidate:
    """An image the page offers, with its declared size when known."""

    url: str
    width: int | None
    height: int | None
    source: str  # og:image, twitter:image, json-ld, link:image_src, img
    position: int  # document order of the element that named it

    @property
    def score(self) -> float:
        if self.width and self.height:
            area = float(self.width * self.height)
        elif self.width or self.height:
            side = self.width or self.height or 0
            area = side * side * 0.75  # one side known: assume 4:3
        else:
            area = _ASSUMED_AREA.get(self.source, _ASSUMED_AREA_DEFAULT) if self.source != "img" else 0.0
        return area * _WEIGHT.get(self.source, 1.0)


@dataclass(frozen=True)
class PageInfo:
    """What a page says about itself; `images` best first, `product` from JSON-LD or product meta tags."""

    url: str
    title: str | None = None
    description: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    images: tuple[ImageCandidate, ...] = field(default=())
    product: Offer | None = None

    @property
    def image_url(self) -> str | None:
        return self.images[0].url if self.images else None


def sniff_image_type(body: bytes) -> str | None:
    """The image format the bytes start with (jpeg, png, gif, webp, avif, heic, bmp, tiff, jxl), or None."""
    head = body[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "avif"
        if brand in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
            return "heic"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith((b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n")):
        return "jxl"
    # BMP's signature is only two letters; also require the header size field to be a known BMP header size.
    if (
        head[:2] == b"BM"
        and len(head) >= 18
        and int.from_bytes(head[14:18], "little") in (12, 40, 56, 108, 124)
    ):
        return "bmp"
    return None


def looks_like_image(content_type: str | None, body: bytes) -> bool:
    """Whether a fetched body is a raster image, judged by its bytes (a server's Content-Type can lie)."""
    del content_type  # kept in the signature so callers pass it; deliberately not trusted
    return sniff_image_type(body) is not None


def _decode(html: bytes, encoding: str | None) -> str:
    """HTML bytes to text: BOM, then the HTTP charset, then `<meta charset>`, then UTF-8, then windows-1252."""
    for bom, codec in _BOMS:
        if html.startswith(bom):
            return html.decode(codec, errors="replace")
    match = _META_CHARSET.search(html[:4096])
    for name in (encoding, match.group(1).decode("ascii") if match else None):
        if not name:
            continue
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            continue
        if codec in ("latin-1", "iso8859-1", "ascii"):  # the HTML standard reads these as windows-1252
            codec = "cp1252"
        if codec.startswith("utf-16"):  # a meta tag we could read in ASCII cannot be in UTF-16
            codec = "utf-8"
        return html.decode(codec, errors="replace")
    try:
        return html.decode("utf-8")
    except UnicodeDecodeError:
        return html.decode("cp1252", errors="replace")


def _clean(text: str | None, limit: int) -> str | None:
    if not text:
        return None
    collapsed = " ".join(without_controls(text).split())  # a page's NUL would crash PostgreSQL
    return collapsed[:limit] or None


def _int_attr(value: str | None) -> int | None:
    match = re.fullmatch(r"\s*(\d{1,6})(?:\.\d+)?\s*(?:px)?\s*", value or "")
    return int(match.group(1)) if match else None


def _parse_srcset(value: str) -> list[tuple[str, int | None, float | None]]:
    """(url, width descriptor, density descriptor) per candidate, per the HTML spec (URLs may hold commas)."""
    out: list[tuple[str, int | None, float | None]] = []
    pos = 0
    while match := _SRCSET_URL.match(value, pos):
        url, pos = match.group(1), match.end()
        descriptors = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            comma, paren = value.find(",", pos), value.find("(", pos)
            if paren != -1 and (comma == -1 or paren < comma):  # a comma inside "(...)" does not end it
                close = value.find(")", paren)
                comma = value.find(",", close) if close != -1 else -1
            end = len(value) if comma == -1 else comma
            descriptors, pos = value[pos:end], end + 1
        width = density = None
        for token in descriptors.split():
            if token.endswith("w") and token[:-1].isdigit():
                width = int(token[:-1])
            elif token.endswith("x"):
                try:
                    density = float(token[:-1])
                except ValueError:
                    pass
        out.append((url, width, density))
    return out


class _Collector:
    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.meta: dict[str, list[str]] = {}
        self.images: list[ImageCandidate] = []
        self.scripts: list[str] = []
        self.canonical: str | None = None
        self.title: str | None = None
        self.h1: str | None = None
        self.img_elements = 0
        self._og: dict[str, Any] = {}  # the og:image being described by the og:image:* tags that follow

    def absolute(self, value: str | None) -> str | None:
        """`value` resolved against the page, fragment dropped; None unless http(s) (no data:, blob:)."""
        text = _URL_WHITESPACE.sub("", (value or "").strip())
        if not text or text[:5].lower() == "data:":  # skip urljoin on what may be megabytes of base64
            return None
        try:
            absolute = urljoin(self.base, text).partition("#")[0]
        except ValueError:
            return None
        scheme, _, rest = absolute.partition("://")
        if scheme not in ("http", "https") or not rest or rest[0] in "/?":
            return None
        return absolute

    def add_image(
        self, url: str | None, width: int | None, height: int | None, source: str, pos: int
    ) -> None:
        absolute = self.absolute(url)
        if absolute is None or absolute.partition("?")[0].lower().endswith((".svg", ".svgz")):
            return
        if (width is not None and width < MIN_IMAGE_SIDE) or (height is not None and height < MIN_IMAGE_SIDE):
            return
        self.images.append(ImageCandidate(absolute, width, height, source, pos))

    def meta_first(self, *keys: str) -> str | None:
        for key in keys:
            for value in self.meta.get(key, []):
                if value.strip():
                    return value
        return None

    def visit(self, node: LexborNode, pos: int) -> None:
        attrs = node.attributes
        tag = node.tag
        if tag == "meta":
            key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").strip().lower()
            content = attrs.get("content")
            if key and content is not None:
                self.meta.setdefault(key, []).append(content)
                self._og_image(key, content, pos)
        elif tag == "link":
            rel = (attrs.get("rel") or "").lower().split()
            if "canonical" in rel and self.canonical is None:
                self.canonical = self.absolute(attrs.get("href"))
            elif "image_src" in rel:
                self.add_image(attrs.get("href"), None, None, "link:image_src", pos)
        elif tag == "base" and attrs.get("href"):
            self.base = self.absolute(attrs.get("href")) or self.base
        elif tag == "title" and self.title is None:
            self.title = node.text()
        elif tag == "h1" and self.h1 is None:
            self.h1 = node.text()
        elif tag == "script":
            kind = (attrs.get("type") or "").split(";")[0].strip().lower()
            if kind == "application/ld+json":
                self.scripts.append(node.text())
        elif tag in ("img", "source") and self.img_elements < MAX_IMG_ELEMENTS:
            self.img_elements += 1
            self._img(attrs, tag, pos, node)

    def _og_image(self, key: str, content: str, pos: int) -> None:
        # og:image starts a structured property; the og:image:* tags that follow describe that image.
        og = self._og
        if key == "og:image" or (key in ("og:image:url", "og:image:secure_url") and not og):
            self.finish()
            og.update(url=content, width=None, height=None, svg=False, first=pos)
        elif key in ("og:image:width", "og:image:height") and og:
            og[key.rsplit(":", 1)[1]] = _int_attr(content)
        elif key == "og:image:type" and og:
            og["svg"] = "svg" in content.lower()
        elif key in ("twitter:image", "twitter:image:src"):
            self.add_image(content, None, None, "twitter:image", pos)
        elif key == "image":  # <meta itemprop="image">
            self.add_image(content, None, None, "img", pos)

    def finish(self) -> None:
        """Record the og:image still being described, if any."""
        og = self._og
        if og.get("url") and not og.get("svg"):
            self.add_image(og["url"], og.get("width"), og.get("height"), "og:image", og["first"])
        og.clear()

    def _img(self, attrs: dict[str, str | None], tag: str, pos: int, node: LexborNode) -> None:
        if tag == "source" and (node.parent is None or node.parent.tag != "picture"):
            return  # <source> of <video>/<audio>
        if "svg" in (attrs.get("type") or "").lower():
            return
        width, height = _int_attr(attrs.get("width")), _int_attr(attrs.get("height"))
        img = node.parent.css_first("img") if tag == "source" and node.parent is not None else None
        if img is not None and width is None and height is None:  # a <source> is drawn at its <img>'s size
            width, height = _int_attr(img.attributes.get("width")), _int_attr(img.attributes.get("height"))
        srcset = next((attrs[a] for a in _LAZY_SRCSET if attrs.get(a)), None)
        if srcset:
            candidates = _parse_srcset(srcset)
            if candidates:
                # Fetch the sharpest candidate, but rank by the size the page declares it is shown at;
                # a `w` descriptor stands in for the size only when the page declares none.
                url, w, _density = max(candidates, key=lambda c: (c[1] or 0, c[2] or 1.0))
                if width is None and height is None and w:
                    width = w
                self.add_image(url, width, height, "img", pos)
                return
        src = next((v for a in _LAZY_SRC if (v := attrs.get(a)) and not v.startswith("data:")), None)
        self.add_image(src, width, height, "img", pos)


def _json_ld_images(collector: _Collector, nodes: list[dict[str, Any]], pos: int) -> None:
    for node in nodes:
        types = node_types(node)
        if not types & IMAGE_TYPES:
            continue
        keys = ("image", "thumbnailUrl", "primaryImageOfPage") + (
            ("contentUrl",) if "ImageObject" in types else ()
        )
        for key in keys:
            for entry in image_entries(node.get(key)):
                collector.add_image(entry.url, entry.width, entry.height, "json-ld", pos)


def _rank(images: list[ImageCandidate]) -> tuple[ImageCandidate, ...]:
    """Merge duplicates (largest declared size, earliest position, strongest source), then best first."""
    merged: dict[str, ImageCandidate] = {}
    for image in images:
        seen = merged.get(image.url)
        if seen is None:
            merged[image.url] = image
            continue
        stronger = image if _WEIGHT.get(image.source, 1) > _WEIGHT.get(seen.source, 1) else seen
        merged[image.url] = ImageCandidate(
            image.url,
            max(filter(None, (seen.width, image.width)), default=None),
            max(filter(None, (seen.height, image.height)), default=None),
            stronger.source,
            min(seen.position, image.position),
        )
    return tuple(sorted(merged.values(), key=lambda c: (-c.score, c.position))[:MAX_CANDIDATES])


def scrape_page(html: bytes | str, *, base_url: str, encoding: str | None = None) -> PageInfo:
    """Title, description, canonical link, site name, ranked images and product offer of an HTML page."""
    text = html if isinstance(html, str) else _decode(html, encoding)
    tree = LexborHTMLParser(text)
    collector = _Collector(base_url)
    nodes = tree.css("base, title, meta, link, script, img, picture > source, h1")
    for pos, node in enumerate(nodes):
        collector.visit(node, pos)
    collector.finish()
    json_ld = parse_blocks(collector.scripts)
    _json_ld_images(collector, json_ld, len(nodes))
    main: dict[str, Any] = next((n for n in json_ld if node_types(n) & IMAGE_TYPES), {})
    website: dict[str, Any] = next((n for n in json_ld if node_types(n) & {"WebSite", "Organization"}), {})
    m = collector.meta_first
    offer = product_offer(json_ld)
    meta_price = parse_price(m("product:price:amount", "og:price:amount"))
    if offer is None and meta_price is not None:
        currency = (m("product:price:currency", "og:price:currency") or "").strip().upper()
        availability = normalize_availability(m("product:availability", "og:availability"))
        offer = Offer(meta_price, currency if re.fullmatch(r"[A-Z]{3}", currency) else None, availability)
    return PageInfo(
        url=base_url,
        title=_clean(
            m("og:title", "twitter:title")
            or collector.title
            or text_value(main.get("headline"))
            or text_value(main.get("name"))
            or collector.h1,
            1000,
        ),
        description=_clean(
            m("og:description", "description", "twitter:description") or text_value(main.get("description")),
            5000,
        ),
        canonical_url=collector.canonical or collector.absolute(m("og:url")),
        site_name=_clean(m("og:site_name", "application-name") or text_value(website.get("name")), 200),
        images=_rank(collector.images),
        product=offer,
    )
