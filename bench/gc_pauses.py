"""Garbage-collector pauses and listing tail latency of a `pinhaven serve` that has used its default features.

For each variant (a source tree: this checkout, or an older one unpacked with `git archive`), in turn:
start `pinhaven serve --processes 2` on a scratch data dir with the default background jobs on; create
pins with titles (their image and text jobs run), wait for the queue to drain, run a text search and a
visual search (the MiniLM model and the indexes load); then list a board's pins (25 per page) at
concurrency 16 for `--seconds`, timing every request on the client (no coordinated-omission estimate).

Every server process times each of its collections with a `gc.callbacks` hook put in by a
`sitecustomize` module on PYTHONPATH (the same hook for every variant, so old trees are measured too);
pauses of 2 ms or more are appended to a file per process. The script prints, per variant: req/s,
p50/p99/p99.9/max of the listing, the longest GC pause inside the load window and how many passed 50 ms,
the RSS of each server process, and the machine's load average.

    git archive <commit> src | tar -x -C /tmp/pinhaven-before
    .venv/bin/python bench/gc_pauses.py --variant before=/tmp/pinhaven-before/src --variant after=src
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api import get_raw, jpeg_1mp, load, server_pids
from tests.integration.server import cli, running_server

SITECUSTOMIZE = textwrap.dedent(
    """
    import gc, json, os, time

    _dir = os.environ.get("PINHAVEN_BENCH_GC_DIR")
    if _dir:
        _state = {}

        def _pinhaven_bench_gc(phase, info):
            if phase == "start":
                _state["t"] = time.perf_counter()
                return
            ms = (time.perf_counter() - _state.get("t", time.perf_counter())) * 1000
            gen = info.get("generation", 2)
            counts = _state.setdefault("n", [0, 0, 0])
            counts[gen] += 1
            if ms >= 2.0:
                with open(os.path.join(_dir, f"{os.getpid()}.jsonl"), "a") as f:
                    f.write(json.dumps([time.time(), gen, ms, sum(counts)]) + "\\n")

        gc.callbacks.append(_pinhaven_bench_gc)
        if os.environ.get("PINHAVEN_BENCH_GC_GEN0"):
            gc.set_threshold(int(os.environ["PINHAVEN_BENCH_GC_GEN0"]), *gc.get_threshold()[1:])
    """
)

WORDS = [
    "garden",
    "kitchen",
    "recipe",
    "autumn",
    "forest",
    "ocean",
    "mountain",
    "city",
    "bicycle",
    "coffee",
    "bread",
    "lamp",
    "chair",
]


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def role(pid: int) -> str:
    """What a process of the instance is, from its command line."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "gone"
    if b"pinhaven.modelserver" in cmdline:
        return "models"
    if b"spawn_main" in cmdline:
        return "server"
    if b"resource_tracker" in cmdline:
        return "tracker"
    return "main"


