"""A local web site for the save-from-URL and Pinry import tests (stdlib HTTP server on 127.0.0.1).

Pages: og:image (with a tracking-laden canonical og:url), a JSON-LD product, a srcset gallery, a page without
images, plain text, an "image" that is HTML. Images are real JPEG/PNG files generated per name. `/api/v2/...`
is a fake Pinry 2.x API (boards with pins_detail, pins, limit/offset pages, `Token` authentication).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zlib import crc32

from tests.factories import image_bytes

PINRY_TOKEN = "pinry-secret-token"

OG_PAGE = """<!doctype html><html><head><title>Cat pictures</title>
<meta property="og:title" content="A very good cat">
<meta property="og:description" content="Orange cat on a sofa.">
<meta property="og:site_name" content="Cats Weekly">
<meta property="og:url" content="{base}/articles/cat?utm_source=feed&amp;id=7&amp;fbclid=abc">
<meta property="og:image" content="/img/cat.jpg"><meta property="og:image:width" content="640">
<meta property="og:image:height" content="480">
</head><body><img src="/img/spacer.gif" width="1" height="1"><img src="/img/other.jpg" width="200" height="150"></body></html>"""

PRODUCT_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Mug — Shop</title>
<link rel="canonical" href="/shop/mug">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Product", "name": "Stoneware mug",
 "image": {"@type": "ImageObject", "url": "/img/mug.jpg", "width": 800, "height": 800},
 "offers": {"@type": "Offer", "price": "18.50", "priceCurrency": "usd", "availability": "https://schema.org/InStock"}}
</script></head><body><h1>Stoneware mug</h1></body></html>"""

SRCSET_PAGE = """<!doctype html><html><head><title>Gallery</title></head><body>
<img src="/img/g-small.jpg" srcset="/img/g-480.jpg 480w, /img/g-1440.jpg 1440w, /img/g-960.jpg 960w"
     width="480" height="320" alt="gallery">
<img src="/img/thumb.jpg" width="120" height="90">
</body></html>"""

BROKEN_FIRST_PAGE = """<!doctype html><html><head><title>Broken</title>
<meta property="og:image" content="/img/missing.jpg"></head>
<body><img src="/img/second.jpg" width="400" height="300"></body></html>"""

EMPTY_PAGE = (
    "<!doctype html><html><head><title>Words only</title></head><body><p>No pictures.</p></body></html>"
)


@cache
def picture(name: str) -> bytes:
    """A distinct real image per name (PNG for .png names, JPEG otherwise); g-1440 is the largest."""
    size = (960, 640) if "1440" in name else (320, 240)
    return image_bytes("PNG" if name.endswith(".png") else "JPEG", size=size, seed=crc32(name.encode()))


@dataclass
class Pinry:
    """The fake Pinry's content: boards (name, private, pin ids) and pins."""

    boards: list[dict[str, Any]] = field(default_factory=list)
    pins: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, authorization)
    fail_from_offset: int | None = None  # pins pages from this offset answer 500 (a server going away)


@dataclass
class FakeWeb:
    host: str
    port: int
    pinry: Pinry = field(default_factory=Pinry)
    hits: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        web = self.server.web
        parts = urlsplit(self.path)
        path = parts.path
        web.hits.append(self.path)
        pages = {
            "/og": OG_PAGE.replace("{base}", web.base),
            "/product": PRODUCT_PAGE,
            "/srcset": SRCSET_PAGE,
            "/broken-first": BROKEN_FIRST_PAGE,
            "/empty": EMPTY_PAGE,
        }
        if path in pages:
            self._send(200, pages[path].encode())
        elif path.startswith("/api/v2/"):
            self._pinry(path, {k: v[0] for k, v in parse_qs(parts.query).items()})
        elif path in ("/img/missing.jpg", "/media/missing.jpg"):
            self._send(404, b"gone")
        elif path == "/img/fake.jpg":
            self._send(200, b"<!doctype html><title>not an image</title>", "image/jpeg")
        elif path.startswith(("/img/", "/media/")):
            name = path.rsplit("/", 1)[1]
            self._send(200, picture(name), "image/png" if name.endswith(".png") else "image/jpeg")
        elif path == "/text":
            self._send(200, b"just some text", "text/plain")
        else:
            self._send(404, b"no such page")

    def _pinry(self, path: str, query: dict[str, str]) -> None:
        pinry = self.server.web.pinry
        auth = self.headers.get("Authorization")
        pinry.requests.append((path, auth))
        authed = auth == f"Token {PINRY_TOKEN}"
        limit, offset = int(query.get("limit", "20")), int(query.get("offset", "0"))
        by_id = {p["id"]: p for p in pinry.pins}
        visible_pins = [p for p in pinry.pins if authed or not p.get("private")]
        if path == "/api/v2/boards/":
            items = [
                {
                    "id": b["id"],
                    "name": b["name"],
                    "private": b.get("private", False),
                    "pins_detail": [by_id[i] for i in b["pins"] if authed or not by_id[i].get("private")],
                }
                for b in pinry.boards
                if authed or not b.get("private")
            ]
        elif path == "/api/v2/pins/":
            if pinry.fail_from_offset is not None and offset >= pinry.fail_from_offset:
                self._send(500, b"Server Error", "text/html")
                return
            items = visible_pins
        else:
            self._send(404, b'{"detail": "Not found."}', "application/json")
            return
        page = items[offset : offset + limit]
        more = offset + limit < len(items)
        body = {
            "count": len(items),
            "next": f"http://pinry.internal{path}?limit={limit}&offset={offset + limit}" if more else None,
            "previous": None,
            "results": page,
        }
        self._send(200, json.dumps(body).encode(), "application/json")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, web: FakeWeb) -> None:
        self.web = web
        super().__init__((web.host, web.port), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@contextmanager
def serve(host: str = "127.0.0.1") -> Iterator[FakeWeb]:
    web = FakeWeb(host, 0)
    server = _Server(web)
    web.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield web
    finally:
        server.shutdown()
        server.server_close()


def pinry_pin(
    pin_id: int,
    *,
    image: str,
    description: str = "",
    tags: tuple[str, ...] = (),
    referer: str | None = None,
    url: str | None = None,
    private: bool = False,
) -> dict[str, Any]:
    """A pin as Pinry 2.x's PinSerializer shows it."""
    return {
        "resource_link": f"http://pinry.internal/api/v2/pins/{pin_id}/",
        "id": pin_id,
        "submitter": {"username": "pat", "gravatar": "x", "resource_link": "u"},
        "url": url,
        "origin": None,
        "referer": referer,
        "description": description,
        "image": {
            "id": pin_id,
            "image": image,
            "width": 320,
            "height": 240,
            "standard": None,
            "thumbnail": None,
            "square": None,
        },
        "tags": list(tags),
        "private": private,
    }
