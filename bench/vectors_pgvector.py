"""pgvector HNSW (the `database` vector store) against the in-process FAISS VectorIndex, with privacy.

    python bench/vectors_pgvector.py                    # 100k × 256, 200 queries
    python bench/vectors_pgvector.py --size 1000000     # the issue's size (long: loading + HNSW build)
    python bench/vectors_pgvector.py --url postgresql+psycopg://...   # an existing PostgreSQL with pgvector

Data: unit vectors from a mixture of Gaussian clusters (embeddings are clustered; uniform random vectors are
a worst case no real model produces). Every image has one pin; each cluster's pins sit on one of 100 boards,
10 of them SECRET, so about 10 % of the corpus is secret, in whole clusters: a query near a secret cluster
has all its nearest neighbours hidden from an anonymous viewer (the hard case for a filtered HNSW scan).

Queries: the real `DatabaseImageVectors.search` with `ImageVisibility(db, ANONYMOUS)` (privacy rule inside
the nearest-neighbour statement, then one query mapping the k images to pins); truth: exact top-10 among
public vectors (NumPy). Baseline in the same run: `VectorIndex` (FAISS HNSW, M=32, efSearch 128) with the
same visibility as a callback. Times are per single query, end to end from Python, on a loaded 2-core box.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.engines (the PostgreSQL it starts)

from bench.visual import pct, table

from pinhaven.accounts.scopes import ANONYMOUS
from pinhaven.db.engine import make_engine, make_session_factory, session_scope
from pinhaven.db.migrate import upgrade
from pinhaven.search.vectorstore.images import DatabaseImageVectors
from pinhaven.search.vectorstore.scan import iterative_scans
from pinhaven.search.vectorstore.schema import ensure_hnsw_index, hnsw_index_name
from pinhaven.search.visual.index import VectorIndex
from pinhaven.search.visual.service import ImageVisibility

MODEL = "bench-256"
BOARDS, SECRET_BOARDS = 100, 10
K = 10
NOW = "2026-01-01 00:00:00+00"


def corpus(n: int, dim: int, clusters: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(vectors, cluster of each) — unit vectors around `clusters` random centres."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    label = rng.integers(0, clusters, n)
    vecs = np.empty((n, dim), np.float32)
    for start in range(0, n, 100_000):
        part = label[start : start + 100_000]
        noise = rng.standard_normal((part.size, dim)).astype(np.float32) * 0.9
        vecs[start : start + part.size] = centres[part] + noise
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs, label


def load(url: str, vecs: np.ndarray, boards_of: np.ndarray) -> float:
    """Fill a migrated database: user, boards, images, pins, embeddings, vectors (COPY); returns seconds."""
    from pinhaven.accounts.models import User
    from pinhaven.boards.models import Board

    started = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text(f"DROP INDEX IF EXISTS {hnsw_index_name('visual_vectors', vecs.shape[1])}"))
        conn.execute(
            insert(User), [{"id": 1, "username": "bench", "email": "b@x.test", "password_hash": "-"}]
        )
        conn.execute(
            insert(Board),
            [
                {
                    "id": b + 1,
                    "owner_id": 1,
                    "name": f"b{b}",
                    "name_key": f"b{b}",
                    "privacy": "SECRET" if b < SECRET_BOARDS else "PUBLIC",
                }
                for b in range(BOARDS)
            ],
        )
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        n = len(vecs)
        for start in range(0, n, 50_000):
            stop = min(n, start + 50_000)
            ids = range(start + 1, stop + 1)
            # COPY skips SQLAlchemy's Python-side defaults: every NOT NULL column is given
            _copy(
                cur,
                "media_images (id, sha256, width, height, original_format, byte_size, status, created_at)",
                (f"{i}\t{i:064x}\t640\t480\tjpeg\t1000\tready\t{NOW}\n" for i in ids),
            )
            _copy(
                cur,
                "pins (id, board_id, creator_id, image_id, creative_type, is_standard, save_count, "
                "created_at)",
                (f"{i}\t{int(boards_of[i - 1]) + 1}\t1\t{i}\tREGULAR\ttrue\t0\t{NOW}\n" for i in ids),
            )
            block = vecs[start:stop]
            _copy(
                cur,
                "visual_embeddings (image_id, model_id, vector, phash, dhash, updated_at)",
                (
                    f"{i}\t{MODEL}\t\\\\x{v.astype('<f4').tobytes().hex()}\t0\t0\t{NOW}\n"
                    for i, v in zip(ids, block, strict=True)
                ),
            )
            _copy(
                cur,
                "visual_vectors (image_id, model_id, dim, embedding)",
                (
                    f"{i}\t{MODEL}\t{vecs.shape[1]}\t[{','.join(f'{x:.6g}' for x in v)}]\n"
                    for i, v in zip(ids, block, strict=True)
                ),
            )
            raw.commit()
            print(f"  loaded {stop:,} / {n:,} rows ({time.perf_counter() - started:.0f} s)", flush=True)
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    engine.dispose()
    return time.perf_counter() - started


def _copy(cur: object, target: str, lines: object) -> None:
    buffer = io.StringIO("".join(lines))  # type: ignore[arg-type]
    with cur.copy(f"COPY {target} FROM STDIN") as copy:  # type: ignore[attr-defined]
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--ef", default="40,100,200", help="hnsw.ef_search values to measure")
    ap.add_argument("--url", default="", help="a PostgreSQL with pgvector (default: start one, pgserver)")
    ap.add_argument("--skip-faiss", action="store_true")
    args = ap.parse_args(argv)
    n, dim = args.size, args.dim
    clusters = max(100, n // 200)
    vecs, label = corpus(n, dim, clusters)
    boards_of = label % BOARDS
    public = boards_of >= SECRET_BOARDS
    rng = np.random.default_rng(1)
    pick = rng.integers(0, n, args.queries)
    queries = vecs[pick] + rng.standard_normal((args.queries, dim)).astype(np.float32) * 0.05
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    public_ids = np.flatnonzero(public) + 1
    truth = [set((public_ids[np.argsort(-(vecs[public] @ q))[:K]]).tolist()) for q in queries]
    hard = sum(not public[i] for i in pick)
    print(
        f"{n:,} × {dim} vectors, {clusters} clusters, {100 * (1 - public.mean()):.1f} % secret; "
        f"{args.queries} queries ({hard} start in a secret cluster)"
    )

    server = None
    url = args.url
    if not url:
        from tests.engines.pgvector_server import start_server

        server = start_server()
        url = server.database("bench_vectors")
    try:
        load_s = load(url, vecs, boards_of)
        engine = make_engine(url)
        with engine.begin() as conn:
            version = conn.scalar(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'"))
            pg = conn.scalar(text("SHOW server_version"))
            conn.execute(text("SET maintenance_work_mem = '2GB'"))
            conn.execute(text("SET max_parallel_maintenance_workers = 1"))
            t0 = time.perf_counter()
            ensure_hnsw_index(conn, "visual_vectors", dim)
            build_s = time.perf_counter() - t0
        sessions = make_session_factory(engine)
        with session_scope(sessions) as db:
            iterative = iterative_scans(db)
        store = DatabaseImageVectors(sessions, model_id=MODEL, dim=dim)
        print(
            f"PostgreSQL {pg}, pgvector {version} (iterative scans: {iterative}); "
            f"load {load_s:.0f} s, HNSW build (m=16, ef_construction=64) {build_s:.1f} s"
        )
        rows = []
        for ef in [int(e) for e in args.ef.split(",")]:
            store.ef_search = ef
            times, recalls = [], []
            for q, want in zip(queries, truth, strict=True):
                with session_scope(sessions) as db:
                    t0 = time.perf_counter()
                    hits = store.search(q, K, visible=ImageVisibility(db, ANONYMOUS))
                    times.append((time.perf_counter() - t0) * 1000)
                recalls.append(len({i for i, _ in hits} & want) / K)
            rows.append(
                [
                    f"pgvector HNSW ef_search={ef}",
                    statistics.mean(recalls),
                    min(recalls),
                    pct(times, 0.5),
                    pct(times, 0.99),
                ]
            )
        store.ef_search = 100
        all_ids = set(range(1, n + 1))
        times, recalls = [], []
        for q in queries:  # no privacy filter (a viewer who sees everything): the HNSW scan alone
            want = set(np.argsort(-(vecs @ q))[:K] + 1)
            with session_scope(sessions) as db:
                t0 = time.perf_counter()
                hits = store.search(q, K)
                times.append((time.perf_counter() - t0) * 1000)
            recalls.append(len({i for i, _ in hits} & want & all_ids) / K)
        rows.append(
            [
                "pgvector HNSW ef_search=100, no filter",
                statistics.mean(recalls),
                min(recalls),
                pct(times, 0.5),
                pct(times, 0.99),
            ]
        )
        times = []
        for q in queries[:50]:  # exact: the same statement ordered by an expression the index cannot serve
            with session_scope(sessions) as db:
                t0 = time.perf_counter()
                db.execute(text("SELECT set_config('enable_indexscan', 'off', true)"))
                store.search(q, K, visible=ImageVisibility(db, ANONYMOUS))
                times.append((time.perf_counter() - t0) * 1000)
        rows.append(["pgvector exact (no index), 50 queries", 1.0, 1.0, pct(times, 0.5), pct(times, 0.99)])
        engine.dispose()
    finally:
        if server is not None:
            server.stop()

    if not args.skip_faiss:
        index = VectorIndex(dim, model_id=MODEL, brute_force_below=1)
        t0 = time.perf_counter()
        index.rebuild(zip(range(1, n + 1), vecs, strict=True))
        faiss_build = time.perf_counter() - t0
        visible_set = set(public_ids.tolist())
        times, recalls = [], []
        for q, want in zip(queries, truth, strict=True):
            t0 = time.perf_counter()
            hits = index.search(q, K, visible=lambda ids: {i for i in ids if i in visible_set})
            times.append((time.perf_counter() - t0) * 1000)
            recalls.append(len({i for i, _ in hits} & want) / K)
        rows.append(
            [
                f"FAISS VectorIndex (build {faiss_build:.1f} s), set lookup as visible",
                statistics.mean(recalls),
                min(recalls),
                pct(times, 0.5),
                pct(times, 0.99),
            ]
        )
    table(
        f"k={K}, anonymous viewer (privacy filter applied), {n:,} × {dim}",
        ["method", "recall@10", "min recall", "p50 ms", "p99 ms"],
        rows,
    )


if __name__ == "__main__":
    main()
