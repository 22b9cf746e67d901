"""Create-pin tail latency at concurrency 16 (1 MP JPEG each), SQLite and PostgreSQL, before vs after.

For each database and each variant (a source tree: this checkout, or an older one unpacked with
`git archive`), in turn: a scratch data dir, `pinhaven serve` (one process; no job threads by default, so
the request path is measured alone; `--worker-threads 2` runs the image jobs beside the requests as in
production), then `POST /v5/pins` from 16 keep-alive connections for `--seconds`, every request timed on
the client. Prints p50/p99/max, req/s, failures and the machine's load average for each run. A variant
whose name contains `sqlite-only` is skipped on PostgreSQL.

    git archive <commit> src | tar -x -C /tmp/pinhaven-before
    .venv/bin/python bench/write_tail.py --variant before=/tmp/pinhaven-before/src --variant after=src
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api import create_pin_requests, load
from tests.integration.server import cli, running_server

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_schema() -> tuple[str, str]:
    """(database URL on a fresh schema, schema name)."""
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return f"{POSTGRES_ADMIN_URL}?options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def run(name: str, src: Path, database: str, args: argparse.Namespace) -> dict[str, float]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"pinhaven-bench-writes-{name}-"))
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(src.resolve())
    schema = None
    env = {
        "PINHAVEN_LOG_LEVEL": "warning",
        "PINHAVEN_ADMISSION_READ_LIMIT": "0",
        "PINHAVEN_ADMISSION_WRITE_LIMIT": "0",
        "PINHAVEN_WORKER_THREADS": str(args.worker_threads),
        "PINHAVEN_UPLOAD_DAILY_COUNT": "0",  # no daily upload quota (safety/quotas.py) in a benchmark
        "PINHAVEN_UPLOAD_DAILY_BYTES": "0",
        "PINHAVEN_API_RATE_PER_MINUTE": "0",  # no per-token allowance (safety/ratelimit.py)
    }
    try:
        if database == "postgresql":
            url, schema = postgres_schema()
            env["PINHAVEN_DATABASE_URL"] = url
        assert cli(data_dir, "init", env=env).returncode == 0
        cli(data_dir, "users", "create", "bench", "--email", "b@x.test", stdin="bench password\n", env=env)
        token = cli(data_dir, "tokens", "create", "bench", env=env).stdout.strip()
        with running_server(data_dir, env=env) as base:
            headers = {"Authorization": f"Bearer {token}"}
            board = httpx.post(f"{base}/v5/boards", json={"name": "B"}, headers=headers, timeout=30).json()[
                "id"
            ]
            bodies = create_pin_requests(token, board, seeds=range(2000, 2000 + args.images))
            load(base, lambda i, b=bodies: b[i % len(b)], 16, 2.0, allow_errors=True)  # warm-up
            stats = load(base, lambda i, b=bodies: b[(i * 7) % len(b)], 16, args.seconds, allow_errors=True)
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
        shutil.rmtree(data_dir, ignore_errors=True)
        if schema is not None:
            drop_schema(schema)
    return {**stats, "load1": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variant", action="append", default=[], help="name=path/to/src (repeatable)")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--images", type=int, default=48, help="distinct pictures (repeats are deduplicated)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--worker-threads", type=int, default=0, help="job threads in the server (0: the request path alone)"
    )
    args = parser.parse_args()
    variants = [tuple(v.split("=", 1)) for v in args.variant] or [("this tree", "src")]
    rows = []
    for database in args.databases.split(","):
        for round_no in range(args.rounds):
            for name, src in variants:
                if database != "sqlite" and "sqlite-only" in name:
                    continue
                print(f"{database} round {round_no + 1}: {name} ...", flush=True)
                try:
                    row = run(name, Path(src), database, args)
                except Exception as exc:  # report the others
                    print(f"  failed: {type(exc).__name__}: {exc}", flush=True)
                    continue
                print(f"  {row}", flush=True)
                rows.append((database, name, row))
    print(
        f"\ncreate pin (1 MP JPEG), 1 server process, concurrency 16, {args.seconds:.0f} s; {os.cpu_count()} cores"
    )
    print(
        f"{'database':<11} {'variant':<10} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'failed':>7} {'load1':>6}"
    )
    for database, name, r in rows:
        print(
            f"{database:<11} {name:<10} {r['rps']:>7.1f} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['max']:>8.1f} "
            f"{r['errors']:>7.0f} {r['load1']:>6.2f}"
        )


if __name__ == "__main__":
    main()
