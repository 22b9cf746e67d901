"""Two `pinhaven serve` hosts and one `pinhaven worker` on shared engines: PostgreSQL + pgvector, S3, Redis.

Each process has its own data folder, as separate machines would. A pin uploaded through host A is served by
host B (JSON and every image size, byte-identical), found by text and visual search on B, shows in "more like
this" and in a follower's feed on B; a board made secret, a pin deleted or a token revoked on A is seen on B
within the documented bound (1 s); no media file is written under any host's data folder.
"""

# ruff: noqa: F811
from __future__ import annotations

import base64
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.engines.pgvector_server import PgvectorServer, pgvector_server  # noqa: F401
from tests.engines.seaweed import SeaweedServer, s3_settings, seaweed_s3  # noqa: F401
from tests.factories import image_bytes
from tests.integration.server import cli, running_server, start_worker, stop, wait_until

pytestmark = pytest.mark.services

BOUND_SECONDS = 1.0  # the documented staleness bound for privacy changes, deletes and revocations
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif", ".zip"}


@pytest.fixture
def shared_env(
    pgvector_server: PgvectorServer, s3_settings: dict[str, str], tmp_path: Path
) -> dict[str, str]:
    """PINHAVEN_* values every host of one instance shares (the data folder is each host's own)."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except Exception as exc:
        from tests.conftest import service_unavailable

        service_unavailable("Redis at 127.0.0.1:6379", exc)
    database = pgvector_server.database(f"mh_{uuid.uuid4().hex[:10]}")
    return {
        **s3_settings,
        "PINHAVEN_DATABASE_URL": database,
        "PINHAVEN_VECTOR_STORE": "database",
        "PINHAVEN_CACHE_URL": "redis://127.0.0.1:6379/0",
        "PINHAVEN_CACHE_KEY_PREFIX": f"mh-{uuid.uuid4().hex[:10]}:",
        "PINHAVEN_SECRET_KEY": "multi-host-test-key",
        "PINHAVEN_SEMANTIC_SEARCH": "0",  # MiniLM loads in seconds per process; its pgvector path has own tests
        "PINHAVEN_WORKER_THREADS": "0",  # the web hosts only serve; the worker host runs every job
    }


@contextmanager
def running_worker(data_dir: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = start_worker(data_dir, env, threads=2)
    try:
        yield process
    finally:
        stop(process)


def seconds_until(check: Callable[[], bool], *, timeout: float = 10.0) -> float:
    """How long until `check()` holds (measured from now), failing after `timeout`."""
    start = time.monotonic()
    wait_until(check, timeout=timeout, interval=0.05, what="the change to reach the other host")
    return time.monotonic() - start


def media_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]


def pin_body(board_id: str, seed: int, title: str) -> dict[str, Any]:
    data = base64.b64encode(image_bytes(seed=seed)).decode()
    return {
        "board_id": board_id,
        "title": title,
        "media_source": {"source_type": "image_base64", "content_type": "image/jpeg", "data": data},
    }


def test_two_hosts_and_a_worker_share_one_instance(tmp_path: Path, shared_env: dict[str, str]) -> None:
    host_a, host_b, worker_dir = tmp_path / "host-a", tmp_path / "host-b", tmp_path / "worker"
    for folder in (host_a, host_b, worker_dir):
        folder.mkdir()
    assert cli(host_a, "init", env=shared_env).returncode == 0
    tokens = {}
    for name in ("alice", "bob"):
        made = cli(
            host_a,
            "users",
            "create",
            name,
            "--email",
            f"{name}@x.test",
            stdin="a good password\n",
            env=shared_env,
        )
        assert made.returncode == 0, made.stderr
        tokens[name] = cli(host_b, "tokens", "create", name, env=shared_env).stdout.strip()
    alice = {"Authorization": f"Bearer {tokens['alice']}"}
    bob = {"Authorization": f"Bearer {tokens['bob']}"}

    with (
        running_server(host_a, env=shared_env) as a,
        running_server(host_b, env=shared_env) as b,
        running_worker(worker_dir, shared_env),
        httpx.Client(timeout=30) as http,
    ):
        board = http.post(f"{a}/v5/boards", json={"name": "Alpine lakes"}, headers=alice).json()
        pins = []
        for seed in range(8):
            made = http.post(
                f"{a}/v5/pins", json=pin_body(board["id"], seed, f"Glacier lake {seed}"), headers=alice
            )
            assert made.status_code == 201, made.text
            pins.append(made.json())
        pin = pins[0]
        assert http.post(f"{b}/ext/v1/users/alice/follow", headers=bob).status_code == 200

        # The worker host processes and embeds the images; host B then answers visual search from the shared index.
        query = {"image": ("query.jpg", image_bytes(seed=0, size=(480, 360)), "image/jpeg")}

        def found_by_picture() -> bool:
            found = http.post(f"{b}/ext/v1/search/visual", files=query, headers=bob)
            return (
                found.status_code == 200
                and bool(found.json()["items"])
                and found.json()["items"][0]["id"] == pin["id"]
            )

        wait_until(
            found_by_picture, timeout=120, what="the worker to embed the pins (visual search on host B)"
        )

        # The same pin, JSON and every image size, from either host.
        on_a = http.get(f"{a}/v5/pins/{pin['id']}", headers=alice).json()
        on_b = http.get(f"{b}/v5/pins/{pin['id']}", headers=alice).json()
        assert on_a == on_b | {"media": on_a["media"]}  # media URLs name the host they were requested from
        sizes = on_b["media"]["images"]
        assert len(sizes) >= 5, sizes
        for size, image in sizes.items():
            path = httpx.URL(image["url"]).raw_path.decode()
            from_b = http.get(f"{b}{path}", headers=bob)  # most sizes were never rendered: B renders them
            from_a = http.get(f"{a}{path}", headers=bob)
            assert from_b.status_code == 200, (size, from_b.text)
            assert from_a.content == from_b.content, size

        found = http.get(f"{b}/ext/v1/search/pins", params={"q": "glacier"}, headers=bob).json()
        assert pin["id"] in {item["id"] for item in found["items"]}
        related = http.get(f"{b}/ext/v1/pins/{pin['id']}/related", headers=bob).json()
        assert {item["id"] for item in related["items"]} & {p["id"] for p in pins[1:]}
        feed = wait_until(
            lambda: (
                {item["id"] for item in http.get(f"{b}/ext/v1/feed/home", headers=bob).json()["items"]}
                & {p["id"] for p in pins}
            ),
            timeout=15,
            what="alice's pins in her follower's home feed on host B",
        )
        assert feed

        # A privacy change on A: host B hides the board and its pins within the bound.
        assert http.get(f"{b}/v5/boards/{board['id']}/pins", headers=bob).status_code == 200
        made_secret = http.patch(f"{a}/v5/boards/{board['id']}", json={"privacy": "SECRET"}, headers=alice)
        assert made_secret.status_code == 200, made_secret.text
        hidden_after = seconds_until(
            lambda: (
                http.get(f"{b}/v5/boards/{board['id']}/pins", headers=bob).status_code == 404
                and http.get(f"{b}/v5/pins/{pin['id']}", headers=bob).status_code == 404
            )
        )
        assert hidden_after <= BOUND_SECONDS, hidden_after
        assert not http.post(f"{b}/ext/v1/search/visual", files=query, headers=bob).json()["items"]
        found = http.get(f"{b}/ext/v1/search/pins", params={"q": "glacier"}, headers=bob).json()
        assert not found["items"]
        secret_image = http.get(f"{b}{httpx.URL(sizes['236x']['url']).raw_path.decode()}", headers=bob)
        assert secret_image.status_code == 404

        # A delete on A: B stops serving it (to its owner) within the bound.
        assert http.get(f"{b}/v5/pins/{pins[1]['id']}", headers=alice).status_code == 200
        assert http.delete(f"{a}/v5/pins/{pins[1]['id']}", headers=alice).status_code == 204
        gone_after = seconds_until(
            lambda: http.get(f"{b}/v5/pins/{pins[1]['id']}", headers=alice).status_code == 404
        )
        assert gone_after <= BOUND_SECONDS, gone_after

        # A token revoked (from a third machine's CLI): both hosts refuse it within the bound.
        assert http.get(f"{b}/v5/user_account", headers=bob).status_code == 200
        listed = cli(worker_dir, "tokens", "list", "bob", env={**shared_env, "COLUMNS": "200"}).stdout
        token_id = next(word for word in listed.split() if word.isdigit() and len(word) > 10)
        assert cli(worker_dir, "tokens", "revoke", "bob", token_id, env=shared_env).returncode == 0
        revoked_after = seconds_until(
            lambda: (
                http.get(f"{b}/v5/user_account", headers=bob).status_code == 401
                and http.get(f"{a}/v5/user_account", headers=bob).status_code == 401
            )
        )
        assert revoked_after <= BOUND_SECONDS, revoked_after

    for folder in (host_a, host_b, worker_dir):
        assert media_files(folder) == [], folder
