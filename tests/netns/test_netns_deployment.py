"""Two app hosts and a worker host, each on its own network address, sharing engines over a private network.

Built by tests/netns/harness.py (Linux network namespaces joined by a bridge on 10.213.N.0/24): host A
10.213.N.11, host B .12, the worker .13, PostgreSQL+pgvector / Redis / SeaweedFS / NATS on .2; each host has
its own data folder. A pin uploaded on A shows on B (follower's home feed, text search, "more like this")
within PROPAGATION_BOUND_SECONDS; host A killed with SIGKILL in the middle of an upload loop loses no pin it
acknowledged (each is served by B with its images) and B keeps serving throughout.
"""

from __future__ import annotations

import base64
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from tests.conftest import service_unavailable
from tests.factories import image_bytes
from tests.netns.harness import Deployment, unavailable_reason

pytestmark = pytest.mark.services

# Measured 2026-12 on the 2-core box (loaded by other work): feed and search on B see a pin from A at once
# (< 0.1 s: both read the shared database); related needs the pin's board in B's graph (polled change log).
PROPAGATION_BOUND_SECONDS = 5.0


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    reason = unavailable_reason()
    if reason is not None:
        service_unavailable("Linux network namespaces", RuntimeError(reason))
    with contextlib.ExitStack() as stack:
        try:
            running = stack.enter_context(Deployment.start(tmp_path_factory.mktemp("netns")))
            running.start_all()
        except (OSError, RuntimeError, ImportError) as exc:
            stack.close()
            service_unavailable("the namespaced deployment (PostgreSQL+pgvector, Redis, SeaweedFS)", exc)
        yield running


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30, trust_env=False) as client:  # no proxy: the hosts are on the bridge
        yield client


def pin_body(board_id: str, seed: int, title: str) -> dict[str, Any]:
    data = base64.b64encode(image_bytes(seed=seed)).decode()
    return {
        "board_id": board_id,
        "title": title,
        "media_source": {"source_type": "image_base64", "content_type": "image/jpeg", "data": data},
    }


def seconds_until(check: Callable[[], bool], *, since: float, timeout: float = 30.0) -> float:
    """Seconds from `since` until `check()` first holds (inf after `timeout`)."""
    while not check():
        if time.monotonic() - since > timeout:
            return float("inf")
        time.sleep(0.05)
    return time.monotonic() - since


def ids(response: httpx.Response) -> set[str]:
    return {item["id"] for item in response.json()["items"]} if response.status_code == 200 else set()


def test_a_pin_uploaded_on_host_a_shows_on_host_b(deployment: Deployment, http: httpx.Client) -> None:
    alice = {"Authorization": f"Bearer {deployment.create_user('alice')}"}
    bob = {"Authorization": f"Bearer {deployment.create_user('bob')}"}
    a, b = deployment.url("a"), deployment.url("b")
    board = http.post(f"{a}/v5/boards", json={"name": "Fjords"}, headers=alice).json()
    neighbours = set()
    for seed in range(3):  # neighbours on the board, so "more like this" has something to walk to
        made = http.post(f"{a}/v5/pins", json=pin_body(board["id"], seed, f"Fjord {seed}"), headers=alice)
        assert made.status_code == 201, made.text
        neighbours.add(made.json()["id"])
    assert http.post(f"{b}/ext/v1/users/alice/follow", headers=bob).status_code == 200

    made = http.post(f"{a}/v5/pins", json=pin_body(board["id"], 9, "Geirangerfjord waterfall"), headers=alice)
    assert made.status_code == 201, made.text
    pin = made.json()["id"]
    acknowledged_at = time.monotonic()
    delays = {
        "pin JSON": seconds_until(
            lambda: http.get(f"{b}/v5/pins/{pin}", headers=bob).status_code == 200, since=acknowledged_at
        ),
        "home feed": seconds_until(
            lambda: pin in ids(http.get(f"{b}/ext/v1/feed/home", headers=bob)), since=acknowledged_at
        ),
        "text search": seconds_until(
            lambda: (
                pin in ids(http.get(f"{b}/ext/v1/search/pins", params={"q": "geirangerfjord"}, headers=bob))
            ),
            since=acknowledged_at,
        ),
        "related": seconds_until(
            lambda: bool(ids(http.get(f"{b}/ext/v1/pins/{pin}/related", headers=bob)) & neighbours),
            since=acknowledged_at,
        ),
    }
    print(f"\nhost A → host B, seconds from the 201 on A until B shows it: {delays}")
    assert max(delays.values()) <= PROPAGATION_BOUND_SECONDS, delays


def test_host_a_killed_mid_upload_loses_no_acknowledged_pin(
    deployment: Deployment, http: httpx.Client
) -> None:
    carol = {"Authorization": f"Bearer {deployment.create_user('carol')}"}
    a, b = deployment.url("a"), deployment.url("b")
    board = http.post(f"{a}/v5/boards", json={"name": "Harbour"}, headers=carol).json()
    acknowledged: list[str] = []
    b_statuses: list[int] = []
    stop = threading.Event()

    def upload_loop() -> None:  # one client uploading to A until A stops answering
        with httpx.Client(timeout=10, trust_env=False) as client:
            for seed in range(100, 160):
                try:
                    made = client.post(
                        f"{a}/v5/pins", json=pin_body(board["id"], seed, f"Boat {seed}"), headers=carol
                    )
                except httpx.HTTPError:
                    return
                if made.status_code == 201:
                    acknowledged.append(made.json()["id"])

    def read_b() -> None:  # another client reading B through the kill
        with httpx.Client(timeout=10, trust_env=False) as client:
            while not stop.is_set():
                b_statuses.append(client.get(f"{b}/v5/boards/{board['id']}/pins", headers=carol).status_code)
                time.sleep(0.02)

    threads = [threading.Thread(target=upload_loop), threading.Thread(target=read_b)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 6 and time.monotonic() < deadline and threads[0].is_alive():
        time.sleep(0.02)
    deployment.kill("a")  # kill -9, mid-loop: a request is usually in flight
    threads[0].join(30)
    time.sleep(0.5)
    stop.set()
    threads[1].join(30)
    assert len(acknowledged) >= 6, acknowledged
    print(f"\n{len(acknowledged)} pins acknowledged by A before it died; B answered {len(b_statuses)} reads")

    for pin in acknowledged:
        shown = http.get(f"{b}/v5/pins/{pin}", headers=carol)
        assert shown.status_code == 200, (pin, shown.text)
        images = shown.json()["media"]["images"]
        for size in ("originals", "236x", "600x"):
            served = http.get(f"{b}{httpx.URL(images[size]['url']).raw_path.decode()}", headers=carol)
            assert served.status_code == 200 and served.content, (pin, size, served.status_code)
    listed = ids(http.get(f"{b}/v5/boards/{board['id']}/pins", params={"page_size": 100}, headers=carol))
    assert set(acknowledged) <= listed
    assert b_statuses and set(b_statuses) == {200}, b_statuses  # B served every read through the kill
    after = http.post(f"{b}/v5/pins", json=pin_body(board["id"], 999, "After"), headers=carol)
    assert after.status_code == 201, after.text
