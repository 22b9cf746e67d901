"""End to end with real processes: `pinhaven serve` (web only) and `pinhaven worker` (relay and durable
consumers) on PostgreSQL with PINHAVEN_EVENT_BUS_URL set. Pins, follows and engagement go through the API;
the relay publishes, the consumers apply (counters, search, trending, archive), the serving process's graph
follows the stream (related pins), and health shows no lag once drained. Then the worker is killed with
SIGKILL in the middle of a burst and restarted: nothing is lost, nothing is counted twice."""

from __future__ import annotations

import base64
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select
from tests.conftest import _postgres_schema, service_unavailable
from tests.factories import image_bytes
from tests.integration.server import cli, running_server, start_worker, stop, wait_until

from pinhaven.db.engine import make_engine
from pinhaven.events.models import EngagementEvent, PinStats
from pinhaven.stream.archive import read_archive
from pinhaven.stream.models import TrendingHourly

pytestmark = [pytest.mark.slow, pytest.mark.services]

NATS_URL = "nats://127.0.0.1:4222"
HEALTH_TOKEN = "e2e-health-token"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    schema = _postgres_schema()
    url = next(schema)
    from pinhaven.db.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    schema.close()


@pytest.fixture
def env(postgres_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    import nats

    async def ping() -> None:
        connection = await nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=0)
        await connection.close()

    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:  # own thread: a session-scoped Playwright browser may hold a running loop in the main thread
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, ping()).result()
    except Exception as exc:
        service_unavailable(f"NATS at {NATS_URL}", exc)
    instance = f"e2e{uuid.uuid4().hex[:8]}"
    yield {
        "PINHAVEN_DATABASE_URL": postgres_url,
        "PINHAVEN_EVENT_BUS_URL": NATS_URL,
        "PINHAVEN_EVENT_STREAM_INSTANCE": instance,
        "PINHAVEN_EVENT_ARCHIVE_DIR": str(tmp_path / "archive"),
        "PINHAVEN_SECRET_KEY": "e2e-stream-secret",
        "PINHAVEN_HEALTH_TOKEN": HEALTH_TOKEN,
        "PINHAVEN_SEMANTIC_SEARCH": "0",
        "PINHAVEN_WORKER_THREADS": "0",  # the web process only serves; the worker process relays and consumes
    }
    _delete_streams(instance)


def _delete_streams(instance: str) -> None:
    from pinhaven.stream.bus import open_bus

    bus = open_bus(NATS_URL, instance)
    try:
        bus.delete_streams()
    finally:
        bus.close()


