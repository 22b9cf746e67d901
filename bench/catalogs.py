"""Catalog ingestion benchmark: items per second of a feed sync without images (new items, then a re-sync with
every price changed), against the same feed only parsed and validated (no database) in the same run.

    python bench/catalogs.py                  # 20,000 items, SQLite in a temporary folder (~1 min)
    python bench/catalogs.py --items 100000 --database-url postgresql+psycopg://...

The feed (CSV) is served by a local HTTP server and fetched through the SSRF-safe fetcher, as a merchant's
would be. "Without images" is `SyncOptions(fetch_images=False)`: items are validated and stored, no pins made
(image fetching and media processing are measured by bench/ingest.py and bench/media.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_network
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.scopes import session_viewer
from pinhaven.catalogs import service
from pinhaven.catalogs.feeds import parse_feed, validate_item
from pinhaven.catalogs.models import CatalogProcessingResult
from pinhaven.config import load_settings
from pinhaven.context import build_context
from pinhaven.db.engine import session_scope


def feed_csv(n: int, price_shift: int) -> bytes:
    rows = ["id,title,description,link,image_link,price,availability,brand,gtin,mpn,product_type"]
    for i in range(n):
        rows.append(
            f"SKU{i},Product {i} in oak,A sturdy thing number {i},https://shop.example/p/{i},"
            f"https://cdn.shop.example/{i}.jpg,{10 + (i + price_shift) % 90}.99 USD,"
            f"{'in stock' if i % 7 else 'out of stock'},Brand {i % 40},,MPN-{i},Home > Furniture > {i % 12}"
        )
    return ("\n".join(rows) + "\n").encode()


class _Handler(BaseHTTPRequestHandler):
    body = b""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(_Handler.body)))
        self.end_headers()
        self.wfile.write(_Handler.body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    location = f"http://127.0.0.1:{server.server_address[1]}/feed.csv"
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            env={},
            data_dir=Path(tmp),
            database_url=args.database_url or f"sqlite:///{tmp}/bench.db",
            worker_threads=0,
            password_hash_fast=True,
            secret_key="bench",
            semantic_search=False,
            fetch_allow_networks=(ip_network("127.0.0.0/8"),),
            fetch_timeout_seconds=120.0,
        )
        ctx = build_context(settings)
        with session_scope(ctx.sessions) as db:
            user = accounts_service.create(
                db=db, username="merchant", email="m@example.test", password="bench pass 1"
            )
            feed = service.create_feed(
                db=db,
                settings=settings,
                viewer=session_viewer(user.id),
                catalog_id=None,
                fields=service.FeedFields(name="Bench", format="CSV", location=location),
            )
            feed_id = feed.id
        options = service.SyncOptions(fetch_images=False)
        print(f"items={args.items} database={ctx.engine.url.get_backend_name()} cpus={os.cpu_count()}")

        _Handler.body = feed_csv(args.items, 0)
        t0 = time.perf_counter()
        raws = parse_feed(_Handler.body, "CSV")
        valid = sum(
            not isinstance(validate_item(r, default_currency=None, default_availability=None), list)
            for r in raws
        )
        baseline = time.perf_counter() - t0
        print(
            f"baseline parse+validate only: {valid} valid, {baseline:.2f} s, {args.items / baseline:,.0f} items/s"
        )

        for label, shift in (("first sync (all new)", 0), ("re-sync (every price changed)", 1)):
            _Handler.body = feed_csv(args.items, shift)
            t0 = time.perf_counter()
            result_id = service.sync_feed(ctx, feed_id, options)
            elapsed = time.perf_counter() - t0
            with ctx.sessions() as db:
                result = db.get(CatalogProcessingResult, result_id)
                assert result is not None and result.status == "COMPLETED", result and result.message
                ingested = result.counts["ingested"]
            print(f"{label}: {ingested} items in {elapsed:.2f} s = {ingested / elapsed:,.0f} items/s")
        print(f"load average: {os.getloadavg()}")
    server.shutdown()


if __name__ == "__main__":
    main()
