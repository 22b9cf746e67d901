"""What authentication costs per request since issue 16: server-side session lookups and token rate limits.

    python bench/auth_costs.py [--n 20000]

Measured in process on a fresh SQLite instance (and Redis when it answers on 127.0.0.1:6379):
  * session lookup, cached: `accounts.sessions.cached_session` (what `deps.get_viewer` does on the event loop)
  * session lookup, uncached: `accounts.sessions.resolve` after the cache entry is dropped (one indexed read)
  * token allowance: `safety.ratelimit.ApiLimiter.take` (hit + window stats) in memory, and in Redis
Percentiles over `--n` calls; the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path


def _pcts(samples: list[float]) -> str:
    samples.sort()
    p50 = statistics.median(samples)
    p99 = samples[int(len(samples) * 0.99) - 1]
    return f"p50 {p50 * 1e6:8.1f} µs   p99 {p99 * 1e6:8.1f} µs"


def _time(n: int, call: Callable[[], object]) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()

    from limits.storage import MemoryStorage

    from pinhaven.accounts import service as accounts_service
    from pinhaven.accounts import sessions
    from pinhaven.cache import cache_of
    from pinhaven.config import load_settings
    from pinhaven.context import build_context
    from pinhaven.db.engine import session_scope
    from pinhaven.ratelimits import make_storage
    from pinhaven.safety.ratelimit import ApiLimiter

    print(f"load average: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            env={}, data_dir=Path(tmp), password_hash_fast=True, worker_threads=0, semantic_search=False
        )
        ctx = build_context(settings)
        with session_scope(ctx.sessions) as db:
            user = accounts_service.create(db=db, username="bench", email="b@example.test", password="x" * 12)
            cookie = sessions.make_session_cookie(db=db, secret_key=settings.secret_key, user=user)
        assert sessions.resolve(ctx=ctx, cookie=cookie) is not None
        cached = _time(args.n, lambda: sessions.cached_session(ctx=ctx, cookie=cookie))
        print(f"session lookup, cached (in process)      {_pcts(cached)}")
        parsed = sessions.parse_cookie(secret_key=settings.secret_key, cookie=cookie)
        assert parsed is not None
        key = f"session:{parsed[1]}"

        def uncached() -> None:
            cache_of(ctx).delete(key)
            sessions.resolve(ctx=ctx, cookie=cookie)

        misses = _time(max(1, args.n // 10), uncached)
        print(f"session lookup, uncached (SQLite read)   {_pcts(misses)}")
        memory = ApiLimiter(1_000_000, MemoryStorage())
        took = _time(args.n, lambda: memory.take("token-hash"))
        print(f"token allowance, memory storage          {_pcts(took)}")
        try:
            redis_storage = make_storage("redis://127.0.0.1:6379/12")
            shared = ApiLimiter(1_000_000, redis_storage)
            name = uuid.uuid4().hex
            took = _time(max(1, args.n // 10), lambda: shared.take(name))
            print(f"token allowance, Redis storage           {_pcts(took)}")
        except Exception as exc:  # no Redis here: skip that line
            print(f"token allowance, Redis storage           skipped ({type(exc).__name__})")
        ctx.engine.dispose()
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
