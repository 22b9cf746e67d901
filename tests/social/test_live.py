"""The bell's live count: Server-Sent Events from a real uvicorn server, in one process (in-process hub) and
across two hosts of one instance sharing Redis (pub/sub fan-out); the polling endpoint; the stream refuses
visitors who are not signed in."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from tests.cache.conftest import REDIS_URL
from tests.conftest import service_unavailable
from tests.e2e.live import LiveServer, live_server
from tests.factories import make_account

from pinhaven.accounts.follows import follow_user
from pinhaven.accounts.scopes import session_viewer
from pinhaven.config import Settings, load_settings
from pinhaven.context import build_context
from pinhaven.db.engine import session_scope
from pinhaven.notifications import live


def _settings(tmp_path: Path, name: str, database_url: str, **extra: Any) -> Settings:
    return load_settings(
        env={},
        data_dir=tmp_path / name,
        database_url=database_url,
        password_hash_fast=True,
        worker_threads=0,
        semantic_search=False,
        secret_key="one-instance",
        admission_queue_deadline_seconds=0.0,
        **extra,
    )


class Events:
    """Reads `event: unread` counts from an open stream in a thread."""

    def __init__(self, base_url: str, token: str, stop_after: int = 0) -> None:
        self.stop_after = stop_after  # leave (close the connection) after this many events; 0: never
        self.counts: list[tuple[float, int]] = []
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self._client = httpx.Client(base_url=base_url, timeout=httpx.Timeout(30.0, read=30.0))
        self._thread = threading.Thread(target=self._read, args=(token,), daemon=True)
        self._thread.start()

    def _read(self, token: str) -> None:
        try:
            headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
            with self._client.stream("GET", "/notifications/stream", headers=headers) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                event = None
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "unread":
                        self.counts.append((time.monotonic(), json.loads(line[6:])["unread"]))
                        self.ready.set()
                        if self.stop_after and len(self.counts) >= self.stop_after:
                            return
        except (httpx.HTTPError, RuntimeError) as exc:  # closed at the end of the test
            self.error = exc

    def wait_for(self, count: int, timeout: float = 5.0, after: int = 0) -> float:
        """When `count` arrived (among the events after the first `after`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, seen in self.counts[after:]:
                if seen == count:
                    return at
            time.sleep(0.01)
        raise AssertionError(f"never saw unread={count}; saw {self.counts}")

    def close(self) -> None:
        self._client.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(_settings(tmp_path, "one", f"sqlite:///{tmp_path / 'one.db'}")) as running:
        yield running


def test_the_stream_pushes_the_new_count_as_soon_as_someone_follows(server: LiveServer) -> None:
    alice = make_account(server.ctx, "alice")
    bob = make_account(server.ctx, "bob")
    events = Events(server.base_url, alice.token, stop_after=3)
    try:
        assert events.ready.wait(10)
        assert events.counts[0][1] == 0
        started = time.monotonic()
        response = httpx.post(f"{server.base_url}/ext/v1/users/alice/follow", headers=bob.headers, timeout=10)
        assert response.status_code == 200
        arrived = events.wait_for(1)
        assert arrived - started < 2.0
        # reading everything clears the bell
        httpx.post(
            f"{server.base_url}/ext/v1/notifications/read",
            json={"all": True},
            headers=alice.headers,
            timeout=10,
        )
        events.wait_for(0, after=2)
        assert [c for _, c in events.counts] == [0, 1, 0]
    finally:
        events.close()
    deadline = time.monotonic() + 5
    while live.HUB.listening(alice.user.id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live.HUB.listening(alice.user.id) == 0  # the stream ended when its client left


def test_the_stream_and_count_need_a_signed_in_visitor(server: LiveServer) -> None:
    response = httpx.get(f"{server.base_url}/notifications/stream", timeout=10)
    assert response.status_code == 401
    assert response.json()["code"] == 401
    assert httpx.get(f"{server.base_url}/notifications/count", timeout=10).status_code == 401


def test_two_hosts_sharing_redis_fan_out_through_pub_sub(tmp_path: Path) -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_unavailable("Redis at 127.0.0.1:6379", exc)
    prefix = f"test:{uuid.uuid4().hex[:12]}:"
    database_url = f"sqlite:///{tmp_path / 'shared.db'}"
    shared = {"cache_url": REDIS_URL, "cache_key_prefix": prefix}
    host_a = build_context(_settings(tmp_path, "a", database_url, **shared))
    seen: list[Any] = []
    watcher = client.pubsub(ignore_subscribe_messages=True)
    watcher.subscribe(f"{prefix}notifications")
    try:
        with live_server(_settings(tmp_path, "b", database_url, **shared)) as host_b:
            alice = make_account(host_b.ctx, "alice")
            bob = make_account(host_b.ctx, "bob")
            events = Events(host_b.base_url, alice.token, stop_after=2)
            try:
                assert events.ready.wait(10)
                with session_scope(host_a.sessions) as db:  # the follow is written on host A
                    follow_user(db=db, viewer=session_viewer(bob.user.id), username="alice")
                events.wait_for(1)
            finally:
                events.close()
            deadline = time.monotonic() + 3.0
            while time.monotonic() < deadline and not seen:
                message = watcher.get_message(timeout=0.2)  # (None also for the ignored subscribe reply)
                if message is not None:
                    seen.append(json.loads(message["data"]))
    finally:
        watcher.close()
        host_a.engine.dispose()
        client.close()
    assert [alice.user.id] in seen  # the user id went through Redis, not a shortcut inside this process
