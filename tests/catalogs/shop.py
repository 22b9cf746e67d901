"""A merchant's web site for the catalog tests (stdlib HTTP server on 127.0.0.1): a feed whose content the
test changes between syncs, and a real generated image per product."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zlib import crc32

from tests.factories import image_bytes


@dataclass
class Shop:
    host: str
    port: int
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # path -> (body, content type)
    hits: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def put(self, path: str, body: str | bytes, content_type: str = "text/csv; charset=utf-8") -> str:
        self.files[path] = (body.encode() if isinstance(body, str) else body, content_type)
        return self.url(path)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        shop = self.server.shop
        path = self.path.split("?", 1)[0]
        shop.hits.append(path)
        if path.startswith("/img/"):
            body, kind = image_bytes("JPEG", size=(320, 240), seed=crc32(path.encode())), "image/jpeg"
        elif path in shop.files:
            body, kind = shop.files[path]
        else:
            body, kind = b"not found", "text/plain"
            self.send_response(404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, shop: Shop) -> None:
        super().__init__((shop.host, 0), _Handler)
        self.shop = shop


@contextmanager
def serve() -> Iterator[Shop]:
    shop = Shop("127.0.0.1", 0)
    server = _Server(shop)
    shop.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield shop
    finally:
        server.shutdown()
        server.server_close()
