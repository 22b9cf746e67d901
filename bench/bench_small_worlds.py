"""`bench/discovery.py --small`: discovery on planted-taste small worlds, per scenario and database.

Each scenario is built in a fresh SQLite file, PostgreSQL schema or MariaDB database (the machine's servers,
as in the tests) and scored right after the target acted (graph not refreshed) and after the refresh.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from pinhaven.config import load_settings
from pinhaven.context import build_context
from pinhaven.db.migrate import upgrade
from pinhaven.discovery.small_world_scores import run_scenario
from pinhaven.discovery.small_worlds import SCENARIOS

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MARIADB = "mysql+pymysql://root@127.0.0.1:3306/test"


@contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    """A fresh, empty database of the backend, dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'pinhaven.db'}"
        return
    admin = sa.create_engine(POSTGRES if backend == "postgresql" else MARIADB, isolation_level="AUTOCOMMIT")
    create = f'CREATE SCHEMA "{name}"' if backend == "postgresql" else f"CREATE DATABASE `{name}`"
    drop = f'DROP SCHEMA "{name}" CASCADE' if backend == "postgresql" else f"DROP DATABASE `{name}`"
    with admin.connect() as conn:
        conn.execute(sa.text(create))
    try:
        yield (
            f"{POSTGRES}?options=-csearch_path%3D{name}"
            if backend == "postgresql"
            else MARIADB.replace("/test", f"/{name}")
        )
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(drop))
        admin.dispose()


def run_small(backends: list[str], scenarios: list[str], *, pixels: bool = False, seeds: int = 1) -> None:
    """Every scenario on every backend, for `seeds` seeds; hit rates are pooled over targets and seeds."""
    print("scenario     moment        first page (unseen pool)  taste  related  hit@2 pages vs most-saved")
    for name in scenarios:
        for backend in backends:
            totals: dict[str, list[int]] = {}
            for seed in range(seeds):
                scenario = dataclasses.replace(SCENARIOS[name], pixels=pixels, seed=seed)
                folder = Path(tempfile.mkdtemp(prefix="pinhaven-small-"))
                with database(backend, folder) as url:
                    settings = load_settings(env={}, data_dir=folder / "data", database_url=url,
                                             worker_threads=0, password_hash_fast=True, semantic_search=False,
                                             secret_key="bench")  # fmt: skip
                    ctx = build_context(settings)
                    try:
                        if backend != "sqlite":
                            upgrade(ctx.engine)
                        started = time.perf_counter()
                        world, scores = run_scenario(ctx, scenario, timings=(stages := {}))
                        took = time.perf_counter() - started
                        for s in scores:
                            print(f"{backend:10} seed {seed} {s.row()}", flush=True)
                            t = totals.setdefault(s.moment, [0, 0, 0])
                            t[0] += s.hits
                            t[1] += s.popular_hits
                            t[2] += s.held_out
                        steps = ", ".join(f"{k} {v:.1f} s" for k, v in stages.items())
                        print(f"{'':10} {scenario.people} people, {len(world.originals)} pictures, "
                              f"{took:.1f} s ({steps})")  # fmt: skip
                    finally:
                        ctx.engine.dispose()
            if seeds > 1:
                for moment, (hits, popular, held) in totals.items():
                    lift = hits / popular if popular else float("inf")
                    print(f"{backend:10} {name:12} {moment:13} over {seeds} seeds: hit {hits / held:.2f} vs "
                          f"most-saved {popular / held:.2f} ({lift:.1f}x, {held} held out)")  # fmt: skip
