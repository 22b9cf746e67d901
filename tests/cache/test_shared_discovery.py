"""Discovery's lists in the shared cache: a candidate source one host computed is reused by the others."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session
from tests.cache.conftest import REDIS_URL
from tests.cache.test_cross_host import _host

from pinhaven.cache import cache_of
from pinhaven.discovery.sources import source_cache


def test_a_source_computed_on_one_host_is_adopted_by_the_other(
    tmp_path: Path, database_url: str, redis_prefix: str
) -> None:
    shared = {"cache_url": REDIS_URL, "cache_key_prefix": redis_prefix}
    a, b = _host(tmp_path, "a", database_url, **shared), _host(tmp_path, "b", database_url, **shared)
    calls: list[str] = []

    def compute(host: str) -> Callable[[Session], list[tuple[int, float]]]:
        def run(_db: Session) -> list[tuple[int, float]]:
            calls.append(host)
            return [(1, 0.5), (2, 0.25)] if host == "a" else [(9, 1.0)]

        return run

    try:
        assert source_cache(a).get("trending", 60.0, compute("a")) == [(1, 0.5), (2, 0.25)]
        assert source_cache(b).get("trending", 60.0, compute("b")) == [(1, 0.5), (2, 0.25)]
        assert calls == ["a"]  # B scanned nothing
        # In process, nothing is shared: each process computes its own.
        c, d = _host(tmp_path, "c", database_url), _host(tmp_path, "d", database_url)
        assert not cache_of(c).shared
        source_cache(c).get("trending", 60.0, compute("c"))
        assert source_cache(d).get("trending", 60.0, compute("b")) == [(9, 1.0)]
        c.engine.dispose()
        d.engine.dispose()
    finally:
        for ctx in (a, b):
            ctx.engine.dispose()
