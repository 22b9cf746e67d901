"""API throughput and latency over HTTP on loopback: list a board's pins (25 per page), create a pin (1 MP JPEG).

Starts real `pinhaven serve` processes (1 and 2 server processes) on a scratch data dir, seeds a board, then
drives them with a small keep-alive HTTP/1.1 load generator (asyncio streams, so the client stays cheap on a
2-core machine) at concurrency 1 and 16. Prints requests/s, latency percentiles and the CPU time the server
processes spent per request (from /proc: unlike req/s, it does not depend on what else the machine is doing).

    .venv/bin/python bench/api.py [--seconds 5] [--pins 200] [--processes 1,2]

Reference point measured on this kind of machine (DESIGN.md §7): Pinry 2.1.9, gunicorn 2 workers, listing
30 pins: ≈ 10 req/s at concurrency 1 (p50 ≈ 100 ms), ≈ 16 req/s at concurrency 16; 1 MP upload ≈ 90 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.server import cli, running_server


def jpeg_1mp(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (1155, 866), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(1155), rng.randrange(866)
        draw.ellipse(
            (x, y, x + rng.randrange(20, 300), y + rng.randrange(20, 300)),
            fill=tuple(rng.randrange(256) for _ in range(3)),
        )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    writer.write(raw)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


async def _worker(
    host: str, port: int, make_raw, deadline: float, latencies: list[float], errors: list[int]
) -> None:  # type: ignore[no-untyped-def]
    reader, writer = await asyncio.open_connection(host, port)
    i = 0
    try:
        while time.perf_counter() < deadline:
            raw = make_raw(i)
            i += 1
            start = time.perf_counter()
            status = await _request(reader, writer, raw)
            latencies.append((time.perf_counter() - start) * 1000)
            if status >= 300:
                errors.append(status)
    finally:
        writer.close()


def server_pids(data_dir: Path) -> list[int]:
    """The `pinhaven serve` processes (supervisor and workers) running on `data_dir`, found by environment."""
    marker = f"PINHAVEN_DATA_DIR={data_dir}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    pids.append(int(entry.name))
            except OSError:  # gone, or not ours
                continue
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the live processes `pids`."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def load(  # type: ignore[no-untyped-def]
    base: str,
    make_raw,
    concurrency: int,
    seconds: float,
    pids: list[int] | None = None,
    allow_errors: bool = False,
) -> dict[str, float]:
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors: list[int] = []
    server_cpu = cpu_seconds(pids or [])
    client_cpu = time.process_time()

    async def main() -> float:
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(
            *[_worker(host, int(port), make_raw, deadline, latencies, errors) for _ in range(concurrency)]
        )
        return time.perf_counter() - start

    elapsed = asyncio.run(main())
    client_cpu = time.process_time() - client_cpu
    server_cpu = cpu_seconds(pids or []) - server_cpu
    if errors and not allow_errors:
        raise SystemExit(f"{len(errors)} requests failed, e.g. HTTP {errors[0]}")
    quantiles = statistics.quantiles(latencies, n=100)
    n = len(latencies)
    return {
        "rps": n / elapsed,
        "p50": quantiles[49],
        "p99": quantiles[98],
        "p999": statistics.quantiles(latencies, n=1000)[998] if n >= 1000 else max(latencies),
        "max": max(latencies),
        "n": n,
        "errors": len(errors),
        "server_cpu_ms": server_cpu / n * 1000,
        "client_cpu_ms": client_cpu / n * 1000,
    }


def get_raw(path: str, token: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\n\r\n".encode()


def post_raw(path: str, token: str, body: dict[str, object]) -> bytes:
    data = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


def create_pin_requests(token: str, board: str, seeds: range) -> list[bytes]:
    """Raw `POST /v5/pins` requests, one 1 MP JPEG each (distinct seeds: distinct pictures)."""
    return [
        post_raw(
            "/v5/pins",
            token,
            {
                "board_id": board,
                "media_source": {
                    "source_type": "image_base64",
                    "content_type": "image/jpeg",
                    "data": base64.b64encode(jpeg_1mp(seed)).decode(),
                },
            },
        )
        for seed in seeds
    ]


def seed(base: str, token: str, pins: int) -> str:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    board = httpx.post(f"{base}/v5/boards", json={"name": "Bench"}, headers=headers, timeout=30).json()["id"]
    images = [base64.b64encode(jpeg_1mp(i)).decode() for i in range(8)]
    for i in range(pins):
        body = {
            "board_id": board,
            "title": f"Pin {i}",
            "media_source": {
                "source_type": "image_base64",
                "content_type": "image/jpeg",
                "data": images[i % 8],
            },
        }
        response = httpx.post(f"{base}/v5/pins", json=body, headers=headers, timeout=30)
        response.raise_for_status()
    return str(board)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--pins", type=int, default=200)
    parser.add_argument("--processes", default="1,2")
    args = parser.parse_args()
    rows: list[tuple[str, int, int, dict[str, float]]] = []
    for processes in [int(p) for p in args.processes.split(",")]:
        data_dir = Path(tempfile.mkdtemp(prefix="pinhaven-bench-api-"))
        try:
            cli(data_dir, "init")
            cli(
                data_dir,
                "users",
                "create",
                "bench",
                "--email",
                "bench@example.test",
                stdin="bench password\n",
            )
            token = cli(data_dir, "tokens", "create", "bench").stdout.strip()
            env = {
                "PINHAVEN_WORKER_THREADS": "0",
                "PINHAVEN_LOG_LEVEL": "warning",
                # measure what a process can do, not how it sheds (bench/spike.py measures that)
                "PINHAVEN_ADMISSION_READ_LIMIT": "0",
                "PINHAVEN_ADMISSION_WRITE_LIMIT": "0",
            }
            with running_server(data_dir, env=env, args=("--processes", str(processes))) as base:
                board = seed(base, token, args.pins)
                pids = server_pids(data_dir)
                list_request = get_raw(f"/v5/boards/{board}/pins?page_size=25", token)
                for concurrency in (1, 16):
                    load(base, lambda i, r=list_request: r, concurrency, 1.0)  # warm-up
                    stats = load(base, lambda i, r=list_request: r, concurrency, args.seconds, pids)
                    rows.append(("list 25 pins", processes, concurrency, stats))
                bodies = create_pin_requests(token, board, seeds=range(1000, 1064))
                for concurrency in (1, 16):
                    stats = load(base, lambda i, b=bodies: b[i % len(b)], concurrency, args.seconds, pids)
                    rows.append(("create pin (1 MP JPEG)", processes, concurrency, stats))
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
    print(f"\nmachine: {os.cpu_count()} cores; {args.seconds:.0f} s per cell; SQLite; worker threads off")
    print(
        f"{'operation':<24} {'procs':>5} {'conc':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9}"
        f" {'server CPU ms/req':>18} {'client CPU ms/req':>18}"
    )
    for name, processes, concurrency, stats in rows:
        print(
            f"{name:<24} {processes:>5} {concurrency:>5} {stats['rps']:>9.1f} {stats['p50']:>8.2f} "
            f"{stats['p99']:>8.2f} {stats['n']:>9.0f} {stats['server_cpu_ms']:>18.2f} {stats['client_cpu_ms']:>18.2f}"
        )
    print(
        "baseline (Pinry 2.1.9, same machine class, DESIGN.md): list 30 pins ≈ 10 req/s c=1 (p50 ≈ 100 ms), ≈ 16 req/s c=16"
    )


if __name__ == "__main__":
    main()
