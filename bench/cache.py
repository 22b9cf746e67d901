"""Per-request cost of the shared cache (Redis) against the in-process one, on a token lookup and a listing.

Builds one instance twice on the same database (SQLite in a scratch dir, or --database-url): once with the
in-process cache, once with Redis (--redis, a database number and a key prefix of its own). For each it times,
in this process (no HTTP server, so the cache's own cost is not drowned in network noise):

  token hit        TokenCache.get of a token resolved before (what every authenticated request does)
  token miss       resolve_token: generation + database read + store (a token's first request)
  listing (hit)    one board page as the API serves it: read transaction, access check, cached page
  listing (miss)   the same with the cache invalidated before every request (the board's generation bumped)
  listing (none)   the same without any cache (present.board_page_json: the path before the cache existed)
  GET (HTTP)       GET /v5/boards/{id}/pins?page_size=25 through the ASGI app (TestClient), token included

and prints p50 / p99 in microseconds.

    .venv/bin/python bench/cache.py [--requests 3000] [--pins 100] [--redis redis://127.0.0.1:6379/13]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient
from tests.discovery_service.helpers import World
from tests.factories import make_account

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.scopes import session_viewer
from pinhaven.accounts.token_cache import TokenCache, tokens_of
from pinhaven.app import create_app
from pinhaven.boards.service import board_content_generation
from pinhaven.cache import cache_of
from pinhaven.cache.redis_cache import RedisCache
from pinhaven.config import load_settings
from pinhaven.context import AppContext, build_context
from pinhaven.pagination import PageParams
from pinhaven.pins import service as pins_service
from pinhaven.pins.board_pages import cached_board_page_json
from pinhaven.pins.present import board_page_json

BASE_URL = "http://bench.test"


def timed(run: Callable[[], object], requests: int) -> tuple[float, float]:
    for _ in range(min(200, requests)):  # warm: statement caches, connection pool, JIT-less but hot code
        run()
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1e6)
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[98]


def workloads(ctx: AppContext, board_id: int, token: str) -> dict[str, tuple[Callable[[], object], int]]:
    """Figure name → (one request, divisor of --requests: misses are slow, fewer samples suffice)."""
    viewer = session_viewer(0)
    tokens: TokenCache = tokens_of(ctx)
    token_hash = accounts_service._token_hash(token)
    cache = cache_of(ctx)
    page = PageParams(page_size=25)

    def resolve() -> object:
        tokens.forget(token_hash)
        return accounts_service.resolve_token(
            read_sessions=ctx.read_sessions, sessions=ctx.sessions, tokens=tokens, plaintext=token
        )

    def hit() -> object:
        found = tokens.get(token_hash)
        return found if found is not None else resolve()  # the first call, or after a TTL expiry

    def listing(cached: bool) -> Callable[[], object]:
        def run() -> object:
            with ctx.read_sessions() as db:
                listed = pins_service.listable_board_id(db=db, viewer=viewer, board_id=board_id)
                assert listed is not None
                if not cached:
                    return board_page_json(
                        db=db, viewer=viewer, board_id=listed, section_id=None, page=page, base_url=BASE_URL
                    )
                return cached_board_page_json(
                    cache,
                    db=db,
                    viewer=viewer,
                    board_id=listed,
                    section_id=None,
                    page=page,
                    base_url=BASE_URL,
                )

        return run

    def cold() -> object:
        cache.bump(board_content_generation(board_id))
        return listing(True)()

    client = TestClient(create_app(ctx=ctx), base_url=BASE_URL)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/v5/boards/{board_id}/pins?page_size=25"
    return {
        "token miss": (resolve, 3),
        "token hit": (hit, 1),
        "listing (hit)": (listing(True), 1),
        "listing (miss)": (cold, 3),
        "listing (none)": (listing(False), 1),
        "GET (HTTP)": (lambda: client.get(url, headers=headers), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--pins", type=int, default=100)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="pinhaven-cache-bench-"))
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    database_url = args.database_url or f"sqlite:///{scratch / 'bench.db'}"
    common = {"database_url": database_url, "password_hash_fast": True, "worker_threads": 0}
    common |= {"semantic_search": False, "secret_key": "bench"}
    contexts = {
        "in-process": build_context(load_settings(env={}, data_dir=scratch / "memory", **common)),
        "redis": build_context(
            load_settings(
                env={}, data_dir=scratch / "redis", cache_url=args.redis, cache_key_prefix=prefix, **common
            )
        ),
    }
    try:
        first = contexts["in-process"]
        world = World(first)
        owner = make_account(first, "owner")
        board = world.board(owner, "Bench")
        for i in range(args.pins):
            world.pin(owner, board, f"pin {i}")
        print(f"{args.pins} pins on one board, page of 25, {args.requests} requests per figure")
        print(f"database: {database_url.split('://')[0]}; redis: {args.redis}")
        loads = {name: workloads(ctx, board, owner.token) for name, ctx in contexts.items()}
        print(f"{'µs per request':<18}" + "".join(f"{name + ' p50 / p99':>26}" for name in loads))
        for figure in loads["in-process"]:  # figure by figure, both caches back to back: same machine load
            cells = ""
            for name in loads:
                run, divisor = loads[name][figure]
                p50, p99 = timed(run, args.requests // divisor)
                cells += f"{p50:>16.0f} / {p99:<7.0f}"
            print(f"{figure:<18}{cells}", flush=True)
    finally:
        shared = contexts["redis"].services["cache"]
        if isinstance(shared, RedisCache):
            keys = list(shared.client.scan_iter(match=f"{prefix}*"))
            if keys:
                shared.client.delete(*keys)
        for ctx in contexts.values():
            ctx.engine.dispose()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
