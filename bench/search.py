"""Text search benchmark: keyword (FTS5) for rare / medium / common words, semantic, hybrid, vs naive LIKE.

A synthetic corpus of short pin documents (titles + descriptions drawn from a Zipfian vocabulary of made-up
words) is written into a fresh SQLite database through the real schema, indexed with `reindex_all`, and
queried through `search_pins` as a signed-in viewer who owns secret boards (so the privacy clause is live).
Semantic figures: `--embed-docs` documents get real MiniLM vectors; the rest get random unit vectors, which
cost the same to search (latency, not relevance, is measured here). Single core: BLAS threads = 1.

    .venv/bin/python bench/search.py                  # 100k documents
    .venv/bin/python bench/search.py --docs 1000000   # 1M documents (several minutes to build)
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from sqlalchemy import func, insert, or_, select  # noqa: E402

from pinhaven.accounts.models import User  # noqa: E402
from pinhaven.accounts.scopes import session_viewer  # noqa: E402
from pinhaven.boards.access import visible_pins_clause  # noqa: E402
from pinhaven.boards.models import Board  # noqa: E402
from pinhaven.config import load_settings  # noqa: E402
from pinhaven.context import AppContext, build_context  # noqa: E402
from pinhaven.db.base import utcnow  # noqa: E402
from pinhaven.db.engine import session_scope  # noqa: E402
from pinhaven.db.ids import new_id  # noqa: E402
from pinhaven.media.models import MediaImage  # noqa: E402
from pinhaven.pagination import PageParams  # noqa: E402
from pinhaven.pins.models import Pin  # noqa: E402
from pinhaven.search.text import documents, semantic, vectors  # noqa: E402
from pinhaven.search.text.models import PinTextVector  # noqa: E402
from pinhaven.search.text.service import search_pins  # noqa: E402

PAGE = PageParams(page_size=25)


def make_vocabulary(size: int, rng: np.random.Generator) -> list[str]:
    consonants, vowels = "bdfgklmnprstvz", "aiou"
    syllables = [c + v for c in consonants for v in vowels]
    words: set[str] = set()
    while len(words) < size:
        count = int(rng.integers(2, 5))
        words.add("".join(syllables[i] for i in rng.integers(0, len(syllables), count)))
    return sorted(words)


def generate(ctx: AppContext, n_docs: int, rng: np.random.Generator) -> tuple[int, Counter[str], list[str]]:
    """Users, boards (5% secret), one shared image and `n_docs` pins; returns the viewer id and word counts."""
    vocabulary = make_vocabulary(30_000, rng)
    ranks = np.arange(1, len(vocabulary) + 1)
    weights = 1.0 / ranks**1.07
    weights /= weights.sum()
    document_frequency: Counter[str] = Counter()
    now = utcnow()
    with session_scope(ctx.sessions) as db:
        users = [new_id() for _ in range(50)]
        db.execute(
            insert(User),
            [
                {"id": uid, "username": f"user{i}", "email": f"u{i}@bench.test", "password_hash": "x"}
                for i, uid in enumerate(users)
            ],
        )
        n_boards = max(20, n_docs // 50)
        boards = [(new_id(), users[i % len(users)]) for i in range(n_boards)]
        db.execute(
            insert(Board),
            [
                {
                    "id": bid,
                    "owner_id": owner,
                    "name": f"{vocabulary[int(rng.integers(0, 500))]} board {i}",
                    "name_key": f"board {i}",
                    "privacy": "SECRET" if i % 20 == 0 else "PUBLIC",
                }
                for i, (bid, owner) in enumerate(boards)
            ],
        )
        image_id = new_id()
        db.add(
            MediaImage(id=image_id, sha256="0" * 64, width=1, height=1, original_format="jpeg", byte_size=1)
        )
        db.flush()
        batch: list[dict[str, object]] = []
        # One draw for every word of every document (a draw per document costs O(vocabulary) each).
        title_sizes = rng.integers(2, 6, n_docs)
        desc_sizes = rng.integers(6, 16, n_docs)
        draws = iter(rng.choice(len(vocabulary), size=int(title_sizes.sum() + desc_sizes.sum()), p=weights))
        for doc in range(n_docs):
            title = " ".join(vocabulary[next(draws)] for _ in range(title_sizes[doc]))[:100]
            description = " ".join(vocabulary[next(draws)] for _ in range(desc_sizes[doc]))[:800]
            document_frequency.update(set(title.split()) | set(description.split()))
            board_id, owner = boards[int(rng.integers(0, len(boards)))]
            batch.append(
                {
                    "id": new_id(),
                    "board_id": board_id,
                    "creator_id": owner,
                    "image_id": image_id,
                    "title": title,
                    "description": description,
                    "source_domain": f"shop{int(rng.integers(0, 200))}.example",
                    "created_at": now,
                }
            )
            if len(batch) == 5000:
                db.execute(insert(Pin), batch)
                batch.clear()
        if batch:
            db.execute(insert(Pin), batch)
    return users[0], document_frequency, vocabulary


def pick_terms(df: Counter[str], n_docs: int, count: int, rng: np.random.Generator) -> dict[str, list[str]]:
    """Words by how many documents hold them: rare 5–50, medium 0.3–1.5%, common the 10 most frequent."""

    def band(low: float, high: float) -> list[str]:
        words = sorted(w for w, c in df.items() if low <= c <= high)  # set order varies between runs
        return [str(w) for w in rng.choice(words, size=min(count, len(words)), replace=False)]

    common = [w for w, _ in df.most_common(10)]
    return {
        "rare": band(5, 50),
        "medium": band(0.003 * n_docs, 0.015 * n_docs),
        "common": [common[i % len(common)] for i in range(count)],
    }


def timed(fn: Callable[[str], object], queries: Sequence[str], warm: str | None = None) -> list[float]:
    fn(queries[0] if warm is None else warm)  # warm caches and prepared statements
    samples = []
    for query in queries:
        start = time.perf_counter()
        fn(query)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def percentile(samples: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples), q))


def add_vectors(ctx: AppContext, embed_docs: int, rng: np.random.Generator) -> float:
    """Real MiniLM vectors for the first `embed_docs` pins, random unit vectors for the rest; ms per embedded doc."""
    encoder = semantic.encoder()
    encoder.load()
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    with session_scope(ctx.read_sessions) as db:
        rows = db.execute(select(Pin.id, Pin.title, Pin.description).order_by(Pin.id)).all()
    ms_per_doc = 0.0
    now = utcnow()
    for start in range(0, len(rows), 5000):
        chunk = rows[start : start + 5000]
        real = chunk[: max(0, min(len(chunk), embed_docs - start))]
        matrix = rng.standard_normal((len(chunk), semantic.DIM)).astype(np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        if real:
            began = time.perf_counter()
            matrix[: len(real)] = encoder.encode(
                [f"{title}. {description}" for _, title, description in real]
            )
            ms_per_doc = (time.perf_counter() - began) * 1000 / len(real)
        with session_scope(ctx.sessions) as db:
            db.execute(
                insert(PinTextVector),
                [
                    {
                        "pin_id": pin_id,
                        "model_id": semantic.MODEL_ID,
                        "vector": vectors.to_bytes(vector),
                        "text_hash": "bench",
                        "updated_at": now,
                    }
                    for (pin_id, _, _), vector in zip(chunk, matrix, strict=True)
                ],
            )
    return ms_per_doc


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=100_000, help="pin documents (1000000 for the big run)")
    parser.add_argument("--queries", type=int, default=100, help="queries per row")
    parser.add_argument("--embed-docs", type=int, default=2000, help="documents embedded with the real model")
    parser.add_argument("--no-semantic", action="store_true", help="skip the semantic and hybrid rows")
    args = parser.parse_args()
    rng = np.random.default_rng(7)

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(env={}, data_dir=Path(tmp), worker_threads=0, semantic_search=True)
        ctx = build_context(settings)
        began = time.perf_counter()
        viewer_id, df, vocabulary = generate(ctx, args.docs, rng)
        generated = time.perf_counter() - began
        began = time.perf_counter()
        with session_scope(ctx.sessions) as db:
            documents.reindex_all(db=db)
        indexed = time.perf_counter() - began
        print(
            f"{args.docs:,} documents: generated in {generated:.1f} s, indexed (reindex_all) in {indexed:.1f} s"
        )
        viewer = session_viewer(viewer_id)
        terms = pick_terms(df, args.docs, args.queries, rng)
        results: list[tuple[str, str, list[float], str]] = []

        def keyword(query: str) -> object:
            with session_scope(ctx.read_sessions) as db:
                return search_pins(db=db, viewer=viewer, query=query, page=PAGE, semantic_search=False)

        def naive(query: str) -> object:
            like = f"%{query}%"
            with session_scope(ctx.read_sessions) as db:
                return db.scalars(
                    select(Pin)
                    .join(Board, Board.id == Pin.board_id)
                    .where(visible_pins_clause(viewer), or_(Pin.title.like(like), Pin.description.like(like)))
                    .order_by(Pin.id.desc())
                    .limit(25)
                ).all()

        for band, words in terms.items():
            matches = statistics.median(df[w] for w in words)
            results.append((f"keyword {band}", "FTS5", timed(keyword, words), f"~{matches:,.0f} docs/word"))
            naive_words = words[: max(10, len(words) // 5)]  # full scans are slow: fewer samples
            results.append((f"naive {band}", "LIKE '%w%'", timed(naive, naive_words), ""))
        pairs = [f"{a} {b}" for a, b in zip(terms["medium"], reversed(terms["common"]), strict=False)]
        results.append(("keyword 2 words", "FTS5", timed(keyword, pairs), "medium + common"))

        if not args.no_semantic and semantic.is_installed():
            began = time.perf_counter()
            ms_per_doc = add_vectors(ctx, min(args.embed_docs, args.docs), rng)
            index = vectors.semantic_index(ctx.engine)
            load_began = time.perf_counter()
            index.refresh(full=True)
            loaded = time.perf_counter() - load_began
            print(
                f"vectors: {len(index.matrix):,} stored in {time.perf_counter() - began - loaded:.1f} s "
                f"({ms_per_doc:.1f} ms per embedded doc, batched), loaded into memory in {loaded:.1f} s"
            )
            encoder = semantic.encoder()
            fresh = [
                f"{a} {b} {c}"
                for a, b, c in zip(*(rng.choice(vocabulary, args.queries) for _ in range(3)), strict=True)
            ]
            # Through the request path: distinct queries, so each is embedded (and then cached).
            results.append(
                (
                    "embed query (uncached)",
                    "MiniLM",
                    timed(encoder.query_vector_nowait, fresh[1:], warm=fresh[0]),
                    "",
                )
            )
            query_vectors = [encoder.query_vector_nowait(q) for q in fresh]
            member = []
            with session_scope(ctx.read_sessions) as db:
                member = list(
                    db.scalars(select(Board.id).where(Board.owner_id == viewer_id, Board.privacy != "PUBLIC"))
                )

            def semantic_only(i: str) -> object:
                return index.matrix.search(query_vectors[int(i)], member_boards=member, k=100, min_score=0.2)

            numbered = [str(i) for i in range(len(fresh))]
            results.append(
                (
                    f"semantic top-100 of {len(index.matrix):,}",
                    "FAISS+NumPy",
                    timed(semantic_only, numbered),
                    "",
                )
            )

            def hybrid(query: str) -> object:
                with session_scope(ctx.read_sessions) as db:
                    page = search_pins(db=db, viewer=viewer, query=query, page=PAGE)
                    assert page.mode == "h", "semantic search was not ready"
                    return page

            hybrid_queries = terms["medium"]
            # First sight of each query: its embedding is part of the request (warmed on another word).
            results.append(
                (
                    "hybrid (query vector uncached)",
                    "FTS5+MiniLM+RRF",
                    timed(hybrid, hybrid_queries, warm=terms["rare"][0]),
                    "",
                )
            )
            for query in hybrid_queries:  # query vectors cached, as for repeated queries
                encoder.query_vector_nowait(query)
            results.append(
                ("hybrid (query vector cached)", "FTS5+NumPy+RRF", timed(hybrid, hybrid_queries), "")
            )

        print()
        print(f"{'query':<34}{'engine':<16}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}  note")
        print("-" * 92)
        for name, engine, samples, note in results:
            print(
                f"{name:<34}{engine:<16}{len(samples):>5}{percentile(samples, 50):>10.2f}"
                f"{percentile(samples, 95):>10.2f}  {note}"
            )
        for band in ("rare", "medium", "common"):
            fts = next(s for n, _, s, _ in results if n == f"keyword {band}")
            like = next(s for n, _, s, _ in results if n == f"naive {band}")
            print(f"p50 speed-up over LIKE, {band} words: {percentile(like, 50) / percentile(fts, 50):.1f}x")
        with session_scope(ctx.read_sessions) as db:
            secret = db.scalar(select(func.count()).select_from(Board).where(Board.privacy != "PUBLIC"))
        print(f"(viewer owns secret boards among {secret:,}; every query applies the privacy rule)")
        print(
            f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work inflates it)"
        )
        ctx.engine.dispose()


if __name__ == "__main__":
    main()
