"""A real local web site for the fetcher tests (stdlib HTTP server in a thread), and small test helpers.

Routes serve pages with og:image, JSON-LD products and srcsets, images, redirect chains, slow and endless
bodies and compression bombs. Each server records the requests it received (`Site.hits`).
"""

from __future__ import annotations

import gzip
import io
import json
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_network
from urllib.parse import parse_qs, urlsplit

import brotli
from PIL import Image

from pinhaven.config import Settings

BOMB_DECODED_BYTES = 64 * 1024 * 1024
_MAX_HANDLER_SECONDS = 15.0  # endless/slow handlers give up on their own so no thread outlives the run


@cache
def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 40, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


@cache
def bombs() -> dict[str, bytes]:
    zeros = bytes(BOMB_DECODED_BYTES)
    return {
        "gzip": gzip.compress(zeros, compresslevel=9),
        "deflate": zlib.compress(zeros, 9),
        "br": brotli.compress(zeros, quality=5),
    }


OG_PAGE = """<!doctype html><html><head><title>Cat pictures</title>
<meta property="og:title" content="A very good cat">
<meta property="og:description" content="Orange cat on a sofa.">
<meta property="og:image" content="/img/cat.png"><meta property="og:image:width" content="320">
<meta property="og:image:height" content="240">
</head><body><img src="/img/spacer.gif" width="1" height="1"></body></html>"""

PRODUCT_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Mug — Shop</title>
<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
 {"@type": "Organization", "name": "Shop", "logo": "/logo.png"},
 {"@type": "Product", "name": "Stoneware mug", "image": {"@type": "ImageObject", "url": "/img/mug.jpg",
  "width": 1000, "height": 1000},
  "offers": {"@type": "Offer", "price": 18.5, "priceCurrency": "USD", "availability": "http://schema.org/OutOfStock"}}
]}</script></head><body><h1>Stoneware mug</h1></body></html>"""

SRCSET_PAGE = """<!doctype html><html><head><title>Gallery</title></head><body>
<img src="/img/g-small.jpg" srcset="/img/g-480.jpg 480w, /img/g-1440.jpg 1440w, /img/g-960.jpg 960w"
     width="480" height="320" alt="gallery">
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="/img/lazy.jpg" width="700" height="700">
</body></html>"""


@dataclass
class Hit:
    path: str
    host_header: str
    local_address: str


@dataclass
class Site:
    host: str
    port: int
    hits: list[Hit] = field(default_factory=list)

    def url(self, path: str, host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _SiteServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(
        self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8", **extra: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str, status: int = 302) -> None:
        self._send(status, b"moved", Location=location)

    def _stream_forever(self, chunk: bytes, pause: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        stop = time.monotonic() + _MAX_HANDLER_SECONDS
        try:
            while time.monotonic() < stop:
                self.wfile.write(chunk)
                self.wfile.flush()
                if pause:
                    time.sleep(pause)
        except OSError:
            pass  # the fetcher hung up, as it should
        self.close_connection = True

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        self.server.site.hits.append(
            Hit(self.path, self.headers.get("Host", ""), str(self.server.server_address[0]))
        )
        if path == "/echo":
            payload = {
                "host": self.headers.get("Host"),
                "server": str(self.server.server_address[0]),
                "path": self.path,
            }
            self._send(200, json.dumps(payload).encode(), "application/json")
        elif path == "/og":
            self._send(200, OG_PAGE.encode())
        elif path == "/product":
            self._send(200, PRODUCT_PAGE.encode())
        elif path == "/srcset":
            self._send(200, SRCSET_PAGE.encode())
        elif path == "/latin1":
            self._send(200, "<title>Crème brûlée</title>".encode("cp1252"), "text/html; charset=windows-1252")
        elif path == "/img/cat.png":
            self._send(200, png_bytes(), "image/png")
        elif path == "/img/disguised":
            self._send(200, png_bytes(), "text/html")
        elif path == "/fake.png":
            self._send(200, b"<!doctype html><title>not an image</title>", "image/png")
        elif path == "/text":
            self._send(200, b"just some text", "text/plain")
        elif path.startswith("/status/"):
            self._send(int(path.rsplit("/", 1)[1]), b"status page")
        elif path.startswith("/chain/"):  # /chain/3 → /chain/2 → /chain/1 → /chain/0 (200)
            left = int(path.rsplit("/", 1)[1])
            if left:
                self._redirect(f"/chain/{left - 1}", (301, 302, 307, 308)[left % 4])
            else:
                self._send(200, b"landed")
        elif path == "/loop":
            self._redirect("/loop")
        elif path == "/to":
            self._redirect(query["u"], int(query.get("status", "302")))
        elif path == "/slowto":  # answer a redirect, but only after `s` seconds
            time.sleep(float(query["s"]))
            self._redirect(query["u"])
        elif path == "/slow":
            time.sleep(min(float(query.get("s", "5")), _MAX_HANDLER_SECONDS))
            self._send(200, b"finally")
        elif path == "/drip":
            self._stream_forever(b"x", 0.05)
        elif path == "/endless":
            self._stream_forever(bytes(64 * 1024), 0)
        elif path == "/big-declared":
            self.send_response(200)
            self.send_header("Content-Length", str(10**9))
            self.end_headers()
            self.close_connection = True
        elif path.startswith("/bomb/"):
            encoding = path.rsplit("/", 1)[1]
            self._send(200, bombs()[encoding], "text/html", Content_Encoding=encoding)
        elif path.startswith("/encoded/"):
            encoding = path.rsplit("/", 1)[1]
            body = OG_PAGE.encode()
            encoded = {
                "gzip": gzip.compress(body),
                "deflate": zlib.compress(body),
                "raw-deflate": zlib.compress(body)[2:-4],
                "br": brotli.compress(body),
                "gzip-twice": gzip.compress(gzip.compress(body)),
            }[encoding]
            header = {"raw-deflate": "deflate", "gzip-twice": "gzip, gzip"}.get(encoding, encoding)
            self._send(200, encoded, Content_Encoding=header)
        elif path == "/unknown-encoding":
            self._send(200, b"???", Content_Encoding="compress")
        else:
            self._send(404, b"no such page")


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], site: Site) -> None:
        self.site = site
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the fetcher hanging up mid-body (caps, timeouts) is the expected case, not an error


def serve(host: str, port: int = 0, tls: ssl.SSLContext | None = None) -> tuple[_SiteServer, Site]:
    """Start a site on `host` (a free port unless given); with `tls`, it speaks HTTPS."""
    site = Site(host, port)
    server = _SiteServer((host, port), site)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    site.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, site


def stop(*servers: _SiteServer) -> None:
    for server in servers:
        server.shutdown()
        server.server_close()


def fetch_settings(*networks: str, timeout: float = 3.0, max_bytes: int = 1_000_000) -> Settings:
    """Settings for fetcher tests (built directly: no data dir, no secret key file)."""
    return Settings(
        fetch_allow_networks=tuple(ip_network(n) for n in networks),
        fetch_timeout_seconds=timeout,
        fetch_max_bytes=max_bytes,
    )


LOOPBACK = fetch_settings("127.0.0.0/8")


def only(table: dict[str, list[str]]) -> Callable[[str], list[str]]:
    """A resolver answering from `table` alone, so tests never look up real names."""

    def resolve(host: str) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} is not in the test resolver")
        return table[host]

    return resolve
