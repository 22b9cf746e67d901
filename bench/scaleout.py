"""Scale-out on shared engines vs the embedded default, in one run.

Shared = PostgreSQL 16 + pgvector 0.6 (from the `pgserver` package, fsync off), media on SeaweedFS (S3), cache on
the local Redis, vectors in the database. Embedded = SQLite + local files + in-process indexes. For each, with
1 and 2 `pinhaven serve` processes: listing a board's pins (25 per page), creating a pin (1 MP JPEG) and
visual search by pin ("more like this picture"), at concurrency 1 and 16, timed per request (asyncio
keep-alive client from bench/api.py), with server CPU per request and RSS per server process. Then the media
store alone: put and get of a 236x WebP variant on S3 vs the local folder.

    .venv/bin/python bench/scaleout.py [--seconds 4] [--pins 120] [--processes 1,2]

pgvector kNN at 100k / 1M vectors (recall@10, p50/p99 with the privacy filter in the query) is measured by
bench/vectors_pgvector.py.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api import create_pin_requests, get_raw, load, post_raw, seed, server_pids
from tests.engines import pgvector_server, seaweed
from tests.integration.server import cli, running_server

from pinhaven.media.store import LocalMediaStore, MediaStore

REDIS_URL = "redis://127.0.0.1:6379/0"


def rss_mib(pids: list[int]) -> list[float]:
    sizes = []
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return sorted(sizes, reverse=True)


def shared_env(pg: pgvector_server.PgvectorServer, s3: seaweed.SeaweedServer) -> dict[str, str]:
    os.environ["AWS_ACCESS_KEY_ID"] = seaweed.ACCESS_KEY
    os.environ["AWS_SECRET_ACCESS_KEY"] = seaweed.SECRET_KEY
    return {
        "PINHAVEN_DATABASE_URL": pg.database(f"bench_{uuid.uuid4().hex[:8]}"),
        "PINHAVEN_MEDIA_STORE": f"s3://{s3.new_bucket()}/media",
        "PINHAVEN_S3_ENDPOINT_URL": s3.endpoint_url,
        "PINHAVEN_S3_REGION": seaweed.REGION,
        "PINHAVEN_CACHE_URL": REDIS_URL,
        "PINHAVEN_CACHE_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}:",
        "PINHAVEN_VECTOR_STORE": "database",
        "PINHAVEN_SECRET_KEY": "bench-secret-key",
    }


def measure(
    label: str, env: dict[str, str], processes: int, args: argparse.Namespace
) -> list[tuple[str, str, int, int, dict[str, float]]]:
    rows: list[tuple[str, str, int, int, dict[str, float]]] = []
    data_dir = Path(tempfile.mkdtemp(prefix="pinhaven-bench-scaleout-"))
    env = {
        **env,
        "PINHAVEN_SEMANTIC_SEARCH": "0",
        "PINHAVEN_LOG_LEVEL": "warning",
        "PINHAVEN_WORKER_THREADS": "0",
        # throughput, not shedding: admission control answers 503 above 16 reads in flight per process
        "PINHAVEN_ADMISSION_READ_LIMIT": "0",
        "PINHAVEN_ADMISSION_WRITE_LIMIT": "0",
    }
    try:
        cli(data_dir, "init", env=env).check_returncode()
        cli(data_dir, "users", "create", "bench", "--email", "b@x.test", stdin="bench password\n", env=env)
        token = cli(data_dir, "tokens", "create", "bench", env=env).stdout.strip()
        with running_server(data_dir, env=env, args=("--processes", str(processes))) as base:
            board = seed(base, token, args.pins)
            drained = cli(data_dir, "jobs", "drain", env=env)  # process + embed every image before measuring
            if drained.returncode != 0:
                raise SystemExit(f"drain failed: {drained.stderr}")
            pids = [p for p in server_pids(data_dir) if p != os.getpid()]
            headers = {"Authorization": f"Bearer {token}"}
            pin_ids = [
                item["id"]
                for item in httpx.get(
                    f"{base}/v5/boards/{board}/pins?page_size=50", headers=headers, timeout=30
                ).json()["items"]
            ]
            cells: list[tuple[str, Callable[[int], bytes]]] = [
                ("list 25 pins", lambda i: get_raw(f"/v5/boards/{board}/pins?page_size=25", token)),
                (
                    "visual search by pin",
                    lambda i: post_raw("/ext/v1/search/visual", token, {"pin_id": pin_ids[i % len(pin_ids)]}),
                ),
            ]
            for name, make_raw in cells:
                for concurrency in (1, 16):
                    load(base, make_raw, concurrency, 1.0)  # warm-up
                    rows.append(
                        (
                            name,
                            label,
                            processes,
                            concurrency,
                            load(base, make_raw, concurrency, args.seconds, pids),
                        )
                    )
            bodies = create_pin_requests(token, board, seeds=range(5000, 5048))
            stats = load(base, lambda i: bodies[i % len(bodies)], 16, args.seconds, pids)
            rows.append(("create pin (1 MP JPEG)", label, processes, 16, stats))
            print(f"  {label}, {processes} process(es): server RSS MiB {[round(r) for r in rss_mib(pids)]}")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return rows


def variant_bytes() -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", (236, 177), os.urandom(236 * 177 * 3)).save(out, "WEBP", quality=80)
    return out.getvalue()


def store_latency(store: MediaStore, rounds: int = 200) -> dict[str, float]:
    data = variant_bytes()
    puts, gets = [], []
    for i in range(rounds):
        key = f"ab/{uuid.uuid4().hex}{i}/236x.webp"
        start = time.perf_counter()
        store.put(key, data)
        puts.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        assert store.get(key) == data
        gets.append((time.perf_counter() - start) * 1000)
    put_q, get_q = statistics.quantiles(puts, n=100), statistics.quantiles(gets, n=100)
    return {
        "put_p50": put_q[49],
        "put_p99": put_q[98],
        "get_p50": get_q[49],
        "get_p99": get_q[98],
        "bytes": len(data),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--pins", type=int, default=120)
    parser.add_argument("--processes", default="1,2")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="pinhaven-bench-engines-"))
    pg = pgvector_server.start_server(scratch / "pg")
    s3 = seaweed.start_server(scratch / "s3")
    rows = []
    try:
        for processes in [int(p) for p in args.processes.split(",")]:
            rows += measure("embedded", {}, processes, args)
            rows += measure("shared", shared_env(pg, s3), processes, args)
        from pinhaven.config import load_settings
        from pinhaven.media.store_s3 import S3MediaStore

        env = shared_env(pg, s3)
        s3_store = S3MediaStore.from_settings(load_settings(env=env, data_dir=scratch / "data"))
        stores = {"local folder": LocalMediaStore(scratch / "media"), "S3 (SeaweedFS)": s3_store}
        latencies = {name: store_latency(store) for name, store in stores.items()}
    finally:
        s3.stop()
        pg.stop()
        shutil.rmtree(scratch, ignore_errors=True)

    print(
        f"\nmachine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; {args.seconds:.0f} s per cell; worker off"
    )
    print(
        f"{'operation':<24} {'engines':<9} {'procs':>5} {'conc':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>11}"
    )
    for name, label, processes, concurrency, stats in rows:
        print(
            f"{name:<24} {label:<9} {processes:>5} {concurrency:>5} {stats['rps']:>8.1f} {stats['p50']:>8.2f} "
            f"{stats['p99']:>8.2f} {stats['server_cpu_ms']:>11.2f}"
        )
    print("\nshared / embedded throughput (target for listing: ≥ 0.60 per process)")
    index = {(n, lab, p, c): s for n, lab, p, c, s in rows}
    for name, label, processes, concurrency, stats in rows:
        if label == "shared":
            base = index[(name, "embedded", processes, concurrency)]
            print(f"  {name:<24} procs {processes} conc {concurrency:>2}: {stats['rps'] / base['rps']:.2f}")
    print(
        "\nmedia store, one 236x WebP variant (~{:.0f} KB), 200 rounds".format(
            latencies["local folder"]["bytes"] / 1024
        )
    )
    for name, lat in latencies.items():
        print(
            f"  {name:<16} put p50 {lat['put_p50']:.2f} ms p99 {lat['put_p99']:.2f} ms   "
            f"get p50 {lat['get_p50']:.2f} ms p99 {lat['get_p99']:.2f} ms"
        )


if __name__ == "__main__":
    main()
