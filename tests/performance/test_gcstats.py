"""Collections are timed per generation, long-lived objects frozen once per reason, and operators (only)
read both, with the process's RSS, at GET /ext/v1/health/process."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pinhaven import gcstats

LOOPBACK = ("127.0.0.1", 50000)


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # other tests' objects go back to being collected


def test_collections_are_timed_and_freezing_happens_once_per_reason(unfrozen: None) -> None:
    gcstats.install()
    gcstats.install()  # idempotent: one hook
    assert (
        sum(callback.__self__ is gcstats._stats for callback in gc.callbacks if hasattr(callback, "__self__"))
        == 1
    )
    before = gcstats.snapshot()
    cycles = []
    for _ in range(1000):
        node: list[object] = []
        node.append(node)  # garbage only the cyclic collector frees
        cycles.append(node)
    del cycles, node
    gc.collect()
    after = gcstats.snapshot()
    assert after["gc_collections"][2] == before["gc_collections"][2] + 1
    assert after["gc_total_ms"][2] > before["gc_total_ms"][2]
    assert after["gc_longest_ms"][2] > 0
    reason = f"test {os.getpid()} {id(after)}"
    frozen = gcstats.freeze_long_lived(reason)
    assert frozen > 0 and gc.get_freeze_count() > 0
    collections = gcstats.snapshot()["gc_collections"][2]
    gcstats.freeze_long_lived(reason)  # the same reason again: no second collection
    assert gcstats.snapshot()["gc_collections"][2] == collections
    assert gcstats.snapshot()["gc_freezes"] >= 1


def test_long_pauses_are_kept_with_their_time(unfrozen: None, monkeypatch: pytest.MonkeyPatch) -> None:
    gcstats.install()
    monkeypatch.setattr(gcstats, "RECENT_MIN_MS", 0.0)  # every pause counts as long here
    gc.collect()
    when, generation, ms, _collected = gcstats.snapshot()["gc_recent_pauses"][-1]
    assert generation == 2 and ms >= 0 and when > 0


def test_operators_read_the_process_figures(app: FastAPI) -> None:
    with TestClient(app, client=LOOPBACK) as client:
        body = client.get("/ext/v1/health/process").json()
    assert body["pid"] == os.getpid()
    assert body["rss_bytes"] > 10 * 1024 * 1024
    assert body["gc_installed"] is True  # start-up installs the hook
    assert len(body["gc_collections"]) == 3
    with TestClient(app) as stranger:  # not loopback, no operator token
        refused = stranger.get("/ext/v1/health/process")
    assert refused.status_code == 404
    assert set(refused.json()) >= {"code", "message"}