def wait_for_jobs(base: str, seconds: float) -> float:
    """Wait until no job is queued or running (health details: loopback is an operator)."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        queue = httpx.get(f"{base}/ext/v1/health", timeout=30).json().get("queue") or {}
        if queue.get("queued", 1) == 0 and queue.get("running", 1) == 0:
            return time.monotonic() - start
        time.sleep(1.0)
    return time.monotonic() - start


def use_features(base: str, token: str, board: str, pins: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    images = [base64.b64encode(jpeg_1mp(i)).decode() for i in range(pins)]
    for i in range(pins):
        words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(3))
        body = {
            "board_id": board,
            "title": f"{words} {i}",
            "description": f"A pin about {words}.",
            "media_source": {"source_type": "image_base64", "content_type": "image/jpeg", "data": images[i]},
        }
        httpx.post(f"{base}/v5/pins", json=body, headers=headers, timeout=60).raise_for_status()


def search(base: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for connection in range(8):  # new connections: reach every server process
        with httpx.Client(headers=headers, timeout=120) as client:
            for query in ("garden kitchen", "forest ocean", f"coffee {connection}"):
                client.get(f"{base}/ext/v1/search/pins", params={"q": query}).raise_for_status()
            files = {"image": ("q.jpg", jpeg_1mp(connection), "image/jpeg")}
            client.post(f"{base}/ext/v1/search/visual", files=files).raise_for_status()


def pauses(gc_dir: Path, pids: list[int], start: float, end: float) -> tuple[float, int, int]:
    """(longest pause ms, pauses over 50 ms, pauses over 2 ms) inside [start, end] in the given processes."""
    longest, over50, over2 = 0.0, 0, 0
    for pid in pids:
        path = gc_dir / f"{pid}.jsonl"
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            when, _gen, ms, _n = json.loads(line)
            if start <= when <= end:
                longest = max(longest, ms)
                over50 += ms > 50
                over2 += 1
    return longest, over50, over2


def run_variant(name: str, src: Path, args: argparse.Namespace, hook_dir: Path) -> dict[str, object]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"pinhaven-bench-gc-{name}-"))
    gc_dir = data_dir / "gc"
    gc_dir.mkdir()
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(hook_dir), str(src.resolve())])
    try:
        cli(data_dir, "init")
        cli(data_dir, "users", "create", "bench", "--email", "bench@example.test", stdin="bench password\n")
        token = cli(data_dir, "tokens", "create", "bench").stdout.strip()
        env = {
            "PINHAVEN_LOG_LEVEL": "warning",
            "PINHAVEN_ADMISSION_READ_LIMIT": "0",
            "PINHAVEN_ADMISSION_WRITE_LIMIT": "0",
            "PINHAVEN_BENCH_GC_DIR": str(gc_dir),
            "PINHAVEN_API_RATE_PER_MINUTE": "0",  # no per-token allowance (safety/ratelimit.py): 429s are not listings
        }
        if "gen0=" in name:  # a variant that tries another generation-0 threshold
            env["PINHAVEN_BENCH_GC_GEN0"] = name.split("gen0=", 1)[1]
        with running_server(data_dir, env=env, args=("--processes", str(args.processes))) as base:
            headers = {"Authorization": f"Bearer {token}"}
            board = httpx.post(
                f"{base}/v5/boards", json={"name": "Bench"}, headers=headers, timeout=30
            ).json()["id"]
            use_features(base, token, board, args.pins)
            waited = wait_for_jobs(base, args.job_wait)
            search(base, token)  # the first queries start loading the text model where it is not loaded
            time.sleep(15.0)
            search(base, token)
            workers = server_pids(data_dir)  # the supervisor and its server processes
            request = get_raw(f"/v5/boards/{board}/pins?page_size=25", token)
            load(base, lambda i, r=request: r, 16, 2.0, allow_errors=True)  # warm-up
            start = time.time()
            stats = load(base, lambda i, r=request: r, 16, args.seconds, workers, allow_errors=True)
            end = time.time()
            longest, over50, over2 = pauses(gc_dir, workers, start, end)
            rss = {f"{role(pid)}:{pid}": rss_mb(pid) for pid in workers}
            if stats["errors"]:
                errors = [
                    line for line in (data_dir / "server.log").read_text().splitlines() if "Error" in line
                ]
                print(
                    f"{name}: {stats['errors']:.0f} failed requests; server log says:",
                    *errors[-5:],
                    sep="\n  ",
                )
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
        shutil.rmtree(data_dir, ignore_errors=True)
    return {
        **stats,
        "longest_gc_ms": longest,
        "gc_over_50": over50,
        "gc_over_2": over2,
        "rss": rss,
        "jobs_wait_s": waited,
        "load": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="name=path/to/src (repeatable); a name with gen0=N also sets that generation-0 GC threshold",
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--pins", type=int, default=60)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="alternate the variants this many times")
    parser.add_argument("--job-wait", type=float, default=180.0)
    args = parser.parse_args()
    variants = [tuple(v.rsplit("=", 1)) for v in args.variant] or [("this tree", "src")]
    hook_dir = Path(tempfile.mkdtemp(prefix="pinhaven-bench-hook-"))
    (hook_dir / "sitecustomize.py").write_text(SITECUSTOMIZE)
    rows = []
    try:
        for round_no in range(args.rounds):
            for name, src in variants:
                print(f"round {round_no + 1}: {name} ...", flush=True)
                try:
                    row = run_variant(name, Path(src), args, hook_dir)
                except Exception as exc:  # report the others
                    print(f"{name} failed: {type(exc).__name__}: {exc}", flush=True)
                    continue
                print(f"{name}: {row}", flush=True)
                rows.append((name, row))
    finally:
        shutil.rmtree(hook_dir, ignore_errors=True)
    print(
        f"\nlist 25 pins, {args.processes} processes, concurrency 16, {args.seconds:.0f} s, SQLite, "
        f"after {args.pins} pins with their jobs, text + visual search; {os.cpu_count()} cores"
    )
    print(
        f"{'variant':<12} {'req/s':>7} {'p50':>6} {'p99':>7} {'p99.9':>7} {'max':>7} {'gc max':>7} "
        f"{'gc>50ms':>7} {'gc>2ms':>6} {'errors':>6}  {'RSS MB per process':<40} load avg (1/5/15)"
    )
    for name, r in rows:
        rss = ", ".join(
            f"{who.split(':')[0]} {mb:.0f}"
            for who, mb in sorted(r["rss"].items())  # type: ignore[union-attr]
            if mb is not None and not who.startswith("tracker")
        )
        load_avg = "/".join(f"{x:.2f}" for x in r["load"])  # type: ignore[union-attr]
        print(
            f"{name:<12} {r['rps']:>7.0f} {r['p50']:>6.2f} {r['p99']:>7.2f} {r['p999']:>7.2f} {r['max']:>7.1f} "
            f"{r['longest_gc_ms']:>7.1f} {r['gc_over_50']:>7} {r['gc_over_2']:>6} {r['errors']:>6}  {rss:<40} {load_avg}"
        )


if __name__ == "__main__":
    main()