def test_serve_and_worker_stream_every_change_and_survive_a_killed_worker(
    tmp_path: Path, env: dict[str, str], postgres_url: str
) -> None:
    web_dir, worker_dir = tmp_path / "web", tmp_path / "worker"
    web_dir.mkdir()
    assert cli(web_dir, "init", env=env).returncode == 0
    headers = {}
    for name in ("alice", "bob"):
        made = cli(web_dir, "users", "create", name, "--email", f"{name}@x.test", stdin="a good password\n", env=env)  # fmt: skip
        assert made.returncode == 0, made.stderr
        token = cli(web_dir, "tokens", "create", name, env=env).stdout.strip()
        headers[name] = {"Authorization": f"Bearer {token}"}
    alice, bob = headers["alice"], headers["bob"]
    operator = {"x-health-token": HEALTH_TOKEN}
    database = make_engine(postgres_url)

    def counted(kind: str) -> int:
        column = getattr(PinStats, kind)
        with database.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.sum(column), 0))).scalar_one())

    def logged() -> int:
        with database.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(EngagementEvent)).scalar_one())

    worker = start_worker(worker_dir, env)
    try:
        with running_server(web_dir, env=env) as web, httpx.Client(timeout=30) as http:
            board = http.post(f"{web}/v5/boards", json={"name": "Fjords"}, headers=alice).json()
            pins = []
            for seed in range(4):
                data = base64.b64encode(image_bytes(seed=seed)).decode()
                body = {
                    "board_id": board["id"],
                    "title": f"Narrow fjord {seed}",
                    "media_source": {
                        "source_type": "image_base64",
                        "content_type": "image/jpeg",
                        "data": data,
                    },
                }
                made = http.post(f"{web}/v5/pins", json=body, headers=alice)
                assert made.status_code == 201, made.text
                pins.append(made.json()["id"])
            assert http.post(f"{web}/ext/v1/users/alice/follow", headers=bob).status_code == 200

            def burst(round_: int) -> int:
                events = [
                    {"type": kind, "pin_id": pin, "surface": "home", "position": round_ * 10 + i}
                    for i, pin in enumerate(pins)
                    for kind in ("impression", "closeup", "click")
                ]
                accepted = http.post(f"{web}/ext/v1/events", json={"events": events}, headers=bob)
                assert accepted.status_code == 200, accepted.text
                return int(accepted.json()["accepted"])

            sent = sum(burst(r) for r in range(5))
            assert sent == 60
            # The consumers apply: counters, the search index, and the serving process's graph.
            wait_until(lambda: counted("closeups") == 20, timeout=30, what="the counters consumer")
            found = wait_until(
                lambda: http.get(f"{web}/ext/v1/search/pins", params={"q": "fjord"}, headers=bob).json()[
                    "items"
                ],
                timeout=30,
                what="the indexer consumer",
            )
            assert {item["id"] for item in found} == set(pins)
            related = wait_until(
                lambda: http.get(f"{web}/ext/v1/pins/{pins[0]}/related", headers=bob).json()["items"],
                timeout=30,
                what="the graph feed",
            )
            assert {item["id"] for item in related} & set(pins[1:])

            def drained() -> dict[str, Any] | None:
                stream = http.get(f"{web}/ext/v1/health", headers=operator).json()["stream"]
                lags = stream["consumers"].values()
                idle = all(lag and lag["pending"] == 0 and lag["ack_pending"] == 0 for lag in lags)
                return stream if stream["outbox_backlog"] == 0 and idle else None

            stream = wait_until(drained, timeout=30, what="lag 0 in health")
            assert set(stream["consumers"]) == {"counters", "indexer", "archive", "trending"}

            # kill -9 the worker in the middle of a burst; the web host keeps accepting; restart it.
            more = 0
            for round_ in range(5, 25):
                more += burst(round_)
                if round_ == 8:
                    stop(worker, signal.SIGKILL)
            assert counted("closeups") < 20 + more // 3  # the worker died before counting everything
            worker = start_worker(worker_dir, env)
            total = sent + more
            # Messages the dead worker held unacknowledged come back after the ack wait (30 s).
            wait_until(lambda: counted("closeups") == total // 3, timeout=90, what="every close-up counted")
            wait_until(drained, timeout=60, what="lag 0 after the restart")
            time.sleep(1.0)  # a double count would show up now
            assert (counted("impressions"), counted("closeups"), counted("outbound_clicks")) == (
                total // 3,
                total // 3,
                total // 3,
            )
            assert logged() == total  # the request path logged each accepted event once
            with database.connect() as conn:
                windowed = conn.execute(select(func.sum(TrendingHourly.closeups))).scalar_one()
            assert int(windowed) == total // 3  # trending windows: each event once
            archive = read_archive(Path(env["PINHAVEN_EVENT_ARCHIVE_DIR"]))
            assert archive.num_rows == total  # the archive holds each event (readers de-duplicate by id)

            # Rebuild from nothing with the CLI (worker stopped): the same counts, an archive without copies.
            stop(worker)
            for name in ("counters", "archive"):
                rebuilt = cli(worker_dir, "stream", "replay", name, "--from-start", env=env)
                assert rebuilt.returncode == 0, rebuilt.stderr
                assert f"replayed {name} from sequence 1" in rebuilt.stdout
            assert (counted("impressions"), counted("closeups")) == (total // 3, total // 3)
            files = sorted(Path(env["PINHAVEN_EVENT_ARCHIVE_DIR"]).glob("events/date=*/*.parquet"))
            ids = [i for f in files for i in pq.read_table(f).column("id").to_pylist()]
            assert len(ids) == len(set(ids)) == total
    finally:
        stop(worker)
        database.dispose()
