"""Ingest benchmark: what the SSRF-safe fetcher, the scraper and link hygiene cost against naive baselines.

Everything runs on this machine (a stdlib HTTP server on 127.0.0.1, pages generated here).
  fetch     pinhaven `fetch` (resolve + check + pinned connection + caps) vs an httpx.Client, a 20 KB page
  redirect  3-hop redirect chain, pinhaven vs httpx (follow_redirects=True)
  bomb      64 MiB-of-zeros gzip body: pinhaven refuses at a 1 MB cap; naive `gzip.decompress` inflates it all
  scrape    `scrape_page` on a 250 KB article page vs a naive "first og:image" lookup with selectolax
  links     `normalize_link` vs a bare `urlsplit`/`urlunsplit` round trip

    .venv/bin/python bench/ingest.py            # 200 requests / 200 pages
    .venv/bin/python bench/ingest.py --n 1000   # steadier percentiles
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import threading
import time
import tracemalloc
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_network
from urllib.parse import urlsplit, urlunsplit

import httpx
from selectolax.lexbor import LexborHTMLParser

from pinhaven.config import Settings
from pinhaven.ingest import FetchError, fetch, normalize_link, scrape_page

PAGE = (
    "<html><head><title>Bench page</title><meta property='og:image' content='/hero.jpg'>"
    "<meta property='og:image:width' content='1200'><meta property='og:image:height' content='630'>"
    '<script type=\'application/ld+json\'>{"@type": "Product", "name": "Lamp", "image": "/p.jpg",'
    ' "offers": {"price": "19.99", "priceCurrency": "USD", "availability": "InStock"}}</script>'
    "</head><body>"
    + "".join(
        f"<p>Paragraph {i} with some words in it.</p><img src='/img/{i}.jpg' width='{300 + i}' height='200'"
        f" srcset='/img/{i}-a.jpg 600w, /img/{i}-b.jpg 1200w'>"
        for i in range(1200)
    )
    + "</body></html>"
).encode()
SMALL = PAGE[:20_000]
BOMB = gzip.compress(bytes(64 * 1024 * 1024), compresslevel=9)
LINKS = [
    f"HTTPS://WWW.Shop{i % 50}.example.com:443/p/{i}/./x/../item?utm_source=pin&utm_medium=social&id={i}"
    f"&fbclid=abc{i}&color=red#reviews"
    for i in range(2000)
]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body go out in two segments and wait on delayed ACKs

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/r/"):
            left = int(self.path[3:])
            body, status, extra = b"", 302, {"Location": f"/r/{left - 1}" if left > 1 else "/small"}
        elif self.path == "/bomb":
            body, status, extra = BOMB, 200, {"Content-Encoding": "gzip"}
        else:
            body, status, extra = SMALL, 200, {}
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def timings(run: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        run()
        out.append((time.perf_counter() - start) * 1000)
    return out


def row(name: str, ours: list[float], base: list[float] | None, unit: str = "ms") -> None:
    def pct(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]

    p50, p95 = pct(ours, 50), pct(ours, 95)
    if base is None:
        print(f"{name:<10} {p50:>9.3f} {p95:>9.3f} {'-':>9} {'-':>9} {'-':>8}  {unit}")
        return
    b50, b95 = pct(base, 50), pct(base, 95)
    print(f"{name:<10} {p50:>9.3f} {p95:>9.3f} {b50:>9.3f} {b95:>9.3f} {p50 / b50:>7.2f}x  {unit}")


def peak_mb(run: Callable[[], object]) -> tuple[float, float]:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        run()
    except FetchError:
        pass
    elapsed = (time.perf_counter() - start) * 1000
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return peak, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=200, help="requests/pages per measurement")
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings = Settings(fetch_allow_networks=(ip_network("127.0.0.0/8"),), fetch_max_bytes=1_000_000)

    print(f"{'case':<10} {'p50':>9} {'p95':>9} {'base p50':>9} {'base p95':>9} {'ratio':>8}")
    fresh = httpx.Client(trust_env=False, headers={"Connection": "close"})  # a new TCP connection per request
    pooled = httpx.Client(trust_env=False)  # keep-alive: what the fetcher deliberately does not do
    with fresh, pooled:
        fresh.get(f"{base}/small")
        pooled.get(f"{base}/small")
        fetch(f"{base}/small", settings=settings)
        row("fetch", timings(lambda: fetch(f"{base}/small", settings=settings), args.n),
            timings(lambda: fresh.get(f"{base}/small"), args.n))  # fmt: skip
        row("fetch*", timings(lambda: fetch(f"{base}/small", settings=settings), args.n),
            timings(lambda: pooled.get(f"{base}/small"), args.n))  # fmt: skip
        row("redirect", timings(lambda: fetch(f"{base}/r/3", settings=settings), args.n // 2),
            timings(lambda: fresh.get(f"{base}/r/3", follow_redirects=True), args.n // 2))  # fmt: skip
    row("scrape", timings(lambda: scrape_page(PAGE, base_url=base), max(args.n // 4, 5)),
        timings(lambda: LexborHTMLParser(PAGE).css_first("meta[property='og:image']"), max(args.n // 4, 5)))  # fmt: skip
    row("links", timings(lambda: [normalize_link(link) for link in LINKS], 20),
        timings(lambda: [urlunsplit(urlsplit(link)) for link in LINKS], 20), f"ms per {len(LINKS)} links")  # fmt: skip
    ours_peak, ours_ms = peak_mb(lambda: fetch(f"{base}/bomb", settings=settings))
    naive_peak, naive_ms = peak_mb(lambda: gzip.decompress(BOMB))
    print(f"\nbomb ({len(BOMB) // 1024} KB gzip → 64 MiB): pinhaven refused in {ours_ms:.0f} ms, peak "
          f"{ours_peak:.1f} MB traced; naive gzip.decompress {naive_ms:.0f} ms, peak {naive_peak:.1f} MB")  # fmt: skip
    print("baseline: fetch/redirect = httpx.Client with Connection: close (new connection per request, like")
    print(
        "pinhaven); fetch* = keep-alive httpx.Client; scrape = one og:image lookup; links = urlsplit round trip"
    )
    server.shutdown()


if __name__ == "__main__":
    main()
