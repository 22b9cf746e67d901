"""The visual index over a process's life: automatic whitening refits as the corpus grows, and an index file
that a restart loads and catches up instead of rebuilding."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from tests.factories import Account

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.models import Job
from pinhaven.jobs.worker import drain
from pinhaven.runtime import stop_background
from pinhaven.search.visual import handlers
from pinhaven.search.visual.index import VectorIndex
from pinhaven.search.visual.models import ImageEmbedding
from pinhaven.search.visual.service import SERVICE_KEY, VisualService, visual_service, whitening_path

from .helpers import board, corpus, pin, transformed, upload_search


def _refit_jobs(ctx: AppContext) -> int:
    with session_scope(ctx.read_sessions) as db:
        return int(
            db.scalar(select(func.count()).select_from(Job).where(Job.kind == handlers.REFIT_JOB)) or 0
        )


def test_whitening_is_fitted_once_the_corpus_is_big_enough_and_again_when_it_grows(
    ctx: AppContext, client: TestClient, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handlers, "FIT_MIN_IMAGES", 8)
    corpus(ctx, client, alice, range(6))
    assert not whitening_path(ctx).exists() and _refit_jobs(ctx) == 0
    assert visual_service(ctx).model_id == "builtin-v1"  # unwhitened below the threshold

    pins = corpus(ctx, client, alice, range(6, 12))  # crosses 8: one refit job, run by the same drain
    assert _refit_jobs(ctx) == 1 and whitening_path(ctx).exists()
    fitted = visual_service(ctx)
    assert fitted.model_id.startswith("builtin-v1-") and len(fitted.index) == 12
    with session_scope(ctx.read_sessions) as db:
        assert set(db.scalars(select(ImageEmbedding.model_id))) == {fitted.model_id}
    assert upload_search(client, transformed(7)).json()["items"][0]["id"] == pins[7]

    corpus(ctx, client, alice, range(12, 20))  # 20 < 4 × 12: the whitening stays
    assert _refit_jobs(ctx) == 1 and visual_service(ctx).model_id == fitted.model_id
    corpus(ctx, client, alice, range(20, 48))  # 48 = 4 × 12: refitted on the grown corpus
    assert _refit_jobs(ctx) == 2 and visual_service(ctx).model_id != fitted.model_id
    assert len(visual_service(ctx).index) == 48
    saved = visual_service(ctx).index.directory
    assert saved is not None and [d.name for d in saved.parent.iterdir()] == [saved.name]  # old ones gone


def _restart(ctx: AppContext) -> VisualService:
    ctx.services.pop(SERVICE_KEY, None)
    return visual_service(ctx)


def test_a_restart_loads_the_saved_index_and_catches_up(
    ctx: AppContext, client: TestClient, alice: Account, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rebuilds: list[int] = []
    real_rebuild = VectorIndex.rebuild

    def counted_rebuild(self: VectorIndex, items: Any) -> None:
        rebuilds.append(1)
        real_rebuild(self, items)

    monkeypatch.setattr(VectorIndex, "rebuild", counted_rebuild)
    pins = corpus(ctx, client, alice, range(5))
    service = visual_service(ctx)
    assert service.has_unsaved  # embedded since the start: not written yet (saves are batched)
    stop_background(ctx)  # shutdown writes it
    assert not service.has_unsaved
    directory = service.index.directory
    assert directory is not None
    shutil.copytree(directory, tmp_path / "five")

    rebuilds.clear()
    assert len(_restart(ctx).index) == 5 and not rebuilds  # loaded, not rebuilt

    late = pin(client, alice, board(client, alice, "Later"), seed=40)["id"]
    drain(ctx)
    stop_background(ctx)
    shutil.rmtree(directory)  # back to the file saved before the late pin was embedded
    shutil.copytree(tmp_path / "five", directory)
    caught_up = _restart(ctx)
    assert len(caught_up.index) == 6 and not rebuilds and not caught_up.has_unsaved
    assert upload_search(client, transformed(40)).json()["items"][0]["id"] == late
    assert upload_search(client, transformed(2)).json()["items"][0]["id"] == pins[2]

    with session_scope(ctx.sessions) as db:  # a vector deleted behind the file's back: rebuilt
        victim = db.scalars(select(ImageEmbedding.image_id)).first()
        db.execute(delete(ImageEmbedding).where(ImageEmbedding.image_id == victim))
    rebuilt = _restart(ctx)
    assert len(rebuilt.index) == 5 and rebuilds == [1]

    shutil.rmtree(directory)  # no file at all: rebuilt from the table
    assert len(_restart(ctx).index) == 5 and rebuilds == [1, 1]
